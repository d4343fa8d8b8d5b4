//! What each command does: parse the arguments into shared-model types, call the core, print.

use std::path::PathBuf;
use std::str::FromStr;

use atendebem_core::demo::{self, DemoOptions};
use atendebem_core::keys::{KeyPreference, OsKeychain};
use atendebem_core::services::{BookRequest, NewProfessionalRecord, NoteRequest};
use atendebem_core::{Clinic, CoreError, KeyAccess, Replica, SystemClock};
use shared_model::charting::EntryKind;
use shared_model::identity::Role;
use shared_model::ids::{AppointmentId, EntryId, PatientId, ProfessionalId};
use shared_model::registry::{Cbo, NewPatient, NewProfessional, Sex};
use shared_model::scheduling::{AppointmentKind, AppointmentStatus, Payer};
use shared_model::values::{
    Cid10, ClinicTimeZone, Cns, CouncilRegistration, Cpf, Email, Phone, parse_date_br_or_iso,
};

use crate::args::*;
use crate::output;
use crate::secrets::{CliPassphrases, backup_passphrase};
use crate::sync_commands::{self, session};
use crate::tiss_commands;

pub fn run(cli: Cli) -> Result<(), CoreError> {
    let dir = data_dir(cli.data_dir.clone())?;
    let json = cli.json;
    let as_user = cli.as_user.as_deref();
    match cli.command {
        Command::Init(args) => init(&dir, args, json),
        Command::Restore(args) => restore(&dir, args, json),
        Command::Patient(cmd) => patient(&mut open(&dir)?, as_user, cmd, json),
        Command::Professional(cmd) => professional(&mut open(&dir)?, as_user, cmd, json),
        Command::User(cmd) => user(&mut open(&dir)?, as_user, cmd, json),
        Command::Agenda(cmd) => agenda(&mut open(&dir)?, as_user, cmd, json),
        Command::Note(cmd) => note(&mut open(&dir)?, as_user, cmd, json),
        Command::Chart(args) => chart(&open(&dir)?, as_user, args, json),
        Command::Export(args) => {
            let clinic = open(&dir)?;
            let session = session(&clinic, as_user, Role::Professional)?;
            output::json(&clinic.export_patient(&session, parse_id(&args.patient)?)?)
        }
        Command::Demo(args) => {
            let mut clinic = open(&dir)?;
            let session = session(&clinic, as_user, Role::Admin)?;
            let options = DemoOptions {
                patients: args.patients,
                seed: args.seed,
                months: args.months,
            };
            let report = demo::generate(&mut clinic, &session, options)?;
            if json {
                output::json(&report)
            } else {
                println!(
                    "Clínica de demonstração criada: {} pacientes, {} profissionais, {} agendamentos, {} registros clínicos em {:.1} s ({:.1} MiB).",
                    report.patients,
                    report.professionals,
                    report.appointments,
                    report.chart_entries,
                    report.elapsed_ms as f64 / 1000.0,
                    report.replica_bytes as f64 / 1_048_576.0
                );
                Ok(())
            }
        }
        Command::Backup(args) => {
            let clinic = open(&dir)?;
            let report = clinic.replica().backup(&args.out, &backup_passphrase()?)?;
            if json {
                output::json(&report)
            } else {
                println!(
                    "Backup criptografado gravado em {} ({} bytes).",
                    report.path.display(),
                    report.bytes
                );
                Ok(())
            }
        }
        Command::Check => {
            let clinic = open(&dir)?;
            let problems = clinic.replica().integrity_check()?;
            if json {
                output::json(&serde_json::json!({ "ok": problems.is_empty(), "problems": problems }))?;
            } else if problems.is_empty() {
                println!("Réplica íntegra: criptografia e banco verificados.");
            }
            if problems.is_empty() {
                Ok(())
            } else {
                Err(CoreError::Damaged)
            }
        }
        Command::Status => {
            let clinic = open(&dir)?;
            let conn = clinic.replica().conn();
            let count = |sql: &str| {
                conn.query_row(sql, [], |r| r.get::<_, i64>(0))
                    .map_err(CoreError::from)
            };
            let status = serde_json::json!({
                "clinic_name": clinic.settings().clinic_name,
                "time_zone": clinic.settings().time_zone.as_str(),
                "device_id": clinic.settings().device.to_string(),
                "schema_version": atendebem_core::store::SCHEMA_VERSION,
                "key_source": clinic.replica().meta().key_source,
                "documents": count("SELECT count(*) FROM documents")?,
                "patients": count("SELECT count(*) FROM patient_index")?,
                "appointments": count("SELECT count(*) FROM appointment_index")?,
                "users": count("SELECT count(*) FROM users")?,
                "sync": clinic.sync_status()?,
            });
            output::json(&status)
        }
        Command::Reindex => {
            let clinic = open(&dir)?;
            let session = session(&clinic, as_user, Role::Admin)?;
            let report = clinic.rebuild_indexes(&session)?;
            if json {
                output::json(&report)
            } else {
                println!(
                    "Índices reconstruídos: {} cadastros, {} prontuários, {} agendas.",
                    report.registries, report.charts, report.agendas
                );
                Ok(())
            }
        }
        Command::Login(args) => sync_commands::login(&dir, args, json),
        Command::Sync(args) => sync_commands::sync(&dir, args, json),
        Command::Conflicts => sync_commands::conflicts(&dir, as_user),
        Command::Quarantine(args) => sync_commands::quarantine(&dir, as_user, args.export_unsent),
        Command::Lock => sync_commands::lock(&dir, json),
        Command::Tiss(TissCommand::Hash(args)) => tiss_commands::hash(&args.file, json),
        Command::Tiss(TissCommand::Validate(args)) => tiss_commands::validate(&args.file, json),
        Command::Tiss(TissCommand::Operator(TissOperatorCommand::Set(args))) => {
            tiss_commands::operator_set(&open(&dir)?, as_user, args, json)
        }
        Command::Tiss(TissCommand::Operator(TissOperatorCommand::List)) => {
            tiss_commands::operator_list(&open(&dir)?, as_user, json)
        }
        Command::Tiss(TissCommand::Lote(args)) => tiss_commands::lote(&open(&dir)?, as_user, args, json),
        Command::Tiss(TissCommand::Items(args)) => tiss_commands::items(&open(&dir)?, as_user, args, json),
        Command::Tiss(TissCommand::Lotes(args)) => tiss_commands::lotes(&open(&dir)?, as_user, args, json),
        Command::Tiss(TissCommand::Sent(args)) => tiss_commands::sent(&open(&dir)?, as_user, args, json),
        Command::Tiss(TissCommand::Xml(args)) => tiss_commands::xml(&open(&dir)?, as_user, args, json),
        Command::Tiss(TissCommand::Return(args)) => {
            tiss_commands::import_return(&open(&dir)?, as_user, args, json)
        }
        Command::SwitchUser(args) => sync_commands::switch_user(&dir, args, json),
        Command::Debug(DebugCommand::WriteLoop { count }) => write_loop(&mut open(&dir)?, count),
        Command::Debug(DebugCommand::Heads) => output::json(&open(&dir)?.document_heads()?),
        Command::Debug(DebugCommand::BusyDay { day, appointments }) => {
            busy_day(&mut open(&dir)?, &day, appointments)
        }
    }
}

