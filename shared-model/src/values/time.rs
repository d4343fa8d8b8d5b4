//! Time zones per institution, Brazilian date formats and birth dates.
//!
//! Instants are stored as UTC [`Timestamp`]s (NGS1.09.02) and shown in the clinic's own zone
//! (NGS1.09.05) as `dd/mm/aaaa` and `HH:MM` (NGS1.09.04). Nothing here reads the clock: callers
//! pass "now" or "today" in.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use jiff::tz::{AmbiguousOffset, TimeZone};
use serde::{Deserialize, Serialize};

/// A clinic's IANA time zone (`America/Sao_Paulo`, `America/Manaus`, ...).
///
/// Stored form (`as_str`, JSON, automerge) and `Display`: the canonical IANA name. Equality,
/// ordering and hashing use the name. Lookups use the system `zoneinfo` where present, else the
/// copy of the tz database bundled into every build (jiff's `tzdb-bundle-always`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ClinicTimeZone {
    name: String,
    tz: TimeZone,
}

/// Errors of time zones, dates and birth dates.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("fuso horário desconhecido: use um nome IANA (ex.: America/Sao_Paulo)")]
    UnknownTimeZone,
    #[error("horário inexistente neste fuso (pulado na mudança para o horário de verão)")]
    NonexistentLocal,
    #[error("data ou hora fora do intervalo suportado")]
    OutOfRange,
    #[error("data deve estar no formato dd/mm/aaaa ou aaaa-mm-dd")]
    DateFormat,
    #[error("data inexistente no calendário")]
    InvalidDate,
    #[error("data de nascimento não pode ser futura")]
    BirthDateInFuture,
    #[error("data de nascimento não pode ser anterior a 1900")]
    BirthDateBefore1900,
}

impl crate::ErrorCode for TimeError {
    fn code(&self) -> &'static str {
        match self {
            Self::UnknownTimeZone => "timezone.unknown",
            Self::NonexistentLocal => "time.nonexistent_local",
            Self::OutOfRange => "time.out_of_range",
            Self::DateFormat => "date.format",
            Self::InvalidDate => "date.invalid",
            Self::BirthDateInFuture => "birth_date.future",
            Self::BirthDateBefore1900 => "birth_date.before_1900",
        }
    }
}

const SAO_PAULO: &str = "America/Sao_Paulo";

impl ClinicTimeZone {
    /// Looks up an IANA zone name (case-insensitive; stored with its canonical spelling).
    pub fn parse(input: &str) -> Result<Self, TimeError> {
        let tz = TimeZone::get(input.trim()).map_err(|_| TimeError::UnknownTimeZone)?;
        let name = tz.iana_name().ok_or(TimeError::UnknownTimeZone)?.to_owned();
        Ok(Self { name, tz })
    }

    /// `America/Sao_Paulo` (Brasília time). If the platform has no time zone database, falls
    /// back to a fixed UTC−03:00, which is exact for every instant since Brazil dropped daylight
    /// saving time in 2019.
    #[must_use]
    pub fn default_brazil() -> Self {
        let tz = TimeZone::get(SAO_PAULO).unwrap_or_else(|_| TimeZone::fixed(jiff::tz::offset(-3)));
        Self {
            name: SAO_PAULO.to_owned(),
            tz,
        }
    }

    /// The canonical IANA name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.name
    }

    #[must_use]
    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }

    /// The clinic's wall-clock time at an instant.
    #[must_use]
    pub fn to_local(&self, ts: Timestamp) -> DateTime {
        self.tz.to_datetime(ts)
    }

    /// `dd/mm/aaaa` in the clinic's zone (NGS1.09.04).
    #[must_use]
    pub fn format_date(&self, ts: Timestamp) -> String {
        self.to_local(ts).strftime("%d/%m/%Y").to_string()
    }

    /// `HH:MM` (24 h) in the clinic's zone (NGS1.09.04).
    #[must_use]
    pub fn format_time(&self, ts: Timestamp) -> String {
        self.to_local(ts).strftime("%H:%M").to_string()
    }

    /// `dd/mm/aaaa HH:MM` in the clinic's zone (NGS1.09.04).
    #[must_use]
    pub fn format_datetime(&self, ts: Timestamp) -> String {
        self.to_local(ts).strftime("%d/%m/%Y %H:%M").to_string()
    }

    /// The instant of a wall-clock time in the clinic's zone.
    ///
    /// A time skipped by a daylight-saving jump is an error; a repeated time (when clocks go
    /// back) resolves to its first occurrence.
    pub fn local_to_timestamp(&self, local: DateTime) -> Result<Timestamp, TimeError> {
        let ambiguous = self.tz.to_ambiguous_timestamp(local);
        if matches!(ambiguous.offset(), AmbiguousOffset::Gap { .. }) {
            return Err(TimeError::NonexistentLocal);
        }
        ambiguous.earlier().map_err(|_| TimeError::OutOfRange)
    }
}

