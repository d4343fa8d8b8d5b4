//! The agenda: day and week views, booking, rescheduling and the appointment's life cycle.

use atendebem_core::services::{AgendaItem, BookRequest};
use atendebem_core::{Clinic, CoreError, Session};
use atendebem_ipc::{
    AgendaConflictView, AgendaDay, AgendaEntry, AgendaQuery, BookInput, CommandError, NoInput,
    ProfessionalOption, RescheduleInput, StatusInput,
};
use jiff::civil::{Date, Time, Weekday};
use shared_model::ids::{AppointmentId, PatientId, ProfessionalId};
use shared_model::scheduling::{AppointmentKind, AppointmentStatus, Payer};
use shared_model::values::parse_date_br_or_iso;

use super::parse_id;
use crate::state::{AppState, from_core};

/// Every status an appointment may move to, in the order the screen offers them.
const NEXT: [AppointmentStatus; 6] = [
    AppointmentStatus::Confirmed,
    AppointmentStatus::CheckedIn,
    AppointmentStatus::InProgress,
    AppointmentStatus::Done,
    AppointmentStatus::NoShow,
    AppointmentStatus::Cancelled,
];

fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Monday => "segunda-feira",
        Weekday::Tuesday => "terça-feira",
        Weekday::Wednesday => "quarta-feira",
        Weekday::Thursday => "quinta-feira",
        Weekday::Friday => "sexta-feira",
        Weekday::Saturday => "sábado",
        Weekday::Sunday => "domingo",
    }
}

fn weekday_short(day: Weekday) -> &'static str {
    match day {
        Weekday::Monday => "seg",
        Weekday::Tuesday => "ter",
        Weekday::Wednesday => "qua",
        Weekday::Thursday => "qui",
        Weekday::Friday => "sex",
        Weekday::Saturday => "sáb",
        Weekday::Sunday => "dom",
    }
}

/// An appointment as the screen shows it, with what may happen next.
pub fn entry_view(item: AgendaItem) -> AgendaEntry {
    let minutes = match (
        item.start.parse::<jiff::Timestamp>(),
        item.end.parse::<jiff::Timestamp>(),
    ) {
        (Ok(s), Ok(e)) => e.duration_since(s).as_mins(),
        _ => 0,
    };
    let next = AppointmentStatus::from_code(&item.status)
        .map(|status| {
            NEXT.iter()
                .filter(|n| status.can_transition_to(**n))
                .map(|n| n.as_str().to_owned())
                .collect()
        })
        .unwrap_or_default();
    let day_br = item
        .local_day
        .parse::<Date>()
        .map(|d| d.strftime("%d/%m/%Y").to_string())
        .unwrap_or_default();
    AgendaEntry {
        id: item.appointment_id,
        patient_id: item.patient_id,
        patient_name: item.patient_name,
        professional_id: item.professional_id,
        professional_name: item.professional_name,
        day: item.local_day,
        day_br,
        start: item.local_start,
        end: item.local_end,
        minutes,
        status: item.status,
        status_label: item.status_label,
        next,
    }
}

fn today(clinic: &Clinic) -> Date {
    clinic.settings().time_zone.to_local(clinic.now()).date()
}

fn day_of(clinic: &Clinic, text: Option<&str>) -> Result<Date, CommandError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(today(clinic)),
        Some(t) => parse_date_br_or_iso(t)
            .map_err(|_| CommandError::new("ui.bad_date", "Data inválida: use dd/mm/aaaa.").on("agenda-dia")),
    }
}

fn professional_filter(text: Option<&str>) -> Result<Option<ProfessionalId>, CommandError> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(parse_id)
        .transpose()
}

/// One day: its appointments and the overlaps people must resolve.
fn day_view(
    clinic: &Clinic,
    session: &Session,
    day: Date,
    professional: Option<ProfessionalId>,
) -> Result<AgendaDay, CommandError> {
    let items = clinic
        .agenda_day(session, day, professional)
        .map_err(|e| from_core(&e))?;
    let entries: Vec<AgendaEntry> = items.into_iter().map(entry_view).collect();
    let conflicts = clinic
        .day_conflicts(session, day)
        .map_err(|e| from_core(&e))?
        .into_iter()
        .filter_map(|(first, second)| {
            let first = entries.iter().find(|e| e.id == first)?;
            let second = entries.iter().find(|e| e.id == second)?;
            Some(AgendaConflictView {
                professional_name: first.professional_name.clone(),
                description: format!(
                    "{}: {} {} e {} {} no mesmo horário",
                    first.professional_name,
                    first.start,
                    first.patient_name,
                    second.start,
                    second.patient_name
                ),
                first: first.id.clone(),
                second: second.id.clone(),
            })
        })
        .collect();
    let (Ok(previous), Ok(next)) = (day.yesterday(), day.tomorrow()) else {
        return Err(CommandError::new("ui.bad_date", "Data fora do calendário.").on("agenda-dia"));
    };
    Ok(AgendaDay {
        day: day.to_string(),
        title: format!("{}, {}", weekday_name(day.weekday()), day.strftime("%d/%m/%Y")),
        short_title: format!("{} {}", weekday_short(day.weekday()), day.strftime("%d/%m")),
        previous: previous.to_string(),
        next: next.to_string(),
        today: day == today(clinic),
        entries,
        conflicts,
    })
}

