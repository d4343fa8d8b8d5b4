//! `timestamptz` as a `jiff::Timestamp` (sqlx has no jiff support): PostgreSQL's binary format is
//! microseconds since 2000-01-01 UTC.

use jiff::Timestamp;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgHasArrayType, PgTypeInfo, PgValueRef};
use sqlx::{Decode, Encode, Postgres, Type};

/// Microseconds between the Unix epoch and PostgreSQL's epoch (2000-01-01T00:00:00Z).
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;

/// A UTC instant with PostgreSQL's precision (microseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DbTime(Timestamp);

impl DbTime {
    /// Now, truncated to microseconds so that what is hashed equals what is stored.
    pub fn now() -> Self {
        Self::from_timestamp(Timestamp::now())
    }

    pub fn from_timestamp(ts: Timestamp) -> Self {
        let micros = ts.as_microsecond();
        Self(Timestamp::from_microsecond(micros).unwrap_or(ts))
    }

    pub fn timestamp(self) -> Timestamp {
        self.0
    }

    pub fn as_micros(self) -> i64 {
        self.0.as_microsecond()
    }

    pub fn plus_seconds(self, seconds: i64) -> Self {
        Self(
            self.0
                .checked_add(jiff::SignedDuration::from_secs(seconds))
                .unwrap_or(self.0),
        )
    }
}

impl std::fmt::Display for DbTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl Type<Postgres> for DbTime {
    fn type_info() -> PgTypeInfo {
        PgTypeInfo::with_name("timestamptz")
    }
}

impl PgHasArrayType for DbTime {
    fn array_type_info() -> PgTypeInfo {
        PgTypeInfo::with_name("_timestamptz")
    }
}

impl Encode<'_, Postgres> for DbTime {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        let micros = self.as_micros() - PG_EPOCH_MICROS;
        <i64 as Encode<Postgres>>::encode_by_ref(&micros, buf)
    }
}

impl<'r> Decode<'r, Postgres> for DbTime {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        let micros = <i64 as Decode<Postgres>>::decode(value)?;
        let ts = Timestamp::from_microsecond(micros + PG_EPOCH_MICROS)?;
        Ok(Self(ts))
    }
}
