//! Scheduling services: booking, day lists, status changes, conflicts.

use jiff::Timestamp;
use serde::Serialize;
use shared_model::access::{Action, Area, require};
use shared_model::documents::{AgendaConflict, AgendaDoc, DocumentKey, YearMonth};
use shared_model::ids::{AppointmentId, PatientId, ProfessionalId};
use shared_model::scheduling::{Appointment, AppointmentKind, AppointmentStatus, NewAppointment, Payer};
use shared_model::values::Money;

use super::documents::{self, Loaded, fresh};
use super::{Clinic, Session};
use crate::error::CoreError;
use crate::store::{AppointmentRow, appointments, patients};

/// Input for [`Clinic::book`].
#[derive(Debug, Clone)]
pub struct BookRequest {
    pub professional: ProfessionalId,
    pub patient: PatientId,
    pub start: Timestamp,
    pub minutes: i64,
    pub kind: AppointmentKind,
    pub payer: Payer,
    pub price: Option<Money>,
    pub room: Option<String>,
}

/// One line of a day's agenda, ready to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgendaItem {
    pub appointment_id: String,
    pub professional_id: String,
    pub professional_name: String,
    pub patient_id: String,
    pub patient_name: String,
    /// RFC 3339, UTC.
    pub start: String,
    pub end: String,
    /// `YYYY-MM-DD` in the clinic's zone.
    pub local_day: String,
    /// "HH:MM" in the clinic's zone.
    pub local_start: String,
    pub local_end: String,
    pub status: String,
    pub status_label: String,
}

/// The end of an appointment of `minutes` starting at `start`.
fn end_of(start: Timestamp, minutes: i64) -> Result<Timestamp, CoreError> {
    start
        .checked_add(jiff::SignedDuration::from_mins(minutes))
        .map_err(|_| CoreError::domain(shared_model::scheduling::SchedulingError::EndNotAfterStart))
}

impl Clinic {
    /// Books an appointment after checking working hours and overlaps in the professional's agenda
    /// for that month (creating the month's agenda with the professional's default hours).
    pub fn book(&mut self, session: &Session, request: BookRequest) -> Result<Appointment, CoreError> {
        require(session.role, Area::Agenda, Action::Write)?;
        self.replica.write(|tx| {
            let appointment = self.book_in(tx, session, &request)?;
            self.audit(
                tx,
                Some(session),
                "appointment.create",
                Some(&appointment.id.to_string()),
            )?;
            Ok(appointment)
        })
    }

    /// Moves a booked or confirmed appointment to another time and/or professional. Within the
    /// same agenda document the appointment itself moves; otherwise a new appointment is booked
    /// and the old one cancelled, in the same transaction (history kept, nothing half-done).
    pub fn reschedule(
        &mut self,
        session: &Session,
        id: AppointmentId,
        professional: ProfessionalId,
        start: Timestamp,
        minutes: i64,
    ) -> Result<Appointment, CoreError> {
        require(session.role, Area::Agenda, Action::Write)?;
        let old_key = self.agenda_key_of(id)?;
        let tz = self.settings.time_zone.clone();
        let end = end_of(start, minutes)?;
        let new_key = DocumentKey::Agenda {
            professional,
            month: YearMonth::of(start, tz.time_zone()),
        };
        let now = self.clock.now();
        let device = self.settings.device;
        self.replica.write(|tx| {
            let mut agenda = documents::load::<AgendaDoc>(tx, &old_key, device, session.user)?
                .ok_or(CoreError::AppointmentNotFound)?;
            let old = agenda.doc.appointment(id).map_err(CoreError::domain)?;
            if new_key == old_key {
                agenda
                    .doc
                    .reschedule(id, start, end, &tz, now)
                    .map_err(CoreError::domain)?;
                let moved = agenda.doc.appointment(id).map_err(CoreError::domain)?;
                self.store_agenda(tx, &old_key, &mut agenda, now)?;
                self.audit(tx, Some(session), "appointment.reschedule", Some(&id.to_string()))?;
                return Ok(moved);
            }
            if !matches!(
                old.status,
                AppointmentStatus::Booked | AppointmentStatus::Confirmed
            ) {
                return Err(CoreError::domain(
                    shared_model::scheduling::SchedulingError::NotReschedulable { status: old.status },
                ));
            }
            agenda
                .doc
                .set_status(id, AppointmentStatus::Cancelled, now)
                .map_err(CoreError::domain)?;
            self.store_agenda(tx, &old_key, &mut agenda, now)?;
            let request = BookRequest {
                professional,
                patient: old.patient,
                start,
                minutes,
                kind: old.kind,
                payer: old.payer.clone(),
                price: old.price,
                room: old.room.clone(),
            };
            let moved = self.book_in(tx, session, &request)?;
            self.audit(
                tx,
                Some(session),
                "appointment.status.cancelled",
                Some(&id.to_string()),
            )?;
            self.audit(
                tx,
                Some(session),
                "appointment.reschedule",
                Some(&moved.id.to_string()),
            )?;
            Ok(moved)
        })
    }

