//! Patient export (LGPD portability, support): registry, chart and appointments as JSON.

use serde::Serialize;
use shared_model::access::{Action, Area, decide, require};
use shared_model::charting::ClinicalEntry;
use shared_model::ids::PatientId;
use shared_model::registry::Patient;

use super::{Clinic, Session};
use crate::error::CoreError;
use crate::store::{AppointmentRow, appointments};

/// Everything the replica holds about one patient that the session may export.
#[derive(Debug, Clone, Serialize)]
pub struct PatientExport {
    pub format: &'static str,
    /// RFC 3339, UTC (NGS1.09.03).
    pub exported_at: String,
    pub registry: Patient,
    /// Every version of every entry; `None` when the session may not export clinical content.
    pub chart: Option<Vec<ClinicalEntry>>,
    /// Why `chart` is absent (a stable code), if it is.
    pub chart_omitted: Option<&'static str>,
    pub appointments: Vec<AppointmentRow>,
}

impl Clinic {
    /// Exports a patient. The chart is included only for sessions allowed to export clinical
    /// content; the export itself is audited.
    pub fn export_patient(&self, session: &Session, patient: PatientId) -> Result<PatientExport, CoreError> {
        require(session.role, Area::PatientRegistry, Action::Export)?;
        let registry = self.patient(session, patient)?;
        let (chart, chart_omitted) = if decide(session.role, Area::ClinicalChart, Action::Export).is_allowed()
        {
            (Some(self.chart_entries(session, patient)?), None)
        } else {
            (None, Some("access.denied"))
        };
        let appointments = appointments::by_patient(self.replica.conn(), &patient.to_string())?;
        self.replica
            .write(|tx| self.audit(tx, Some(session), "patient.export", Some(&patient.to_string())))?;
        Ok(PatientExport {
            format: "atendebem.patient-export.v1",
            exported_at: self.clock.now().to_string(),
            registry,
            chart,
            chart_omitted,
            appointments,
        })
    }
}
