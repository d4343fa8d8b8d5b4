//! Amounts of Brazilian reais, as integer centavos.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An amount in reais held as integer centavos (never floats). May be negative (refunds).
///
/// JSON and automerge: the integer number of centavos. `Display`: `R$ 1.234,56`, `-R$ 12,30`.
/// Arithmetic is checked only: overflow gives `None`, never a wrapped value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Money(i64);

/// Why a text is not an amount of money.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("valor não informado")]
    Empty,
    #[error("valor inválido: use o formato R$ 1.234,56")]
    Format,
    #[error("valor deve ter no máximo 2 casas decimais, recebeu {found}")]
    TooManyDecimals { found: usize },
    #[error("valor grande demais")]
    Overflow,
}

impl crate::ErrorCode for MoneyError {
    fn code(&self) -> &'static str {
        match self {
            Self::Empty => "money.empty",
            Self::Format => "money.format",
            Self::TooManyDecimals { .. } => "money.too_many_decimals",
            Self::Overflow => "money.overflow",
        }
    }
}

impl Money {
    /// Zero reais.
    pub const ZERO: Money = Money(0);

    #[must_use]
    pub const fn from_centavos(centavos: i64) -> Self {
        Self(centavos)
    }

    #[must_use]
    pub const fn centavos(&self) -> i64 {
        self.0
    }

    #[must_use]
    pub const fn is_negative(&self) -> bool {
        self.0 < 0
    }

    /// Parses Brazilian notation: `R$ 1.234,56`, `1.234,56`, `1234,56`, `1234`, `-12,30`,
    /// `-R$ 12,30`, `R$ -12,30`. Dots group thousands; a single dot followed by one or two digits
    /// and no comma (`1234.56`) is read as the decimal separator.
    pub fn parse(input: &str) -> Result<Self, MoneyError> {
        let compact: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.is_empty() {
            return Err(MoneyError::Empty);
        }
        let (negative, rest) = match compact.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, compact.as_str()),
        };
        let rest = strip_currency(rest);
        let (negative, rest) = match rest.strip_prefix('-') {
            Some(rest) if !negative => (true, rest),
            _ => (negative, rest),
        };
        let (int_part, frac_part) = split_number(rest)?;
        let mut value: i128 = 0;
        for b in int_part.bytes().filter(|&b| b != b'.') {
            value = value * 10 + i128::from(b - b'0');
            if value > i128::from(i64::MAX) + 1 {
                return Err(MoneyError::Overflow);
            }
        }
        let frac = match frac_part.as_bytes() {
            [] => 0,
            [d] => i128::from(d - b'0') * 10,
            [d1, d2] => i128::from(d1 - b'0') * 10 + i128::from(d2 - b'0'),
            _ => {
                return Err(MoneyError::TooManyDecimals {
                    found: frac_part.len(),
                });
            }
        };
        let centavos = value * 100 + frac;
        let centavos = if negative { -centavos } else { centavos };
        i64::try_from(centavos)
            .map(Self)
            .map_err(|_| MoneyError::Overflow)
    }

    #[must_use]
    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Self)
    }

    #[must_use]
    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Self)
    }

    /// The amount times a quantity (e.g. unit price × sessions).
    #[must_use]
    pub fn checked_mul(self, quantity: u32) -> Option<Money> {
        self.0.checked_mul(i64::from(quantity)).map(Self)
    }

    /// The total of the amounts, or `None` on overflow. An empty iterator gives zero.
    pub fn sum(amounts: impl IntoIterator<Item = Money>) -> Option<Money> {
        amounts
            .into_iter()
            .try_fold(Money::ZERO, |total, amount| total.checked_add(amount))
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let abs = self.0.unsigned_abs();
        let reais = (abs / 100).to_string();
        let mut grouped = String::with_capacity(reais.len() + reais.len() / 3);
        for (i, c) in reais.chars().enumerate() {
            if i > 0 && (reais.len() - i).is_multiple_of(3) {
                grouped.push('.');
            }
            grouped.push(c);
        }
        let sign = if self.0 < 0 { "-" } else { "" };
        write!(f, "{sign}R$ {grouped},{:02}", abs % 100)
    }
}

