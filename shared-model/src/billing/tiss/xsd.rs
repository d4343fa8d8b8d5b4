//! Checks a message against the official `tissV4_01_00.xsd` with libxml2's `xmllint` (Debian
//! package `libxml2-utils`, a dependency of the desktop package and of the server's install).
//!
//! Only with the `xsd-check` feature: it writes files and runs a process, which the pure model
//! never does. The vendored schemas are written to a cache directory and compared with the
//! embedded copy on every check, so a stale or altered copy is replaced before use.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The vendored schema files, byte for byte as the ANS publishes them.
const FILES: &[(&str, &[u8])] = &[
    ("tissV4_01_00.xsd", include_bytes!("schema/tissV4_01_00.xsd")),
    (
        "tissSimpleTypesV4_01_00.xsd",
        include_bytes!("schema/tissSimpleTypesV4_01_00.xsd"),
    ),
    (
        "tissComplexTypesV4_01_00.xsd",
        include_bytes!("schema/tissComplexTypesV4_01_00.xsd"),
    ),
    (
        "tissGuiasV4_01_00.xsd",
        include_bytes!("schema/tissGuiasV4_01_00.xsd"),
    ),
    (
        "tissAssinaturaDigital_v1.01.xsd",
        include_bytes!("schema/tissAssinaturaDigital_v1.01.xsd"),
    ),
    (
        "xmldsig-core-schema.xsd",
        include_bytes!("schema/xmldsig-core-schema.xsd"),
    ),
];

/// One violation of the schema. Values from the file are never quoted (they may be patient
/// data): only the line, the element and the rule.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SchemaIssue {
    pub line: Option<u32>,
    pub element: Option<String>,
    pub rule: String,
}

impl std::fmt::Display for SchemaIssue {
    /// `linha 12, elemento UF: …`, as people read it (`?` where xmllint did not say).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "linha {line}, ")?,
            None => f.write_str("linha ?, ")?,
        }
        write!(
            f,
            "elemento {}: {}",
            self.element.as_deref().unwrap_or("?"),
            self.rule
        )
    }
}

/// Why a schema check did not pass.
#[derive(Debug, thiserror::Error)]
pub enum XsdError {
    #[error("o arquivo não segue o schema TISS 4.01.00 ({} problema(s))", .0.len())]
    Invalid(Vec<SchemaIssue>),
    #[error("o validador xmllint não está instalado (pacote libxml2-utils)")]
    ValidatorMissing,
    #[error("não foi possível preparar o schema TISS em {dir}: {source}")]
    Cache { dir: PathBuf, source: std::io::Error },
    #[error("o validador xmllint falhou: {0}")]
    Validator(String),
}

impl crate::ErrorCode for XsdError {
    fn code(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "tiss.schema_invalid",
            Self::ValidatorMissing => "tiss.validator_missing",
            Self::Cache { .. } => "tiss.schema_cache",
            Self::Validator(_) => "tiss.validator_failed",
        }
    }
}

/// Where the schema files are kept: `$ATENDEBEM_TISS_SCHEMA_DIR`, else the user's cache
/// directory, else the temporary directory.
fn schema_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("ATENDEBEM_TISS_SCHEMA_DIR") {
        return PathBuf::from(dir);
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("atendebem").join("tiss-4.01.00")
}

/// Writes (or rewrites) each schema file whose content differs from the embedded one.
fn prepare(dir: &Path) -> Result<PathBuf, XsdError> {
    let cache = |source| XsdError::Cache {
        dir: dir.to_owned(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(cache)?;
    for (name, bytes) in FILES {
        let path = dir.join(name);
        if std::fs::read(&path).ok().as_deref() == Some(*bytes) {
            continue;
        }
        // Write beside (a name of its own per writer) and rename: a concurrent check never
        // reads half a file.
        let tmp = dir.join(format!(".{name}.{}", uuid::Uuid::now_v7().simple()));
        std::fs::write(&tmp, bytes).map_err(cache)?;
        std::fs::rename(&tmp, &path).map_err(cache)?;
    }
    Ok(dir.join(FILES[0].0))
}

/// Checks `bytes` (a whole TISS message file) against `tissV4_01_00.xsd`.
pub fn check_schema(bytes: &[u8]) -> Result<(), XsdError> {
    let schema = prepare(&schema_dir())?;
    let mut child = Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(&schema)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => XsdError::ValidatorMissing,
            _ => XsdError::Validator(e.kind().to_string()),
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        // A closed pipe means xmllint stopped early; its report says why.
        let _ = stdin.write_all(bytes);
    }
    let out = child
        .wait_with_output()
        .map_err(|e| XsdError::Validator(e.kind().to_string()))?;
    match out.status.code() {
        Some(0) => Ok(()),
        // 1: not well-formed; 3, 4: schema validity errors.
        Some(1 | 3 | 4) => {
            let report = String::from_utf8_lossy(&out.stderr);
            let mut issues = parse_report(&report);
            if issues.is_empty() {
                issues.push(SchemaIssue {
                    line: None,
                    element: None,
                    rule: "XML malformado".to_owned(),
                });
            }
            Err(XsdError::Invalid(issues))
        }
        _ => Err(XsdError::Validator(format!("saída {:?}", out.status.code()))),
    }
}

const NS: &str = "{http://www.ans.gov.br/padroes/tiss/schemas}";

/// xmllint's report, one issue per error line, with quoted values redacted.
fn parse_report(report: &str) -> Vec<SchemaIssue> {
    report
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("-:")?;
            let (number, rest) = rest.split_once(':')?;
            let line_number = number.trim().parse().ok();
            let message = rest
                .split_once("error : ")
                .map_or(rest, |(_, m)| m)
                .trim()
                .replace(NS, "");
            let element = message
                .strip_prefix("Element '")
                .and_then(|m| m.split_once('\''))
                .map(|(e, _)| e.to_owned());
            Some(SchemaIssue {
                line: line_number,
                element,
                rule: redact(&message),
            })
        })
        .collect()
}