    /// Books inside an open transaction (shared by [`book`](Self::book) and
    /// [`reschedule`](Self::reschedule)).
    fn book_in(
        &self,
        tx: &rusqlite::Connection,
        session: &Session,
        request: &BookRequest,
    ) -> Result<Appointment, CoreError> {
        let record = self.professional(&request.professional.to_string())?;
        if patients::get(tx, &request.patient.to_string())?.is_none() {
            return Err(CoreError::PatientNotFound);
        }
        let end = end_of(request.start, request.minutes)?;
        let now = self.clock.now();
        let appointment = Appointment::new(
            NewAppointment {
                professional: request.professional,
                patient: request.patient,
                start: request.start,
                end,
                kind: request.kind,
                payer: request.payer.clone(),
                price: request.price,
                room: request.room.clone(),
                notes: None,
            },
            session.user,
            now,
        );
        let tz = self.settings.time_zone.clone();
        let month = YearMonth::of(appointment.start, tz.time_zone());
        let key = DocumentKey::Agenda {
            professional: request.professional,
            month,
        };
        let device = self.settings.device;
        let mut agenda = match documents::load::<AgendaDoc>(tx, &key, device, session.user)? {
            Some(loaded) => loaded,
            None => {
                let mut doc = documents::authored(
                    AgendaDoc::new(request.professional, month, device).map_err(CoreError::domain)?,
                    device,
                    session.user,
                );
                doc.set_working_hours(&record.working_hours)
                    .map_err(CoreError::domain)?;
                fresh(doc)
            }
        };
        agenda.doc.book(&appointment, &tz).map_err(CoreError::domain)?;
        self.store_agenda(tx, &key, &mut agenda, now)?;
        Ok(appointment)
    }

    /// A patient's appointments, oldest first (the patient screen splits past and upcoming).
    pub fn patient_appointments(
        &self,
        session: &Session,
        patient: PatientId,
    ) -> Result<Vec<AgendaItem>, CoreError> {
        require(session.role, Area::Agenda, Action::Read)?;
        let rows = appointments::by_patient(self.replica.conn(), &patient.to_string())?;
        self.agenda_items(rows)
    }

    /// Moves an appointment along its life cycle (confirm, check in, no-show, cancel, ...).
    pub fn set_appointment_status(
        &mut self,
        session: &Session,
        id: AppointmentId,
        next: AppointmentStatus,
    ) -> Result<Appointment, CoreError> {
        require(session.role, Area::Agenda, Action::Write)?;
        let doc_key = self.agenda_key_of(id)?;
        let now = self.clock.now();
        let device = self.settings.device;
        self.replica.write(|tx| {
            let mut agenda = documents::load::<AgendaDoc>(tx, &doc_key, device, session.user)?
                .ok_or(CoreError::AppointmentNotFound)?;
            agenda.doc.set_status(id, next, now).map_err(CoreError::domain)?;
            let updated = agenda.doc.appointment(id).map_err(CoreError::domain)?;
            self.store_agenda(tx, &doc_key, &mut agenda, now)?;
            self.audit(
                tx,
                Some(session),
                &format!("appointment.status.{}", next.as_str()),
                Some(&id.to_string()),
            )?;
            Ok(updated)
        })
    }

    /// A day's appointments (clinic zone), optionally of one professional.
    pub fn agenda_day(
        &self,
        session: &Session,
        day: jiff::civil::Date,
        professional: Option<ProfessionalId>,
    ) -> Result<Vec<AgendaItem>, CoreError> {
        require(session.role, Area::Agenda, Action::Read)?;
        let conn = self.replica.conn();
        let rows = appointments::by_day(
            conn,
            &day.to_string(),
            professional.map(|p| p.to_string()).as_deref(),
        )?;
        self.agenda_items(rows)
    }

    /// Index rows, ready to show: names resolved, times in the clinic's zone.
    fn agenda_items(&self, rows: Vec<AppointmentRow>) -> Result<Vec<AgendaItem>, CoreError> {
        let conn = self.replica.conn();
        let professionals = self.professionals()?;
        let tz = &self.settings.time_zone;
        rows.into_iter()
            .map(|row| {
                let patient_name = patients::get(conn, &row.patient_id)?
                    .map(|p| p.social_name.unwrap_or(p.name))
                    .unwrap_or_default();
                let professional_name = professionals
                    .iter()
                    .find(|p| p.professional.id.to_string() == row.professional_id)
                    .map(|p| p.professional.name.to_string())
                    .unwrap_or_default();
                let start = Timestamp::from_millisecond(row.start_ms).map_err(|_| CoreError::Damaged)?;
                let end = Timestamp::from_millisecond(row.end_ms).map_err(|_| CoreError::Damaged)?;
                let status = AppointmentStatus::from_code(&row.status).ok_or(CoreError::Damaged)?;
                Ok(AgendaItem {
                    appointment_id: row.appointment_id,
                    professional_id: row.professional_id,
                    professional_name,
                    patient_id: row.patient_id,
                    patient_name,
                    start: start.to_string(),
                    end: end.to_string(),
                    local_day: row.local_day,
                    local_start: tz.format_time(start),
                    local_end: tz.format_time(end),
                    status: row.status,
                    status_label: status.label().to_owned(),
                })
            })
            .collect()
    }

