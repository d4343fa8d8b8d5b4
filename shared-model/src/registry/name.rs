//! A person's name: trimmed, non-empty, at most [`PersonName::MAX_CHARS`] characters.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a name was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("o nome é obrigatório")]
    Empty,
    #[error("o nome tem mais de {max} caracteres")]
    TooLong { max: usize },
}

impl crate::ErrorCode for NameError {
    fn code(&self) -> &'static str {
        match self {
            Self::Empty => "name.empty",
            Self::TooLong { .. } => "name.too_long",
        }
    }
}

/// A person's name (patient, social name, mother, professional, legal representative).
///
/// Inner whitespace runs are collapsed to one space, so "Maria  da Silva" and "Maria da Silva"
/// are the same name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PersonName(String);

impl PersonName {
    /// The longest name accepted, in characters.
    pub const MAX_CHARS: usize = 200;

    /// Trims, collapses inner whitespace and checks the length.
    pub fn parse(input: &str) -> Result<Self, NameError> {
        let collapsed = input.split_whitespace().collect::<Vec<_>>().join(" ");
        if collapsed.is_empty() {
            return Err(NameError::Empty);
        }
        if collapsed.chars().count() > Self::MAX_CHARS {
            return Err(NameError::TooLong { max: Self::MAX_CHARS });
        }
        Ok(Self(collapsed))
    }

    /// Like [`parse`](Self::parse) but a blank input is `None` (for optional fields).
    pub fn parse_optional(input: Option<&str>) -> Result<Option<Self>, NameError> {
        match input {
            Some(text) if !text.trim().is_empty() => Self::parse(text).map(Some),
            _ => Ok(None),
        }
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for PersonName {
    type Error = NameError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<PersonName> for String {
    fn from(value: PersonName) -> String {
        value.0
    }
}

impl autosurgeon::Reconcile for PersonName {
    type Key<'a> = autosurgeon::reconcile::NoKey;
    fn reconcile<R: autosurgeon::Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
        reconciler.str(&self.0)
    }
}

impl autosurgeon::Hydrate for PersonName {
    fn hydrate_string(s: &str) -> Result<Self, autosurgeon::HydrateError> {
        Self::parse(s).map_err(|err| {
            autosurgeon::HydrateError::unexpected(
                "a person's name",
                format!("rejected ({})", crate::ErrorCode::code(&err)),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("  Maria  da   Silva ", Ok("Maria da Silva"))]
    #[case("   ", Err(NameError::Empty))]
    #[case("", Err(NameError::Empty))]
    fn parses(#[case] input: &str, #[case] expected: Result<&str, NameError>) {
        assert_eq!(
            PersonName::parse(input).as_ref().map(PersonName::as_str),
            expected.as_ref().map(|s| *s)
        );
    }

    #[test]
    fn limits_length_in_characters() {
        assert!(PersonName::parse(&"á".repeat(200)).is_ok());
        assert_eq!(
            PersonName::parse(&"á".repeat(201)),
            Err(NameError::TooLong { max: 200 })
        );
    }
}
