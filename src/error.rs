//! Errors and warnings shared by every config loader in the crate.

use std::fmt;

/// A configuration that cannot be used. `path` names the bad field the way a
/// person would point at it in the JSON (`engagement.rules[3].points`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ConfigError {
    /// Dotted path to the offending field; empty for the document as a whole.
    pub path: String,
    /// What was expected, or what is wrong, in the user's terms.
    pub message: String,
}

impl ConfigError {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for ConfigError {}

/// Something suspicious but usable in a configuration, such as a URL pattern
/// that can never match. The config still loads; the warning says why it may
/// not do what its author meant.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Warning {
    pub path: String,
    pub message: String,
}

impl Warning {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Everything wrong or suspicious in a configuration document, for editors
/// and playgrounds that show all problems at once. Every config format
/// (scoring model, site config, forms) reports this way.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ConfigReport {
    pub errors: Vec<ConfigError>,
    pub warnings: Vec<Warning>,
}

impl ConfigReport {
    /// A report of one error, such as a document that does not parse.
    pub fn failed(error: ConfigError) -> Self {
        Self {
            errors: vec![error],
            warnings: Vec::new(),
        }
    }

    /// The first error, for loaders that fail fast.
    pub fn into_first_error(self, fallback: &str) -> ConfigError {
        self.errors
            .into_iter()
            .next()
            .unwrap_or_else(|| ConfigError::new("", fallback))
    }
}

/// Parses `json` into `T`, turning serde's error into a [`ConfigError`] that
/// carries the path of the bad field and a message without Rust type names.
///
/// The text is read into a `serde_json::Value` first: documents arrive as
/// values from JavaScript anyway, and one deserializer per config type keeps
/// the wasm smaller than two.
pub fn from_json_with_path<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, ConfigError> {
    // A syntax error has no field path; its line and column locate it.
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|e| ConfigError::new("", e.to_string()))?;
    from_value_with_path(value)
}

/// Same as [`from_json_with_path`] for a value that is already parsed (as
/// arrives from JavaScript through serde-wasm-bindgen or from a larger doc).
pub fn from_value_with_path<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
) -> Result<T, ConfigError> {
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = render_path(err.path());
        let message = humanize_serde_message(&err.into_inner().to_string());
        ConfigError::new(path, message)
    })
}

fn render_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => {
                out.push('[');
                out.push_str(&index.to_string());
                out.push(']');
            }
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Unknown => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push('?');
            }
        }
    }
    out
}

/// serde speaks of `f64` and `u32`; a marketer editing JSON thinks of "a
/// number". The serde line/column suffix is dropped when a path is given.
fn humanize_serde_message(message: &str) -> String {
    let mut text = message.to_string();
    if let Some(at) = text.find(" at line ") {
        text.truncate(at);
    }
    for (rust, human) in [
        ("expected f64", "expected a number"),
        ("expected f32", "expected a number"),
        ("expected u64", "expected a whole number ≥ 0"),
        ("expected u32", "expected a whole number ≥ 0"),
        ("expected u16", "expected a whole number ≥ 0"),
        ("expected u8", "expected a whole number ≥ 0"),
        ("expected usize", "expected a whole number ≥ 0"),
        ("expected i64", "expected a whole number"),
        ("expected i32", "expected a whole number"),
        ("expected a boolean", "expected true or false"),
        ("expected a sequence", "expected an array"),
        ("expected struct", "expected an object"),
        ("expected a map", "expected an object"),
    ] {
        text = text.replace(rust, human);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Rule {
        #[allow(dead_code)]
        points: f64,
    }
    #[derive(Debug, serde::Deserialize)]
    struct Doc {
        #[allow(dead_code)]
        rules: Vec<Rule>,
    }

    #[test]
    fn wrong_type_names_the_path_and_a_human_type() {
        let err =
            from_json_with_path::<Doc>(r#"{"rules":[{"points":1},{"points":"ten"}]}"#).unwrap_err();
        assert_eq!(err.path, "rules[1].points");
        assert!(err.message.contains("expected a number"), "{}", err.message);
        assert_eq!(
            err.to_string(),
            "rules[1].points: invalid type: string \"ten\", expected a number"
        );
    }

    #[test]
    fn syntax_error_keeps_line_and_column() {
        let err = from_json_with_path::<Doc>("{\"rules\": [\n  {\"points\": 1,}\n]}").unwrap_err();
        assert_eq!(err.path, "");
        assert!(err.message.contains("line 2"), "{}", err.message);
    }

    #[test]
    fn unknown_field_is_named() {
        let err = from_json_with_path::<Doc>(r#"{"rules":[{"pionts":1}]}"#).unwrap_err();
        assert_eq!(err.path, "rules[0].pionts");
        assert!(
            err.message.contains("unknown field `pionts`"),
            "{}",
            err.message
        );
    }
}
