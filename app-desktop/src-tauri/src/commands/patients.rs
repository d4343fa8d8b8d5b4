//! Patients: search as you type and a patient's appointments.

use atendebem_ipc::{
    AgendaEntry, CommandError, PatientHit, PatientRef, RegisterInput, SearchInput, UpdatePatientInput,
};
use shared_model::ids::PatientId;
use shared_model::registry::{Address, ConsentPurpose, NewConsent, NewPatient, Patient, Sex};
use shared_model::values::{Cep, Cns, Cpf, Email, Phone, Uf, parse_date_br_or_iso};

use super::agenda::entry_view;
use super::parse_id;
use crate::state::{AppState, from_core};

/// Most results a search returns (a search is refined by typing more).
const MAX_HITS: u32 = 50;

/// Patients by name (accents and case ignored), CPF or CNS.
#[tauri::command]
pub async fn search_patients(
    state: tauri::State<'_, AppState>,
    input: SearchInput,
) -> Result<Vec<PatientHit>, CommandError> {
    let limit = input.limit.clamp(1, MAX_HITS);
    state
        .with_session(false, move |clinic, session| {
            let rows = clinic
                .search_patients(session, &input.query, limit)
                .map_err(|e| from_core(&e))?;
            Ok(rows
                .into_iter()
                .map(|r| PatientHit {
                    id: r.patient_id,
                    name: r.name,
                    social_name: r.social_name,
                    cpf: r
                        .cpf
                        .as_deref()
                        .and_then(|c| Cpf::parse(c).ok())
                        .map(|c| c.to_string()),
                    cns: r.cns,
                    birth_date: r
                        .birth_date
                        .as_deref()
                        .and_then(|d| d.parse::<jiff::civil::Date>().ok())
                        .map(|d| d.strftime("%d/%m/%Y").to_string()),
                })
                .collect())
        })
        .await
}

/// A patient's appointments, oldest first.
#[tauri::command]
pub async fn patient_appointments(
    state: tauri::State<'_, AppState>,
    input: PatientRef,
) -> Result<Vec<AgendaEntry>, CommandError> {
    let patient: PatientId = parse_id(&input.patient_id)?;
    state
        .with_session(false, move |clinic, session| {
            Ok(clinic
                .patient_appointments(session, patient)
                .map_err(|e| from_core(&e))?
                .into_iter()
                .map(entry_view)
                .collect())
        })
        .await
}

/// `Some(parsed)` for a filled field, `None` for an empty one, or the refusal on `field`.
fn optional<T, E: atendebem_core::ErrorCode + std::fmt::Display>(
    text: &str,
    field: &'static str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<Option<T>, CommandError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    parse(text)
        .map(Some)
        .map_err(|e| CommandError::new(e.code(), e.to_string()).on(field))
}

/// The address, when any of its fields is filled (then street, number, district, city, UF and
/// CEP are all needed).
fn address(input: &RegisterInput) -> Result<Option<Address>, CommandError> {
    let parts = [
        &input.cep,
        &input.street,
        &input.number,
        &input.district,
        &input.city,
        &input.uf,
    ];
    if parts.iter().all(|p| p.trim().is_empty()) {
        return Ok(None);
    }
    let required = |text: &str, field: &'static str, what: &str| {
        let text = text.trim();
        if text.is_empty() {
            Err(CommandError::new("patient.address_incomplete", format!("Informe {what}.")).on(field))
        } else {
            Ok(text.to_owned())
        }
    };
    let cep = optional(&input.cep, "cadastro-cep", Cep::parse)?.ok_or_else(|| {
        CommandError::new("patient.address_incomplete", "Informe o CEP.").on("cadastro-cep")
    })?;
    let street = required(&input.street, "cadastro-logradouro", "o logradouro")?;
    let number = required(&input.number, "cadastro-numero", "o número (ou S/N)")?;
    let district = required(&input.district, "cadastro-bairro", "o bairro")?;
    let city = required(&input.city, "cadastro-cidade", "a cidade")?;
    let uf = optional(&input.uf, "cadastro-uf", Uf::parse)?
        .ok_or_else(|| CommandError::new("patient.address_incomplete", "Informe a UF.").on("cadastro-uf"))?;
    Ok(Some(Address {
        street,
        number,
        complement: None,
        district,
        city,
        uf,
        cep,
    }))
}

