//! The agenda document: one professional's appointments for one calendar month of the clinic's
//! time zone, with the working hours that apply to that month.
//!
//! Root: `{schema_version, kind: "agenda", epoch, professional, month: "YYYY-MM",
//! working_hours: {weekly: [...], exceptions: [...]}, appointments: {<appointment id>: {...}}}`.

use std::cell::RefCell;
use std::collections::BTreeMap;

use automerge::AutoCommit;
use jiff::Timestamp;

use super::common::{GenesisField, commit, genesis, root_map, sealed};
use super::{CrdtDocument, DocumentError, DocumentKey, DocumentKind, YearMonth};
use crate::ids::{AppointmentId, DeviceId, ProfessionalId};
use crate::scheduling::{
    Appointment, AppointmentStatus, SchedulingError, WorkingHours, check_can_book, find_overlaps, transition,
};
use crate::values::ClinicTimeZone;

/// One professional's agenda for one month as a CRDT document.
#[derive(Debug)]
pub struct AgendaDoc {
    doc: AutoCommit,
    professional: ProfessionalId,
    month: YearMonth,
    /// Hydrated appointments, kept in step by [`put`](Self::put) and dropped whenever the
    /// automerge document is reached mutably from outside (merge, incremental load, save), so
    /// booking many appointments in one document does not re-hydrate it every time.
    cache: RefCell<Option<BTreeMap<AppointmentId, Appointment>>>,
}

/// Two active appointments of the professional that overlap, typically booked for the same slot
/// on two offline replicas. Both stay in the agenda until someone reschedules or cancels one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgendaConflict {
    /// The smaller id of the pair.
    pub first: AppointmentId,
    pub second: AppointmentId,
}

impl AgendaDoc {
    /// An empty agenda (no working hours yet), written as `device`.
    pub fn new(
        professional: ProfessionalId,
        month: YearMonth,
        device: DeviceId,
    ) -> Result<Self, DocumentError> {
        let fields = [
            GenesisField::Str("professional", professional.to_string()),
            GenesisField::Str("month", month.to_string()),
            GenesisField::List(&["working_hours"], "weekly"),
            GenesisField::List(&["working_hours"], "exceptions"),
            GenesisField::Map("appointments"),
        ];
        let key = DocumentKey::Agenda { professional, month };
        let doc = genesis(key, &fields, device)?;
        Ok(Self {
            doc,
            professional,
            month,
            cache: RefCell::new(None),
        })
    }

    #[must_use]
    pub fn professional(&self) -> ProfessionalId {
        self.professional
    }

    #[must_use]
    pub fn month(&self) -> YearMonth {
        self.month
    }

    /// Every appointment (cancelled ones included), by start time.
    pub fn appointments(&self) -> Result<Vec<Appointment>, DocumentError> {
        let mut cache = self.cache.borrow_mut();
        let map = match &mut *cache {
            Some(map) => map,
            None => cache.insert(autosurgeon::map_with_parseable_keys::hydrate(
                &self.doc,
                &automerge::ROOT,
                "appointments".into(),
            )?),
        };
        let mut appointments: Vec<Appointment> = map.values().cloned().collect();
        appointments.sort_by_key(|a| (a.start, a.id));
        Ok(appointments)
    }

    /// One appointment read straight from the document (no cache): for readers that refresh only
    /// what [`changed_keys`](CrdtDocument::changed_keys) reports. `None` if there is none.
    pub fn read_appointment(&self, key: &str) -> Result<Option<Appointment>, DocumentError> {
        let map = super::common::root_map(&self.doc, "appointments")?;
        match automerge::ReadDoc::get(&self.doc, &map, key)? {
            None => Ok(None),
            Some(_) => Ok(Some(autosurgeon::hydrate_prop(&self.doc, &map, key)?)),
        }
    }

    /// One appointment.
    pub fn appointment(&self, id: AppointmentId) -> Result<Appointment, SchedulingError> {
        self.appointments()?
            .into_iter()
            .find(|a| a.id == id)
            .ok_or(SchedulingError::AppointmentNotFound { id })
    }

    pub fn working_hours(&self) -> Result<WorkingHours, DocumentError> {
        Ok(autosurgeon::hydrate_prop(
            &self.doc,
            automerge::ROOT,
            "working_hours",
        )?)
    }

    /// Replaces the working hours (validated first).
    pub fn set_working_hours(&mut self, hours: &WorkingHours) -> Result<(), SchedulingError> {
        hours.validate()?;
        autosurgeon::reconcile_prop(&mut self.doc, automerge::ROOT, "working_hours", hours)
            .map_err(DocumentError::from)?;
        commit(&mut self.doc, None);
        Ok(())
    }