/// Phrases libxml2 writes right after a value taken from the file.
const AFTER_VALUE: &[&str] = &[
    "' is not a valid value",
    "' is not an element of the set",
    "' is not accepted by the pattern",
    "' has a length of",
    "' is greater than",
    "' is less than",
    "' has more digits than",
    "' has more fractional digits than",
    "' is not facet-valid",
];

/// Removes values of the file from a message: first the whole span of the value libxml2
/// quotes (which may itself hold quotes: `D'AVILA`), then every other quoted text except the
/// names of elements, facets, types, patterns, lengths and enumeration members (which come
/// from the schema, not the file).
fn redact(message: &str) -> String {
    let start = message
        .find("The value '")
        .map(|i| i + "The value '".len())
        .or_else(|| message.find("': '").map(|i| i + "': '".len()));
    let end = start.and_then(|start| {
        AFTER_VALUE
            .iter()
            .filter_map(|m| message.rfind(m))
            .filter(|&e| e >= start)
            .max()
    });
    match (start, end) {
        (Some(start), Some(end)) => redact_quotes(&format!("{}…{}", &message[..start], &message[end..])),
        _ => redact_quotes(message),
    }
}

fn redact_quotes(message: &str) -> String {
    const KEEP_AFTER: &[&str] = &[
        "Element ",
        "facet ",
        "type ",
        "pattern ",
        "length of ",
        "{",
        ", ",
        "( ",
    ];
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(open) = rest.find('\'') {
        let (before, after) = rest.split_at(open);
        out.push_str(before);
        let Some(close) = after[1..].find('\'') else {
            out.push_str(after);
            return out;
        };
        let quoted = &after[..close + 2];
        if KEEP_AFTER.iter().any(|k| out.ends_with(k)) {
            out.push_str(quoted);
        } else {
            out.push_str("'…'");
        }
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_are_parsed_without_the_file_s_values() {
        let report = "-:12: element numeroCarteira: Schemas validity error : Element '{http://www.ans.gov.br/padroes/tiss/schemas}numeroCarteira': [facet 'maxLength'] The value 'MARIA DA SILVA 123456' has a length of '21'; this exceeds the allowed maximum length of '20'.\n\
-:30: element UF: Schemas validity error : Element '{http://www.ans.gov.br/padroes/tiss/schemas}UF': [facet 'enumeration'] The value 'SP' is not an element of the set {'11', '12'}.\n\
- fails to validate\n";
        let issues = parse_report(report);
        assert_eq!(issues.len(), 2);
        assert_eq!(issues[0].line, Some(12));
        assert_eq!(issues[0].element.as_deref(), Some("numeroCarteira"));
        assert!(!issues[0].rule.contains("MARIA"), "{}", issues[0].rule);
        assert!(issues[0].rule.contains("'maxLength'") && issues[0].rule.contains("'20'"));
        assert!(!issues[1].rule.contains("'SP'"), "{}", issues[1].rule);
        assert!(issues[1].rule.contains("{'11', '12'}"), "{}", issues[1].rule);
        assert!(
            issues[0]
                .to_string()
                .starts_with("linha 12, elemento numeroCarteira: "),
            "{}",
            issues[0]
        );
    }

    #[test]
    fn a_value_with_quotes_is_redacted_whole() {
        for message in [
            "Element 'nomeProfissional': [facet 'maxLength'] The value 'D'AVILA JOANA' has a length of '80'; this exceeds the allowed maximum length of '70'.",
            "Element 'valorTotal': 'O'NEIL 1,00' is not a valid value of the atomic type 'st_decimal8-2'.",
            "Element 'UF': [facet 'enumeration'] The value 'it's SP' is not an element of the set {'11', '35'}.",
        ] {
            let out = redact(message);
            assert!(
                !out.contains("AVILA") && !out.contains("NEIL") && !out.contains("it's"),
                "{out}"
            );
            assert!(
                out.contains("'st_decimal8-2'") || out.contains("'70'") || out.contains("'35'"),
                "{out}"
            );
        }
    }
}