/// A registration refusal from the core, on its field.
fn register_error(error: &atendebem_core::CoreError) -> CommandError {
    let e = from_core(error);
    let field = match e.code.as_str() {
        c if c.starts_with("patient.name") => Some("cadastro-nome"),
        "patient.social_name_too_long" => Some("cadastro-nome-social"),
        c if c.starts_with("birth_date.") => Some("cadastro-nascimento"),
        "patient.duplicate_cpf" => Some("cadastro-cpf"),
        _ => None,
    };
    match field {
        Some(f) => e.on(f),
        None => e,
    }
}

/// The form's fields as a patient record, each refusal on its field.
fn new_patient(input: &RegisterInput) -> Result<NewPatient, CommandError> {
    if input.name.trim().is_empty() {
        return Err(
            CommandError::new("patient.name_empty", "Informe o nome do paciente.").on("cadastro-nome"),
        );
    }
    let birth_date = optional(&input.birth_date, "cadastro-nascimento", parse_date_br_or_iso)?;
    let cpf = optional(&input.cpf, "cadastro-cpf", Cpf::parse)?;
    let cns = optional(&input.cns, "cadastro-cns", Cns::parse)?;
    let phone = optional(&input.phone, "cadastro-telefone", Phone::parse)?;
    let email = optional(&input.email, "cadastro-email", Email::parse)?;
    let address = address(input)?;
    Ok(NewPatient {
        name: input.name.trim().to_owned(),
        social_name: Some(input.social_name.trim().to_owned()).filter(|s| !s.is_empty()),
        birth_date,
        sex: Sex::from_code(input.sex.trim()).unwrap_or(Sex::Unknown),
        cpf,
        cns,
        mother_name: None,
        phones: phone.into_iter().collect(),
        emails: email.into_iter().collect(),
        address,
        health_plan_cards: Vec::new(),
    })
}

/// The four LGPD questions of the form and the answers given.
fn consent_answers(input: &RegisterInput) -> [(ConsentPurpose, bool); 4] {
    [
        (ConsentPurpose::Treatment, input.consent_treatment),
        (ConsentPurpose::DataSharingWithOperators, input.consent_operators),
        (ConsentPurpose::Reminders, input.consent_reminders),
        (ConsentPurpose::Teleconsultation, input.consent_teleconsultation),
    ]
}

fn hit(patient: &Patient) -> PatientHit {
    PatientHit {
        id: patient.id.to_string(),
        name: patient.name.to_string(),
        social_name: patient.social_name.as_ref().map(ToString::to_string),
        cpf: patient.cpf.as_ref().map(ToString::to_string),
        cns: patient.cns.as_ref().map(|c| c.as_str().to_owned()),
        birth_date: patient
            .birth_date
            .as_ref()
            .map(|d| d.date().strftime("%d/%m/%Y").to_string()),
    }
}

/// Registers a patient from the form, with the LGPD consent decisions.
#[tauri::command]
pub async fn register_patient(
    state: tauri::State<'_, AppState>,
    input: RegisterInput,
) -> Result<PatientHit, CommandError> {
    let new = new_patient(&input)?;
    let consents = consent_answers(&input)
        .into_iter()
        .map(|(purpose, granted)| NewConsent::by_patient(purpose, granted))
        .collect();
    state
        .with_session(true, move |clinic, session| {
            let patient = clinic
                .add_patient_with_consents(session, new, consents)
                .map_err(|e| register_error(&e))?;
            Ok(hit(&patient))
        })
        .await
}

