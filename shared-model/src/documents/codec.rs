//! How foreign and enum types are encoded in automerge documents.
//!
//! These are the storage decisions every document shares; they are part of the schema, so
//! changing one needs a `schema_version` bump and a migration.
//!
//! - **Instants** (`jiff::Timestamp`) are automerge `Timestamp` scalars: signed 64-bit
//!   **milliseconds since the Unix epoch, UTC**. Sub-millisecond precision is dropped on write
//!   (NGS1.09.02 asks for UTC with s/ms); [`millis`] truncates a value the same way, and every
//!   document operation truncates its `now` with it so what is written equals what is read back.
//!   Hydration also accepts a plain integer of milliseconds.
//! - **Civil dates** are `"YYYY-MM-DD"` strings, **civil times** `"HH:MM"` strings (seconds are
//!   not kept), **weekdays** `"monday"` … `"sunday"`.
//! - **Enums without data** are stable snake_case strings declared next to each variant with
//!   [`code_enum!`]; the Rust variant name never reaches a document. Enums with data use the
//!   autosurgeon derive with explicit `rename`s: `{"health_plan": {...}}` or `"private"`.
//! - **Collections that grow concurrently** (chart entries, appointments) are maps keyed by the
//!   item's id, never lists: two replicas appending at once then simply add two keys.

use automerge::ObjId;
use autosurgeon::{Hydrate, HydrateError, Prop, ReadDoc, Reconcile, Reconciler};
use jiff::Timestamp;

/// `ts` truncated to whole milliseconds: the precision documents store.
#[must_use]
pub fn millis(ts: Timestamp) -> Timestamp {
    Timestamp::from_millisecond(ts.as_millisecond()).unwrap_or(ts)
}

/// An instant as stored: milliseconds since the epoch.
struct Millis(Timestamp);

impl Reconcile for Millis {
    type Key<'a> = autosurgeon::reconcile::NoKey;
    fn reconcile<R: Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
        reconciler.timestamp(self.0.as_millisecond())
    }
}

impl Hydrate for Millis {
    fn hydrate_timestamp(ms: i64) -> Result<Self, HydrateError> {
        Timestamp::from_millisecond(ms)
            .map(Millis)
            .map_err(|_| HydrateError::unexpected("an instant in range", ms.to_string()))
    }
    fn hydrate_int(ms: i64) -> Result<Self, HydrateError> {
        Self::hydrate_timestamp(ms)
    }
}

/// `#[autosurgeon(with = "crate::documents::codec::timestamp")]` for `Timestamp` fields.
pub mod timestamp {
    use super::*;

    pub fn reconcile<R: Reconciler>(value: &Timestamp, reconciler: R) -> Result<(), R::Error> {
        Millis(*value).reconcile(reconciler)
    }

    pub fn hydrate<D: ReadDoc>(doc: &D, obj: &ObjId, prop: Prop<'_>) -> Result<Timestamp, HydrateError> {
        Millis::hydrate(doc, obj, prop).map(|m| m.0)
    }
}

/// `#[autosurgeon(with = "crate::documents::codec::option_timestamp")]` for `Option<Timestamp>`.
pub mod option_timestamp {
    use super::*;

    pub fn reconcile<R: Reconciler>(value: &Option<Timestamp>, reconciler: R) -> Result<(), R::Error> {
        value.map(Millis).reconcile(reconciler)
    }

    pub fn hydrate<D: ReadDoc>(
        doc: &D,
        obj: &ObjId,
        prop: Prop<'_>,
    ) -> Result<Option<Timestamp>, HydrateError> {
        Option::<Millis>::hydrate(doc, obj, prop).map(|m| m.map(|m| m.0))
    }
}

/// A value stored as its `Display` text and read back with `FromStr`.
struct Text<T>(T);

impl<T: std::fmt::Display> Reconcile for Text<T> {
    type Key<'a> = autosurgeon::reconcile::NoKey;
    fn reconcile<R: Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
        reconciler.str(self.0.to_string())
    }
}

impl<T: std::str::FromStr> Hydrate for Text<T> {
    fn hydrate_string(s: &str) -> Result<Self, HydrateError> {
        s.parse()
            .map(Text)
            .map_err(|_| HydrateError::unexpected(std::any::type_name::<T>(), "rejected text".into()))
    }
}

/// `#[autosurgeon(with = "crate::documents::codec::date")]` for `jiff::civil::Date` (`YYYY-MM-DD`).
pub mod date {
    use super::*;
    use jiff::civil::Date;

    pub fn reconcile<R: Reconciler>(value: &Date, reconciler: R) -> Result<(), R::Error> {
        Text(*value).reconcile(reconciler)
    }

    pub fn hydrate<D: ReadDoc>(doc: &D, obj: &ObjId, prop: Prop<'_>) -> Result<Date, HydrateError> {
        Text::<Date>::hydrate(doc, obj, prop).map(|t| t.0)
    }
}

/// `#[autosurgeon(with = "crate::documents::codec::option_date")]` for `Option<Date>`.
pub mod option_date {
    use super::*;
    use jiff::civil::Date;