impl FromStr for Money {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl autosurgeon::Reconcile for Money {
    type Key<'a> = autosurgeon::reconcile::NoKey;
    fn reconcile<R: autosurgeon::Reconciler>(&self, reconciler: R) -> Result<(), R::Error> {
        autosurgeon::Reconcile::reconcile(&self.0, reconciler)
    }
}

impl autosurgeon::Hydrate for Money {
    fn hydrate_int(i: i64) -> Result<Self, autosurgeon::HydrateError> {
        Ok(Self(i))
    }

    fn hydrate_uint(u: u64) -> Result<Self, autosurgeon::HydrateError> {
        i64::try_from(u).map(Self).map_err(|_| {
            autosurgeon::HydrateError::unexpected(
                "centavos (inteiro com sinal de 64 bits)",
                "inteiro sem sinal grande demais".to_owned(),
            )
        })
    }
}

fn strip_currency(s: &str) -> &str {
    match s.get(..2) {
        Some(prefix) if prefix.eq_ignore_ascii_case("r$") => &s[2..],
        _ => s,
    }
}

/// Splits digits into (integer part, possibly with thousands dots; fraction digits).
fn split_number(s: &str) -> Result<(&str, &str), MoneyError> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b',') {
        return Err(MoneyError::Format);
    }
    if let Some((int_part, frac_part)) = s.split_once(',') {
        if frac_part.is_empty() || !frac_part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(MoneyError::Format);
        }
        if !is_grouped_integer(int_part) {
            return Err(MoneyError::Format);
        }
        return Ok((int_part, frac_part));
    }
    if is_grouped_integer(s) {
        return Ok((s, ""));
    }
    // No comma and not thousands groups: a single dot is the decimal point (`1234.56`).
    match s.split_once('.') {
        Some((int_part, frac_part))
            if !int_part.is_empty()
                && !frac_part.is_empty()
                && int_part.bytes().all(|b| b.is_ascii_digit())
                && frac_part.bytes().all(|b| b.is_ascii_digit()) =>
        {
            Ok((int_part, frac_part))
        }
        _ => Err(MoneyError::Format),
    }
}