fn data_dir(given: Option<PathBuf>) -> Result<PathBuf, CoreError> {
    if let Some(dir) = given {
        return Ok(dir);
    }
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .ok_or_else(|| invalid("data_dir.missing", "informe --data-dir (HOME não está definido)"))?;
    Ok(base.join("atendebem"))
}

pub(crate) fn access() -> KeyAccess<'static> {
    static KEYCHAIN: OsKeychain = OsKeychain;
    static PASSPHRASES: CliPassphrases = CliPassphrases;
    KeyAccess {
        keychain: &KEYCHAIN,
        passphrases: &PASSPHRASES,
    }
}

pub(crate) fn open(dir: &std::path::Path) -> Result<Clinic, CoreError> {
    let replica = Replica::open(dir, access())?;
    Clinic::open(replica, Box::new(SystemClock))
}

pub(crate) fn preference(arg: KeySourceArg) -> KeyPreference {
    match arg {
        KeySourceArg::Auto => KeyPreference::Auto,
        KeySourceArg::Keychain => KeyPreference::Keychain,
        KeySourceArg::Passphrase => KeyPreference::Passphrase,
    }
}

fn init(dir: &std::path::Path, args: InitArgs, json: bool) -> Result<(), CoreError> {
    let tz = ClinicTimeZone::parse(&args.time_zone).map_err(CoreError::domain)?;
    if args.clinic_name.trim().is_empty() {
        return Err(invalid("clinic.name_empty", "informe o nome da clínica"));
    }
    let replica = Replica::create(dir, preference(args.key_source), access())?;
    let clinic = Clinic::init(replica, &args.clinic_name, tz, Box::new(SystemClock))?;
    if json {
        output::json(&serde_json::json!({
            "data_dir": dir,
            "clinic_name": clinic.settings().clinic_name,
            "device_id": clinic.settings().device.to_string(),
            "key_source": clinic.replica().meta().key_source,
        }))
    } else {
        println!("Réplica criptografada criada em {}.", dir.display());
        Ok(())
    }
}

