use std::collections::BTreeMap;
use std::time::Instant;

use jiff::civil::{Date, time};
use jiff::{SignedDuration, Timestamp, ToSpan};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use shared_model::access::{Action, Area, require};
use shared_model::charting::{EntryKind, NewEntry};
use shared_model::documents::{AgendaDoc, ChartDoc, DocumentKey, RegistryDoc, YearMonth};
use shared_model::identity::Role;
use shared_model::ids::{PatientId, UserId};
use shared_model::registry::{
    Address, Cbo, ConsentPurpose, NewConsent, NewHealthPlanCard, NewPatient, NewProfessional, Patient, Sex,
};
use shared_model::scheduling::{Appointment, AppointmentKind, AppointmentStatus, NewAppointment, Payer};
use shared_model::values::{Cep, Cid10, Cns, CouncilRegistration, Cpf, Email, Money, Phone, Uf};

use super::names::*;
use crate::error::CoreError;
use crate::services::documents::{Loaded, authored, fresh, load};
use crate::services::registry::index_row;
use crate::services::{Clinic, NewProfessionalRecord, ProfessionalRecord, Session};
use crate::store::{charts, patients};

/// How big a demo clinic to make.
#[derive(Debug, Clone, Copy)]
pub struct DemoOptions {
    pub patients: u32,
    pub seed: u64,
    /// Months of agenda (with charts for past visits), centred on today; 0 = registry only.
    pub months: u32,
}

/// What was generated, and how long it took.
#[derive(Debug, Clone, Serialize)]
pub struct DemoReport {
    pub patients: u32,
    pub professionals: u32,
    pub staff_users: u32,
    pub appointments: u32,
    pub chart_entries: u32,
    pub elapsed_ms: u128,
    /// Size of the replica files (database + WAL) afterwards.
    pub replica_bytes: u64,
}

const BATCH: usize = 500;

/// Fills the replica with the demo clinic. Needs a session that may manage users (the local
/// administrator).
pub fn generate(
    clinic: &mut Clinic,
    session: &Session,
    options: DemoOptions,
) -> Result<DemoReport, CoreError> {
    generate_for(clinic, session, options, &[])
}