    /// Overlapping active appointments of one day, from the appointment index (derived from
    /// the agenda documents, so the same pairs `AgendaDoc::conflicts` finds for that day,
    /// without loading every professional's month): `(smaller id, larger id)`, sorted.
    pub fn day_conflicts(
        &self,
        session: &Session,
        day: jiff::civil::Date,
    ) -> Result<Vec<(String, String)>, CoreError> {
        require(session.role, Area::Agenda, Action::Read)?;
        let mut rows: Vec<AppointmentRow> =
            appointments::by_day(self.replica.conn(), &day.to_string(), None)?
                .into_iter()
                .filter(|r| AppointmentStatus::from_code(&r.status).is_some_and(AppointmentStatus::is_active))
                .collect();
        rows.sort_by(|a, b| (&a.professional_id, a.start_ms).cmp(&(&b.professional_id, b.start_ms)));
        let mut pairs = Vec::new();
        for (i, a) in rows.iter().enumerate() {
            for b in rows[i + 1..]
                .iter()
                .take_while(|b| b.professional_id == a.professional_id && b.start_ms < a.end_ms)
            {
                let (x, y) = (&a.appointment_id, &b.appointment_id);
                pairs.push(if x < y {
                    (x.clone(), y.clone())
                } else {
                    (y.clone(), x.clone())
                });
            }
        }
        pairs.sort();
        pairs.dedup();
        Ok(pairs)
    }

    /// Overlapping active appointments in the month of `day`, for people to resolve.
    pub fn agenda_conflicts(
        &self,
        session: &Session,
        day: jiff::civil::Date,
    ) -> Result<Vec<AgendaConflict>, CoreError> {
        require(session.role, Area::Agenda, Action::Read)?;
        let month = YearMonth::new(day.year(), day.month()).ok_or(CoreError::Damaged)?;
        let mut conflicts = Vec::new();
        for record in self.professionals()? {
            let key = DocumentKey::Agenda {
                professional: record.professional.id,
                month,
            };
            if let Some(doc) = documents::read::<AgendaDoc>(self.replica.conn(), &key)? {
                conflicts.extend(doc.conflicts().map_err(CoreError::domain)?);
            }
        }
        Ok(conflicts)
    }

    fn agenda_key_of(&self, id: AppointmentId) -> Result<DocumentKey, CoreError> {
        let doc_key: String = self
            .replica
            .conn()
            .query_row(
                "SELECT doc_key FROM appointment_index WHERE appointment_id = ?1",
                [id.to_string()],
                |row| row.get(0),
            )
            .map_err(|_| CoreError::AppointmentNotFound)?;
        doc_key.parse().map_err(|_| CoreError::Damaged)
    }

    /// Stores the agenda and rebuilds its rows in the appointment index.
    pub(crate) fn store_agenda(
        &self,
        tx: &rusqlite::Connection,
        key: &DocumentKey,
        agenda: &mut Loaded<AgendaDoc>,
        now: Timestamp,
    ) -> Result<(), CoreError> {
        agenda.store(tx, now.as_millisecond())?;
        self.index_agenda(tx, key, &agenda.doc)
    }

    /// Replaces the appointment-index rows of one agenda document.
    pub(crate) fn index_agenda(
        &self,
        tx: &rusqlite::Connection,
        key: &DocumentKey,
        agenda: &AgendaDoc,
    ) -> Result<(), CoreError> {
        let tz = &self.settings.time_zone;
        let key_text = key.to_string();
        let rows: Vec<AppointmentRow> = agenda
            .appointments()
            .map_err(CoreError::domain)?
            .into_iter()
            .map(|a| AppointmentRow {
                appointment_id: a.id.to_string(),
                doc_key: key_text.clone(),
                professional_id: a.professional.to_string(),
                patient_id: a.patient.to_string(),
                local_day: tz.to_local(a.start).date().to_string(),
                start_ms: a.start.as_millisecond(),
                end_ms: a.end.as_millisecond(),
                status: a.status.as_str().to_owned(),
            })
            .collect();
        appointments::replace_for_document(tx, &key_text, &rows)
    }
}
