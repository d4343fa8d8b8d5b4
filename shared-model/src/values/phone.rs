//! Brazilian phone numbers, normalised to E.164.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A Brazilian mobile (DDD + 9 digits starting with 9) or landline (DDD + 8 digits starting
/// with 2–5) number with a DDD from ANATEL's list.
///
/// Stored form: E.164 (`+5511987654321`). `Display`: `(11) 98765-4321` / `(11) 3456-7890`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

/// Why a text is not a Brazilian phone number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("telefone não informado")]
    Empty,
    #[error("caractere inválido na posição {position} do telefone")]
    InvalidCharacter { position: usize },
    #[error("apenas telefones brasileiros (+55) são aceitos")]
    CountryCode,
    #[error("telefone deve ter 10 ou 11 dígitos com o DDD, recebeu {found}")]
    Length { found: usize },
    #[error("DDD inexistente")]
    InvalidDdd,
    #[error("celular deve ter 9 dígitos começando com 9")]
    MobilePrefix,
    #[error("telefone fixo deve ter 8 dígitos começando com 2, 3, 4 ou 5")]
    LandlinePrefix,
}

impl crate::ErrorCode for PhoneError {
    fn code(&self) -> &'static str {
        match self {
            Self::Empty => "phone.empty",
            Self::InvalidCharacter { .. } => "phone.invalid_character",
            Self::CountryCode => "phone.country_code",
            Self::Length { .. } => "phone.length",
            Self::InvalidDdd => "phone.invalid_ddd",
            Self::MobilePrefix => "phone.mobile_prefix",
            Self::LandlinePrefix => "phone.landline_prefix",
        }
    }
}

impl Phone {
    /// Parses `(11) 98765-4321`, `11987654321`, `+55 11 98765-4321`, `0xx11 98765-4321`,
    /// `011 98765 4321`, `0 21 11 98765-4321` (trunk 0 with a carrier code) and `5511987654321`.
    pub fn parse(input: &str) -> Result<Self, PhoneError> {
        let (digits, plus, placeholder) = scan(input)?;
        let national = if plus {
            digits.strip_prefix("55").ok_or(PhoneError::CountryCode)?
        } else if let Some(rest) = digits.strip_prefix('0') {
            // Trunk prefix 0, possibly followed by a two-digit carrier code (or "xx").
            match rest.len() {
                12 | 13 if !placeholder => &rest[2..],
                _ => rest,
            }
        } else if matches!(digits.len(), 12 | 13) && digits.starts_with("55") {
            &digits[2..]
        } else {
            &digits
        };
        if national.is_empty() {
            return Err(PhoneError::Empty);
        }
        if !matches!(national.len(), 10 | 11) {
            return Err(PhoneError::Length {
                found: national.len(),
            });
        }
        let ddd = ddd_of(national);
        if !is_valid_ddd(ddd) {
            return Err(PhoneError::InvalidDdd);
        }
        let first = national.as_bytes()[2];
        if national.len() == 11 && first != b'9' {
            return Err(PhoneError::MobilePrefix);
        }
        if national.len() == 10 && !(b'2'..=b'5').contains(&first) {
            return Err(PhoneError::LandlinePrefix);
        }
        Ok(Self(format!("+55{national}")))
    }

    /// The canonical stored form, E.164: `+5511987654321`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is a mobile number (nine digits after the DDD).
    #[must_use]
    pub fn is_mobile(&self) -> bool {
        self.0.len() == 14
    }

    /// The two-digit area code (DDD), e.g. `11`.
    #[must_use]
    pub fn ddd(&self) -> u8 {
        ddd_of(&self.0[3..])
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let subscriber = &self.0[5..];
        let split = subscriber.len() - 4;
        write!(
            f,
            "({}) {}-{}",
            &self.0[3..5],
            &subscriber[..split],
            &subscriber[split..]
        )
    }
}

super::string_value!(Phone, PhoneError, "um telefone");

/// Whether `ddd` is an area code in ANATEL's numbering plan.
fn is_valid_ddd(ddd: u8) -> bool {
    matches!(
        ddd,
        11..=19
            | 21
            | 22
            | 24
            | 27
            | 28
            | 31..=35
            | 37
            | 38
            | 41..=49
            | 51
            | 53..=55
            | 61..=69
            | 71
            | 73..=75
            | 77
            | 79
            | 81..=89
            | 91..=99
    )
}

/// The first two ASCII digits of `national` as a number.
fn ddd_of(national: &str) -> u8 {
    let b = national.as_bytes();
    (b[0] - b'0') * 10 + (b[1] - b'0')
}