/// [`generate`], with the `i`th of [`PROFESSIONALS`](super::PROFESSIONALS) logging in as
/// `professional_users[i]` (accounts of the clinic's server) instead of a new local user. Each
/// chart is written under its professional's own user, as the server requires; the registry
/// and the agendas under `session`'s.
pub fn generate_for(
    clinic: &mut Clinic,
    session: &Session,
    options: DemoOptions,
    professional_users: &[UserId],
) -> Result<DemoReport, CoreError> {
    require(session.role, Area::Users, Action::Write)?;
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(options.seed);
    let now = clinic.now();
    let tz = clinic.settings().time_zone.clone();
    let today = tz.to_local(now).date();
    let device = clinic.settings().device;

    // 1. Professionals (with their logins) and reception users, through the services.
    let mut professionals = Vec::new();
    // A second run on the same replica reuses the professionals it already has.
    let existing = clinic.professionals()?;
    for (index, (name, council, cbo, specialty)) in PROFESSIONALS.iter().enumerate() {
        let registration = CouncilRegistration::parse(council).map_err(CoreError::domain)?;
        if let Some(record) = existing
            .iter()
            .find(|p| p.professional.registration == registration)
        {
            professionals.push(record.clone());
            continue;
        }
        let professional = NewProfessional {
            user_id: professional_users.get(index).copied(),
            name: (*name).to_owned(),
            registration,
            specialties: vec![(*specialty).to_owned()],
            cbo: Cbo::parse(cbo).map_err(CoreError::domain)?,
        };
        professionals.push(clinic.add_professional(
            session,
            NewProfessionalRecord {
                professional,
                working_hours: None,
            },
        )?);
    }
    let users = clinic.users()?;
    for (name, role) in [
        ("Recepção — Sandra Moreira", Role::Staff),
        ("Recepção — Caio Teixeira", Role::Staff),
        ("Contabilidade — Tânia Rocha", Role::Viewer),
    ] {
        if !users.iter().any(|u| u.name == name) {
            clinic.add_user(session, name, role)?;
        }
    }

    // The health plans of the demo's cards, ready to bill (a second run keeps what is there).
    if clinic.billing_operators(session)?.is_empty() {
        for (index, (name, ans)) in OPERATORS.iter().enumerate() {
            clinic.set_billing_operator(session, &demo_operator(clinic, name, ans, index)?)?;
        }
    }

    // 2. Patients.
    let mut all_patients = Vec::with_capacity(options.patients as usize);
    // CPFs already registered stay unique (a second demo run adds new patients).
    let mut used_cpfs = patients::all_cpfs(clinic.replica().conn())?;
    for _ in 0..options.patients {
        let patient = random_patient(&mut rng, today, now, session.user, &mut used_cpfs)?;
        all_patients.push(patient);
    }
    for chunk in all_patients.chunks(BATCH) {
        clinic.replica().write(|tx| {
            for patient in chunk {
                let mut bare = authored(
                    RegistryDoc::empty(patient.id, device).map_err(CoreError::domain)?,
                    device,
                    session.user,
                );
                bare.update(patient).map_err(CoreError::domain)?;
                let mut doc = fresh(bare);
                doc.store(tx, now.as_millisecond())?;
                patients::upsert(tx, &index_row(patient), now.as_millisecond())?;
            }
            Ok(())
        })?;
    }

    // 3. Agendas: about three appointments per patient over the window.
    let first_month = today
        .first_of_month()
        .checked_sub(i64::from(options.months / 2).months())
        .unwrap_or(today);
    let window_days = i64::from(options.months.max(1)) * 30;
    let mut agendas: BTreeMap<String, (DocumentKey, Loaded<AgendaDoc>)> = BTreeMap::new();
    let mut booked: Vec<(PatientId, usize, Appointment)> = Vec::new();
    for patient in &all_patients {
        let visits = if options.months == 0 {
            0
        } else {
            rng.random_range(1..=5)
        };
        let prof_index = rng.random_range(0..professionals.len());
        for visit in 0..visits {
            let record = &professionals[prof_index];
            for _attempt in 0..6 {
                let day = first_month
                    .checked_add(rng.random_range(0..window_days).days())
                    .unwrap_or(today);
                let slot = rng.random_range(0..20);
                let local = day.to_datetime(time(8, 0, 0, 0)) + SignedDuration::from_mins(30 * slot);
                let Ok(start) = tz.local_to_timestamp(local) else {
                    continue;
                };
                let month = YearMonth::of(start, tz.time_zone());
                let key = DocumentKey::Agenda {
                    professional: record.professional.id,
                    month,
                };
                let entry = match agendas.entry(key.to_string()) {
                    std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                    std::collections::btree_map::Entry::Vacant(e) => {
                        // An agenda a previous run (or a person) already started is continued.
                        let loaded =
                            match load::<AgendaDoc>(clinic.replica().conn(), &key, device, session.user)? {
                                Some(loaded) => loaded,
                                None => {
                                    let mut doc = authored(
                                        AgendaDoc::new(record.professional.id, month, device)
                                            .map_err(CoreError::domain)?,
                                        device,
                                        session.user,
                                    );
                                    doc.set_working_hours(&record.working_hours)
                                        .map_err(CoreError::domain)?;
                                    fresh(doc)
                                }
                            };
                        e.insert((key, loaded))
                    }
                };
                let kind = if visit == 0 {
                    AppointmentKind::FirstVisit
                } else {
                    AppointmentKind::FollowUp
                };
                let payer = match patient.health_plan_cards.first() {
                    Some(card) if rng.random_bool(0.8) => Payer::HealthPlan {
                        operator_ans: card.operator_ans.clone(),
                        card_number: card.card_number.clone(),
                    },
                    _ => Payer::Private,
                };
                let price = matches!(payer, Payer::Private).then(|| Money::from_centavos(25_000));
                let candidate = Appointment::new(
                    NewAppointment {
                        professional: record.professional.id,
                        patient: patient.id,
                        start,
                        end: start + SignedDuration::from_mins(30),
                        kind,
                        payer,
                        price,
                        room: Some(format!("Sala {}", prof_index + 1)),
                        notes: None,
                    },
                    session.user,
                    start
                        .checked_sub(SignedDuration::from_hours(24 * 7))
                        .unwrap_or(start),
                );
                if entry.1.doc.book(&candidate, &tz).is_ok() {
                    let status = if candidate.end < now {
                        match rng.random_range(0..20) {
                            0 => AppointmentStatus::NoShow,
                            1 => AppointmentStatus::Cancelled,
                            _ => AppointmentStatus::Done,
                        }
                    } else if rng.random_bool(0.3) {
                        AppointmentStatus::Confirmed
                    } else {
                        AppointmentStatus::Booked
                    };
                    advance(&mut entry.1.doc, &candidate, status)?;
                    booked.push((patient.id, prof_index, candidate));
                    break;
                }
            }
        }
    }
    let mut appointment_count = 0u32;
    let mut agenda_list: Vec<_> = agendas.into_values().collect();
    for chunk in agenda_list.chunks_mut(50) {
        clinic.replica().write(|tx| {
            for (key, loaded) in chunk.iter_mut() {
                clinic.store_agenda(tx, key, loaded, now)?;
                appointment_count +=
                    u32::try_from(loaded.doc.appointments().map_err(CoreError::domain)?.len()).unwrap_or(0);
            }
            Ok(())
        })?;
    }

    // 4. Charts: entries of every kind for attended visits, signed by the professional.
    let mut by_patient: BTreeMap<PatientId, Vec<(usize, Appointment)>> = BTreeMap::new();
    for (patient, prof, appointment) in booked {
        by_patient.entry(patient).or_default().push((prof, appointment));
    }
    let mut entry_count = 0u32;
    let charts: Vec<(PatientId, Vec<(usize, Appointment)>)> = by_patient.into_iter().collect();
    for chunk in charts.chunks(BATCH) {
        clinic.replica().write(|tx| {
            for (patient, visits) in chunk {
                let mut visits: Vec<_> = visits.iter().filter(|(_, a)| a.end < now).collect();
                visits.sort_by_key(|(_, a)| a.start);
                let Some((prof, _)) = visits.first() else {
                    continue;
                };
                // A patient is seen by one professional, who writes (and signs) the chart.
                let author = professionals[*prof].professional.user_id.unwrap_or(session.user);
                let mut chart = authored(
                    ChartDoc::new(*patient, device).map_err(CoreError::domain)?,
                    device,
                    author,
                );
                for (index, (prof, appointment)) in visits.iter().enumerate() {
                    entry_count += write_visit(
                        &mut rng,
                        device,
                        &mut chart,
                        &professionals[*prof],
                        appointment,
                        index == 0,
                    )?;
                }
                charts::replace(
                    tx,
                    &patient.to_string(),
                    &chart.entries().map_err(CoreError::domain)?,
                )?;
                let mut loaded = fresh(chart);
                loaded.store(tx, now.as_millisecond())?;
            }
            Ok(())
        })?;
    }

    clinic
        .replica()
        .write(|tx| clinic.audit(tx, Some(session), "demo.generate", None))?;
    let replica_bytes = ["replica.db", "replica.db-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(clinic.replica().dir().join(f)).ok())
        .map(|m| m.len())
        .sum();
    Ok(DemoReport {
        patients: options.patients,
        professionals: u32::try_from(professionals.len()).unwrap_or(0),
        staff_users: 3,
        appointments: appointment_count,
        chart_entries: entry_count,
        elapsed_ms: started.elapsed().as_millis(),
        replica_bytes,
    })
}

/// Moves a just-booked appointment to `status` through the allowed transitions.
fn advance(
    doc: &mut AgendaDoc,
    appointment: &Appointment,
    status: AppointmentStatus,
) -> Result<(), CoreError> {
    use AppointmentStatus::*;
    let path: &[AppointmentStatus] = match status {
        Booked => &[],
        Confirmed => &[Confirmed],
        Done => &[Confirmed, CheckedIn, InProgress, Done],
        NoShow => &[NoShow],
        Cancelled => &[Cancelled],
        CheckedIn => &[CheckedIn],
        InProgress => &[CheckedIn, InProgress],
    };
    for (i, next) in path.iter().enumerate() {
        let at = appointment.start + SignedDuration::from_mins(i64::try_from(i).unwrap_or(0) * 5);
        let at = if *next == NoShow {
            appointment.end + SignedDuration::from_mins(15)
        } else {
            at
        };
        doc.set_status(appointment.id, *next, at)
            .map_err(CoreError::domain)?;
    }
    Ok(())
}

/// A demo operator: the clinic's code there, its CNES, and the contracted consultation price
/// (the demo's appointments bill consultations only).
fn demo_operator(
    clinic: &Clinic,
    name: &str,
    ans: &str,
    index: usize,
) -> Result<shared_model::billing::OperatorSettings, CoreError> {
    use shared_model::billing::{CONSULTATION_CODE, OperatorSettings, PriceEntry, TussCode, TussTable};
    let code = |c: &str| TussCode::parse(c).map_err(CoreError::domain);
    let step = i64::try_from(index).unwrap_or(0) * 1_000;
    Ok(OperatorSettings {
        registro_ans: shared_model::registry::AnsCode::parse(ans).map_err(CoreError::domain)?,
        name: name.to_owned(),
        provider_code: format!("AB{ans}"),
        clinic_name: clinic.settings().clinic_name.chars().take(70).collect(),
        cnes: "2077485".to_owned(),
        hash_input: if index == 3 {
            shared_model::billing::tiss::HashInput::Latin1
        } else {
            shared_model::billing::tiss::HashInput::Utf8
        },
        consultation_code: code(CONSULTATION_CODE)?,
        prices: vec![PriceEntry {
            table: TussTable::Procedures,
            code: code(CONSULTATION_CODE)?,
            description: "Consulta em consultório (no horário normal ou preestabelecido)".to_owned(),
            centavos: 12_000 + step,
        }],
    })
}

fn write_visit(
    rng: &mut StdRng,
    device: shared_model::ids::DeviceId,
    chart: &mut ChartDoc,
    record: &ProfessionalRecord,
    appointment: &Appointment,
    first: bool,
) -> Result<u32, CoreError> {
    let author = record.professional.user_id.ok_or(CoreError::UserNotFound)?;
    let pick = |rng: &mut StdRng, list: &[&str]| list[rng.random_range(0..list.len())].to_owned();
    let mut kinds: Vec<(EntryKind, String, Vec<Cid10>)> = Vec::new();
    if first {
        kinds.push((EntryKind::Anamnesis, pick(rng, ANAMNESIS), vec![]));
        kinds.push((EntryKind::PhysicalExam, pick(rng, EXAMS), vec![]));
        let (cid, text) = DIAGNOSES[rng.random_range(0..DIAGNOSES.len())];
        kinds.push((
            EntryKind::Diagnosis,
            text.to_owned(),
            vec![Cid10::parse(cid).map_err(CoreError::domain)?],
        ));
        kinds.push((EntryKind::Prescription, pick(rng, PRESCRIPTIONS), vec![]));
        kinds.push((
            EntryKind::ExamRequest,
            "Solicito hemograma completo, glicemia de jejum e perfil lipídico.".to_owned(),
            vec![],
        ));
    } else {
        kinds.push((EntryKind::Evolution, pick(rng, EVOLUTIONS), vec![]));
        kinds.push((
            EntryKind::ExamResult,
            "Exames trazidos pelo paciente: hemoglobina 13,8 g/dL; glicemia 96 mg/dL.".to_owned(),
            vec![],
        ));
        match rng.random_range(0..4) {
            0 => kinds.push((EntryKind::Certificate, "Atesto para os devidos fins que o paciente esteve em consulta nesta data, necessitando de 1 dia de afastamento.".to_owned(), vec![])),
            1 => kinds.push((EntryKind::Referral, "Encaminho ao serviço de cardiologia para avaliação.".to_owned(), vec![])),
            2 => kinds.push((EntryKind::Procedure, "Realizada aferição de glicemia capilar: 102 mg/dL.".to_owned(), vec![])),
            _ => {}
        }
    }
    let mut count = 0;
    let mut at = appointment.start + SignedDuration::from_mins(10);
    for (kind, text, cid10) in kinds {
        let input = NewEntry {
            kind,
            text,
            cid10,
            professional: Some(record.professional.id),
        };
        let id = chart
            .add_draft(input, author, device, at)
            .map_err(CoreError::domain)?;
        chart.sign(id, author, at).map_err(CoreError::domain)?;
        count += 1;
        if rng.random_bool(0.02) {
            chart
                .amend(
                    id,
                    "Texto corrigido após revisão do caso.",
                    "Correção de digitação no registro original",
                    author,
                    device,
                    at + SignedDuration::from_mins(2),
                )
                .map_err(CoreError::domain)?;
            count += 1;
        }
        at += SignedDuration::from_mins(3);
    }
    Ok(count)
}

fn random_patient(
    rng: &mut StdRng,
    today: Date,
    now: Timestamp,
    by: UserId,
    used_cpfs: &mut std::collections::HashSet<String>,
) -> Result<Patient, CoreError> {
    let female = rng.random_bool(0.55);
    let first = if female { FEMALE_FIRST } else { MALE_FIRST };
    let pick = |rng: &mut StdRng, list: &[&'static str]| list[rng.random_range(0..list.len())];
    let mut name = pick(rng, first).to_owned();
    if rng.random_bool(0.3) {
        name.push(' ');
        name.push_str(pick(rng, first));
    }
    if rng.random_bool(0.5) {
        name.push(' ');
        name.push_str(pick(rng, PARTICLES));
    }
    name.push(' ');
    name.push_str(pick(rng, SURNAMES));
    name.push(' ');
    name.push_str(pick(rng, SURNAMES));
    let cpf = loop {
        let seed: [u8; 9] = std::array::from_fn(|_| rng.random_range(0..10));
        let cpf = Cpf::generate_valid(seed);
        if used_cpfs.insert(cpf.as_str().to_owned()) {
            break cpf;
        }
    };
    let cns = rng.random_bool(0.7).then(|| {
        let first = [1u8, 2, 7, 8, 9][rng.random_range(0..5)];
        Cns::generate_valid(first, std::array::from_fn(|_| rng.random_range(0..10)))
    });
    let birth = today
        .checked_sub(rng.random_range(0..(90 * 365)).days())
        .unwrap_or(today);
    let (city, uf, ddd, cep_prefix) = CITIES[rng.random_range(0..CITIES.len())];
    let phone = Phone::parse(&format!(
        "({ddd}) 9{:04}-{:04}",
        rng.random_range(1000..10000),
        rng.random_range(0..10000)
    ))
    .map_err(CoreError::domain)?;
    let email_user = email_user(&name);
    let emails = if rng.random_bool(0.6) {
        vec![
            Email::parse(&format!(
                "{email_user}{}@exemplo.com.br",
                rng.random_range(1..999)
            ))
            .map_err(CoreError::domain)?,
        ]
    } else {
        Vec::new()
    };
    let address = rng
        .random_bool(0.8)
        .then(|| -> Result<Address, CoreError> {
            Ok(Address {
                street: pick(rng, STREETS).to_owned(),
                number: rng.random_range(1..3000).to_string(),
                complement: None,
                district: pick(rng, DISTRICTS).to_owned(),
                city: city.to_owned(),
                uf: Uf::parse(uf).map_err(CoreError::domain)?,
                cep: Cep::parse(&format!("{cep_prefix}{:06}", rng.random_range(1000..999_999)))
                    .map_err(CoreError::domain)?,
            })
        })
        .transpose()?;
    let cards = if rng.random_bool(0.6) {
        let (operator_name, ans) = OPERATORS[rng.random_range(0..OPERATORS.len())];
        vec![NewHealthPlanCard {
            operator_ans: ans.to_owned(),
            operator_name: operator_name.to_owned(),
            card_number: format!(
                "{:016}",
                rng.random_range(1_000_000_000_000u64..9_999_999_999_999_999)
            ),
            plan_name: Some("Enfermaria".to_owned()),
            valid_until: today.checked_add(2.years()).ok(),
        }]
    } else {
        Vec::new()
    };
    let input = NewPatient {
        name,
        social_name: None,
        birth_date: Some(birth),
        sex: if female { Sex::Female } else { Sex::Male },
        cpf: Some(cpf),
        cns,
        mother_name: Some(format!("{} {}", pick(rng, FEMALE_FIRST), pick(rng, SURNAMES))),
        phones: vec![phone],
        emails,
        address,
        health_plan_cards: cards,
    };
    let mut patient = Patient::new(input, today).map_err(CoreError::domain)?;
    patient.record_consent(NewConsent::by_patient(ConsentPurpose::Treatment, true), by, now);
    patient.record_consent(
        NewConsent::by_patient(ConsentPurpose::Reminders, rng.random_bool(0.7)),
        by,
        now,
    );
    Ok(patient)
}

/// Lower-case ASCII letters of a name's first word, for fictitious e-mail addresses.
fn email_user(name: &str) -> String {
    let first = name.split_whitespace().next().unwrap_or("paciente");
    patients::sort_key(first)
        .chars()
        .filter(char::is_ascii_lowercase)
        .collect()
}
