//! CPF (Cadastro de Pessoas Físicas), the Brazilian individual taxpayer number.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{clean, digit, mod11_check_digit};

/// A valid CPF: 11 digits whose last two are the mod-11 check digits, not all equal.
///
/// Stored form (`as_str`, JSON, automerge): the 11 digits. `Display`: `000.000.000-00`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Cpf(String);

/// Why a text is not a CPF.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CpfError {
    #[error("CPF não informado")]
    Empty,
    #[error("caractere inválido na posição {position} do CPF")]
    InvalidCharacter { position: usize },
    #[error("CPF deve ter 11 dígitos, recebeu {found}")]
    Length { found: usize },
    #[error("CPF com todos os dígitos iguais não é válido")]
    RepeatedDigits,
    #[error("dígito verificador do CPF inválido")]
    CheckDigit,
}

impl crate::ErrorCode for CpfError {
    fn code(&self) -> &'static str {
        match self {
            Self::Empty => "cpf.empty",
            Self::InvalidCharacter { .. } => "cpf.invalid_character",
            Self::Length { .. } => "cpf.length",
            Self::RepeatedDigits => "cpf.repeated_digits",
            Self::CheckDigit => "cpf.check_digit",
        }
    }
}

const WEIGHTS: [u32; 10] = [11, 10, 9, 8, 7, 6, 5, 4, 3, 2];

impl Cpf {
    /// Parses a CPF with or without punctuation (`529.982.247-25`, `52998224725`).
    pub fn parse(input: &str) -> Result<Self, CpfError> {
        let digits = clean(input, &['.', '-', '/'], |c| c.is_ascii_digit())
            .map_err(|position| CpfError::InvalidCharacter { position })?;
        match digits.len() {
            0 => return Err(CpfError::Empty),
            11 => {}
            found => return Err(CpfError::Length { found }),
        }
        let bytes = digits.as_bytes();
        if bytes.iter().all(|&b| b == bytes[0]) {
            return Err(CpfError::RepeatedDigits);
        }
        if check_digits(&bytes[..9]) != [bytes[9], bytes[10]] {
            return Err(CpfError::CheckDigit);
        }
        Ok(Self(digits))
    }

    /// A valid CPF built from nine base digits (each byte is taken modulo 10), for demo data.
    ///
    /// If the nine base digits are all equal the last one is changed, so the result is never a
    /// repeated-digit CPF.
    #[must_use]
    pub fn generate_valid(seed9: [u8; 9]) -> Cpf {
        let mut base = seed9.map(|b| b'0' + b % 10);
        if base.iter().all(|&b| b == base[0]) {
            base[8] = b'0' + (base[8] - b'0' + 1) % 10;
        }
        let [first, second] = check_digits(&base);
        let mut text: String = base.iter().map(|&b| char::from(b)).collect();
        text.push(char::from(first));
        text.push(char::from(second));
        Cpf(text)
    }

    /// The canonical stored form: 11 digits.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 11 digits (same as [`Cpf::as_str`]).
    #[must_use]
    pub fn digits(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Cpf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.0;
        write!(f, "{}.{}.{}-{}", &d[..3], &d[3..6], &d[6..9], &d[9..])
    }
}

super::string_value!(Cpf, CpfError, "um CPF");

