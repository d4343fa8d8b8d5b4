//! CBO (Classificação Brasileira de Ocupações) occupation codes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why a CBO code was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CboError {
    #[error("o código CBO deve ter 6 dígitos")]
    Length,
    #[error("o código CBO só pode ter dígitos")]
    NotDigits,
}

impl crate::ErrorCode for CboError {
    fn code(&self) -> &'static str {
        match self {
            Self::Length => "cbo.length",
            Self::NotDigits => "cbo.not_digits",
        }
    }
}

/// A 6-digit CBO occupation code, as TISS and the CNES use it (e.g. `225125` médico clínico,
/// `223208` cirurgião-dentista clínico geral, `223505` enfermeiro, `223605` fisioterapeuta geral,
/// `251510` psicólogo clínico, `223710` nutricionista).
///
/// Stored (JSON and automerge) as the six digits; shown as `2251-25`, the form the CBO uses.
/// Only the shape is checked: the official code list is reference data, not a domain rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Cbo([u8; 6]);

impl Cbo {
    /// Accepts `225125` or `2251-25` (surrounding whitespace ignored).
    pub fn parse(input: &str) -> Result<Self, CboError> {
        let cleaned: String = input.trim().chars().filter(|c| *c != '-' && *c != '.').collect();
        if !cleaned.chars().all(|c| c.is_ascii_digit()) {
            return Err(CboError::NotDigits);
        }
        let bytes: [u8; 6] = cleaned.as_bytes().try_into().map_err(|_| CboError::Length)?;
        Ok(Self(bytes))
    }

    /// The six digits, as stored.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("")
    }
}

impl fmt::Display for Cbo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.as_str();
        write!(f, "{}-{}", &digits[..4], &digits[4..])
    }
}

impl FromStr for Cbo {
    type Err = CboError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Cbo {
    type Error = CboError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Cbo> for String {
    fn from(value: Cbo) -> String {
        value.as_str().to_owned()
    }
}

impl autosurgeon::Reconcile for Cbo {
    type Key<'a> = autosurgeon::reconcile::NoKey;
    fn reconcile<R: autosurgeon::Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
        reconciler.str(self.as_str())
    }
}

impl autosurgeon::Hydrate for Cbo {
    fn hydrate_string(s: &str) -> Result<Self, autosurgeon::HydrateError> {
        Self::parse(s).map_err(|err| {
            autosurgeon::HydrateError::unexpected("a CBO code", crate::ErrorCode::code(&err).into())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("225125", Ok("2251-25"))]
    #[case(" 2235-05 ", Ok("2235-05"))]
    #[case("22512", Err(CboError::Length))]
    #[case("2251255", Err(CboError::Length))]
    #[case("22512a", Err(CboError::NotDigits))]
    fn parses(#[case] input: &str, #[case] expected: Result<&str, CboError>) {
        assert_eq!(
            Cbo::parse(input).map(|c| c.to_string()),
            expected.map(str::to_owned)
        );
    }

    #[test]
    fn stored_form_is_six_digits() {
        let cbo = Cbo::parse("2515-10").unwrap();
        assert_eq!(cbo.as_str(), "251510");
        assert_eq!(serde_json::to_string(&cbo).unwrap(), "\"251510\"");
    }
}
