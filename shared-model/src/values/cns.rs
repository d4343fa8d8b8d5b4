//! CNS (Cartão Nacional de Saúde), the SUS patient number.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{clean, digit};

/// A valid CNS: 15 digits, starting with 1 or 2 (definitive) or 7, 8 or 9 (provisional), whose
/// weighted sum `Σ dᵢ × (15 − i)` is a multiple of 11.
///
/// Stored form (`as_str`, JSON, automerge): the 15 digits. `Display`: `000 0000 0000 0000`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Cns(String);

/// Why a text is not a CNS.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CnsError {
    #[error("CNS não informado")]
    Empty,
    #[error("caractere inválido na posição {position} do CNS")]
    InvalidCharacter { position: usize },
    #[error("CNS deve ter 15 dígitos, recebeu {found}")]
    Length { found: usize },
    #[error("CNS deve começar com 1 ou 2 (definitivo) ou 7, 8 ou 9 (provisório)")]
    InvalidStart,
    #[error("dígito verificador do CNS inválido")]
    CheckDigit,
}

impl crate::ErrorCode for CnsError {
    fn code(&self) -> &'static str {
        match self {
            Self::Empty => "cns.empty",
            Self::InvalidCharacter { .. } => "cns.invalid_character",
            Self::Length { .. } => "cns.length",
            Self::InvalidStart => "cns.invalid_start",
            Self::CheckDigit => "cns.check_digit",
        }
    }
}

/// Leading digits a generated CNS may start with.
const STARTS: [u8; 5] = [1, 2, 7, 8, 9];

impl Cns {
    /// Parses a CNS with or without spaces or punctuation (`898 0011 6061 8390`).
    pub fn parse(input: &str) -> Result<Self, CnsError> {
        let digits = clean(input, &['.', '-'], |c| c.is_ascii_digit())
            .map_err(|position| CnsError::InvalidCharacter { position })?;
        match digits.len() {
            0 => return Err(CnsError::Empty),
            15 => {}
            found => return Err(CnsError::Length { found }),
        }
        if !matches!(digits.as_bytes()[0], b'1' | b'2' | b'7' | b'8' | b'9') {
            return Err(CnsError::InvalidStart);
        }
        if !weighted_sum(digits.as_bytes()).is_multiple_of(11) {
            return Err(CnsError::CheckDigit);
        }
        Ok(Self(digits))
    }

    /// A valid CNS for demo data: `first` (1, 2, 7, 8 or 9; any other value `v` is replaced by
    /// the `v mod 5`-th of those) followed by the ten seed digits (each byte modulo 10).
    ///
    /// Definitive numbers (1, 2) follow the official rule: the first 11 digits act as the PIS,
    /// then `000` and a check digit, or `001` and a new check digit when the first one would be
    /// 10. Provisional numbers get the smallest last four digits that make the sum valid.
    #[must_use]
    pub fn generate_valid(first: u8, seed: [u8; 10]) -> Cns {
        let first = if STARTS.contains(&first) {
            first
        } else {
            STARTS[usize::from(first % 5)]
        };
        let mut digits = [0u8; 15];
        digits[0] = first;
        for (slot, b) in digits[1..11].iter_mut().zip(seed) {
            *slot = b % 10;
        }
        let pis_sum: u32 = (0..11).map(|i| u32::from(digits[i]) * (15 - i as u32)).sum();
        if first <= 2 {
            // Official rule: the digits 11..=13 are 000 and position 14 closes the sum, unless
            // that would need a 10, in which case 001 (weight 2) shifts it.
            let mut check = (11 - pis_sum % 11) % 11;
            if check == 10 {
                digits[13] = 1;
                check = (11 - (pis_sum + 2) % 11) % 11;
            }
            digits[14] = check as u8;
        } else {
            // Smallest suffix abcd with 4a + 3b + 2c + d ≡ −sum (mod 11); 2c + d alone reaches
            // every residue, so c and d always suffice.
            let needed = (11 - pis_sum % 11) % 11;
            let (c, d) = if needed <= 9 { (0, needed) } else { (1, needed - 2) };
            digits[13] = c as u8;
            digits[14] = d as u8;
        }
        Cns(digits.iter().map(|&d| char::from(b'0' + d)).collect())
    }

