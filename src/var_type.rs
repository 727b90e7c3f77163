//! The type a prompt variable is declared with. Its own module so that
//! `error` (which names it in messages) and `library` (which parses it) both
//! use it without depending on each other.

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VarType {
    String,
    Integer,
    Number,
    Boolean,
    List,
}

impl std::fmt::Display for VarType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            VarType::String => "string",
            VarType::Integer => "integer",
            VarType::Number => "number",
            VarType::Boolean => "boolean",
            VarType::List => "list",
        })
    }
}

fn describe_toml(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => format!("the string \"{s}\""),
        toml::Value::Integer(i) => format!("the integer {i}"),
        toml::Value::Float(f) => format!("the number {f}"),
        toml::Value::Boolean(b) => format!("the boolean {b}"),
        toml::Value::Datetime(d) => format!("the datetime {d}"),
        toml::Value::Array(_) => "a list".to_owned(),
        toml::Value::Table(_) => "a table".to_owned(),
    }
}

/// A TOML value as the declared type, or a description of what it is instead.
pub fn coerce_toml(v: &toml::Value, ty: VarType) -> Result<Value, String> {
    match (ty, v) {
        (VarType::String, toml::Value::String(s)) => Ok(Value::String(s.clone())),
        (VarType::Integer, toml::Value::Integer(i)) => Ok(Value::from(*i)),
        (VarType::Number, toml::Value::Integer(i)) => Ok(Value::from(*i)),
        (VarType::Number, toml::Value::Float(f)) => Ok(Value::from(*f)),
        (VarType::Boolean, toml::Value::Boolean(b)) => Ok(Value::Bool(*b)),
        (VarType::List, toml::Value::Array(items)) => {
            serde_json::to_value(items).map_err(|e| format!("a list that cannot be used ({e})"))
        }
        _ => Err(describe_toml(v)),
    }
}
