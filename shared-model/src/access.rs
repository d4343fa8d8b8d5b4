//! The one access-policy function: role × area × action → allow/deny.
//!
//! The server (API and sync), the desktop core and the UI all ask [`decide`]; nothing else
//! encodes who may do what. The table is documented in `docs/access-policy.md` and tested
//! exhaustively below, so a change to one cell shows up as a failing test and a doc diff.
//!
//! Principles (compliance NGS1.03.01/02/03): only health professionals read clinical content;
//! reception (STAFF) handles registry, agenda and billing but never the chart; VIEWER reads reports
//! only; the platform operator (SUPER_ADMIN) administers tenants and users but reads no patient data
//! (least privilege: it is the clinics' data processor, not a clinician).

use serde::{Deserialize, Serialize};

use crate::documents::DocumentKind;
use crate::identity::Role;

/// A protected area of the product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Area {
    /// Patient demographics, contacts, health-plan cards, LGPD consents (registry document).
    PatientRegistry,
    /// Clinical chart entries (chart document): anamnesis, evolution, prescriptions, ...
    ClinicalChart,
    /// Agendas and appointments (agenda documents), working hours.
    Agenda,
    /// Billable items, TISS guides and batches, receipts.
    Billing,
    /// Aggregated reports (no clinical free text).
    Reports,
    /// Users of one clinic and their roles.
    Users,
    /// One clinic's settings.
    ClinicSettings,
    /// The audit trail.
    Audit,
    /// Tenants of the installation (create, suspend, list).
    Tenants,
}

impl Area {
    pub const ALL: [Area; 9] = [
        Area::PatientRegistry,
        Area::ClinicalChart,
        Area::Agenda,
        Area::Billing,
        Area::Reports,
        Area::Users,
        Area::ClinicSettings,
        Area::Audit,
        Area::Tenants,
    ];

    /// The area a synced document belongs to.
    #[must_use]
    pub const fn of_document(kind: DocumentKind) -> Area {
        match kind {
            DocumentKind::Registry => Area::PatientRegistry,
            DocumentKind::Chart => Area::ClinicalChart,
            DocumentKind::Agenda => Area::Agenda,
            DocumentKind::Directory => Area::ClinicSettings,
        }
    }
}

/// What someone wants to do in an area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Read,
    /// Create or change (for clinical content: drafts and amendments, never in-place edits of
    /// signed entries — that is a domain rule, not a permission).
    Write,
    /// Sign (lock) a clinical entry.
    Sign,
    /// Export or print data out of the system.
    Export,
}

impl Action {
    pub const ALL: [Action; 4] = [Action::Read, Action::Write, Action::Sign, Action::Export];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Allow,
    Deny,
}

impl Decision {
    #[must_use]
    pub const fn is_allowed(self) -> bool {
        matches!(self, Decision::Allow)
    }
}

/// Refusal carried by services when [`decide`] says no.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("acesso negado: o perfil {role_label} não pode realizar esta ação em {area_label}")]
pub struct AccessDenied {
    pub role: Role,
    pub area: Area,
    pub action: Action,
    role_label: &'static str,
    area_label: &'static str,
}

impl crate::ErrorCode for AccessDenied {
    fn code(&self) -> &'static str {
        "access.denied"
    }
}

impl Area {
    /// Name shown to people (pt-BR).
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Area::PatientRegistry => "cadastro de pacientes",
            Area::ClinicalChart => "prontuário clínico",
            Area::Agenda => "agenda",
            Area::Billing => "faturamento",
            Area::Reports => "relatórios",
            Area::Users => "usuários",
            Area::ClinicSettings => "configurações da clínica",
            Area::Audit => "trilha de auditoria",
            Area::Tenants => "clínicas da instalação",
        }
    }
}

/// The policy. Pure and total: every (role, area, action) has an answer.
#[must_use]
pub const fn decide(role: Role, area: Area, action: Action) -> Decision {
    use Action::{Export, Read, Sign, Write};
    use Area::*;
    let allowed = match (role, area) {
        // Only the clinical chart can be signed.
        (_, a) if !matches!(a, ClinicalChart) && matches!(action, Sign) => false,

        (Role::SuperAdmin, Tenants | Users) => matches!(action, Read | Write),
        (Role::SuperAdmin, Audit) => matches!(action, Read | Export),
        (Role::SuperAdmin, _) => false,

        (Role::Admin, PatientRegistry | Agenda | Billing) => {
            matches!(action, Read | Write | Export)
        }
        (Role::Admin, Reports | Audit) => matches!(action, Read | Export),
        (Role::Admin, Users | ClinicSettings) => matches!(action, Read | Write),
        (Role::Admin, ClinicalChart | Tenants) => false,

        (Role::Professional, ClinicalChart) => true,
        (Role::Professional, PatientRegistry | Agenda) => matches!(action, Read | Write | Export),
        (Role::Professional, Billing) => matches!(action, Read | Write),
        (Role::Professional, Reports) => matches!(action, Read),
        (Role::Professional, ClinicSettings) => matches!(action, Read),
        (Role::Professional, Users | Audit | Tenants) => false,

        (Role::Staff, PatientRegistry | Agenda | Billing) => {
            matches!(action, Read | Write | Export)
        }
        (Role::Staff, ClinicSettings) => matches!(action, Read),
        (Role::Staff, ClinicalChart | Reports | Users | Audit | Tenants) => false,

        (Role::Viewer, Reports) => matches!(action, Read | Export),
        (Role::Viewer, _) => false,
    };
    if allowed { Decision::Allow } else { Decision::Deny }
}

/// [`decide`] as a `Result`, for services.
pub fn require(role: Role, area: Area, action: Action) -> Result<(), AccessDenied> {
    match decide(role, area, action) {
        Decision::Allow => Ok(()),
        Decision::Deny => Err(AccessDenied {
            role,
            area,
            action,
            role_label: role.label(),
            area_label: area.label(),
        }),
    }
}

/// Whether a device whose users have `role` may hold (sync) a document of this kind.
#[must_use]
pub const fn may_sync(role: Role, kind: DocumentKind) -> bool {
    decide(role, Area::of_document(kind), Action::Read).is_allowed()
}

#[cfg(test)]
mod tests;
