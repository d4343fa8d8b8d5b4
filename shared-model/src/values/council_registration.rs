//! A professional's registration in a regional council (`CRM/SP 123456`).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Council, Uf};

/// A registration number in a regional council: `CRM/SP 123456`.
///
/// Stored form and `Display` are the same: `COUNCIL/UF NUMBER`, plus `-CATEGORY` for COREN
/// registrations that carry one (`COREN/SP 123456-ENF`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CouncilRegistration {
    council: Council,
    uf: Uf,
    number: String,
    category: Option<String>,
    text: String,
}

/// Why a text is not a council registration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CouncilRegistrationError {
    #[error("registro profissional não informado")]
    Empty,
    #[error("caractere inválido na posição {position} do registro profissional")]
    InvalidCharacter { position: usize },
    #[error("conselho profissional não informado no registro (ex.: CRM/SP 123456)")]
    MissingCouncil,
    #[error("conselho profissional desconhecido (ex.: CRM, CRO, COREN, CREFITO, CRP)")]
    UnknownCouncil,
    #[error("UF do conselho não informada (ex.: CRM/SP 123456)")]
    MissingUf,
    #[error("UF do conselho inválida")]
    InvalidUf,
    #[error("número do registro profissional não informado")]
    NumberEmpty,
    #[error("número do registro profissional deve ter no máximo 8 dígitos, recebeu {found}")]
    NumberTooLong { found: usize },
    #[error("número do registro profissional deve conter apenas dígitos")]
    NumberNotDigits,
    #[error("categoria do COREN inválida (ex.: ENF, TE, AE)")]
    InvalidCategory,
}

impl crate::ErrorCode for CouncilRegistrationError {
    fn code(&self) -> &'static str {
        match self {
            Self::Empty => "council_registration.empty",
            Self::InvalidCharacter { .. } => "council_registration.invalid_character",
            Self::MissingCouncil => "council_registration.missing_council",
            Self::UnknownCouncil => "council_registration.unknown_council",
            Self::MissingUf => "council_registration.missing_uf",
            Self::InvalidUf => "council_registration.invalid_uf",
            Self::NumberEmpty => "council_registration.number_empty",
            Self::NumberTooLong { .. } => "council_registration.number_too_long",
            Self::NumberNotDigits => "council_registration.number_not_digits",
            Self::InvalidCategory => "council_registration.invalid_category",
        }
    }
}

/// COREN professional categories accepted as a suffix (`-ENF`, `-TE`, ...).
const COREN_CATEGORIES: [&str; 5] = ["ENF", "TE", "AE", "AUX", "OBST"];

impl CouncilRegistration {
    /// Parses `CRM/SP 123456`, `CRM-SP 123456`, `crm sp 123.456`, `CRMSP 123456`,
    /// `123456 CRM/SP`, `COREN-SP 123.456-ENF`. `Nº`/`N°` before the number is ignored.
    pub fn parse(input: &str) -> Result<Self, CouncilRegistrationError> {
        use CouncilRegistrationError as E;
        let tokens = tokenize(input)?;
        if tokens.is_empty() {
            return Err(E::Empty);
        }
        let words: Vec<(usize, &str)> = tokens
            .iter()
            .enumerate()
            .filter(|(_, t)| t.starts_with(|c: char| c.is_ascii_alphabetic()))
            .map(|(i, t)| (i, t.as_str()))
            .collect();
        if words.is_empty() {
            return Err(E::MissingCouncil);
        }
        let (at, council, joined_uf) = words
            .iter()
            .find_map(|&(i, w)| council_prefix(w).map(|(c, uf)| (i, c, uf)))
            .ok_or(E::UnknownCouncil)?;
        let (uf, uf_at) = match joined_uf {
            Some(uf) => (uf, None),
            None => match tokens.get(at + 1) {
                Some(t) if t.starts_with(|c: char| c.is_ascii_alphabetic()) => {
                    (Uf::parse(t).map_err(|_| E::InvalidUf)?, Some(at + 1))
                }
                _ => return Err(E::MissingUf),
            },
        };
        let mut category = None;
        for &(i, word) in &words {
            if i == at || Some(i) == uf_at {
                continue;
            }
            if council != Council::Coren || category.is_some() {
                return Err(E::NumberNotDigits);
            }
            if !COREN_CATEGORIES.contains(&word) {
                return Err(E::InvalidCategory);
            }
            category = Some(word.to_owned());
        }
        let number: String = tokens
            .iter()
            .filter(|t| t.starts_with(|c: char| c.is_ascii_digit()))
            .map(String::as_str)
            .collect();
        match number.len() {
            0 => return Err(E::NumberEmpty),
            1..=8 => {}
            found => return Err(E::NumberTooLong { found }),
        }
        let mut text = format!("{council}/{uf} {number}");
        if let Some(category) = &category {
            text.push('-');
            text.push_str(category);
        }
        Ok(Self {
            council,
            uf,
            number,
            category,
            text,
        })
    }

    #[must_use]
    pub fn council(&self) -> Council {
        self.council
    }

    /// The registration number: digits only, as typed (leading zeros kept).
    #[must_use]
    pub fn number(&self) -> &str {
        &self.number
    }

    #[must_use]
    pub fn uf(&self) -> Uf {
        self.uf
    }

    /// The COREN category (`"ENF"`, `"TE"`, `"AE"`, `"AUX"`, `"OBST"`), when given.
    #[must_use]
    pub fn category(&self) -> Option<&str> {
        self.category.as_deref()
    }