    pub fn reconcile<R: Reconciler>(value: &Option<Date>, reconciler: R) -> Result<(), R::Error> {
        value.map(Text).reconcile(reconciler)
    }

    pub fn hydrate<D: ReadDoc>(doc: &D, obj: &ObjId, prop: Prop<'_>) -> Result<Option<Date>, HydrateError> {
        Option::<Text<Date>>::hydrate(doc, obj, prop).map(|t| t.map(|t| t.0))
    }
}

/// `#[autosurgeon(with = "crate::documents::codec::time")]` for `jiff::civil::Time` (`HH:MM`).
pub mod time {
    use super::*;
    use jiff::civil::Time;

    /// The stored text of a wall-clock time.
    pub fn format(value: Time) -> String {
        format!("{:02}:{:02}", value.hour(), value.minute())
    }

    pub fn reconcile<R: Reconciler>(value: &Time, mut reconciler: R) -> Result<(), R::Error> {
        reconciler.str(format(*value))
    }

    pub fn hydrate<D: ReadDoc>(doc: &D, obj: &ObjId, prop: Prop<'_>) -> Result<Time, HydrateError> {
        Text::<Time>::hydrate(doc, obj, prop).map(|t| t.0)
    }
}

/// `#[autosurgeon(with = "crate::documents::codec::weekday")]` (and the same `#[serde(with)]`)
/// for `jiff::civil::Weekday`.
pub mod weekday {
    use super::*;
    use jiff::civil::Weekday;

    const NAMES: [(Weekday, &str); 7] = [
        (Weekday::Monday, "monday"),
        (Weekday::Tuesday, "tuesday"),
        (Weekday::Wednesday, "wednesday"),
        (Weekday::Thursday, "thursday"),
        (Weekday::Friday, "friday"),
        (Weekday::Saturday, "saturday"),
        (Weekday::Sunday, "sunday"),
    ];

    pub fn reconcile<R: Reconciler>(value: &Weekday, mut reconciler: R) -> Result<(), R::Error> {
        let name = NAMES
            .iter()
            .find(|(day, _)| day == value)
            .map_or("monday", |(_, name)| name);
        reconciler.str(name)
    }

    pub fn hydrate<D: ReadDoc>(doc: &D, obj: &ObjId, prop: Prop<'_>) -> Result<Weekday, HydrateError> {
        let text = String::hydrate(doc, obj, prop)?;
        NAMES
            .iter()
            .find(|(_, name)| *name == text)
            .map(|(day, _)| *day)
            .ok_or_else(|| HydrateError::unexpected("a weekday name", "rejected text".into()))
    }

    pub fn serialize<S: serde::Serializer>(value: &Weekday, s: S) -> Result<S::Ok, S::Error> {
        let name = NAMES
            .iter()
            .find(|(day, _)| day == value)
            .map_or("monday", |(_, name)| name);
        s.serialize_str(name)
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Weekday, D::Error> {
        let text = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
        NAMES
            .iter()
            .find(|(_, name)| *name == text)
            .map(|(day, _)| *day)
            .ok_or_else(|| serde::de::Error::custom("expected a weekday name"))
    }
}

/// Declares a data-less enum whose variants have stable snake_case codes, used as its serde form
/// and its automerge form (a string). Generates `ALL`, `as_str()`, `from_code()`, `Display`
/// (the code), serde and autosurgeon impls.
macro_rules! code_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The stable code stored in documents and JSON.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $code),+
                }
            }

            /// The variant with that stable code.
            #[must_use]
            pub fn from_code(code: &str) -> Option<Self> {
                match code {
                    $($code => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let code = <::std::borrow::Cow<'de, str>>::deserialize(d)?;
                Self::from_code(&code).ok_or_else(|| {
                    <D::Error as ::serde::de::Error>::unknown_variant(&code, &[$($code),+])
                })
            }
        }

        impl ::autosurgeon::Reconcile for $name {
            type Key<'a> = ::autosurgeon::reconcile::NoKey;
            fn reconcile<R: ::autosurgeon::Reconciler>(
                &self,
                mut reconciler: R,
            ) -> Result<(), R::Error> {
                reconciler.str(self.as_str())
            }
        }

        impl ::autosurgeon::Hydrate for $name {
            fn hydrate_string(s: &str) -> Result<Self, ::autosurgeon::HydrateError> {
                Self::from_code(s).ok_or_else(|| {
                    ::autosurgeon::HydrateError::unexpected(stringify!($name), s.to_owned())
                })
            }
        }
    };
}
pub(crate) use code_enum;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_truncates_sub_millisecond_precision() {
        let ts = Timestamp::from_nanosecond(1_700_000_000_123_456_789).unwrap();
        assert_eq!(millis(ts).as_nanosecond(), 1_700_000_000_123_000_000);
    }

    #[test]
    fn time_format_is_hh_mm() {
        assert_eq!(time::format(jiff::civil::time(8, 5, 0, 0)), "08:05");
    }
}