/// The two check digits (as ASCII) for nine ASCII base digits.
fn check_digits(base: &[u8]) -> [u8; 2] {
    let first = mod11_check_digit(base.iter().map(|&b| digit(b)), &WEIGHTS[1..]);
    let second = mod11_check_digit(base.iter().map(|&b| digit(b)).chain([u32::from(first)]), &WEIGHTS);
    [b'0' + first, b'0' + second]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;
    use proptest::prelude::*;
    use rstest::rstest;

    #[rstest]
    #[case("529.982.247-25")]
    #[case("52998224725")]
    #[case("  529 982 247 25 ")]
    #[case("529982247-25")]
    fn accepts_valid(#[case] input: &str) {
        let cpf = Cpf::parse(input).unwrap();
        assert_eq!(cpf.as_str(), "52998224725");
        assert_eq!(cpf.digits(), "52998224725");
        assert_eq!(cpf.to_string(), "529.982.247-25");
    }

    #[rstest]
    #[case("529.982.247-24", "cpf.check_digit")]
    #[case("529.982.247-15", "cpf.check_digit")]
    #[case("111.111.111-11", "cpf.repeated_digits")]
    #[case("000.000.000-00", "cpf.repeated_digits")]
    #[case("5299822472", "cpf.length")]
    #[case("529982247250", "cpf.length")]
    #[case("", "cpf.empty")]
    #[case(" .- ", "cpf.empty")]
    #[case("529.982.247-2x", "cpf.invalid_character")]
    fn rejects_invalid(#[case] input: &str, #[case] code: &str) {
        assert_eq!(Cpf::parse(input).unwrap_err().code(), code);
    }

    #[test]
    fn messages_are_portuguese_and_hide_input() {
        let err = Cpf::parse("5299822472").unwrap_err();
        assert_eq!(err.to_string(), "CPF deve ter 11 dígitos, recebeu 10");
        let err = Cpf::parse("529.982.247-24").unwrap_err();
        assert_eq!(err.to_string(), "dígito verificador do CPF inválido");
        assert!(!err.to_string().contains("529"));
    }

    #[test]
    fn generate_valid_avoids_repeated_digits() {
        let cpf = Cpf::generate_valid([3; 9]);
        assert!(Cpf::parse(cpf.as_str()).is_ok());
        assert_eq!(
            Cpf::generate_valid([5, 2, 9, 9, 8, 2, 2, 4, 7]).as_str(),
            "52998224725"
        );
    }

    #[test]
    fn serde_json_round_trip_validates() {
        let cpf = Cpf::parse("529.982.247-25").unwrap();
        let json = serde_json::to_string(&cpf).unwrap();
        assert_eq!(json, "\"52998224725\"");
        assert_eq!(serde_json::from_str::<Cpf>(&json).unwrap(), cpf);
        assert!(serde_json::from_str::<Cpf>("\"52998224724\"").is_err());
    }

    #[test]
    fn automerge_round_trip() {
        use automerge::{AutoCommit, ROOT};
        #[derive(Debug, PartialEq, autosurgeon::Reconcile, autosurgeon::Hydrate)]
        struct Holder {
            cpf: Cpf,
        }
        let holder = Holder {
            cpf: Cpf::parse("529.982.247-25").unwrap(),
        };
        let mut doc = AutoCommit::new();
        autosurgeon::reconcile(&mut doc, &holder).unwrap();
        let cpf: Cpf = autosurgeon::hydrate_prop(&doc, ROOT, "cpf").unwrap();
        assert_eq!(cpf, holder.cpf);
        assert_eq!(autosurgeon::hydrate::<_, Holder>(&doc).unwrap(), holder);
        // An invalid stored value fails to hydrate instead of producing a bad Cpf.
        autosurgeon::reconcile_prop(&mut doc, ROOT, "cpf", "52998224724").unwrap();
        assert!(autosurgeon::hydrate_prop::<_, Cpf, _, _>(&doc, ROOT, "cpf").is_err());
    }

    proptest! {
        #[test]
        fn generated_cpfs_parse_and_round_trip(seed in any::<[u8; 9]>()) {
            let cpf = Cpf::generate_valid(seed);
            prop_assert_eq!(Cpf::parse(cpf.as_str()).unwrap(), cpf.clone());
            prop_assert_eq!(cpf.to_string().parse::<Cpf>().unwrap(), cpf.clone());
            let json = serde_json::to_string(&cpf).unwrap();
            prop_assert_eq!(serde_json::from_str::<Cpf>(&json).unwrap(), cpf);
        }
    }
}
