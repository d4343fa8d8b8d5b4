//! E-mail addresses, validated pragmatically (no quoted local parts, no IP-literal domains).

use std::fmt;

use serde::{Deserialize, Serialize};

/// An e-mail address. Stored form and `Display`: the local part as typed, `@`, the domain in
/// lower case (`Maria.Silva@clinica.com.br`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

/// Why a text is not an e-mail address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("e-mail não informado")]
    Empty,
    #[error("e-mail não pode conter espaços")]
    Whitespace,
    #[error("e-mail deve ter no máximo 254 caracteres, recebeu {found}")]
    TooLong { found: usize },
    #[error("e-mail deve conter um único @")]
    At,
    #[error("parte antes do @ do e-mail não informada")]
    LocalEmpty,
    #[error("parte antes do @ do e-mail deve ter no máximo 64 caracteres, recebeu {found}")]
    LocalTooLong { found: usize },
    #[error("parte antes do @ do e-mail contém caractere ou ponto inválido")]
    LocalInvalid,
    #[error("domínio do e-mail inválido (ex.: clinica.com.br)")]
    DomainInvalid,
}

impl crate::ErrorCode for EmailError {
    fn code(&self) -> &'static str {
        match self {
            Self::Empty => "email.empty",
            Self::Whitespace => "email.whitespace",
            Self::TooLong { .. } => "email.too_long",
            Self::At => "email.at",
            Self::LocalEmpty => "email.local_empty",
            Self::LocalTooLong { .. } => "email.local_too_long",
            Self::LocalInvalid => "email.local_invalid",
            Self::DomainInvalid => "email.domain_invalid",
        }
    }
}

impl Email {
    /// Parses an address, trimming surrounding whitespace and lower-casing the domain.
    ///
    /// Rules: exactly one `@`; a local part of 1–64 characters from the RFC 5322 "atext" set
    /// plus non-consecutive inner dots; a domain of at least two dot-separated labels of
    /// `[A-Za-z0-9-]` (1–63 characters, not starting or ending with `-`); at most 254 in total.
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let text = input.trim();
        if text.is_empty() {
            return Err(EmailError::Empty);
        }
        if text.chars().any(char::is_whitespace) {
            return Err(EmailError::Whitespace);
        }
        let found = text.chars().count();
        if found > 254 {
            return Err(EmailError::TooLong { found });
        }
        let Some((local, domain)) = text.split_once('@') else {
            return Err(EmailError::At);
        };
        if domain.contains('@') {
            return Err(EmailError::At);
        }
        validate_local(local)?;
        if !is_valid_domain(domain) {
            return Err(EmailError::DomainInvalid);
        }
        Ok(Self(format!("{local}@{}", domain.to_ascii_lowercase())))
    }

    /// The canonical stored form (domain lower-cased).
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

super::string_value!(Email, EmailError, "um e-mail");

fn validate_local(local: &str) -> Result<(), EmailError> {
    if local.is_empty() {
        return Err(EmailError::LocalEmpty);
    }
    let found = local.chars().count();
    if found > 64 {
        return Err(EmailError::LocalTooLong { found });
    }
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c);
    let dots_ok = !local.starts_with('.') && !local.ends_with('.') && !local.contains("..");
    if !dots_ok || !local.chars().all(|c| c == '.' || atext(c)) {
        return Err(EmailError::LocalInvalid);
    }
    Ok(())
}

fn is_valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;
    use proptest::prelude::*;
    use rstest::rstest;

    #[rstest]
    #[case("maria@clinica.com.br", "maria@clinica.com.br")]
    #[case("  Maria.Silva@Clinica.COM.br ", "Maria.Silva@clinica.com.br")]
    #[case("joao+agenda@sub-dominio.exemplo.org", "joao+agenda@sub-dominio.exemplo.org")]
    #[case("a@b.co", "a@b.co")]
    fn accepts(#[case] input: &str, #[case] stored: &str) {
        let email = Email::parse(input).unwrap();
        assert_eq!(email.as_str(), stored);
        assert_eq!(email.to_string(), stored);
    }

    #[rstest]
    #[case("", "email.empty")]
    #[case("maria silva@clinica.com.br", "email.whitespace")]
    #[case("maria.clinica.com.br", "email.at")]
    #[case("maria@@clinica.com.br", "email.at")]
    #[case("maria@x@clinica.com.br", "email.at")]
    #[case("@clinica.com.br", "email.local_empty")]
    #[case(".maria@clinica.com.br", "email.local_invalid")]
    #[case("ma..ria@clinica.com.br", "email.local_invalid")]
    #[case("maria(x)@clinica.com.br", "email.local_invalid")]
    #[case("maria@clinica", "email.domain_invalid")]
    #[case("maria@-clinica.com", "email.domain_invalid")]
    #[case("maria@clinica-.com", "email.domain_invalid")]
    #[case("maria@clinica..com", "email.domain_invalid")]
    #[case("maria@clínica.com", "email.domain_invalid")]
    #[case("maria@", "email.domain_invalid")]
    fn rejects(#[case] input: &str, #[case] code: &str) {
        assert_eq!(Email::parse(input).unwrap_err().code(), code);
    }

    #[test]
    fn length_limits() {
        let local = "a".repeat(65);
        let err = Email::parse(&format!("{local}@x.com")).unwrap_err();
        assert_eq!(err.code(), "email.local_too_long");
        assert!(Email::parse(&format!("{}@x.com", "a".repeat(64))).is_ok());
        let labels: Vec<String> = std::iter::repeat_n("a".repeat(60), 4).collect();
        let domain = format!("{}.com", labels.join("."));
        assert!(Email::parse(&format!("maria1@{domain}")).is_ok());
        let err = Email::parse(&format!("maria12@{domain}")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "e-mail deve ter no máximo 254 caracteres, recebeu 255"
        );
    }

    proptest! {
        #[test]
        fn round_trips(local in "[A-Za-z0-9_+-]{1,20}", domain in "[a-z0-9]{1,20}\\.[A-Za-z]{2,6}") {
            let email = Email::parse(&format!("{local}@{domain}")).unwrap();
            prop_assert_eq!(email.as_str().parse::<Email>().unwrap(), email.clone());
            let json = serde_json::to_string(&email).unwrap();
            prop_assert_eq!(serde_json::from_str::<Email>(&json).unwrap(), email);
        }
    }
}
