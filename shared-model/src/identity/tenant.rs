use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::TenantId;
use crate::values::ClinicTimeZone;

/// A clinic. Tenants are fully isolated from each other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    pub id: TenantId,
    pub slug: TenantSlug,
    pub name: String,
    pub plan: Plan,
    /// The clinic's zone: every time is stored in UTC and shown in this zone (NGS1.09.05).
    pub time_zone: ClinicTimeZone,
}

/// Commercial plan (see the architecture document's plans table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Plan {
    Free,
    Starter,
    Professional,
    Enterprise,
}

/// The short name a clinic logs in with: 3–40 characters of `a-z`, `0-9` and `-`, not starting
/// or ending with `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TenantSlug(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TenantSlugError {
    #[error("o identificador da clínica deve ter de 3 a 40 caracteres")]
    Length,
    #[error("o identificador da clínica aceita apenas letras minúsculas sem acento, dígitos e hífen")]
    Characters,
    #[error("o identificador da clínica não pode começar nem terminar com hífen")]
    Hyphen,
}

impl crate::ErrorCode for TenantSlugError {
    fn code(&self) -> &'static str {
        match self {
            TenantSlugError::Length => "tenant_slug.length",
            TenantSlugError::Characters => "tenant_slug.characters",
            TenantSlugError::Hyphen => "tenant_slug.hyphen",
        }
    }
}

impl TenantSlug {
    pub fn parse(input: &str) -> Result<Self, TenantSlugError> {
        let s = input.trim();
        if !(3..=40).contains(&s.len()) {
            return Err(TenantSlugError::Length);
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(TenantSlugError::Characters);
        }
        if s.starts_with('-') || s.ends_with('-') {
            return Err(TenantSlugError::Hyphen);
        }
        Ok(Self(s.to_owned()))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for TenantSlug {
    type Error = TenantSlugError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<TenantSlug> for String {
    fn from(value: TenantSlug) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn slugs() {
        assert!(TenantSlug::parse("clinica-sao-lucas").is_ok());
        assert_eq!(TenantSlug::parse("ab").unwrap_err().code(), "tenant_slug.length");
        assert_eq!(
            TenantSlug::parse("clínica").unwrap_err().code(),
            "tenant_slug.characters"
        );
        assert_eq!(
            TenantSlug::parse("-abc").unwrap_err().code(),
            "tenant_slug.hyphen"
        );
    }
}