fn restore(dir: &std::path::Path, args: RestoreArgs, json: bool) -> Result<(), CoreError> {
    let pass = backup_passphrase()?;
    let replica = Replica::restore(&args.from, &pass, dir, preference(args.key_source), access())?;
    let clinic = Clinic::open(replica, Box::new(SystemClock))?;
    if json {
        output::json(&serde_json::json!({ "data_dir": dir, "clinic_name": clinic.settings().clinic_name }))
    } else {
        println!("Backup restaurado em {}.", dir.display());
        Ok(())
    }
}

fn patient(
    clinic: &mut Clinic,
    as_user: Option<&str>,
    cmd: PatientCommand,
    json: bool,
) -> Result<(), CoreError> {
    let session = session(clinic, as_user, Role::Staff)?;
    match cmd {
        PatientCommand::Add(a) => {
            let mut input = NewPatient::named(&a.name);
            input.cpf = a
                .cpf
                .as_deref()
                .map(Cpf::parse)
                .transpose()
                .map_err(CoreError::domain)?;
            input.cns = a
                .cns
                .as_deref()
                .map(Cns::parse)
                .transpose()
                .map_err(CoreError::domain)?;
            input.birth_date = a
                .birth
                .as_deref()
                .map(parse_date_br_or_iso)
                .transpose()
                .map_err(CoreError::domain)?;
            input.social_name = a.social_name;
            input.mother_name = a.mother_name;
            input.sex = Sex::from_code(&a.sex).ok_or_else(|| {
                invalid(
                    "patient.sex_invalid",
                    "sexo inválido: use female, male, intersex ou unknown",
                )
            })?;
            input.phones = a
                .phone
                .as_deref()
                .map(Phone::parse)
                .transpose()
                .map_err(CoreError::domain)?
                .into_iter()
                .collect();
            input.emails = a
                .email
                .as_deref()
                .map(Email::parse)
                .transpose()
                .map_err(CoreError::domain)?
                .into_iter()
                .collect();
            let patient = clinic.add_patient(&session, input)?;
            output::json(&patient)
        }
        PatientCommand::Search(a) => {
            let hits = clinic.search_patients(&session, &a.query, a.limit)?;
            if json {
                output::json(&hits)
            } else {
                for hit in hits {
                    println!(
                        "{}  {}  {}",
                        hit.patient_id,
                        hit.name,
                        hit.cpf.as_deref().map(format_cpf).unwrap_or_default()
                    );
                }
                Ok(())
            }
        }
        PatientCommand::Show { id } => output::json(&clinic.patient(&session, parse_id(&id)?)?),
    }
}

fn format_cpf(digits: &str) -> String {
    Cpf::parse(digits).map(|c| c.to_string()).unwrap_or_default()
}

fn professional(
    clinic: &mut Clinic,
    as_user: Option<&str>,
    cmd: ProfessionalCommand,
    _json: bool,
) -> Result<(), CoreError> {
    match cmd {
        ProfessionalCommand::Add(a) => {
            let session = session(clinic, as_user, Role::Admin)?;
            let professional = NewProfessional {
                user_id: None,
                name: a.name,
                registration: CouncilRegistration::parse(&a.council).map_err(CoreError::domain)?,
                specialties: a.specialties,
                cbo: Cbo::parse(&a.cbo).map_err(CoreError::domain)?,
            };
            let record = clinic.add_professional(
                &session,
                NewProfessionalRecord {
                    professional,
                    working_hours: None,
                },
            )?;
            output::json(&record)
        }
        ProfessionalCommand::List => output::json(&clinic.professionals()?),
    }
}

