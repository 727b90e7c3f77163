//! Template + values → `FilledPrompt`. Pure and strict: every variable the body
//! uses must be declared, every required one must have a value, every value must
//! have its declared type, and an undefined name is an error, never an empty string.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use crate::error::{Error, VarOrigin};
use crate::library::syntax::{environment, template_error};
use crate::library::{Template, VarType};
use crate::settings::ConfigValue;
use crate::validate::contract::{self, Contract};
pub use crate::var_type::coerce_toml;

/// A prompt with its variables filled: what is sent to the assistant.
#[derive(Debug, Clone)]
pub struct FilledPrompt {
    pub template: Arc<Template>,
    pub values: BTreeMap<String, Value>,
    pub text: String,
    /// `sha256:` of the canonical JSON of `values`.
    pub vars_hash: String,
    /// What the artifact must be, filled from the same values as `text`.
    pub contract: Option<Contract>,
}

/// Fill `t` with `config` values (from dockhand.toml) and then `sets` (`--set k=v`).
/// `own_config` holds the keys that came from `[prompts.<id>.vars]`; those must be
/// declared, while `[vars]` is shared by all prompts and only used where declared.
pub fn fill(
    t: &Arc<Template>,
    config: &BTreeMap<String, ConfigValue>,
    own_config: &BTreeMap<String, ConfigValue>,
    config_path: &Path,
    sets: &[String],
) -> Result<FilledPrompt, Error> {
    let mut values: BTreeMap<String, Value> = BTreeMap::new();
    for v in &t.vars {
        if let Some(d) = &v.default {
            values.insert(v.name.clone(), d.clone());
        }
    }
    for (name, cv) in own_config {
        if t.var(name).is_none() {
            return Err(Error::UnknownVariable {
                name: name.clone(),
                prompt: t.reference(),
                origin: VarOrigin::File {
                    path: config_path.to_owned(),
                    line: cv.line,
                },
                note: "the prompt does not declare it",
            });
        }
    }
    for v in &t.vars {
        if let Some(cv) = config.get(&v.name) {
            let value = coerce_toml(&cv.value, v.ty).map_err(|found| Error::TypeMismatch {
                name: v.name.clone(),
                expected: v.ty,
                found,
                origin: VarOrigin::File {
                    path: config_path.to_owned(),
                    line: cv.line,
                },
            })?;
            values.insert(v.name.clone(), value);
        }
    }
    for raw in sets {
        let (name, text) = raw
            .split_once('=')
            .ok_or_else(|| Error::Usage(format!("--set `{raw}`: expected KEY=VALUE")))?;
        let Some(spec) = t.var(name) else {
            return Err(Error::UnknownVariable {
                name: name.to_owned(),
                prompt: t.reference(),
                origin: VarOrigin::Flag {
                    flag: format!("--set {raw}"),
                    declared_in: t.path.clone(),
                    line: t.vars_line(),
                },
                note: "the prompt does not declare it",
            });
        };
        let value = parse_set(text, spec.ty).map_err(|found| Error::TypeMismatch {
            name: name.to_owned(),
            expected: spec.ty,
            found,
            origin: VarOrigin::Flag {
                flag: format!("--set {raw}"),
                declared_in: t.path.clone(),
                line: spec.line,
            },
        })?;
        values.insert(name.to_owned(), value);
    }
    for v in &t.vars {
        if !values.contains_key(&v.name) {
            if v.required {
                return Err(Error::MissingVariable {
                    name: v.name.clone(),
                    prompt: t.reference(),
                    path: t.path.clone(),
                    line: v.line,
                    set_flag: false,
                });
            }
            values.insert(v.name.clone(), Value::Null);
        }
    }
    let env = environment();
    let compiled = env
        .template_from_str(&t.body)
        .map_err(|e| template_error(t, &e))?;
    let text = compiled
        .render(&values)
        .map_err(|e| template_error(t, &e))?;
    let contract = match &t.contract {
        None => None,
        Some(src) => {
            let err = |message: String| Error::Prompt {
                path: t.path.clone(),
                line: src.line,
                message: format!("contract: {message}"),
            };
            let render = |s: &str| env.render_str(s, &values).map_err(|e| e.to_string());
            let filled = contract::fill_value(&src.value, &values, &render).map_err(err)?;
            Some(contract::from_value(filled).map_err(err)?)
        }
    };
    let canonical = serde_json::to_vec(&values).expect("values serialize");
    Ok(FilledPrompt {
        template: t.clone(),
        vars_hash: crate::hash::tagged(&canonical),
        values,
        text,
        contract,
    })
}

