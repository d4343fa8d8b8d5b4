//! Patients and professionals (the registry area).
//!
//! **Invariant:** a [`Patient`] or [`Professional`] only exists validated: names trimmed and
//! bounded, health-plan cards with a 6-digit ANS code, CBO codes of 6 digits. Consent records
//! ([`ConsentRecord`]) are never edited: a change is a revocation plus a new record
//! (NGS1.11.05/06), which [`validate_consent_transition`] checks.

mod cbo;
mod consent;
mod error;
mod health_plan;
mod name;
mod patient;
mod professional;

pub use cbo::{Cbo, CboError};
pub use consent::{
    ConsentPurpose, ConsentRecord, LegalRepresentative, NewConsent, validate_consent_transition,
};
pub use error::RegistryError;
pub use health_plan::{AnsCode, CardNumber, HealthPlanCard, NewHealthPlanCard};
pub use name::{NameError, PersonName};
pub use patient::{Address, NewPatient, Patient, Sex};
pub use professional::{NewProfessional, Professional};
