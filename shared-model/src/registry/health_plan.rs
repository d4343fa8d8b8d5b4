//! Health-plan (convênio) cards.

use std::fmt;

use autosurgeon::{Hydrate, Reconcile};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::RegistryError;

/// A health-plan card of a patient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct HealthPlanCard {
    /// The operator's ANS registration (registro ANS, 6 digits).
    pub operator_ans: AnsCode,
    pub operator_name: String,
    #[key]
    pub card_number: CardNumber,
    pub plan_name: Option<String>,
    #[autosurgeon(with = "crate::documents::codec::option_date")]
    pub valid_until: Option<Date>,
}

/// Unvalidated input for a [`HealthPlanCard`] (as typed in a form).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewHealthPlanCard {
    pub operator_ans: String,
    pub operator_name: String,
    pub card_number: String,
    pub plan_name: Option<String>,
    pub valid_until: Option<Date>,
}

impl HealthPlanCard {
    /// Validates the input; blank `plan_name` becomes `None`.
    pub fn new(input: NewHealthPlanCard) -> Result<Self, RegistryError> {
        let operator_name = input.operator_name.trim().to_owned();
        if operator_name.is_empty() {
            return Err(RegistryError::OperatorNameEmpty);
        }
        Ok(Self {
            operator_ans: AnsCode::parse(&input.operator_ans)?,
            operator_name,
            card_number: CardNumber::parse(&input.card_number)?,
            plan_name: input
                .plan_name
                .map(|p| p.trim().to_owned())
                .filter(|p| !p.is_empty()),
            valid_until: input.valid_until,
        })
    }

    /// Whether the card is valid on `day` (a card without an end date always is).
    #[must_use]
    pub fn is_valid_on(&self, day: Date) -> bool {
        self.valid_until.is_none_or(|until| day <= until)
    }
}

macro_rules! string_newtype {
    ($name:ident, $what:literal) => {
        impl $name {
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = RegistryError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = RegistryError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl Reconcile for $name {
            type Key<'a> = autosurgeon::reconcile::NoKey;
            fn reconcile<R: autosurgeon::Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
                reconciler.str(&self.0)
            }
        }

        impl Hydrate for $name {
            fn hydrate_string(s: &str) -> Result<Self, autosurgeon::HydrateError> {
                Self::parse(s).map_err(|err| {
                    autosurgeon::HydrateError::unexpected($what, crate::ErrorCode::code(&err).to_owned())
                })
            }
        }
    };
}

/// An operator's ANS registration number: exactly 6 digits (e.g. `326305`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AnsCode(String);

impl AnsCode {
    /// Accepts the 6 digits, surrounding whitespace ignored.
    pub fn parse(input: &str) -> Result<Self, RegistryError> {
        let text = input.trim();
        if text.len() == 6 && text.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(text.to_owned()))
        } else {
            Err(RegistryError::OperatorAns)
        }
    }
}
string_newtype!(AnsCode, "an ANS operator code");

/// A health-plan card number: 1–20 ASCII letters and digits (spaces, dots and dashes typed by
/// people are dropped; letters are upper-cased).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CardNumber(String);

impl CardNumber {
    pub const MAX_CHARS: usize = 20;

    pub fn parse(input: &str) -> Result<Self, RegistryError> {
        let mut out = String::new();
        for c in input.trim().chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_uppercase());
            } else if !(c.is_whitespace() || c == '.' || c == '-' || c == '/') {
                return Err(RegistryError::CardNumberInvalid);
            }
        }
        if out.is_empty() {
            return Err(RegistryError::CardNumberEmpty);
        }
        if out.len() > Self::MAX_CHARS {
            return Err(RegistryError::CardNumberTooLong { max: Self::MAX_CHARS });
        }
        Ok(Self(out))
    }
}
string_newtype!(CardNumber, "a health-plan card number");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;
    use rstest::rstest;

    fn input(ans: &str, card: &str) -> NewHealthPlanCard {
        NewHealthPlanCard {
            operator_ans: ans.into(),
            operator_name: "Unimed".into(),
            card_number: card.into(),
            plan_name: Some("  ".into()),
            valid_until: None,
        }
    }

    #[rstest]
    #[case("326305", "0 123.4567-8", Ok("01234567 8"))]
    #[case("32630", "1", Err("health_plan.operator_ans_invalid"))]
    #[case("32630a", "1", Err("health_plan.operator_ans_invalid"))]
    #[case("326305", " - ", Err("health_plan.card_number_empty"))]
    #[case("326305", "12#4", Err("health_plan.card_number_invalid"))]
    #[case("326305", &"9".repeat(21), Err("health_plan.card_number_too_long"))]
    fn validates(#[case] ans: &str, #[case] card: &str, #[case] expected: Result<&str, &str>) {
        let result = HealthPlanCard::new(input(ans, card));
        match expected {
            Ok(number) => {
                let card = result.unwrap();
                assert_eq!(card.card_number.as_str(), number.replace(' ', ""));
                assert_eq!(card.plan_name, None);
            }
            Err(code) => assert_eq!(result.unwrap_err().code(), code),
        }
    }

    #[test]
    fn validity_is_inclusive() {
        let mut card = HealthPlanCard::new(input("326305", "ab12")).unwrap();
        assert_eq!(card.card_number.as_str(), "AB12");
        card.valid_until = Some(jiff::civil::date(2026, 12, 31));
        assert!(card.is_valid_on(jiff::civil::date(2026, 12, 31)));
        assert!(!card.is_valid_on(jiff::civil::date(2027, 1, 1)));
    }
}