fn user(clinic: &mut Clinic, as_user: Option<&str>, cmd: UserCommand, _json: bool) -> Result<(), CoreError> {
    match cmd {
        UserCommand::Add { name, role } => {
            let session = session(clinic, as_user, Role::Admin)?;
            let role = Role::from_str(&role).map_err(CoreError::domain)?;
            output::json(&clinic.add_user(&session, &name, role)?)
        }
        UserCommand::List => output::json(&clinic.users()?),
    }
}

fn agenda(
    clinic: &mut Clinic,
    as_user: Option<&str>,
    cmd: AgendaCommand,
    json: bool,
) -> Result<(), CoreError> {
    let session = session(clinic, as_user, Role::Staff)?;
    match cmd {
        AgendaCommand::Book(a) => {
            let start = jiff::Timestamp::from_str(&a.start).map_err(|_| {
                invalid(
                    "time.invalid",
                    "início inválido: use RFC 3339, ex.: 2026-12-01T09:00:00-03:00",
                )
            })?;
            let request = BookRequest {
                professional: parse_id::<ProfessionalId>(&a.professional)?,
                patient: parse_id(&a.patient)?,
                start,
                minutes: a.minutes,
                kind: AppointmentKind::from_code(&a.kind)
                    .ok_or_else(|| invalid("appointment.kind_invalid", "tipo de atendimento inválido"))?,
                payer: Payer::Private,
                price: None,
                room: a.room,
            };
            output::json(&clinic.book(&session, request)?)
        }
        AgendaCommand::List(a) => {
            let day = parse_date_br_or_iso(&a.day).map_err(CoreError::domain)?;
            let professional = a
                .professional
                .as_deref()
                .map(parse_id::<ProfessionalId>)
                .transpose()?;
            let items = clinic.agenda_day(&session, day, professional)?;
            if json {
                output::json(&items)
            } else {
                for i in items {
                    println!(
                        "{}–{}  {:<16} {}  ({})",
                        i.local_start, i.local_end, i.status_label, i.patient_name, i.professional_name
                    );
                }
                Ok(())
            }
        }
        AgendaCommand::Status(a) => {
            let status = AppointmentStatus::from_code(&a.status)
                .ok_or_else(|| invalid("appointment.status_invalid", "estado inválido"))?;
            output::json(&clinic.set_appointment_status(
                &session,
                parse_id::<AppointmentId>(&a.appointment)?,
                status,
            )?)
        }
        AgendaCommand::Conflicts(a) => {
            let day = parse_date_br_or_iso(&a.day).map_err(CoreError::domain)?;
            let conflicts: Vec<_> = clinic
                .agenda_conflicts(&session, day)?
                .into_iter()
                .map(|c| serde_json::json!({ "first": c.first.to_string(), "second": c.second.to_string() }))
                .collect();
            output::json(&conflicts)
        }
    }
}

fn note(clinic: &mut Clinic, as_user: Option<&str>, cmd: NoteCommand, _json: bool) -> Result<(), CoreError> {
    let session = session(clinic, as_user, Role::Professional)?;
    match cmd {
        NoteCommand::Add(a) => {
            let kind = EntryKind::from_code(&a.kind)
                .ok_or_else(|| invalid("entry.kind_invalid", "tipo de registro clínico inválido"))?;
            let cid10 = a
                .cid10
                .iter()
                .map(|c| Cid10::parse(c))
                .collect::<Result<Vec<_>, _>>()
                .map_err(CoreError::domain)?;
            let request = NoteRequest {
                kind,
                text: a.text,
                cid10,
                sign: a.sign,
            };
            output::json(&clinic.add_note(&session, parse_id(&a.patient)?, request)?)
        }
        NoteCommand::Sign { patient, entry } => {
            output::json(&clinic.sign_entry(&session, parse_id(&patient)?, parse_id::<EntryId>(&entry)?)?)
        }
        NoteCommand::Amend {
            patient,
            entry,
            text,
            reason,
        } => output::json(&clinic.amend_entry(
            &session,
            parse_id(&patient)?,
            parse_id::<EntryId>(&entry)?,
            &text,
            &reason,
        )?),
    }
}

