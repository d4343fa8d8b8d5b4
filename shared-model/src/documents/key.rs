//! Which document is which: kinds, keys and the agenda's month.

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::DocumentError;
use super::codec::code_enum;
use crate::ids::{PatientId, ProfessionalId, TenantId};

code_enum! {
    /// The kinds of synced document.
    pub enum DocumentKind {
        /// One patient's registry record (demographics, cards, consents).
        Registry = "registry",
        /// One patient's clinical chart.
        Chart = "chart",
        /// One professional's agenda for one calendar month.
        Agenda = "agenda",
        /// The clinic's professionals (one per clinic).
        Directory = "directory",
    }
}

/// A calendar month (of the clinic's time zone), stored and shown as `"2026-11"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct YearMonth {
    year: i16,
    month: i8,
}

impl YearMonth {
    /// `None` unless `1 <= month <= 12` and `1 <= year <= 9999`.
    #[must_use]
    pub fn new(year: i16, month: i8) -> Option<Self> {
        ((1..=9999).contains(&year) && (1..=12).contains(&month)).then_some(Self { year, month })
    }

    /// The month `ts` falls in, in `tz`.
    #[must_use]
    pub fn of(ts: Timestamp, tz: &jiff::tz::TimeZone) -> Self {
        let date = ts.to_zoned(tz.clone()).date();
        Self {
            year: date.year(),
            month: date.month(),
        }
    }

    #[must_use]
    pub fn year(self) -> i16 {
        self.year
    }

    #[must_use]
    pub fn month(self) -> i8 {
        self.month
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for YearMonth {
    type Err = DocumentError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || DocumentError::InvalidKey { input: s.to_owned() };
        let (year, month) = s.split_once('-').ok_or_else(invalid)?;
        if year.len() != 4 || month.len() != 2 {
            return Err(invalid());
        }
        let year = year.parse().map_err(|_| invalid())?;
        let month = month.parse().map_err(|_| invalid())?;
        Self::new(year, month).ok_or_else(invalid)
    }
}

impl TryFrom<String> for YearMonth {
    type Error = DocumentError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<YearMonth> for String {
    fn from(value: YearMonth) -> String {
        value.to_string()
    }
}

impl autosurgeon::Reconcile for YearMonth {
    type Key<'a> = autosurgeon::reconcile::NoKey;
    fn reconcile<R: autosurgeon::Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
        reconciler.str(self.to_string())
    }
}

impl autosurgeon::Hydrate for YearMonth {
    fn hydrate_string(s: &str) -> Result<Self, autosurgeon::HydrateError> {
        s.parse()
            .map_err(|_| autosurgeon::HydrateError::unexpected("a YYYY-MM month", s.to_owned()))
    }
}

/// Names one synced document. Its text form is stable (it is the sync protocol's document
/// name): `registry/<patient uuid>`, `chart/<patient uuid>`,
/// `agenda/<professional uuid>/<YYYY-MM>`, `directory/<clinic uuid>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum DocumentKey {
    Registry(PatientId),
    Chart(PatientId),
    Agenda {
        professional: ProfessionalId,
        month: YearMonth,
    },
    Directory(TenantId),
}

impl DocumentKey {
    #[must_use]
    pub fn kind(&self) -> DocumentKind {
        match self {
            Self::Registry(_) => DocumentKind::Registry,
            Self::Chart(_) => DocumentKind::Chart,
            Self::Agenda { .. } => DocumentKind::Agenda,
            Self::Directory(_) => DocumentKind::Directory,
        }
    }
}

impl fmt::Display for DocumentKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Registry(id) | Self::Chart(id) => write!(f, "{}/{id}", self.kind()),
            Self::Agenda { professional, month } => write!(f, "{}/{professional}/{month}", self.kind()),
            Self::Directory(id) => write!(f, "{}/{id}", self.kind()),
        }
    }
}

impl FromStr for DocumentKey {
    type Err = DocumentError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || DocumentError::InvalidKey { input: s.to_owned() };
        let mut parts = s.split('/');
        let kind = parts
            .next()
            .and_then(DocumentKind::from_code)
            .ok_or_else(invalid)?;
        let id = parts.next().ok_or_else(invalid)?;
        let key = match kind {
            DocumentKind::Registry => Self::Registry(id.parse().map_err(|_| invalid())?),
            DocumentKind::Chart => Self::Chart(id.parse().map_err(|_| invalid())?),
            DocumentKind::Agenda => Self::Agenda {
                professional: id.parse().map_err(|_| invalid())?,
                month: parts.next().ok_or_else(invalid)?.parse()?,
            },
            DocumentKind::Directory => Self::Directory(id.parse().map_err(|_| invalid())?),
        };
        match parts.next() {
            None if !id.contains(char::is_whitespace) => Ok(key),
            _ => Err(invalid()),
        }
    }
}

impl TryFrom<String> for DocumentKey {
    type Error = DocumentError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<DocumentKey> for String {
    fn from(value: DocumentKey) -> String {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;
    use rstest::rstest;

    #[test]
    fn keys_round_trip_through_text() {
        let patient = PatientId::new();
        let professional = ProfessionalId::new();
        let month = YearMonth::new(2026, 11).unwrap();
        let tenant = TenantId::new();
        for (key, text) in [
            (DocumentKey::Registry(patient), format!("registry/{patient}")),
            (DocumentKey::Chart(patient), format!("chart/{patient}")),
            (
                DocumentKey::Agenda { professional, month },
                format!("agenda/{professional}/2026-11"),
            ),
            (DocumentKey::Directory(tenant), format!("directory/{tenant}")),
        ] {
            assert_eq!(key.to_string(), text);
            assert_eq!(text.parse::<DocumentKey>(), Ok(key));
            assert_eq!(key.kind().as_str(), text.split('/').next().unwrap());
        }
    }

    #[rstest]
    #[case("")]
    #[case("chart")]
    #[case("chart/not-a-uuid")]
    #[case("notes/0190b8a4-3c52-7b8e-9d1e-2f4a5b6c7d8e")]
    #[case("chart/0190b8a4-3c52-7b8e-9d1e-2f4a5b6c7d8e/extra")]
    #[case("agenda/0190b8a4-3c52-7b8e-9d1e-2f4a5b6c7d8e")]
    #[case("agenda/0190b8a4-3c52-7b8e-9d1e-2f4a5b6c7d8e/2026-13")]
    #[case("agenda/0190b8a4-3c52-7b8e-9d1e-2f4a5b6c7d8e/2026-1")]
    fn rejects_malformed_keys(#[case] text: &str) {
        let err = text.parse::<DocumentKey>().unwrap_err();
        assert_eq!(err.code(), "document.invalid_key");
    }

    #[test]
    fn month_of_an_instant_uses_the_clinic_zone() {
        // 2026-12-01T01:30Z is still November in Manaus (UTC-4).
        let ts: Timestamp = "2026-12-01T01:30:00Z".parse().unwrap();
        let manaus = jiff::tz::TimeZone::get("America/Manaus").unwrap();
        assert_eq!(YearMonth::of(ts, &manaus).to_string(), "2026-11");
        assert_eq!(YearMonth::of(ts, &jiff::tz::TimeZone::UTC).to_string(), "2026-12");
    }
}