/// The clinic's professionals, by name.
#[tauri::command]
pub async fn professionals(
    state: tauri::State<'_, AppState>,
    input: NoInput,
) -> Result<Vec<ProfessionalOption>, CommandError> {
    let NoInput {} = input;
    state
        .with_session(false, |clinic, _| {
            let mut list: Vec<ProfessionalOption> = clinic
                .professionals()
                .map_err(|e| from_core(&e))?
                .into_iter()
                .map(|r| ProfessionalOption {
                    id: r.professional.id.to_string(),
                    name: r.professional.name.to_string(),
                    council: r.professional.registration.to_string(),
                })
                .collect();
            list.sort_by(|a, b| a.name.cmp(&b.name));
            Ok(list)
        })
        .await
}

/// One day's agenda.
#[tauri::command]
pub async fn agenda_day(
    state: tauri::State<'_, AppState>,
    input: AgendaQuery,
) -> Result<AgendaDay, CommandError> {
    state
        .with_session(false, move |clinic, session| {
            let day = day_of(clinic, input.day.as_deref())?;
            let professional = professional_filter(input.professional_id.as_deref())?;
            day_view(clinic, session, day, professional)
        })
        .await
}

/// Monday to Sunday of the given day's week.
#[tauri::command]
pub async fn agenda_week(
    state: tauri::State<'_, AppState>,
    input: AgendaQuery,
) -> Result<Vec<AgendaDay>, CommandError> {
    state
        .with_session(false, move |clinic, session| {
            let day = day_of(clinic, input.day.as_deref())?;
            let professional = professional_filter(input.professional_id.as_deref())?;
            let back = i64::from(day.weekday().to_monday_zero_offset());
            let monday = day
                .checked_sub(jiff::Span::new().days(back))
                .map_err(|_| CommandError::new("ui.bad_date", "Data fora do calendário.").on("agenda-dia"))?;
            monday
                .series(jiff::Span::new().days(1))
                .take(7)
                .map(|d| day_view(clinic, session, d, professional))
                .collect()
        })
        .await
}

/// The form's date, time and duration as an instant in the clinic's zone and minutes, each
/// error on its field.
fn when_from_form(
    clinic: &Clinic,
    date: &str,
    time: &str,
    minutes: &str,
) -> Result<(jiff::Timestamp, i64), CommandError> {
    let day = parse_date_br_or_iso(date)
        .map_err(|_| CommandError::new("ui.bad_date", "Data inválida: use dd/mm/aaaa.").on("agendar-data"))?;
    let time = Time::strptime("%H:%M", time.trim())
        .map_err(|_| CommandError::new("ui.bad_time", "Horário inválido: use HH:MM.").on("agendar-hora"))?;
    let minutes: i64 = minutes.trim().parse().map_err(|_| {
        CommandError::new("ui.bad_minutes", "Duração inválida: informe os minutos.").on("agendar-duracao")
    })?;
    let start = clinic
        .settings()
        .time_zone
        .local_to_timestamp(day.to_datetime(time))
        .map_err(|e| from_core(&CoreError::domain(e)).on("agendar-hora"))?;
    Ok((start, minutes))
}

/// A scheduling refusal, on the field that caused it.
fn booking_error(error: &CoreError) -> CommandError {
    let e = from_core(error);
    let field = match e.code.as_str() {
        "agenda.outside_working_hours"
        | "agenda.overlap"
        | "agenda.end_not_after_start"
        | "agenda.wrong_month" => Some("agendar-hora"),
        "agenda.too_short" | "agenda.too_long" => Some("agendar-duracao"),
        "patient.not_found" => Some("agendar-paciente-busca"),
        "professional.not_found" => Some("agendar-profissional"),
        _ => None,
    };
    match field {
        Some(f) => e.on(f),
        None => e,
    }
}

fn item_of(clinic: &Clinic, session: &Session, id: &str, day: Date) -> Result<AgendaEntry, CommandError> {
    clinic
        .agenda_day(session, day, None)
        .map_err(|e| from_core(&e))?
        .into_iter()
        .find(|i| i.appointment_id == id)
        .map(entry_view)
        .ok_or_else(|| from_core(&CoreError::AppointmentNotFound))
}