    /// Books `candidate` if [`check_can_book`] allows it against this agenda's current content.
    /// It must be this professional's, start within this month (in `tz`) and be active.
    pub fn book(
        &mut self,
        candidate: &Appointment,
        tz: &ClinicTimeZone,
    ) -> Result<AppointmentId, SchedulingError> {
        if candidate.professional != self.professional {
            return Err(SchedulingError::WrongProfessional);
        }
        if !candidate.status.is_active() {
            return Err(SchedulingError::InvalidTransition {
                from: AppointmentStatus::Booked,
                to: candidate.status,
            });
        }
        self.check_month(candidate.start, tz)?;
        check_can_book(&self.appointments()?, candidate, &self.working_hours()?, tz)?;
        self.put(candidate, candidate.created_at)?;
        Ok(candidate.id)
    }

    /// Moves a booked or confirmed appointment to `[start, end)` within this month.
    pub fn reschedule(
        &mut self,
        id: AppointmentId,
        start: Timestamp,
        end: Timestamp,
        tz: &ClinicTimeZone,
        now: Timestamp,
    ) -> Result<(), SchedulingError> {
        let existing = self.appointments()?;
        let mut appointment = existing
            .iter()
            .find(|a| a.id == id)
            .cloned()
            .ok_or(SchedulingError::AppointmentNotFound { id })?;
        if !matches!(
            appointment.status,
            AppointmentStatus::Booked | AppointmentStatus::Confirmed
        ) {
            return Err(SchedulingError::NotReschedulable {
                status: appointment.status,
            });
        }
        self.check_month(start, tz)?;
        appointment.start = super::codec::millis(start);
        appointment.end = super::codec::millis(end);
        appointment.updated_at = super::codec::millis(now);
        check_can_book(&existing, &appointment, &self.working_hours()?, tz)?;
        self.put(&appointment, now)
    }

    /// Moves an appointment along its life cycle (see [`AppointmentStatus::can_transition_to`]).
    pub fn set_status(
        &mut self,
        id: AppointmentId,
        next: AppointmentStatus,
        now: Timestamp,
    ) -> Result<(), SchedulingError> {
        let mut appointment = self.appointment(id)?;
        transition(&mut appointment, next, now)?;
        self.put(&appointment, now)
    }

    /// Overlapping active appointments (after merges), for people to resolve.
    pub fn conflicts(&self) -> Result<Vec<AgendaConflict>, DocumentError> {
        Ok(find_overlaps(&self.appointments()?)
            .into_iter()
            .map(|(first, second)| AgendaConflict { first, second })
            .collect())
    }

    fn check_month(&self, start: Timestamp, tz: &ClinicTimeZone) -> Result<(), SchedulingError> {
        if YearMonth::of(start, tz.time_zone()) == self.month {
            Ok(())
        } else {
            Err(SchedulingError::WrongMonth)
        }
    }

    fn put(&mut self, appointment: &Appointment, now: Timestamp) -> Result<(), SchedulingError> {
        let appointments = root_map(&self.doc, "appointments")?;
        autosurgeon::reconcile_prop(
            &mut self.doc,
            &appointments,
            appointment.id.to_string().as_str(),
            appointment,
        )
        .map_err(DocumentError::from)?;
        commit(&mut self.doc, Some(now));
        if let Some(map) = self.cache.get_mut() {
            // What the document now holds (instants as stored), not the caller's copy.
            let stored: Appointment =
                autosurgeon::hydrate_prop(&self.doc, &appointments, appointment.id.to_string().as_str())
                    .map_err(DocumentError::from)?;
            map.insert(stored.id, stored);
        }
        Ok(())
    }
}

impl sealed::Inner for AgendaDoc {
    fn am(&self) -> &AutoCommit {
        &self.doc
    }
    fn am_mut(&mut self) -> &mut AutoCommit {
        *self.cache.get_mut() = None;
        &mut self.doc
    }
    fn wrap(doc: AutoCommit) -> Result<Self, DocumentError> {
        let professional = autosurgeon::hydrate_prop(&doc, automerge::ROOT, "professional")?;
        let month = autosurgeon::hydrate_prop(&doc, automerge::ROOT, "month")?;
        Ok(Self {
            doc,
            professional,
            month,
            cache: RefCell::new(None),
        })
    }
    fn rewrap(&self, doc: AutoCommit) -> Self {
        Self {
            doc,
            professional: self.professional,
            month: self.month,
            cache: RefCell::new(None),
        }
    }
}

impl CrdtDocument for AgendaDoc {
    const KIND: DocumentKind = DocumentKind::Agenda;
    fn key(&self) -> DocumentKey {
        DocumentKey::Agenda {
            professional: self.professional,
            month: self.month,
        }
    }
}