/// A patient's registration as the form shows it (for editing).
#[tauri::command]
pub async fn patient_form(
    state: tauri::State<'_, AppState>,
    input: PatientRef,
) -> Result<RegisterInput, CommandError> {
    let id: PatientId = parse_id(&input.patient_id)?;
    state
        .with_session(false, move |clinic, session| {
            let p = clinic.patient(session, id).map_err(|e| from_core(&e))?;
            let granted = |purpose| p.consent_status(purpose) == Some(true);
            let address = p.address.clone();
            Ok(RegisterInput {
                name: p.name.to_string(),
                social_name: p
                    .social_name
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                birth_date: p
                    .birth_date
                    .as_ref()
                    .map(|d| d.date().strftime("%d/%m/%Y").to_string())
                    .unwrap_or_default(),
                sex: p.sex.as_str().to_owned(),
                cpf: p.cpf.as_ref().map(ToString::to_string).unwrap_or_default(),
                cns: p.cns.as_ref().map(|c| c.as_str().to_owned()).unwrap_or_default(),
                phone: p.phones.first().map(ToString::to_string).unwrap_or_default(),
                email: p.emails.first().map(ToString::to_string).unwrap_or_default(),
                cep: address.as_ref().map(|a| a.cep.to_string()).unwrap_or_default(),
                street: address.as_ref().map(|a| a.street.clone()).unwrap_or_default(),
                number: address.as_ref().map(|a| a.number.clone()).unwrap_or_default(),
                district: address.as_ref().map(|a| a.district.clone()).unwrap_or_default(),
                city: address.as_ref().map(|a| a.city.clone()).unwrap_or_default(),
                uf: address.as_ref().map(|a| a.uf.to_string()).unwrap_or_default(),
                consent_treatment: granted(ConsentPurpose::Treatment),
                consent_operators: granted(ConsentPurpose::DataSharingWithOperators),
                consent_reminders: granted(ConsentPurpose::Reminders),
                consent_teleconsultation: granted(ConsentPurpose::Teleconsultation),
            })
        })
        .await
}

/// Corrects a registration; a changed consent answer becomes a new consent record.
#[tauri::command]
pub async fn update_patient(
    state: tauri::State<'_, AppState>,
    input: UpdatePatientInput,
) -> Result<PatientHit, CommandError> {
    let id: PatientId = parse_id(&input.patient_id)?;
    let new = new_patient(&input.form)?;
    let answers = consent_answers(&input.form);
    state
        .with_session(true, move |clinic, session| {
            let current = clinic.patient(session, id).map_err(|e| from_core(&e))?;
            let changed = answers
                .into_iter()
                .filter(|(purpose, granted)| current.consent_status(*purpose).unwrap_or(false) != *granted)
                .map(|(purpose, granted)| NewConsent::by_patient(purpose, granted))
                .collect();
            let patient = clinic
                .update_patient(session, id, new, changed)
                .map_err(|e| register_error(&e))?;
            Ok(hit(&patient))
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_cpf_is_refused_on_its_field() {
        let e = optional("123.456.789-00", "cadastro-cpf", Cpf::parse).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("cadastro-cpf"));
        assert!(e.code.starts_with("cpf."), "{}", e.code);
        assert!(
            !e.message.contains("123"),
            "a mensagem não repete o valor digitado"
        );
        assert_eq!(optional("  ", "cadastro-cpf", Cpf::parse).unwrap(), None);
    }

    #[test]
    fn a_partial_address_names_the_missing_field() {
        let input = RegisterInput {
            cep: "01310-100".into(),
            street: "Av. Paulista".into(),
            ..RegisterInput::default()
        };
        let e = address(&input).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("cadastro-numero"));
        assert_eq!(address(&RegisterInput::default()).unwrap(), None);
    }
}
