//! CNPJ (Cadastro Nacional da Pessoa Jurídica), numeric and alphanumeric (valid from July 2026).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{clean, mod11_check_digit};

/// A valid CNPJ: 12 base positions (`0-9`, `A-Z`) and two numeric mod-11 check digits.
///
/// Stored form (`as_str`, JSON, automerge): the 14 characters, letters upper case.
/// `Display`: `00.000.000/0000-00` (the same mask for alphanumeric CNPJs, `12.ABC.345/01DE-35`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Cnpj(String);

/// Why a text is not a CNPJ.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CnpjError {
    #[error("CNPJ não informado")]
    Empty,
    #[error("caractere inválido na posição {position} do CNPJ")]
    InvalidCharacter { position: usize },
    #[error("CNPJ deve ter 14 caracteres, recebeu {found}")]
    Length { found: usize },
    #[error("os dois dígitos verificadores do CNPJ devem ser numéricos")]
    NonNumericCheckDigit,
    #[error("CNPJ com todos os caracteres iguais não é válido")]
    RepeatedDigits,
    #[error("dígito verificador do CNPJ inválido")]
    CheckDigit,
}

impl crate::ErrorCode for CnpjError {
    fn code(&self) -> &'static str {
        match self {
            Self::Empty => "cnpj.empty",
            Self::InvalidCharacter { .. } => "cnpj.invalid_character",
            Self::Length { .. } => "cnpj.length",
            Self::NonNumericCheckDigit => "cnpj.non_numeric_check_digit",
            Self::RepeatedDigits => "cnpj.repeated_digits",
            Self::CheckDigit => "cnpj.check_digit",
        }
    }
}

const WEIGHTS: [u32; 13] = [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];

impl Cnpj {
    /// Parses a CNPJ with or without punctuation; lower-case letters are upper-cased.
    pub fn parse(input: &str) -> Result<Self, CnpjError> {
        let text = clean(input, &['.', '-', '/'], |c| c.is_ascii_alphanumeric())
            .map_err(|position| CnpjError::InvalidCharacter { position })?
            .to_ascii_uppercase();
        match text.len() {
            0 => return Err(CnpjError::Empty),
            14 => {}
            found => return Err(CnpjError::Length { found }),
        }
        let bytes = text.as_bytes();
        if !bytes[12..].iter().all(u8::is_ascii_digit) {
            return Err(CnpjError::NonNumericCheckDigit);
        }
        if bytes.iter().all(|&b| b == bytes[0]) {
            return Err(CnpjError::RepeatedDigits);
        }
        if check_digits(&bytes[..12]) != [bytes[12], bytes[13]] {
            return Err(CnpjError::CheckDigit);
        }
        Ok(Self(text))
    }

    /// A valid numeric CNPJ built from twelve base digits (each byte modulo 10), for demo data.
    ///
    /// If the twelve base digits are all equal the last one is changed, so the result is never
    /// a repeated-digit CNPJ.
    #[must_use]
    pub fn generate_valid(seed12: [u8; 12]) -> Cnpj {
        let mut base = seed12.map(|b| b'0' + b % 10);
        if base.iter().all(|&b| b == base[0]) {
            base[11] = b'0' + (base[11] - b'0' + 1) % 10;
        }
        let [first, second] = check_digits(&base);
        let mut text: String = base.iter().map(|&b| char::from(b)).collect();
        text.push(char::from(first));
        text.push(char::from(second));
        Cnpj(text)
    }

    /// The canonical stored form: 14 characters, no punctuation.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the base carries letters (the July 2026 format). TISS 4.01.00 cannot carry these.
    #[must_use]
    pub fn is_alphanumeric(&self) -> bool {
        self.0.bytes().any(|b| b.is_ascii_uppercase())
    }
}

impl fmt::Display for Cnpj {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.0;
        write!(
            f,
            "{}.{}.{}/{}-{}",
            &c[..2],
            &c[2..5],
            &c[5..8],
            &c[8..12],
            &c[12..]
        )
    }
}

super::string_value!(Cnpj, CnpjError, "um CNPJ");