    /// The canonical stored form: 15 digits.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is a provisional number (starts with 7, 8 or 9).
    #[must_use]
    pub fn is_provisional(&self) -> bool {
        matches!(self.0.as_bytes()[0], b'7' | b'8' | b'9')
    }
}

impl fmt::Display for Cns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.0;
        write!(f, "{} {} {} {}", &d[..3], &d[3..7], &d[7..11], &d[11..])
    }
}

super::string_value!(Cns, CnsError, "um CNS");

fn weighted_sum(digits: &[u8]) -> u32 {
    digits
        .iter()
        .zip((1..=15u32).rev())
        .map(|(&b, weight)| digit(b) * weight)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;
    use proptest::prelude::*;
    use rstest::rstest;

    #[rstest]
    #[case("199999999990018", false, "199 9999 9999 0018")]
    #[case("898001160618390", true, "898 0011 6061 8390")]
    #[case("898 0011 6061 8390", true, "898 0011 6061 8390")]
    #[case(" 898.0011.6061.8390 ", true, "898 0011 6061 8390")]
    fn accepts_valid(#[case] input: &str, #[case] provisional: bool, #[case] shown: &str) {
        let cns = Cns::parse(input).unwrap();
        assert_eq!(cns.as_str(), shown.replace(' ', ""));
        assert_eq!(cns.is_provisional(), provisional);
        assert_eq!(cns.to_string(), shown);
    }

    #[rstest]
    #[case("123456789012345", "cns.check_digit")]
    #[case("199999999990019", "cns.check_digit")]
    #[case("399999999990018", "cns.invalid_start")]
    #[case("099999999990018", "cns.invalid_start")]
    #[case("19999999999001", "cns.length")]
    #[case("19999999999001x", "cns.invalid_character")]
    #[case("   ", "cns.empty")]
    fn rejects_invalid(#[case] input: &str, #[case] code: &str) {
        assert_eq!(Cns::parse(input).unwrap_err().code(), code);
    }

    #[test]
    fn definitive_generation_follows_official_rule() {
        // PIS 19999999999 needs the 001 suffix: 199 9999 9999 0018.
        let cns = Cns::generate_valid(1, [9, 9, 9, 9, 9, 9, 9, 9, 9, 9]);
        assert_eq!(cns.as_str(), "199999999990018");
        let cns = Cns::generate_valid(2, [0; 10]);
        assert_eq!(&cns.as_str()[11..14], "000");
        assert_eq!(Cns::generate_valid(3, [0; 10]).as_str().as_bytes()[0], b'8');
    }

    #[test]
    fn serde_json_round_trip_validates() {
        let cns = Cns::parse("898 0011 6061 8390").unwrap();
        let json = serde_json::to_string(&cns).unwrap();
        assert_eq!(json, "\"898001160618390\"");
        assert_eq!(serde_json::from_str::<Cns>(&json).unwrap(), cns);
        assert!(serde_json::from_str::<Cns>("\"123456789012345\"").is_err());
    }

    proptest! {
        #[test]
        fn generated_cnss_parse(first in any::<u8>(), seed in any::<[u8; 10]>()) {
            let cns = Cns::generate_valid(first, seed);
            prop_assert_eq!(Cns::parse(cns.as_str()).unwrap(), cns.clone());
            prop_assert_eq!(cns.to_string().parse::<Cns>().unwrap(), cns.clone());
            prop_assert_eq!(cns.is_provisional(), !matches!(cns.as_str().as_bytes()[0], b'1' | b'2'));
        }
    }
}