/// Books an appointment from the form.
#[tauri::command]
pub async fn book(state: tauri::State<'_, AppState>, input: BookInput) -> Result<AgendaEntry, CommandError> {
    if input.patient_id.trim().is_empty() {
        return Err(
            CommandError::new("ui.patient_required", "Escolha o paciente.").on("agendar-paciente-busca")
        );
    }
    if input.professional_id.trim().is_empty() {
        return Err(
            CommandError::new("ui.professional_required", "Escolha o profissional.")
                .on("agendar-profissional"),
        );
    }
    let patient: PatientId = parse_id(&input.patient_id)?;
    let professional: ProfessionalId = parse_id(&input.professional_id)?;
    let kind = match input.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        None => AppointmentKind::FirstVisit,
        Some(code) => AppointmentKind::from_code(code).ok_or_else(|| {
            CommandError::new("ui.bad_kind", "Tipo de atendimento inválido.").on("agendar-tipo")
        })?,
    };
    state
        .with_session(true, move |clinic, session| {
            let (start, minutes) = when_from_form(clinic, &input.date, &input.time, &input.minutes)?;
            let appointment = clinic
                .book(
                    session,
                    BookRequest {
                        professional,
                        patient,
                        start,
                        minutes,
                        kind,
                        payer: Payer::Private,
                        price: None,
                        room: None,
                    },
                )
                .map_err(|e| booking_error(&e))?;
            let day = clinic.settings().time_zone.to_local(appointment.start).date();
            item_of(clinic, session, &appointment.id.to_string(), day)
        })
        .await
}

/// Moves an appointment to another time and/or professional.
#[tauri::command]
pub async fn reschedule(
    state: tauri::State<'_, AppState>,
    input: RescheduleInput,
) -> Result<AgendaEntry, CommandError> {
    let id: AppointmentId = parse_id(&input.appointment_id)?;
    let professional: ProfessionalId = parse_id(&input.professional_id)?;
    state
        .with_session(true, move |clinic, session| {
            let (start, minutes) = when_from_form(clinic, &input.date, &input.time, &input.minutes)?;
            let moved = clinic
                .reschedule(session, id, professional, start, minutes)
                .map_err(|e| booking_error(&e))?;
            let day = clinic.settings().time_zone.to_local(moved.start).date();
            item_of(clinic, session, &moved.id.to_string(), day)
        })
        .await
}

/// Confirm, check in, start, finish, no-show or cancel.
#[tauri::command]
pub async fn set_status(
    state: tauri::State<'_, AppState>,
    input: StatusInput,
) -> Result<AgendaEntry, CommandError> {
    let id: AppointmentId = parse_id(&input.appointment_id)?;
    let next = AppointmentStatus::from_code(&input.status)
        .ok_or_else(|| CommandError::new("ui.bad_status", "Situação de agendamento desconhecida."))?;
    state
        .with_session(true, move |clinic, session| {
            let updated = clinic
                .set_appointment_status(session, id, next)
                .map_err(|e| from_core(&e))?;
            let day = clinic.settings().time_zone.to_local(updated.start).date();
            item_of(clinic, session, &id.to_string(), day)
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_booked_appointment_offers_confirm_check_in_no_show_and_cancel() {
        let item = AgendaItem {
            appointment_id: "a".into(),
            professional_id: "p".into(),
            professional_name: "Dra. Ana".into(),
            patient_id: "x".into(),
            patient_name: "João".into(),
            start: "2026-12-01T13:00:00Z".into(),
            end: "2026-12-01T13:30:00Z".into(),
            local_day: "2026-12-01".into(),
            local_start: "10:00".into(),
            local_end: "10:30".into(),
            status: "booked".into(),
            status_label: "Agendado".into(),
        };
        let view = entry_view(item);
        assert_eq!(view.minutes, 30);
        assert_eq!(view.day_br, "01/12/2026");
        assert_eq!(view.next, ["confirmed", "checked_in", "no_show", "cancelled"]);
    }

    #[test]
    fn weekdays_are_portuguese() {
        assert_eq!(weekday_name(Weekday::Tuesday), "terça-feira");
        assert_eq!(weekday_short(Weekday::Saturday), "sáb");
    }

    #[test]
    fn refusals_land_on_their_field() {
        let overlap = CoreError::Domain {
            code: "agenda.outside_working_hours",
            message: "fora do horário".into(),
        };
        assert_eq!(booking_error(&overlap).field.as_deref(), Some("agendar-hora"));
    }
}