/// The two check digits (as ASCII) for twelve upper-case alphanumeric ASCII base positions.
/// Each position is worth its ASCII code minus 48 (so `0-9` keep their value, `A` is 17).
fn check_digits(base: &[u8]) -> [u8; 2] {
    let value = |b: &u8| u32::from(b - b'0');
    let first = mod11_check_digit(base.iter().map(value), &WEIGHTS[1..]);
    let second = mod11_check_digit(base.iter().map(value).chain([u32::from(first)]), &WEIGHTS);
    [b'0' + first, b'0' + second]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;
    use proptest::prelude::*;
    use rstest::rstest;

    #[rstest]
    #[case("11.222.333/0001-81", "11222333000181", "11.222.333/0001-81", false)]
    #[case("11222333000181", "11222333000181", "11.222.333/0001-81", false)]
    #[case(" 11 222 333 0001 81 ", "11222333000181", "11.222.333/0001-81", false)]
    #[case("12.ABC.345/01DE-35", "12ABC34501DE35", "12.ABC.345/01DE-35", true)]
    #[case("12.abc.345/01de-35", "12ABC34501DE35", "12.ABC.345/01DE-35", true)]
    #[case("12ABC34501DE35", "12ABC34501DE35", "12.ABC.345/01DE-35", true)]
    fn accepts_valid(
        #[case] input: &str,
        #[case] stored: &str,
        #[case] shown: &str,
        #[case] alphanumeric: bool,
    ) {
        let cnpj = Cnpj::parse(input).unwrap();
        assert_eq!(cnpj.as_str(), stored);
        assert_eq!(cnpj.to_string(), shown);
        assert_eq!(cnpj.is_alphanumeric(), alphanumeric);
    }

    #[rstest]
    #[case("11.222.333/0001-82", "cnpj.check_digit")]
    #[case("11.222.333/0001-91", "cnpj.check_digit")]
    #[case("12.ABC.345/01DE-36", "cnpj.check_digit")]
    #[case("12.ABC.345/01DF-35", "cnpj.check_digit")]
    #[case("12.ABC.345/01DE-3A", "cnpj.non_numeric_check_digit")]
    #[case("00.000.000/0000-00", "cnpj.repeated_digits")]
    #[case("11.222.333/0001-8", "cnpj.length")]
    #[case("11.222.333/0001-8*", "cnpj.invalid_character")]
    #[case("", "cnpj.empty")]
    fn rejects_invalid(#[case] input: &str, #[case] code: &str) {
        assert_eq!(Cnpj::parse(input).unwrap_err().code(), code);
    }

    #[test]
    fn message_is_portuguese() {
        let err = Cnpj::parse("11.222.333/0001-82").unwrap_err();
        assert_eq!(err.to_string(), "dígito verificador do CNPJ inválido");
    }

    #[test]
    fn serde_json_round_trip_validates() {
        let cnpj = Cnpj::parse("12.abc.345/01de-35").unwrap();
        let json = serde_json::to_string(&cnpj).unwrap();
        assert_eq!(json, "\"12ABC34501DE35\"");
        assert_eq!(serde_json::from_str::<Cnpj>(&json).unwrap(), cnpj);
        assert!(serde_json::from_str::<Cnpj>("\"11222333000182\"").is_err());
    }

    proptest! {
        #[test]
        fn generated_cnpjs_parse_and_round_trip(seed in any::<[u8; 12]>()) {
            let cnpj = Cnpj::generate_valid(seed);
            prop_assert!(!cnpj.is_alphanumeric());
            prop_assert_eq!(Cnpj::parse(cnpj.as_str()).unwrap(), cnpj.clone());
            prop_assert_eq!(cnpj.to_string().parse::<Cnpj>().unwrap(), cnpj);
        }

        #[test]
        fn alphanumeric_base_with_computed_digits_round_trips(base in "[0-9A-Z]{11}[A-Z]") {
            let [first, second] = check_digits(base.as_bytes());
            let text = format!("{base}{}{}", char::from(first), char::from(second));
            let cnpj = Cnpj::parse(&text.to_lowercase()).unwrap();
            prop_assert!(cnpj.is_alphanumeric());
            prop_assert_eq!(cnpj.as_str(), text.as_str());
            prop_assert_eq!(cnpj.to_string().parse::<Cnpj>().unwrap(), cnpj);
        }
    }
}