/// Plain digits, or digit groups separated by dots: 1–3 digits, then groups of exactly 3.
fn is_grouped_integer(s: &str) -> bool {
    let digits = |g: &str| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit());
    let mut groups = s.split('.');
    match groups.next() {
        Some(first) if digits(first) => {
            !s.contains('.') || (first.len() <= 3 && groups.all(|g| g.len() == 3 && digits(g)))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;
    use proptest::prelude::*;
    use rstest::rstest;

    #[rstest]
    #[case("R$ 1.234,56", 123_456, "R$ 1.234,56")]
    #[case("1.234,56", 123_456, "R$ 1.234,56")]
    #[case("1234,56", 123_456, "R$ 1.234,56")]
    #[case("1234.56", 123_456, "R$ 1.234,56")]
    #[case("1234", 123_400, "R$ 1.234,00")]
    #[case("1.234", 123_400, "R$ 1.234,00")]
    #[case("-12,30", -1_230, "-R$ 12,30")]
    #[case("-R$ 12,30", -1_230, "-R$ 12,30")]
    #[case("R$ -12,3", -1_230, "-R$ 12,30")]
    #[case("r$0,05", 5, "R$ 0,05")]
    #[case(" R$\u{a0}1.000.000,00 ", 100_000_000, "R$ 1.000.000,00")]
    #[case("0", 0, "R$ 0,00")]
    #[case("-0,00", 0, "R$ 0,00")]
    #[case("R$ 92.233.720.368.547.758,07", i64::MAX, "R$ 92.233.720.368.547.758,07")]
    #[case("-R$ 92.233.720.368.547.758,08", i64::MIN, "-R$ 92.233.720.368.547.758,08")]
    fn parses_and_formats(#[case] input: &str, #[case] centavos: i64, #[case] shown: &str) {
        let money = Money::parse(input).unwrap();
        assert_eq!(money.centavos(), centavos);
        assert_eq!(money.to_string(), shown);
        assert_eq!(Money::from_centavos(centavos), money);
    }

    #[rstest]
    #[case("", "money.empty")]
    #[case("R$", "money.format")]
    #[case("abc", "money.format")]
    #[case("12,345", "money.too_many_decimals")]
    #[case("1.234,567", "money.too_many_decimals")]
    #[case("12.345.67", "money.format")]
    #[case("1234.567", "money.too_many_decimals")]
    #[case("12,", "money.format")]
    #[case("1,2,3", "money.format")]
    #[case("12.34,56", "money.format")]
    #[case("--12", "money.format")]
    #[case("12 reais", "money.format")]
    #[case("R$ 92.233.720.368.547.758,08", "money.overflow")]
    #[case("99999999999999999999999999", "money.overflow")]
    fn rejects(#[case] input: &str, #[case] code: &str) {
        assert_eq!(Money::parse(input).unwrap_err().code(), code);
    }

    #[test]
    fn checked_arithmetic() {
        let a = Money::from_centavos(1_050);
        assert_eq!(a.checked_add(a), Some(Money::from_centavos(2_100)));
        assert_eq!(
            a.checked_sub(Money::from_centavos(2_000)),
            Some(Money::from_centavos(-950))
        );
        assert_eq!(a.checked_mul(3), Some(Money::from_centavos(3_150)));
        assert_eq!(
            Money::from_centavos(i64::MAX).checked_add(Money::from_centavos(1)),
            None
        );
        assert_eq!(
            Money::from_centavos(i64::MIN).checked_sub(Money::from_centavos(1)),
            None
        );
        assert_eq!(Money::from_centavos(i64::MAX / 2 + 1).checked_mul(2), None);
        assert_eq!(Money::sum([a, a, a]), Some(Money::from_centavos(3_150)));
        assert_eq!(Money::sum(Vec::new()), Some(Money::ZERO));
        assert_eq!(Money::sum([Money::from_centavos(i64::MAX), a]), None);
    }

    #[test]
    fn serde_is_integer_centavos() {
        let money = Money::parse("R$ 1.234,56").unwrap();
        assert_eq!(serde_json::to_string(&money).unwrap(), "123456");
        assert_eq!(
            serde_json::from_str::<Money>("-1230").unwrap(),
            Money::from_centavos(-1_230)
        );
    }

    #[test]
    fn automerge_round_trip() {
        use automerge::{AutoCommit, ROOT};
        #[derive(Debug, PartialEq, autosurgeon::Reconcile, autosurgeon::Hydrate)]
        struct Invoice {
            total: Money,
            items: Vec<Money>,
        }
        let invoice = Invoice {
            total: Money::from_centavos(123_456),
            items: vec![Money::from_centavos(-1), Money::from_centavos(i64::MAX)],
        };
        let mut doc = AutoCommit::new();
        autosurgeon::reconcile(&mut doc, &invoice).unwrap();
        let total: Money = autosurgeon::hydrate_prop(&doc, ROOT, "total").unwrap();
        assert_eq!(total.centavos(), 123_456);
        assert_eq!(autosurgeon::hydrate::<_, Invoice>(&doc).unwrap(), invoice);
    }

    proptest! {
        #[test]
        fn display_parses_back(centavos in any::<i64>()) {
            let money = Money::from_centavos(centavos);
            prop_assert_eq!(money.to_string().parse::<Money>().unwrap(), money);
            let json = serde_json::to_string(&money).unwrap();
            prop_assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), money);
        }
    }
}