impl Default for ClinicTimeZone {
    /// [`ClinicTimeZone::default_brazil`].
    fn default() -> Self {
        Self::default_brazil()
    }
}

impl PartialEq for ClinicTimeZone {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for ClinicTimeZone {}

impl Hash for ClinicTimeZone {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl PartialOrd for ClinicTimeZone {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ClinicTimeZone {
    fn cmp(&self, other: &Self) -> Ordering {
        self.name.cmp(&other.name)
    }
}

impl fmt::Display for ClinicTimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

super::string_value!(ClinicTimeZone, TimeError, "um fuso horário IANA");

/// Parses `aaaa-mm-dd` (ISO) or `dd/mm/aaaa` (Brazilian), rejecting impossible dates such as
/// 30 February. Day and month may have one digit (`1/3/2026`); the year must have four.
pub fn parse_date_br_or_iso(input: &str) -> Result<Date, TimeError> {
    let text = input.trim();
    let parts: Vec<&str> = if text.contains('/') {
        text.split('/').collect()
    } else {
        text.split('-').collect()
    };
    let [a, b, c] = parts.as_slice() else {
        return Err(TimeError::DateFormat);
    };
    let number = |s: &str, lengths: std::ops::RangeInclusive<usize>| {
        if lengths.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()) {
            s.parse::<i16>().map_err(|_| TimeError::DateFormat)
        } else {
            Err(TimeError::DateFormat)
        }
    };
    let (year, month, day) = if text.contains('/') {
        (number(c, 4..=4)?, number(b, 1..=2)?, number(a, 1..=2)?)
    } else {
        (number(a, 4..=4)?, number(b, 1..=2)?, number(c, 1..=2)?)
    };
    // Month and day have at most two digits, so they fit an i8.
    Date::new(year, month as i8, day as i8).map_err(|_| TimeError::InvalidDate)
}

/// A date of birth: not in the future (relative to a given "today") and not before 1900.
///
/// Stored form (JSON, automerge): ISO `aaaa-mm-dd`. `Display`: `dd/mm/aaaa`. Deserialising and
/// hydrating check the format and the 1900 limit but not "future", since no clock is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BirthDate(Date);

impl BirthDate {
    /// A birth date, rejected if after `today` or before 1900.
    pub fn new(date: Date, today: Date) -> Result<Self, TimeError> {
        if date > today {
            return Err(TimeError::BirthDateInFuture);
        }
        Self::from_date(date)
    }

    /// Parses `dd/mm/aaaa` or `aaaa-mm-dd` and checks it against `today`.
    pub fn parse(input: &str, today: Date) -> Result<Self, TimeError> {
        Self::new(parse_date_br_or_iso(input)?, today)
    }

    #[must_use]
    pub fn date(&self) -> Date {
        self.0
    }

    /// The stored form, `aaaa-mm-dd`.
    #[must_use]
    pub fn to_iso_string(&self) -> String {
        self.0.to_string()
    }

    /// Completed (years, months) of age on `today` ((0, 0) if `today` is before the birth).
    ///
    /// A month is complete on the same day of the month as the birth; when that day does not
    /// exist (born on the 31st, or on 29 February), on the first day of the following month.
    #[must_use]
    pub fn age_on(&self, today: Date) -> (u16, u8) {
        let (birth, today) = (self.0, today);
        let mut months = (i32::from(today.year()) - i32::from(birth.year())) * 12 + i32::from(today.month())
            - i32::from(birth.month());
        if today.day() < birth.day() {
            months -= 1;
        }
        let months = u32::try_from(months).unwrap_or(0);
        (
            u16::try_from(months / 12).unwrap_or(u16::MAX),
            (months % 12) as u8,
        )
    }

    fn from_date(date: Date) -> Result<Self, TimeError> {
        if date.year() < 1900 {
            return Err(TimeError::BirthDateBefore1900);
        }
        Ok(Self(date))
    }

    fn from_stored(input: &str) -> Result<Self, TimeError> {
        Self::from_date(parse_date_br_or_iso(input)?)
    }
}

impl fmt::Display for BirthDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.strftime("%d/%m/%Y"))
    }
}

super::string_value!(@stored BirthDate, TimeError, "uma data de nascimento", from_stored, to_iso_string);

#[cfg(test)]
mod tests;
