//! The template language: one strict minijinja environment, syntax errors with their file
//! and line, and the check that a body and its contract use only declared variables.

use serde_json::Value;

use crate::error::{Error, VarOrigin};
use crate::library::{Template, VarType};
use crate::validate::contract;

pub(crate) fn environment() -> minijinja::Environment<'static> {
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.set_keep_trailing_newline(true);
    env
}

pub(crate) fn template_error(t: &Template, e: &minijinja::Error) -> Error {
    let line = t.body_line + e.line().unwrap_or(1) - 1;
    let mut message = e
        .detail()
        .map(|d| format!("{}: {d}", e.kind()))
        .unwrap_or_else(|| e.kind().to_string());
    if e.detail().is_none() {
        message = e.to_string();
    }
    Error::Prompt {
        path: t.path.clone(),
        line,
        message,
    }
}

/// Compile the body once to report syntax errors with their line, and check
/// that it only uses declared variables.
pub fn check_syntax(t: &Template) -> Result<(), Error> {
    let env = environment();
    let compiled = env
        .template_from_str(&t.body)
        .map_err(|e| template_error(t, &e))?;
    let mut used: Vec<String> = compiled.undeclared_variables(false).into_iter().collect();
    used.sort();
    if let Some(src) = &t.contract {
        let err = |message: String| Error::Prompt {
            path: t.path.clone(),
            line: src.line,
            message: format!("contract: {message}"),
        };
        let mut strings = Vec::new();
        contract::templates(&src.value, &mut strings);
        for s in &strings {
            let compiled = env.template_from_str(s).map_err(|e| err(e.to_string()))?;
            for name in compiled.undeclared_variables(false) {
                if t.var(&name).is_none() {
                    return Err(err(format!(
                        "`{s}` uses `{name}`, which the front matter does not declare"
                    )));
                }
            }
        }
        contract::check_shape(src, &|name| {
            t.var(name).map(|v| match v.ty {
                VarType::String => Value::from("x"),
                VarType::Integer => Value::from(1),
                VarType::Number => Value::from(1.0),
                VarType::Boolean => Value::Bool(true),
                VarType::List => Value::from(vec!["x"]),
            })
        })
        .map_err(err)?;
    }
    for name in used {
        if t.var(&name).is_none() {
            let line = t
                .body
                .lines()
                .position(|l| l.contains(&name))
                .map(|i| t.body_line + i)
                .unwrap_or(t.body_line);
            return Err(Error::UnknownVariable {
                name,
                prompt: t.reference(),
                origin: VarOrigin::File {
                    path: t.path.clone(),
                    line,
                },
                note: "the template uses it but the front matter does not declare it",
            });
        }
    }
    Ok(())
}