/// Collects the digits of the trimmed input. A leading `+` is allowed, and so is `x`/`X` right
/// after a leading `0` (the `0xx` carrier placeholder). Returns (digits, had plus, had xx).
fn scan(input: &str) -> Result<(String, bool, bool), PhoneError> {
    let mut digits = String::with_capacity(16);
    let mut plus = false;
    let mut placeholder = 0;
    for (index, c) in input.trim().chars().enumerate() {
        match c {
            '0'..='9' => digits.push(c),
            '+' if index == 0 => plus = true,
            'x' | 'X' if digits == "0" && !plus && placeholder < 2 => placeholder += 1,
            c if c.is_whitespace() || matches!(c, '(' | ')' | '-' | '.' | '/') => {}
            _ => {
                return Err(PhoneError::InvalidCharacter { position: index + 1 });
            }
        }
    }
    Ok((digits, plus, placeholder > 0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;
    use proptest::prelude::*;
    use rstest::rstest;

    #[rstest]
    #[case("(11) 98765-4321", "+5511987654321", "(11) 98765-4321", true, 11)]
    #[case("11987654321", "+5511987654321", "(11) 98765-4321", true, 11)]
    #[case("+55 11 98765-4321", "+5511987654321", "(11) 98765-4321", true, 11)]
    #[case("+55 (11) 98765-4321", "+5511987654321", "(11) 98765-4321", true, 11)]
    #[case("5511987654321", "+5511987654321", "(11) 98765-4321", true, 11)]
    #[case("0xx11 98765-4321", "+5511987654321", "(11) 98765-4321", true, 11)]
    #[case("011 98765 4321", "+5511987654321", "(11) 98765-4321", true, 11)]
    #[case("0 21 11 98765-4321", "+5511987654321", "(11) 98765-4321", true, 11)]
    #[case("(21) 3456-7890", "+552134567890", "(21) 3456-7890", false, 21)]
    #[case("+55 55 3222-1234", "+555532221234", "(55) 3222-1234", false, 55)]
    #[case("5532221234", "+555532221234", "(55) 3222-1234", false, 55)]
    #[case(" (99) 2345-6789 ", "+559923456789", "(99) 2345-6789", false, 99)]
    fn accepts(
        #[case] input: &str,
        #[case] stored: &str,
        #[case] shown: &str,
        #[case] mobile: bool,
        #[case] ddd: u8,
    ) {
        let phone = Phone::parse(input).unwrap();
        assert_eq!(phone.as_str(), stored);
        assert_eq!(phone.to_string(), shown);
        assert_eq!(phone.is_mobile(), mobile);
        assert_eq!(phone.ddd(), ddd);
    }

    #[rstest]
    #[case("(20) 98765-4321", "phone.invalid_ddd")]
    #[case("(23) 3456-7890", "phone.invalid_ddd")]
    #[case("(90) 98765-4321", "phone.invalid_ddd")]
    #[case("(11) 8765-432", "phone.length")]
    #[case("98765-4321", "phone.length")]
    #[case("(11) 88765-4321", "phone.mobile_prefix")]
    #[case("(11) 9876-5432", "phone.landline_prefix")]
    #[case("(11) 6876-5432", "phone.landline_prefix")]
    #[case("+1 415 555 2671", "phone.country_code")]
    #[case("(11) 98765-432l", "phone.invalid_character")]
    #[case("", "phone.empty")]
    fn rejects(#[case] input: &str, #[case] code: &str) {
        assert_eq!(Phone::parse(input).unwrap_err().code(), code);
    }

    #[test]
    fn messages_are_portuguese() {
        let err = Phone::parse("(11) 8765-432").unwrap_err();
        assert_eq!(
            err.to_string(),
            "telefone deve ter 10 ou 11 dígitos com o DDD, recebeu 9"
        );
        assert_eq!(
            Phone::parse("(20) 98765-4321").unwrap_err().to_string(),
            "DDD inexistente"
        );
    }

    #[test]
    fn ddd_list_has_67_codes() {
        assert_eq!((10..=99).filter(|&d| is_valid_ddd(d)).count(), 67);
        for missing in [
            20, 23, 25, 26, 29, 30, 36, 39, 40, 50, 52, 56, 60, 70, 72, 76, 78, 80, 90,
        ] {
            assert!(!is_valid_ddd(missing), "{missing}");
        }
    }

    proptest! {
        #[test]
        fn round_trips(ddd in 11u8..=99, mobile in any::<bool>(), rest in "[0-9]{7}") {
            prop_assume!(is_valid_ddd(ddd));
            let number = if mobile { format!("{ddd}99{rest}") } else { format!("{ddd}3{rest}") };
            let phone = Phone::parse(&number).unwrap();
            prop_assert_eq!(phone.is_mobile(), mobile);
            prop_assert_eq!(phone.to_string().parse::<Phone>().unwrap(), phone.clone());
            prop_assert_eq!(phone.as_str().parse::<Phone>().unwrap(), phone.clone());
            let json = serde_json::to_string(&phone).unwrap();
            prop_assert_eq!(serde_json::from_str::<Phone>(&json).unwrap(), phone);
        }
    }
}