    /// The canonical stored form, the same as `Display`: `CRM/SP 123456`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for CouncilRegistration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

super::string_value!(
    CouncilRegistration,
    CouncilRegistrationError,
    "um registro em conselho profissional"
);

/// Splits the input into upper-cased runs of letters and runs of digits. Whitespace, `/`, `-`,
/// `:`, `,`, `º`, `°` separate runs; `.` is dropped (it only groups digits); `N`/`NO`/`Nº` is
/// dropped.
fn tokenize(input: &str) -> Result<Vec<String>, CouncilRegistrationError> {
    let mut tokens: Vec<String> = Vec::new();
    let mut current = String::new();
    for (index, c) in input.trim().chars().enumerate() {
        let c = c.to_ascii_uppercase();
        let same_kind = |t: &str| {
            t.chars()
                .last()
                .is_some_and(|l| l.is_ascii_digit() == c.is_ascii_digit())
        };
        if c.is_ascii_alphanumeric() {
            if !current.is_empty() && !same_kind(&current) {
                tokens.push(std::mem::take(&mut current));
            }
            current.push(c);
        } else if c == '.' {
            continue;
        } else if c.is_whitespace() || matches!(c, '/' | '-' | ':' | ',' | 'º' | '°') {
            if !current.is_empty() {
                tokens.push(std::mem::take(&mut current));
            }
        } else {
            return Err(CouncilRegistrationError::InvalidCharacter { position: index + 1 });
        }
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    tokens.retain(|t| t != "N" && t != "NO");
    Ok(tokens)
}

/// A council acronym, possibly glued to a UF (`CRMSP`, `CREFSC`).
fn council_prefix(word: &str) -> Option<(Council, Option<Uf>)> {
    if let Ok(council) = Council::parse(word) {
        return Some((council, None));
    }
    // Acronyms are distinct, so at most one has exactly `word.len() - 2` letters and prefixes it.
    Council::all().iter().find_map(|&c| {
        let uf = word.strip_prefix(c.as_str()).filter(|rest| rest.len() == 2)?;
        Uf::parse(uf).ok().map(|uf| (c, Some(uf)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;
    use rstest::rstest;

    #[rstest]
    #[case("CRM/SP 123456", Council::Crm, Uf::Sp, "123456", None, "CRM/SP 123456")]
    #[case("CRM-SP 123456", Council::Crm, Uf::Sp, "123456", None, "CRM/SP 123456")]
    #[case("crm sp 123.456", Council::Crm, Uf::Sp, "123456", None, "CRM/SP 123456")]
    #[case("123456 CRM/SP", Council::Crm, Uf::Sp, "123456", None, "CRM/SP 123456")]
    #[case("CRMSP 123456", Council::Crm, Uf::Sp, "123456", None, "CRM/SP 123456")]
    #[case("CRM/SP nº 123456", Council::Crm, Uf::Sp, "123456", None, "CRM/SP 123456")]
    #[case("CRO-RJ 0042", Council::Cro, Uf::Rj, "0042", None, "CRO/RJ 0042")]
    #[case("crfa/mg 1", Council::Crfa, Uf::Mg, "1", None, "CRFA/MG 1")]
    #[case(
        "CREFITO/SP 12345",
        Council::Crefito,
        Uf::Sp,
        "12345",
        None,
        "CREFITO/SP 12345"
    )]
    #[case(
        "COREN-SP 123.456-ENF",
        Council::Coren,
        Uf::Sp,
        "123456",
        Some("ENF"),
        "COREN/SP 123456-ENF"
    )]
    #[case(
        "coren/ba 98765-te",
        Council::Coren,
        Uf::Ba,
        "98765",
        Some("TE"),
        "COREN/BA 98765-TE"
    )]
    #[case("CREFSC 7", Council::Cref, Uf::Sc, "7", None, "CREF/SC 7")]
    fn parses_forms(
        #[case] input: &str,
        #[case] council: Council,
        #[case] uf: Uf,
        #[case] number: &str,
        #[case] category: Option<&str>,
        #[case] shown: &str,
    ) {
        let reg = CouncilRegistration::parse(input).unwrap();
        assert_eq!(reg.council(), council);
        assert_eq!(reg.uf(), uf);
        assert_eq!(reg.number(), number);
        assert_eq!(reg.category(), category);
        assert_eq!(reg.to_string(), shown);
        assert_eq!(reg.as_str(), shown);
        assert_eq!(reg.as_str().parse::<CouncilRegistration>().unwrap(), reg);
    }

    #[rstest]
    #[case("", "council_registration.empty")]
    #[case("123456", "council_registration.missing_council")]
    #[case("XYZ/SP 123456", "council_registration.unknown_council")]
    #[case("CRM 123456", "council_registration.missing_uf")]
    #[case("CRM/XX 123456", "council_registration.invalid_uf")]
    #[case("CRM/SP", "council_registration.number_empty")]
    #[case("CRM/SP 123456789", "council_registration.number_too_long")]
    #[case("CRM/SP 12A456", "council_registration.number_not_digits")]
    #[case("CRM/SP 123456-ENF", "council_registration.number_not_digits")]
    #[case("COREN/SP 123456-XYZ", "council_registration.invalid_category")]
    #[case("CRM/SP #123456", "council_registration.invalid_character")]
    fn rejects(#[case] input: &str, #[case] code: &str) {
        assert_eq!(CouncilRegistration::parse(input).unwrap_err().code(), code);
    }

    #[test]
    fn serde_json_round_trip_validates() {
        let reg = CouncilRegistration::parse("coren sp 123456 enf").unwrap();
        let json = serde_json::to_string(&reg).unwrap();
        assert_eq!(json, "\"COREN/SP 123456-ENF\"");
        assert_eq!(serde_json::from_str::<CouncilRegistration>(&json).unwrap(), reg);
        assert!(serde_json::from_str::<CouncilRegistration>("\"CRM 1\"").is_err());
    }
}