fn chart(clinic: &Clinic, as_user: Option<&str>, args: ChartArgs, _json: bool) -> Result<(), CoreError> {
    let session = session(clinic, as_user, Role::Professional)?;
    let filter = args
        .kind
        .as_deref()
        .map(|k| {
            EntryKind::from_code(k)
                .ok_or_else(|| invalid("entry.kind_invalid", "tipo de registro clínico inválido"))
        })
        .transpose()?;
    let patient: PatientId = parse_id(&args.patient)?;
    let items: Vec<_> = clinic
        .timeline(&session, patient, filter)?
        .into_iter()
        .map(|item| {
            serde_json::json!({
                "current": item.current,
                "recorded_at": item.recorded_at.to_string(),
                "superseded": item.superseded.iter().map(ToString::to_string).collect::<Vec<_>>(),
            })
        })
        .collect();
    output::json(&items)
}

/// Adds patients one by one, printing each id only after its transaction committed. The SIGKILL
/// test kills this process at random moments and checks every printed id survived.
fn write_loop(clinic: &mut Clinic, count: u32) -> Result<(), CoreError> {
    use std::io::Write;
    let session = session(clinic, None, Role::Staff)?;
    let mut stdout = std::io::stdout().lock();
    for i in 0..count {
        let patient = clinic.add_patient(&session, NewPatient::named(&format!("Paciente Teste {i}")))?;
        writeln!(stdout, "{}", patient.id).map_err(|e| CoreError::Io {
            action: "escrever na saída",
            source: e,
        })?;
        stdout.flush().map_err(|e| CoreError::Io {
            action: "escrever na saída",
            source: e,
        })?;
    }
    Ok(())
}

/// Fills `day` up to `count` appointments of 15 minutes, slot after slot from 08:00, spread over
/// the clinic's professionals and its first patients; prints how many the day holds.
fn busy_day(clinic: &mut Clinic, day: &str, count: u32) -> Result<(), CoreError> {
    let session = session(clinic, None, Role::Staff)?;
    let day = shared_model::values::parse_date_br_or_iso(day).map_err(CoreError::domain)?;
    let professionals = clinic.professionals()?;
    if professionals.is_empty() {
        return Err(invalid("professional.none", "a clínica não tem profissionais"));
    }
    let patients = clinic.search_patients(&session, "a", 50)?;
    if patients.is_empty() {
        return Err(invalid("patient.none", "a clínica não tem pacientes"));
    }
    let tz = clinic.settings().time_zone.clone();
    // Appointments already there count: the day ends with `count` in all.
    let already = clinic.agenda_day(&session, day, None)?.len();
    let mut booked = u32::try_from(already).unwrap_or(u32::MAX);
    let mut slot = 0_i64;
    // 40 slots of 15 minutes between 08:00 and 18:00 per professional.
    while booked < count && slot < 40 {
        for record in &professionals {
            if booked == count {
                break;
            }
            let local =
                day.to_datetime(jiff::civil::time(8, 0, 0, 0)) + jiff::SignedDuration::from_mins(15 * slot);
            let start = tz.local_to_timestamp(local).map_err(CoreError::domain)?;
            let patient = &patients[slot as usize % patients.len()];
            let request = BookRequest {
                professional: record.professional.id,
                patient: parse_id(&patient.patient_id)?,
                start,
                minutes: 15,
                kind: AppointmentKind::FollowUp,
                payer: Payer::Private,
                price: None,
                room: None,
            };
            // A slot taken already (an earlier run) or outside someone's hours is skipped.
            match clinic.book(&session, request) {
                Ok(_) => booked += 1,
                Err(e)
                    if matches!(
                        shared_model::ErrorCode::code(&e),
                        "agenda.overlap" | "agenda.outside_working_hours"
                    ) => {}
                Err(e) => return Err(e),
            }
        }
        slot += 1;
    }
    println!("{booked}");
    Ok(())
}

fn parse_id<T: FromStr<Err = shared_model::ids::IdParseError>>(text: &str) -> Result<T, CoreError> {
    text.parse().map_err(CoreError::domain)
}

fn invalid(code: &'static str, message: &str) -> CoreError {
    CoreError::Domain {
        code,
        message: message.to_owned(),
    }
}
