//! CEP (Código de Endereçamento Postal), the Brazilian postal code.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::clean;

/// A CEP: 8 digits, not all zero. Stored form: the 8 digits. `Display`: `00000-000`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Cep(String);

/// Why a text is not a CEP.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CepError {
    #[error("CEP não informado")]
    Empty,
    #[error("caractere inválido na posição {position} do CEP")]
    InvalidCharacter { position: usize },
    #[error("CEP deve ter 8 dígitos, recebeu {found}")]
    Length { found: usize },
    #[error("CEP 00000-000 não existe")]
    Zero,
}

impl crate::ErrorCode for CepError {
    fn code(&self) -> &'static str {
        match self {
            Self::Empty => "cep.empty",
            Self::InvalidCharacter { .. } => "cep.invalid_character",
            Self::Length { .. } => "cep.length",
            Self::Zero => "cep.zero",
        }
    }
}

impl Cep {
    /// Parses a CEP with or without punctuation (`01310-100`, `01.310-100`, `01310100`).
    pub fn parse(input: &str) -> Result<Self, CepError> {
        let digits = clean(input, &['.', '-'], |c| c.is_ascii_digit())
            .map_err(|position| CepError::InvalidCharacter { position })?;
        match digits.len() {
            0 => return Err(CepError::Empty),
            8 => {}
            found => return Err(CepError::Length { found }),
        }
        if digits.bytes().all(|b| b == b'0') {
            return Err(CepError::Zero);
        }
        Ok(Self(digits))
    }

    /// The canonical stored form: 8 digits.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Cep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", &self.0[..5], &self.0[5..])
    }
}

super::string_value!(Cep, CepError, "um CEP");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;
    use proptest::prelude::*;
    use rstest::rstest;

    #[rstest]
    #[case("01310-100")]
    #[case("01310100")]
    #[case(" 01.310-100 ")]
    fn accepts(#[case] input: &str) {
        let cep = Cep::parse(input).unwrap();
        assert_eq!(cep.as_str(), "01310100");
        assert_eq!(cep.to_string(), "01310-100");
    }

    #[rstest]
    #[case("00000-000", "cep.zero")]
    #[case("1310-100", "cep.length")]
    #[case("01310-1000", "cep.length")]
    #[case("01310_100", "cep.invalid_character")]
    #[case("", "cep.empty")]
    fn rejects(#[case] input: &str, #[case] code: &str) {
        assert_eq!(Cep::parse(input).unwrap_err().code(), code);
    }

    #[test]
    fn message_is_portuguese() {
        assert_eq!(
            Cep::parse("1310-100").unwrap_err().to_string(),
            "CEP deve ter 8 dígitos, recebeu 7"
        );
    }

    proptest! {
        #[test]
        fn round_trips(digits in "[0-9]{7}[1-9]") {
            let cep = Cep::parse(&digits).unwrap();
            prop_assert_eq!(cep.to_string().parse::<Cep>().unwrap(), cep.clone());
            let json = serde_json::to_string(&cep).unwrap();
            prop_assert_eq!(serde_json::from_str::<Cep>(&json).unwrap(), cep);
        }
    }
}
