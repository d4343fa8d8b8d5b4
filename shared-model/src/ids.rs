//! Typed identifiers. Every id is a UUIDv7 (time-ordered, so indexes stay compact) wrapped in its
//! own type so a `PatientId` can never be passed where a `UserId` is expected.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The id text was not a UUID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("identificador inválido para {kind}: esperado um UUID")]
pub struct IdParseError {
    pub kind: &'static str,
}

impl crate::ErrorCode for IdParseError {
    fn code(&self) -> &'static str {
        "id.invalid"
    }
}

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident, $label:literal) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new, time-ordered (v7) id.
            #[must_use]
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            #[must_use]
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            #[must_use]
            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0)
            }
        }

        impl FromStr for $name {
            type Err = IdParseError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s.trim()).map(Self).map_err(|_| IdParseError { kind: $label })
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Uuid {
                id.0
            }
        }

        impl autosurgeon::Reconcile for $name {
            type Key<'a> = autosurgeon::reconcile::NoKey;
            fn reconcile<R: autosurgeon::Reconciler>(&self, reconciler: R) -> Result<(), R::Error> {
                self.0.to_string().reconcile(reconciler)
            }
        }

        impl autosurgeon::Hydrate for $name {
            fn hydrate_string(s: &'_ str) -> Result<Self, autosurgeon::HydrateError> {
                s.parse().map_err(|_| {
                    autosurgeon::HydrateError::unexpected(concat!("a ", $label, " id"), s.to_string())
                })
            }
        }
    };
}

id_type!(/** A clinic (one tenant of a shared installation). */ TenantId, "clínica");
id_type!(/** A person who logs in. */ UserId, "usuário");
id_type!(/** A desktop installation (one replica). */ DeviceId, "dispositivo");
id_type!(/** A patient; also names the patient's registry and chart documents. */ PatientId, "paciente");
id_type!(/** A health professional. */ ProfessionalId, "profissional");
id_type!(/** An appointment in an agenda. */ AppointmentId, "agendamento");
id_type!(/** One entry of a clinical chart (each version has its own id). */ EntryId, "registro clínico");
id_type!(/** An LGPD consent record. */ ConsentId, "consentimento");
id_type!(/** A CRDT document stored in a replica and synced. */ DocumentId, "documento");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_v7_and_ordered() {
        let a = PatientId::new();
        let b = PatientId::new();
        assert_eq!(a.as_uuid().get_version_num(), 7);
        assert!(a <= b);
    }

    #[test]
    fn round_trips_through_text_and_json() {
        let id = UserId::new();
        assert_eq!(id.to_string().parse::<UserId>().unwrap(), id);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(serde_json::from_str::<UserId>(&json).unwrap(), id);
    }

    #[test]
    fn rejects_garbage_with_kind() {
        let err = "not-a-uuid".parse::<PatientId>().unwrap_err();
        assert_eq!(err.kind, "paciente");
        assert_eq!(crate::ErrorCode::code(&err), "id.invalid");
    }
}
