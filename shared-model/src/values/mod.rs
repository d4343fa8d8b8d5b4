//! Validated value types.
//!
//! Every type here follows "parse, don't validate": the field is private, the only ways in are a
//! `parse`-style constructor (or a generator that can only produce valid values) and
//! deserialisation, which runs the same validation. Each string-backed type has:
//!
//! - `parse(&str)` accepting common human input (punctuation optional, surrounding whitespace),
//!   also available as [`FromStr`](std::str::FromStr);
//! - `as_str()` returning the canonical *stored* form, which is also its JSON form and its
//!   automerge form;
//! - `Display` giving the canonical *human* form;
//! - one `thiserror` enum whose variants carry a pt-BR message and a stable
//!   [`ErrorCode`](crate::ErrorCode). Messages never contain the input (it is personal data).
//!
//! [`Money`] is the exception: it is stored as integer centavos, in JSON and in automerge.

mod cep;
mod cid10;
mod cnpj;
mod cns;
mod council;
mod council_registration;
mod cpf;
mod email;
mod money;
mod phone;
mod time;
mod uf;

pub use cep::{Cep, CepError};
pub use cid10::{Cid10, Cid10Error};
pub use cnpj::{Cnpj, CnpjError};
pub use cns::{Cns, CnsError};
pub use council::{Council, CouncilError};
pub use council_registration::{CouncilRegistration, CouncilRegistrationError};
pub use cpf::{Cpf, CpfError};
pub use email::{Email, EmailError};
pub use money::{Money, MoneyError};
pub use phone::{Phone, PhoneError};
pub use time::{BirthDate, ClinicTimeZone, TimeError, parse_date_br_or_iso};
pub use uf::{Uf, UfError};

/// Implements the string-backed boilerplate for a value type: `FromStr` (unless `@stored` is
/// used), `TryFrom<String>` and `From<T> for String` (for `#[serde(try_from = "String", into =
/// "String")]`), and autosurgeon `Reconcile`/`Hydrate` as the stored string.
///
/// `string_value!(Cpf, CpfError, "um CPF")` uses `Cpf::parse` and `Cpf::as_str`;
/// `string_value!(@stored T, E, "...", parse_fn, stored_fn)` names both functions explicitly.
macro_rules! string_value {
    ($ty:ident, $err:ty, $expected:literal) => {
        impl ::std::str::FromStr for $ty {
            type Err = $err;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
        $crate::values::string_value!(@stored $ty, $err, $expected, parse, as_str);
    };
    (@stored $ty:ident, $err:ty, $expected:literal, $parse:ident, $stored:ident) => {
        impl TryFrom<String> for $ty {
            type Error = $err;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::$parse(&s)
            }
        }

        impl From<$ty> for String {
            fn from(value: $ty) -> String {
                String::from(value.$stored())
            }
        }

        impl ::autosurgeon::Reconcile for $ty {
            type Key<'a> = ::autosurgeon::reconcile::NoKey;
            fn reconcile<R: ::autosurgeon::Reconciler>(
                &self,
                reconciler: R,
            ) -> Result<(), R::Error> {
                ::autosurgeon::Reconcile::reconcile(&self.$stored(), reconciler)
            }
        }

        impl ::autosurgeon::Hydrate for $ty {
            fn hydrate_string(s: &'_ str) -> Result<Self, ::autosurgeon::HydrateError> {
                // The rejected text is personal data: report only the error code.
                Self::$parse(s).map_err(|err| {
                    ::autosurgeon::HydrateError::unexpected(
                        $expected,
                        format!("texto rejeitado ({})", $crate::ErrorCode::code(&err)),
                    )
                })
            }
        }
    };
}
use string_value;

/// Trims `input` and drops separator characters (any whitespace and the listed `separators`).
///
/// Returns the kept characters, or the 1-based position (in the trimmed input, counted in
/// characters) of the first character that is neither accepted by `keep` nor a separator.
fn clean(input: &str, separators: &[char], keep: impl Fn(char) -> bool) -> Result<String, usize> {
    let mut out = String::with_capacity(input.len());
    for (index, c) in input.trim().chars().enumerate() {
        if keep(c) {
            out.push(c);
        } else if !(c.is_whitespace() || separators.contains(&c)) {
            return Err(index + 1);
        }
    }
    Ok(out)
}

/// The decimal value of an ASCII digit (callers only pass characters already checked as digits).
fn digit(c: u8) -> u32 {
    u32::from(c.wrapping_sub(b'0'))
}

/// Mod-11 check digit used by CPF and CNPJ: remainder < 2 gives 0, otherwise 11 − remainder.
fn mod11_check_digit(values: impl Iterator<Item = u32>, weights: &[u32]) -> u8 {
    let sum: u32 = values.zip(weights).map(|(v, w)| v * w).sum();
    let remainder = sum % 11;
    // `remainder` is below 11, so the result always fits a single digit.
    if remainder < 2 { 0 } else { (11 - remainder) as u8 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_reports_first_bad_position() {
        let keep = |c: char| c.is_ascii_digit();
        assert_eq!(clean(" 12.3-4 ", &['.', '-'], keep), Ok("1234".to_owned()));
        assert_eq!(clean("12a4", &['.'], keep), Err(3));
    }
}
