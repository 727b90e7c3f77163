//! The contract of a Dockerfile prompt: stage names, base images, exposed
//! ports, Next.js standalone output. The Dockerfile reader in
//! `validate::dockerfile` finds them (its DH010–DH013); here they become
//! contract findings, filled from the prompt's variables.

use super::DockerfileContract;
use crate::validate::diagnostic::Diagnostic;
use crate::validate::dockerfile::{self, Expectations};

/// The `contract/…` findings of a Dockerfile.
pub fn check(c: &DockerfileContract, text: &str) -> Vec<Diagnostic> {
    let expect = Expectations {
        stages: c.stages.clone(),
        base_images: c.base_images.clone(),
        expose: c.expose.clone(),
        nextjs_standalone: c.nextjs_standalone,
    };
    dockerfile::check(text, &expect)
        .into_iter()
        .filter_map(|mut d| {
            d.code = match d.code.as_str() {
                "DH010" => "contract/stages",
                "DH011" => "contract/base-image",
                "DH012" => "contract/expose",
                "DH013" => "contract/nextjs-standalone",
                _ => return None,
            }
            .to_owned();
            Some(d)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_expectation_refuses() {
        let c = DockerfileContract {
            stages: Some(vec!["builder".into(), "runtime".into()]),
            base_images: Some(vec!["python:3.11-slim".into()]),
            expose: Some(vec![8000]),
            nextjs_standalone: false,
        };
        let good = "FROM python:3.11-slim AS builder\nRUN true\nFROM python:3.11-slim AS runtime\nUSER app\nEXPOSE 8000\n";
        assert_eq!(check(&c, good), vec![]);
        let bad = "FROM python:3.12 AS build\nRUN true\nFROM python:3.11-slim AS runtime\nUSER app\nEXPOSE 8080\n";
        let codes: Vec<(String, usize)> = check(&c, bad)
            .into_iter()
            .map(|d| (d.code, d.line))
            .collect();
        assert_eq!(
            codes,
            [
                ("contract/base-image".to_owned(), 1),
                ("contract/stages".to_owned(), 1),
                ("contract/expose".to_owned(), 5),
            ]
        );
    }
}