/// A `--set` value parsed as the declared type.
pub fn parse_set(text: &str, ty: VarType) -> Result<Value, String> {
    let bad = || format!("`{text}`");
    match ty {
        VarType::String => Ok(Value::String(text.to_owned())),
        VarType::Integer => text.parse::<i64>().map(Value::from).map_err(|_| bad()),
        VarType::Number => text.parse::<f64>().map(Value::from).map_err(|_| bad()),
        VarType::Boolean => match text {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(bad()),
        },
        VarType::List => {
            if text.trim_start().starts_with('[') {
                serde_json::from_str::<Vec<Value>>(text)
                    .map(Value::from)
                    .map_err(|_| bad())
            } else {
                Ok(Value::from(
                    text.split(',')
                        .map(|s| Value::String(s.trim().to_owned()))
                        .filter(|v| v != "")
                        .collect::<Vec<_>>(),
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::template;

    const PROMPT: &str = "+++
id = \"p\"
version = \"1.1.0\"
tool = \"kubectl-ai\"
output = \"kubernetes\"
targets = [\"charts/x/a.yaml\"]

[vars.name]
type = \"string\"
required = true

[vars.replicas]
type = \"integer\"
default = 2

[vars.keys]
type = \"list\"
default = [\"A\", \"B\"]

[[contract.resources]]
kind = \"Deployment\"
name = \"{{ name }}\"
replicas = \"{{ replicas }}\"
pod_labels = { app = \"{{ name }}-pod\" }

[[contract.resources.containers]]
secret_env = { secret = \"{{ name }}-secret\", keys = \"{{ keys }}\" }
+++
Create {{ name }} with {{ replicas }} replicas.
";

    fn parse(text: &str) -> Result<Arc<Template>, Error> {
        let t = template::parse(Path::new("prompts/kubectl-ai/p.md"), text)?;
        crate::library::syntax::check_syntax(&t)?;
        Ok(Arc::new(t))
    }

    fn line_of(text: &str, needle: &str) -> usize {
        1 + text.lines().position(|l| l == needle).unwrap()
    }

    #[test]
    fn the_contract_is_filled_from_the_same_typed_values_as_the_text() {
        let t = parse(PROMPT).unwrap();
        let sets = ["name=api".to_owned(), "replicas=3".to_owned()];
        let f = fill(
            &t,
            &BTreeMap::new(),
            &BTreeMap::new(),
            Path::new("dockhand.toml"),
            &sets,
        )
        .unwrap();
        assert_eq!(f.text, "Create api with 3 replicas.\n");
        let r = &f.contract.unwrap().resources[0];
        assert_eq!((r.name.as_str(), r.replicas), ("api", Some(3)));
        assert_eq!(r.pod_labels["app"], "api-pod");
        let env = r.containers[0].secret_env.as_ref().unwrap();
        assert_eq!(
            (env.secret.as_str(), &env.keys[..]),
            ("api-secret", &["A".to_owned(), "B".to_owned()][..])
        );
    }

    #[test]
    fn a_contract_of_the_wrong_shape_is_refused_at_load_with_its_line() {
        let wrong = PROMPT.replace("replicas = \"{{ replicas }}\"", "replicas = \"{{ name }}\"");
        let err = parse(&wrong).unwrap_err().to_string();
        let line = line_of(&wrong, "[[contract.resources]]");
        assert_eq!(
            err,
            format!(
                "prompts/kubectl-ai/p.md:{line}: contract: invalid type: string \"x\", expected i64"
            )
        );
        let unknown = PROMPT.replace("pod_labels", "labels");
        let err = parse(&unknown).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!(
                "prompts/kubectl-ai/p.md:{line}: contract: unknown field `labels`"
            )),
            "{err}"
        );
    }

    #[test]
    fn a_1_0_expect_table_is_a_dockerfile_contract() {
        let text = "+++
id = \"d\"
version = \"1.0.0\"
tool = \"gordon\"
output = \"dockerfile\"
targets = [\"docker/d/Dockerfile\"]

[expect]
stages = [\"build\", \"run\"]
expose = [8000]
+++
Write a Dockerfile.
";
        let t = parse(text).unwrap();
        let f = fill(
            &t,
            &BTreeMap::new(),
            &BTreeMap::new(),
            Path::new("dockhand.toml"),
            &[],
        )
        .unwrap();
        let d = f.contract.unwrap().dockerfile.unwrap();
        assert_eq!(d.stages, Some(vec!["build".to_owned(), "run".to_owned()]));
        assert_eq!(d.expose, Some(vec![8000]));
        let both = text.replace(
            "+++\nWrite",
            "[contract.dockerfile]\nexpose = [1]\n+++\nWrite",
        );
        let err = parse(&both).unwrap_err().to_string();
        assert_eq!(
            err,
            "prompts/kubectl-ai/p.md:8: `[expect]` is the 1.0 form of `[contract.dockerfile]`; use one of them"
        );
    }
}
