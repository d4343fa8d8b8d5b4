//! The core's services: what the desktop shell, the CLI and (later) the sync engine call.
//!
//! **Invariant:** every service method checks the [`Session`] against
//! `shared_model::access::decide` before reading or writing, applies the shared-model rule to the
//! CRDT document, and stores document + indexes + audit event in one durable transaction. A
//! refused operation stores nothing.

mod billing;
mod charting;
pub(crate) mod documents;
mod export;
mod maintenance;
pub(crate) mod registry;
mod scheduling;

pub use billing::{BillableView, LoteRequest, WrittenLote};
pub use charting::NoteRequest;
pub use export::PatientExport;
pub use maintenance::RebuildReport;
pub use registry::{NewProfessionalRecord, ProfessionalRecord};
pub use scheduling::{AgendaItem, BookRequest};

use std::str::FromStr;

use jiff::Timestamp;
use serde::Serialize;
use shared_model::identity::Role;
use shared_model::ids::{DeviceId, ProfessionalId, TenantId, UserId};
use shared_model::values::ClinicTimeZone;

use crate::clock::Clock;
use crate::error::CoreError;
use crate::store::{Replica, UserRow, people};

/// Clinic-wide settings kept in the replica.
#[derive(Debug, Clone, Serialize)]
pub struct ClinicSettings {
    pub tenant: TenantId,
    pub clinic_name: String,
    pub time_zone: ClinicTimeZone,
    /// This replica's device id (the automerge actor of its writes).
    pub device: DeviceId,
}

/// Who is acting. Built from a user of the replica; services check it on every call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Session {
    pub user: UserId,
    pub name: String,
    pub role: Role,
    pub professional: Option<ProfessionalId>,
}

/// The clinic as seen from one replica.
pub struct Clinic {
    replica: Replica,
    clock: Box<dyn Clock>,
    settings: ClinicSettings,
}

impl std::fmt::Debug for Clinic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clinic")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Clinic {
    /// Sets up a freshly created replica: clinic settings, device id and the local administrator.
    pub fn init(
        replica: Replica,
        clinic_name: &str,
        time_zone: ClinicTimeZone,
        clock: Box<dyn Clock>,
    ) -> Result<Self, CoreError> {
        let settings = ClinicSettings {
            tenant: TenantId::new(),
            clinic_name: clinic_name.trim().to_owned(),
            time_zone,
            device: DeviceId::new(),
        };
        let now = clock.now();
        let admin = UserRow {
            user_id: UserId::new().to_string(),
            name: "Administrador local".to_owned(),
            role: Role::Admin.as_str().to_owned(),
            professional_id: None,
            active: true,
        };
        replica.write(|tx| {
            people::set_meta(tx, "tenant_id", &settings.tenant.to_string())?;
            people::set_meta(tx, "clinic_name", &settings.clinic_name)?;
            people::set_meta(tx, "time_zone", settings.time_zone.as_str())?;
            people::set_meta(tx, "device_id", &settings.device.to_string())?;
            people::insert_user(tx, &admin, now.as_millisecond())?;
            people::audit(
                tx,
                now.as_millisecond(),
                None,
                &settings.device.to_string(),
                "replica.init",
                None,
            )
        })?;
        Ok(Self {
            replica,
            clock,
            settings,
        })
    }

    /// Sets up a freshly created replica as a device of a server's clinic: the server's tenant
    /// id, clinic name and time zone, and the device id the server already knows from login.
    pub(crate) fn init_connected(
        replica: Replica,
        settings: ClinicSettings,
        clock: Box<dyn Clock>,
    ) -> Result<Self, CoreError> {
        let now = clock.now();
        replica.write(|tx| {
            people::set_meta(tx, "tenant_id", &settings.tenant.to_string())?;
            people::set_meta(tx, "clinic_name", &settings.clinic_name)?;
            people::set_meta(tx, "time_zone", settings.time_zone.as_str())?;
            people::set_meta(tx, "device_id", &settings.device.to_string())?;
            people::audit(
                tx,
                now.as_millisecond(),
                None,
                &settings.device.to_string(),
                "replica.init_connected",
                None,
            )
        })?;
        Ok(Self {
            replica,
            clock,
            settings,
        })
    }

    /// Wraps an initialised replica.
    pub fn open(replica: Replica, clock: Box<dyn Clock>) -> Result<Self, CoreError> {
        let conn = replica.conn();
        let get = |key: &str| -> Result<String, CoreError> {
            people::get_meta(conn, key)?.ok_or(CoreError::NotInitialized)
        };
        let settings = ClinicSettings {
            tenant: parse_stored(&get("tenant_id")?)?,
            clinic_name: get("clinic_name")?,
            time_zone: ClinicTimeZone::parse(&get("time_zone")?).map_err(|_| CoreError::Damaged)?,
            device: parse_stored(&get("device_id")?)?,
        };
        Ok(Self {
            replica,
            clock,
            settings,
        })
    }

    #[must_use]
    pub fn settings(&self) -> &ClinicSettings {
        &self.settings
    }

    #[must_use]
    pub fn replica(&self) -> &Replica {
        &self.replica
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// A session for `user_id`, or — without one — the first active user with the `preferred`
    /// role, or else the local administrator.
    pub fn session(&self, user_id: Option<&str>, preferred: Role) -> Result<Session, CoreError> {
        let conn = self.replica.conn();
        let row = match user_id {
            Some(id) => {
                let id: UserId = id.parse().map_err(CoreError::domain)?;
                people::get_user(conn, &id.to_string())?.ok_or(CoreError::UserNotFound)?
            }
            None => {
                let users = people::list_users(conn)?;
                let pick = |role: Role| {
                    users
                        .iter()
                        .find(|u| u.active && u.role == role.as_str())
                        .cloned()
                };
                pick(preferred)
                    .or_else(|| pick(Role::Admin))
                    .ok_or(CoreError::UserNotFound)?
            }
        };
        if !row.active {
            return Err(CoreError::Domain {
                code: "user.disabled",
                message: "este usuário está desativado".to_owned(),
            });
        }
        Ok(Session {
            user: parse_stored(&row.user_id)?,
            name: row.name,
            role: Role::from_str(&row.role).map_err(|_| CoreError::Damaged)?,
            professional: row.professional_id.as_deref().map(parse_stored).transpose()?,
        })
    }

    /// Records an audit event in `tx`: action code and record id only, never patient data.
    pub(crate) fn audit(
        &self,
        tx: &rusqlite::Connection,
        session: Option<&Session>,
        action: &str,
        record: Option<&str>,
    ) -> Result<(), CoreError> {
        people::audit(
            tx,
            self.clock.now().as_millisecond(),
            session.map(|s| s.user.to_string()).as_deref(),
            &self.settings.device.to_string(),
            action,
            record,
        )
    }
}

/// Parses an id the replica itself stored; failure means the file was tampered with.
fn parse_stored<T: FromStr>(text: &str) -> Result<T, CoreError> {
    text.parse().map_err(|_| CoreError::Damaged)
}

#[cfg(test)]
pub(crate) mod tests;
