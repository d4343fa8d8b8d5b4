//! Health-plan billing (issue 6): the server is the system of record of what was billed. It
//! turns completed appointments and chart procedures into billable items, numbers lotes (the
//! counters live in the operator's row, taken under a row lock, so several instances never hand
//! out one number twice), keeps every message sent and every return received byte for byte, and
//! attaches the operator's glosas to the items they deny.
//!
//! Everything one request does happens in one transaction: a lote that cannot be built leaves
//! no trace, a return that does not match what was sent is not stored.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Date;
use serde::Serialize;
use sha2::{Digest, Sha256};
use shared_model::ErrorCode;
use shared_model::billing::tiss::{
    ContestedGuide, ContestedGuideGlosa, ContestedItem, ExpectedParties, GlosaLevel, GuideContest, GuideKind,
    HashInput, LoteHeader, Message, Procedure, Recurso, RecursoObject, ReturnBody, ToothOrRegion,
    lote_message, parse_return, recurso_message,
};
use shared_model::billing::{
    BillableItem, HospitalStay, ItemSource, LoadedLookup, OperatorSettings, PriceEntry, Service, TussCode,
    TussTable, build_guides,
};
use shared_model::documents::DocumentKey;
use shared_model::ids::{PatientId, ProfessionalId, TenantId};
use shared_model::registry::{AnsCode, CardNumber, Professional};
use uuid::Uuid;

use crate::db::TenantTx;
use crate::error::ApiError;
use crate::sync::doc::ServerDoc;
use crate::sync::store::read_doc;

/// Why a billing request was refused (pt-BR message, stable code).
fn refuse(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, code, message)
}

fn from_model<E: ErrorCode + std::fmt::Display>(e: &E) -> ApiError {
    ApiError::from_code(axum::http::StatusCode::UNPROCESSABLE_ENTITY, e)
}

/// Checks a message against the official schema off the async runtime.
pub async fn check_schema(bytes: Vec<u8>) -> Result<(), ApiError> {
    use shared_model::billing::tiss::xsd::{XsdError, check_schema};
    let result = tokio::task::spawn_blocking(move || check_schema(&bytes))
        .await
        .map_err(|_| ApiError::internal())?;
    match result {
        Ok(()) => Ok(()),
        Err(XsdError::Invalid(issues)) => {
            let first = issues.first().map_or_else(String::new, |i| format!(" ({i})"));
            Err(refuse(
                "tiss.schema_invalid",
                format!("O arquivo não segue o schema TISS 4.01.00{first}."),
            ))
        }
        Err(e) => {
            tracing::error!(code = e.code(), error = %e, "TISS schema check unavailable");
            Err(ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                e.code(),
                e.to_string(),
            ))
        }
    }
}

/// An operator's settings and price table, as the API shows and takes them.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct OperatorBody {
    /// Registro ANS (6 digits).
    pub registro_ans: String,
    pub name: String,
    /// The clinic's code at this operator.
    pub provider_code: String,
    pub clinic_name: String,
    /// The clinic's CNES (7 digits; 9999999 when it has none).
    pub cnes: String,
    /// `utf8` (default) or `latin1`: the bytes this operator hashes.
    pub hash_input: String,
    /// TUSS code billed for a consultation (8 digits, usually 10101012).
    pub consultation_code: String,
    pub prices: Vec<PriceBody>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PriceBody {
    /// TUSS table: 22 procedures, 18 fees, 19 materials, 20 drugs.
    pub table: String,
    pub code: String,
    pub description: String,
    pub centavos: i64,
}

impl OperatorBody {
    /// The validated settings; the first bad field is named.
    pub fn settings(&self) -> Result<OperatorSettings, ApiError> {
        let field =
            |name: &str, what: &str| refuse("billing.invalid_operator", format!("Campo {name}: {what}."));
        let registro_ans = AnsCode::parse(&self.registro_ans)
            .map_err(|_| field("registro_ans", "registro ANS tem 6 dígitos"))?;
        let text = |name: &str, value: &str, max: usize| {
            let v = value.trim();
            if v.is_empty()
                || v.chars().count() > max
                || v.chars().any(|c| u32::from(c) > 0xff || c.is_control())
            {
                Err(field(
                    name,
                    &format!("texto de 1 a {max} caracteres, sem símbolos fora do padrão TISS"),
                ))
            } else {
                Ok(v.to_owned())
            }
        };
        let cnes = self.cnes.trim();
        if cnes.len() != 7 || !cnes.bytes().all(|b| b.is_ascii_digit()) {
            return Err(field("cnes", "CNES tem 7 dígitos"));
        }
        let hash_input = match self.hash_input.trim() {
            "" | "utf8" => HashInput::Utf8,
            "latin1" => HashInput::Latin1,
            _ => return Err(field("hash_input", "use utf8 ou latin1")),
        };
        let mut prices = Vec::new();
        let mut seen = BTreeSet::new();
        for (i, p) in self.prices.iter().enumerate() {
            let at = |f: &str| format!("prices[{}].{f}", i + 1);
            let table =
                TussTable::from_code(&p.table).ok_or_else(|| field(&at("table"), "use 18, 19, 20 ou 22"))?;
            let code =
                TussCode::parse(&p.code).map_err(|_| field(&at("code"), "código TUSS tem 8 dígitos"))?;
            if !seen.insert((table, code.clone())) {
                return Err(field(&at("code"), "código repetido na tabela"));
            }
            if !(0..=99_999_999).contains(&p.centavos) {
                return Err(field(&at("centavos"), "valor de 0 a 999.999,99"));
            }
            prices.push(PriceEntry {
                table,
                code,
                description: text(&at("description"), &p.description, 150)?,
                centavos: p.centavos,
            });
        }
        Ok(OperatorSettings {
            registro_ans,
            name: text("name", &self.name, 70)?,
            provider_code: text("provider_code", &self.provider_code, 14)?,
            clinic_name: text("clinic_name", &self.clinic_name, 70)?,
            cnes: cnes.to_owned(),
            hash_input,
            consultation_code: TussCode::parse(&self.consultation_code)
                .map_err(|_| field("consultation_code", "código TUSS tem 8 dígitos"))?,
            prices,
        })
    }
}

fn hash_input_code(h: HashInput) -> &'static str {
    match h {
        HashInput::Utf8 => "utf8",
        HashInput::Latin1 => "latin1",
    }
}

/// Stores an operator's settings and replaces its price table.
pub async fn put_operator(tx: &mut TenantTx, s: &OperatorSettings) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO billing_operators (tenant_id, registro_ans, name, provider_code, clinic_name, cnes, hash_input, \
           consultation_code) VALUES (current_tenant(), $1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (tenant_id, registro_ans) DO UPDATE SET name = EXCLUDED.name, provider_code = EXCLUDED.provider_code, \
           clinic_name = EXCLUDED.clinic_name, cnes = EXCLUDED.cnes, hash_input = EXCLUDED.hash_input, \
           consultation_code = EXCLUDED.consultation_code, updated_at = now()",
    )
    .bind(s.registro_ans.as_str())
    .bind(&s.name)
    .bind(&s.provider_code)
    .bind(&s.clinic_name)
    .bind(&s.cnes)
    .bind(hash_input_code(s.hash_input))
    .bind(s.consultation_code.as_str())
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM billing_prices WHERE registro_ans = $1")
        .bind(s.registro_ans.as_str())
        .execute(&mut **tx)
        .await?;
    let tables: Vec<&str> = s.prices.iter().map(|p| p.table.code()).collect();
    let codes: Vec<&str> = s.prices.iter().map(|p| p.code.as_str()).collect();
    let descriptions: Vec<&str> = s.prices.iter().map(|p| p.description.as_str()).collect();
    let centavos: Vec<i64> = s.prices.iter().map(|p| p.centavos).collect();
    sqlx::query(
        "INSERT INTO billing_prices (tenant_id, registro_ans, tuss_table, code, description, centavos) \
         SELECT current_tenant(), $1, u.* FROM UNNEST($2::text[], $3::text[], $4::text[], $5::int8[]) \
           AS u(tuss_table, code, description, centavos)",
    )
    .bind(s.registro_ans.as_str())
    .bind(tables)
    .bind(codes)
    .bind(descriptions)
    .bind(centavos)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

type OperatorRow = (String, String, String, String, String, String, String);

/// Every operator of the clinic, with its prices.
pub async fn operators(tx: &mut TenantTx) -> Result<Vec<OperatorBody>, sqlx::Error> {
    let rows: Vec<OperatorRow> = sqlx::query_as(
        "SELECT registro_ans, name, provider_code, clinic_name, cnes, hash_input, consultation_code \
         FROM billing_operators ORDER BY name, registro_ans",
    )
    .fetch_all(&mut **tx)
    .await?;
    let prices: Vec<(String, String, String, String, i64)> = sqlx::query_as(
        "SELECT registro_ans, tuss_table, code, description, centavos FROM billing_prices ORDER BY tuss_table, code",
    )
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(registro_ans, name, provider_code, clinic_name, cnes, hash_input, consultation_code)| {
                let prices = prices
                    .iter()
                    .filter(|p| p.0 == registro_ans)
                    .map(|(_, table, code, description, centavos)| PriceBody {
                        table: table.clone(),
                        code: code.clone(),
                        description: description.clone(),
                        centavos: *centavos,
                    })
                    .collect();
                OperatorBody {
                    registro_ans,
                    name,
                    provider_code,
                    clinic_name,
                    cnes,
                    hash_input,
                    consultation_code,
                    prices,
                }
            },
        )
        .collect())
}

/// One operator's settings, its row locked for this transaction (its counters are taken).
async fn operator_locked(tx: &mut TenantTx, registro_ans: &str) -> Result<OperatorSettings, ApiError> {
    let row: Option<OperatorRow> = sqlx::query_as(
        "SELECT registro_ans, name, provider_code, clinic_name, cnes, hash_input, consultation_code \
         FROM billing_operators WHERE registro_ans = $1 FOR UPDATE",
    )
    .bind(registro_ans.trim())
    .fetch_optional(&mut **tx)
    .await?;
    let Some((registro_ans, name, provider_code, clinic_name, cnes, hash_input, consultation_code)) = row
    else {
        return Err(refuse(
            "billing.operator_unknown",
            "Operadora não cadastrada no faturamento da clínica.",
        ));
    };
    let prices: Vec<(String, String, String, i64)> = sqlx::query_as(
        "SELECT tuss_table, code, description, centavos FROM billing_prices WHERE registro_ans = $1",
    )
    .bind(&registro_ans)
    .fetch_all(&mut **tx)
    .await?;
    let body = OperatorBody {
        registro_ans,
        name,
        provider_code,
        clinic_name,
        cnes,
        hash_input,
        consultation_code,
        prices: prices
            .into_iter()
            .map(|(table, code, description, centavos)| PriceBody {
                table,
                code,
                description,
                centavos,
            })
            .collect(),
    };
    body.settings()
}

/// The numbers unique per provider and operator.
#[derive(Debug, Clone, Copy)]
enum Counter {
    Lote,
    Transaction,
    Guide,
}

/// Takes `n` consecutive values of an operator counter (0: reads the next one).
async fn take(tx: &mut TenantTx, registro_ans: &str, counter: Counter, n: i64) -> Result<i64, sqlx::Error> {
    let sql = match counter {
        Counter::Lote => {
            "UPDATE billing_operators SET next_lote = next_lote + $2 WHERE registro_ans = $1 RETURNING next_lote - $2"
        }
        Counter::Transaction => {
            "UPDATE billing_operators SET next_transaction = next_transaction + $2 WHERE registro_ans = $1 \
             RETURNING next_transaction - $2"
        }
        Counter::Guide => {
            "UPDATE billing_operators SET next_guide = next_guide + $2 WHERE registro_ans = $1 RETURNING next_guide - $2"
        }
    };
    let (first,): (i64,) = sqlx::query_as(sql)
        .bind(registro_ans)
        .bind(n)
        .fetch_one(&mut **tx)
        .await?;
    Ok(first)
}

/// Turns completed health-plan appointments of configured operators into billable items (once
/// each): first visits, follow-ups and teleconsultations are billed with the operator's
/// consultation code.
pub async fn materialize_appointments(tx: &mut TenantTx) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO billing_items (tenant_id, id, source, source_id, patient_id, professional_id, performed_on, \
           registro_ans, card_number, service, tuss_table, code, quantity) \
         SELECT current_tenant(), gen_random_uuid(), 'appointment', a.id, a.patient_id, a.professional_id, \
           (a.starts_at AT TIME ZONE t.time_zone)::date, a.payer_ans, a.payer_card, a.kind, '22', o.consultation_code, 1 \
         FROM appointments a \
         JOIN billing_operators o ON o.registro_ans = a.payer_ans \
         JOIN tenants t ON t.id = current_tenant() \
         WHERE a.status = 'done' AND a.payer_card IS NOT NULL \
           AND a.kind IN ('first_visit', 'follow_up', 'teleconsultation') \
         ON CONFLICT DO NOTHING",
    )
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}

/// A billable item as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemView {
    pub id: Uuid,
    /// `appointment` or `chart_entry`.
    pub source: String,
    pub source_id: Uuid,
    pub patient_id: Uuid,
    pub professional_id: Uuid,
    /// `YYYY-MM-DD`, the clinic's local date.
    pub performed_on: String,
    pub registro_ans: String,
    pub card_number: String,
    pub service: String,
    /// `consulta` or `sp_sadt`.
    pub guide_kind: String,
    pub tuss_table: String,
    pub code: String,
    pub quantity: i32,
    /// Dental items: FDI tooth or region.
    pub tooth: Option<String>,
    /// Dental items: faces (`OM`).
    pub faces: Option<String>,
    /// Hospital items: the hospitalisation (see `ProcedureItemBody::hospital`).
    #[schema(value_type = Option<Object>)]
    pub hospital: Option<HospitalStay>,
    pub lote_id: Option<Uuid>,
    pub guide_number: Option<String>,
    pub item_sequence: Option<i32>,
}

#[derive(Debug, sqlx::FromRow)]
struct ItemRow {
    id: Uuid,
    source: String,
    source_id: Uuid,
    patient_id: Uuid,
    professional_id: Uuid,
    performed_on: String,
    registro_ans: String,
    card_number: String,
    service: String,
    tuss_table: String,
    code: String,
    quantity: i32,
    tooth: Option<String>,
    faces: Option<String>,
    hospital: Option<String>,
    lote_id: Option<Uuid>,
    guide_number: Option<String>,
    item_sequence: Option<i32>,
}

macro_rules! item_columns {
    () => {
        "id, source, source_id, patient_id, professional_id, performed_on::text AS performed_on, registro_ans, \
    card_number, service, tuss_table, code, quantity, tooth, faces, hospital, lote_id, guide_number, item_sequence"
    };
}

fn service_of(code: &str) -> Service {
    match code {
        "follow_up" => Service::FollowUp,
        "teleconsultation" => Service::Teleconsultation,
        "procedure" => Service::Procedure,
        "dental" => Service::Dental,
        "hospital_fees" => Service::HospitalFees,
        "day_hospital" => Service::DayHospital,
        _ => Service::FirstVisit,
    }
}

fn view(r: ItemRow) -> ItemView {
    ItemView {
        guide_kind: service_of(&r.service).guide().code().to_owned(),
        id: r.id,
        source: r.source,
        source_id: r.source_id,
        patient_id: r.patient_id,
        professional_id: r.professional_id,
        performed_on: r.performed_on,
        registro_ans: r.registro_ans,
        card_number: r.card_number,
        service: r.service,
        tuss_table: r.tuss_table,
        code: r.code,
        quantity: r.quantity,
        tooth: r.tooth,
        faces: r.faces,
        hospital: r.hospital.and_then(|h| serde_json::from_str(&h).ok()),
        lote_id: r.lote_id,
        guide_number: r.guide_number,
        item_sequence: r.item_sequence,
    }
}

/// Items, optionally of one operator, open (not in a lote) or all.
pub async fn items(
    tx: &mut TenantTx,
    registro_ans: Option<&str>,
    open_only: bool,
) -> Result<Vec<ItemView>, sqlx::Error> {
    let rows: Vec<ItemRow> = sqlx::query_as(concat!(
        "SELECT ",
        item_columns!(),
        " FROM billing_items \
         WHERE ($1::text IS NULL OR registro_ans = $1) AND (NOT $2 OR lote_id IS NULL) \
         ORDER BY performed_on, created_at, id LIMIT 5000"
    ))
    .bind(registro_ans)
    .bind(open_only)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().map(view).collect())
}

/// A procedure of a signed chart entry, to be billed.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct ProcedureItemBody {
    pub chart_entry_id: Uuid,
    pub registro_ans: String,
    pub card_number: String,
    /// TUSS table (22 procedures by default).
    pub tuss_table: Option<String>,
    pub code: String,
    pub quantity: u32,
    /// Dental procedures (the entry's professional is a dentist): FDI tooth (`36`) or region
    /// (`AS`).
    pub tooth: Option<String>,
    /// Dental procedures: faces of the tooth, letters of `OLMVDIP` (`OM`).
    pub faces: Option<String>,
    /// Work done in a hospitalisation: `hospital_fees` (the professional's fees, Guia de
    /// Honorários) or `day_hospital` (a day-hospital stay of the clinic, Resumo de Internação).
    pub service: Option<String>,
    /// The hospitalisation, required for those services: `request_guide`, `authorized_on`,
    /// `password`, `site_code` or `site_cnpj`, `site_name`, `site_cnes`, `start`, `end`
    /// (`YYYY-MM-DDTHH:MM:SS`, clinic time), `participation` (dm_grauPart), and for a stay
    /// `character`, `kind`, `regime`, `discharge_reason`, `diagnoses` (CID-10).
    #[schema(value_type = Option<Object>)]
    pub hospital: Option<HospitalStay>,
}

/// Records a billable procedure against a signed procedure entry of the chart.
pub async fn add_procedure(
    tx: &mut TenantTx,
    body: &ProcedureItemBody,
    by: Uuid,
) -> Result<ItemView, ApiError> {
    let table = TussTable::from_code(body.tuss_table.as_deref().unwrap_or("22")).ok_or_else(|| {
        refuse(
            "billing.invalid_tuss_table",
            "Tabela TUSS inválida: use 18, 19, 20 ou 22.",
        )
    })?;
    let code = TussCode::parse(&body.code).map_err(|e| from_model(&e))?;
    let card = CardNumber::parse(&body.card_number)
        .map_err(|_| refuse("billing.card_invalid", "Número da carteira do convênio inválido."))?;
    if !(1..=999).contains(&body.quantity) {
        return Err(refuse(
            "billing.invalid_quantity",
            "Quantidade deve ir de 1 a 999.",
        ));
    }
    let entry: Option<(Uuid, String, String, Option<String>, Uuid)> = sqlx::query_as(
        "SELECT e.patient_id, e.kind, e.status, (e.signed_at AT TIME ZONE t.time_zone)::date::text, e.author_id \
         FROM chart_entries e JOIN tenants t ON t.id = current_tenant() WHERE e.id = $1",
    )
    .bind(body.chart_entry_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((patient, kind, status, signed_on, author)) = entry else {
        return Err(refuse(
            "billing.entry_unknown",
            "Registro do prontuário não encontrado.",
        ));
    };
    if kind != "procedure" || status != "signed" {
        return Err(refuse(
            "billing.entry_not_signed_procedure",
            "Só um procedimento assinado no prontuário pode ser faturado.",
        ));
    }
    let operator = operator_locked(tx, &body.registro_ans).await?;
    if operator.price(table, &code).is_none() {
        return Err(refuse(
            "billing.unknown_tuss_code",
            format!(
                "O código TUSS {} não está na tabela de preços desta operadora.",
                code.as_str()
            ),
        ));
    }
    // The entry's professional: the author's professional record (via the user).
    let professional = professional_of_user(tx, author).await?.ok_or_else(|| {
        refuse(
            "billing.professional_missing",
            "O autor do procedimento não tem cadastro de profissional.",
        )
    })?;
    // A dentist's procedures go in a Guia Odontológica, on a tooth or region; work in a
    // hospitalisation in a Guia de Honorários or a Resumo de Internação.
    let dental = professional.registration.council() == shared_model::values::Council::Cro;
    let service = match (body.service.as_deref(), &body.hospital) {
        (None | Some("procedure"), None) if dental => "dental",
        (None | Some("procedure"), None) => "procedure",
        (Some("hospital_fees") | None, Some(_)) => "hospital_fees",
        (Some("day_hospital"), Some(_)) => "day_hospital",
        (Some("hospital_fees" | "day_hospital"), None) => {
            return Err(refuse(
                "billing.hospital_missing",
                "Informe a internação (guia de solicitação, datas, local) para faturar honorários ou resumo.",
            ));
        }
        _ => {
            return Err(refuse(
                "billing.invalid_service",
                "Serviço inválido: use procedure, hospital_fees ou day_hospital.",
            ));
        }
    };
    let hospital_json = body
        .hospital
        .as_ref()
        .map(|h| serde_json::to_string(h).map_err(|_| ApiError::internal()))
        .transpose()?;
    let performed_on = body
        .hospital
        .as_ref()
        .map_or(signed_on, |h| Some(h.start.date().to_string()));
    let tooth = body.tooth.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let faces = body.faces.as_deref().map(str::trim).filter(|f| !f.is_empty());
    if !dental && (tooth.is_some() || faces.is_some()) {
        return Err(refuse(
            "billing.tooth_not_dental",
            "Dente e faces só se informam em procedimentos odontológicos.",
        ));
    }
    if let Some(t) = tooth
        && !shared_model::billing::tiss::domains::TEETH.contains(&t)
        && !shared_model::billing::tiss::domains::REGIONS.contains(&t)
    {
        return Err(refuse(
            "billing.invalid_tooth",
            "Dente (11 a 48, 51 a 85) ou região da boca inválidos.",
        ));
    }
    if let Some(f) = faces
        && (tooth.is_none_or(|t| !shared_model::billing::tiss::domains::TEETH.contains(&t))
            || !shared_model::billing::tiss::faces_valid(f))
    {
        return Err(refuse(
            "billing.invalid_faces",
            "Faces do dente: de 1 a 5 letras distintas entre O, L, M, V, D, I e P, com o dente informado.",
        ));
    }
    let id = Uuid::now_v7();
    let inserted = sqlx::query(
        "INSERT INTO billing_items (tenant_id, id, source, source_id, patient_id, professional_id, performed_on, \
           registro_ans, card_number, service, tuss_table, code, quantity, created_by, tooth, faces, hospital) \
         VALUES (current_tenant(), $1, 'chart_entry', $2, $3, $4, $5::date, $6, $7, $12, $8, $9, $10, $11, $13, $14, $15) \
         ON CONFLICT (tenant_id, source, source_id, tuss_table, code) DO NOTHING",
    )
    .bind(id)
    .bind(body.chart_entry_id)
    .bind(patient)
    .bind(*professional.id.as_uuid())
    .bind(performed_on)
    .bind(operator.registro_ans.as_str())
    .bind(card.as_str())
    .bind(table.code())
    .bind(code.as_str())
    .bind(i32::try_from(body.quantity).unwrap_or(1))
    .bind(by)
    .bind(service)
    .bind(tooth)
    .bind(faces)
    .bind(hospital_json)
    .execute(&mut **tx)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(ApiError::new(
            axum::http::StatusCode::CONFLICT,
            "billing.item_exists",
            "Este procedimento já foi lançado para faturamento.",
        ));
    }
    let row: ItemRow = sqlx::query_as(concat!(
        "SELECT ",
        item_columns!(),
        " FROM billing_items WHERE id = $1"
    ))
    .bind(id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(view(row))
}

/// The clinic's professionals, from the directory document.
async fn professionals(tx: &mut TenantTx) -> Result<Vec<Professional>, ApiError> {
    let tenant: (Uuid,) = sqlx::query_as("SELECT current_tenant()")
        .fetch_one(&mut **tx)
        .await?;
    let key = DocumentKey::Directory(TenantId::from_uuid(tenant.0));
    match read_doc(tx, &key).await.map_err(|_| ApiError::internal())? {
        Some(ServerDoc::Directory(d)) => Ok(d
            .professionals()
            .map_err(|_| ApiError::internal())?
            .into_iter()
            .map(|r| r.professional)
            .collect()),
        _ => Ok(Vec::new()),
    }
}

async fn professional_of_user(tx: &mut TenantTx, user: Uuid) -> Result<Option<Professional>, ApiError> {
    Ok(professionals(tx)
        .await?
        .into_iter()
        .find(|p| p.user_id.is_some_and(|u| *u.as_uuid() == user)))
}

/// A lote as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LoteView {
    pub id: Uuid,
    pub registro_ans: String,
    pub numero_lote: i64,
    pub sequencial_transacao: i64,
    pub guide_kind: String,
    pub guide_count: i32,
    pub total_centavos: i64,
    pub hash: String,
    /// `built` or `sent`.
    pub status: String,
    pub created_at: String,
    pub sent_at: Option<String>,
}

type LoteRow = (
    Uuid,
    String,
    i64,
    i64,
    String,
    i32,
    i64,
    String,
    String,
    String,
    Option<String>,
);

macro_rules! lote_columns {
    () => {
        "id, registro_ans, numero_lote, transaction_seq, guide_kind, guide_count, total_centavos, \
    hash, status, created_at::text, sent_at::text"
    };
}

fn lote_view(r: LoteRow) -> LoteView {
    LoteView {
        id: r.0,
        registro_ans: r.1,
        numero_lote: r.2,
        sequencial_transacao: r.3,
        guide_kind: r.4,
        guide_count: r.5,
        total_centavos: r.6,
        hash: r.7,
        status: r.8,
        created_at: r.9,
        sent_at: r.10,
    }
}

/// One lote, as the API shows it.
async fn lote_by_id(tx: &mut TenantTx, id: Uuid) -> Result<LoteView, sqlx::Error> {
    let row: LoteRow = sqlx::query_as(concat!(
        "SELECT ",
        lote_columns!(),
        " FROM tiss_lotes WHERE id = $1"
    ))
    .bind(id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(lote_view(row))
}

pub async fn lotes(tx: &mut TenantTx, registro_ans: Option<&str>) -> Result<Vec<LoteView>, sqlx::Error> {
    let rows: Vec<LoteRow> = sqlx::query_as(concat!(
        "SELECT ",
        lote_columns!(),
        " FROM tiss_lotes WHERE ($1::text IS NULL OR registro_ans = $1) \
         ORDER BY created_at DESC, id LIMIT 500"
    ))
    .bind(registro_ans)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().map(lote_view).collect())
}

/// The clinic's local time now.
async fn local_now(tx: &mut TenantTx) -> Result<jiff::civil::DateTime, ApiError> {
    let (zone,): (String,) = sqlx::query_as("SELECT time_zone FROM tenants WHERE id = current_tenant()")
        .fetch_one(&mut **tx)
        .await?;
    let tz = jiff::tz::TimeZone::get(&zone).unwrap_or(jiff::tz::TimeZone::UTC);
    Ok(jiff::Timestamp::now()
        .to_zoned(tz)
        .datetime()
        .round(jiff::Unit::Second)
        .unwrap_or_default())
}

/// Builds the next lote of one operator and guide type from its open items (oldest first, at
/// most 100 guides), stores it and assigns its items. Nothing is stored when any item or the
/// schema refuses.
pub async fn build_lote(
    tx: &mut TenantTx,
    registro_ans: &str,
    kind: GuideKind,
    by: Uuid,
) -> Result<LoteView, ApiError> {
    let operator = operator_locked(tx, registro_ans).await?;
    materialize_appointments(tx).await?;
    let open = items(tx, Some(operator.registro_ans.as_str()), true).await?;
    let mut chosen: Vec<BillableItem> = Vec::new();
    let mut groups = BTreeSet::new();
    for view in open.into_iter().filter(|i| i.guide_kind == kind.code()) {
        let item = to_item(&view)?;
        let group = item.guide_key();
        if !groups.contains(&group) && groups.len() == shared_model::billing::tiss::MAX_GUIDES {
            continue;
        }
        groups.insert(group);
        chosen.push(item);
    }
    if chosen.is_empty() {
        return Err(refuse(
            "billing.nothing_to_bill",
            "Não há itens abertos desta operadora para este tipo de guia.",
        ));
    }
    let mut loaded = LoadedLookup {
        professionals: professionals(tx).await?.into_iter().map(|p| (p.id, p)).collect(),
        cards: BTreeMap::new(),
    };
    for patient in chosen.iter().map(|i| i.patient).collect::<BTreeSet<_>>() {
        if let Some(ServerDoc::Registry(r)) = read_doc(tx, &DocumentKey::Registry(patient))
            .await
            .map_err(|_| ApiError::internal())?
        {
            let cards = r.patient().map(|p| p.health_plan_cards).unwrap_or_default();
            loaded.cards.insert(patient, cards);
        }
    }
    let first_guide = take(tx, operator.registro_ans.as_str(), Counter::Guide, 0).await?;
    let mut next = first_guide;
    let built = build_guides(&operator, &chosen, &loaded, || {
        let n = next;
        next += 1;
        u64::try_from(n).unwrap_or(0)
    })
    .map_err(|e| from_model(&e))?;
    let used = next - first_guide;
    take(tx, operator.registro_ans.as_str(), Counter::Guide, used).await?;
    let numero_lote = take(tx, operator.registro_ans.as_str(), Counter::Lote, 1).await?;
    let transaction = take(tx, operator.registro_ans.as_str(), Counter::Transaction, 1).await?;
    let header = LoteHeader {
        transaction: u64::try_from(transaction).unwrap_or(0),
        lote: u64::try_from(numero_lote).unwrap_or(0),
        made_at: local_now(tx).await?,
        provider_code: operator.provider_code.clone(),
        registro_ans: operator.registro_ans.as_str().to_owned(),
        hash_input: operator.hash_input,
    };
    let guides: Vec<_> = built.iter().map(|b| b.guide.clone()).collect();
    let Message { bytes, hash } = lote_message(&header, &guides).map_err(|e| from_model(&e))?;
    check_schema(bytes.clone()).await?;
    let total: i64 = guides
        .iter()
        .map(shared_model::billing::tiss::Guide::total_centavos)
        .fold(0, i64::saturating_add);
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO tiss_lotes (tenant_id, id, registro_ans, numero_lote, transaction_seq, guide_kind, guide_count, \
           total_centavos, hash, hash_input, xml, status, created_by) \
         VALUES (current_tenant(), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'built', $11)",
    )
    .bind(id)
    .bind(operator.registro_ans.as_str())
    .bind(numero_lote)
    .bind(transaction)
    .bind(kind.code())
    .bind(i32::try_from(guides.len()).unwrap_or(0))
    .bind(total)
    .bind(&hash)
    .bind(hash_input_code(operator.hash_input))
    .bind(&bytes)
    .bind(by)
    .execute(&mut **tx)
    .await?;
    let mut item_ids = Vec::new();
    let mut numbers = Vec::new();
    let mut sequences = Vec::new();
    for b in &built {
        for (item, sequence) in &b.items {
            item_ids.push(*item);
            numbers.push(b.guide.number().to_owned());
            sequences.push(i32::from(*sequence));
        }
    }
    let assigned = sqlx::query(
        "UPDATE billing_items i SET lote_id = $1, guide_number = u.number, item_sequence = u.seq \
         FROM UNNEST($2::uuid[], $3::text[], $4::int4[]) AS u(id, number, seq) WHERE i.id = u.id AND i.lote_id IS NULL",
    )
    .bind(id)
    .bind(&item_ids)
    .bind(numbers)
    .bind(sequences)
    .execute(&mut **tx)
    .await?;
    if assigned.rows_affected() != item_ids.len() as u64 {
        // Another lote took an item meanwhile: nothing of this one is kept.
        return Err(ApiError::new(
            axum::http::StatusCode::CONFLICT,
            "billing.items_changed",
            "Itens mudaram enquanto o lote era montado; gere o lote de novo.",
        ));
    }
    Ok(lote_by_id(tx, id).await?)
}

fn to_item(v: &ItemView) -> Result<BillableItem, ApiError> {
    let corrupt = |_| ApiError::internal();
    Ok(BillableItem {
        id: v.id,
        source: if v.source == "appointment" {
            ItemSource::Appointment(v.source_id)
        } else {
            ItemSource::ChartEntry(v.source_id)
        },
        patient: PatientId::from_uuid(v.patient_id),
        professional: ProfessionalId::from_uuid(v.professional_id),
        performed_on: v.performed_on.parse::<Date>().map_err(|_| ApiError::internal())?,
        registro_ans: AnsCode::parse(&v.registro_ans).map_err(corrupt)?,
        card: CardNumber::parse(&v.card_number).map_err(corrupt)?,
        service: service_of(&v.service),
        table: TussTable::from_code(&v.tuss_table).ok_or_else(ApiError::internal)?,
        code: TussCode::parse(&v.code).map_err(|_| ApiError::internal())?,
        quantity: u32::try_from(v.quantity).unwrap_or(1),
        tooth: v.tooth.clone(),
        faces: v.faces.clone(),
        hospital: v.hospital.clone(),
    })
}

/// A stored message's bytes and its number (for the file name).
pub async fn lote_xml(tx: &mut TenantTx, id: Uuid) -> Result<Option<(i64, Vec<u8>)>, sqlx::Error> {
    sqlx::query_as("SELECT numero_lote, xml FROM tiss_lotes WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
}

/// Marks a lote sent to the operator (once).
pub async fn mark_sent(tx: &mut TenantTx, id: Uuid, by: Uuid) -> Result<LoteView, ApiError> {
    let row: Option<(String,)> = sqlx::query_as("SELECT status FROM tiss_lotes WHERE id = $1 FOR UPDATE")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    match row {
        None => return Err(ApiError::not_found()),
        Some((status,)) if status == "sent" => {
            return Err(ApiError::new(
                axum::http::StatusCode::CONFLICT,
                "billing.lote_already_sent",
                "Este lote já foi marcado como enviado.",
            ));
        }
        Some(_) => {}
    }
    sqlx::query("UPDATE tiss_lotes SET status = 'sent', sent_at = now(), sent_by = $2 WHERE id = $1")
        .bind(id)
        .bind(by)
        .execute(&mut **tx)
        .await?;
    Ok(lote_by_id(tx, id).await?)
}

/// A glosa as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GlosaView {
    pub id: Uuid,
    pub lote_id: Option<Uuid>,
    /// `lote`, `protocol`, `guide` or `item`.
    pub level: String,
    pub protocol: Option<String>,
    pub guide_number: Option<String>,
    pub item_sequence: Option<i32>,
    pub billing_item_id: Option<Uuid>,
    /// TUSS table 38 code.
    pub code: String,
    pub description: Option<String>,
    pub centavos: Option<i64>,
}

/// What an imported return held.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReturnView {
    pub id: Uuid,
    /// `PROTOCOLO_RECEBIMENTO` or `DEMONSTRATIVO_ANALISE_CONTA`.
    pub kind: String,
    pub glosas: Vec<GlosaView>,
}

/// Imports an operator's return file: checked against the schema, parsed, addressed to this
/// clinic, every glosa matched to the lote, guide and item it denies. `refused_lote` names our
/// lote when the operator refused one on receipt (such a return does not carry the number).
pub async fn import_return(
    tx: &mut TenantTx,
    registro_ans: &str,
    bytes: Vec<u8>,
    refused_lote: Option<Uuid>,
    by: Uuid,
) -> Result<ReturnView, ApiError> {
    let operator = operator_locked(tx, registro_ans).await?;
    check_schema(bytes.clone()).await?;
    let parsed = parse_return(
        &bytes,
        &ExpectedParties {
            registro_ans: operator.registro_ans.as_str().to_owned(),
            provider_code: operator.provider_code.clone(),
            provider_document: None,
        },
    )
    .map_err(|e| from_model(&e))?;
    let sha256 = hex(&Sha256::digest(&bytes));
    let duplicate: Option<(Uuid,)> = sqlx::query_as("SELECT id FROM tiss_returns WHERE sha256 = $1")
        .bind(&sha256)
        .fetch_optional(&mut **tx)
        .await?;
    if duplicate.is_some() {
        return Err(ApiError::new(
            axum::http::StatusCode::CONFLICT,
            "billing.return_duplicate",
            "Este arquivo de retorno já foi importado.",
        ));
    }
    let refused_number = match (&parsed.body, refused_lote) {
        (ReturnBody::LoteRefused { .. }, None) => {
            return Err(refuse(
                "billing.return_needs_lote",
                "A operadora recusou um lote sem dizer qual: informe o lote (lote_id).",
            ));
        }
        (ReturnBody::LoteRefused { .. }, Some(id)) => {
            let row: Option<(i64,)> =
                sqlx::query_as("SELECT numero_lote FROM tiss_lotes WHERE id = $1 AND registro_ans = $2")
                    .bind(id)
                    .bind(operator.registro_ans.as_str())
                    .fetch_optional(&mut **tx)
                    .await?;
            row.ok_or_else(ApiError::not_found)?.0.to_string()
        }
        _ => String::new(),
    };
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO tiss_returns (tenant_id, id, registro_ans, kind, sha256, xml, received_by) \
         VALUES (current_tenant(), $1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(operator.registro_ans.as_str())
    .bind(&parsed.header.kind)
    .bind(&sha256)
    .bind(&bytes)
    .bind(by)
    .execute(&mut **tx)
    .await?;
    let mut views = Vec::new();
    let mut lote_ids: BTreeMap<String, Uuid> = BTreeMap::new();
    for g in parsed.glosas(&refused_number) {
        let lote_id = match lote_ids.get(&g.lote) {
            Some(id) => *id,
            None => {
                let number: i64 = g.lote.trim().parse().map_err(|_| unknown_lote())?;
                let row: Option<(Uuid,)> =
                    sqlx::query_as("SELECT id FROM tiss_lotes WHERE registro_ans = $1 AND numero_lote = $2")
                        .bind(operator.registro_ans.as_str())
                        .bind(number)
                        .fetch_optional(&mut **tx)
                        .await?;
                let found = row.ok_or_else(unknown_lote)?.0;
                lote_ids.insert(g.lote.clone(), found);
                found
            }
        };
        let item_id = match (g.level, &g.guide, g.item) {
            (GlosaLevel::Item, Some(guide), Some(sequence)) => {
                let row: Option<(Uuid,)> = sqlx::query_as(
                    "SELECT id FROM billing_items WHERE lote_id = $1 AND guide_number = $2 AND item_sequence = $3",
                )
                .bind(lote_id)
                .bind(guide)
                .bind(i32::from(sequence))
                .fetch_optional(&mut **tx)
                .await?;
                Some(
                    row.ok_or_else(|| {
                        refuse(
                            "billing.return_unknown_item",
                            format!("O retorno cita um item ({sequence}) de uma guia que não foi enviado neste lote."),
                        )
                    })?
                    .0,
                )
            }
            (GlosaLevel::Guide, Some(guide), _) => {
                let row: Option<(i64,)> = sqlx::query_as(
                    "SELECT count(*) FROM billing_items WHERE lote_id = $1 AND guide_number = $2",
                )
                .bind(lote_id)
                .bind(guide)
                .fetch_optional(&mut **tx)
                .await?;
                if row.is_none_or(|(n,)| n == 0) {
                    return Err(refuse(
                        "billing.return_unknown_item",
                        "O retorno cita uma guia que não foi enviada neste lote.",
                    ));
                }
                None
            }
            _ => None,
        };
        let glosa_id = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO tiss_glosas (tenant_id, id, return_id, lote_id, level, protocol, guide_number, item_sequence, \
               billing_item_id, code, description, centavos) \
             VALUES (current_tenant(), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(glosa_id)
        .bind(id)
        .bind(lote_id)
        .bind(g.level.code())
        .bind(&g.protocol)
        .bind(&g.guide)
        .bind(g.item.map(i32::from))
        .bind(item_id)
        .bind(&g.code)
        .bind(&g.description)
        .bind(g.centavos)
        .execute(&mut **tx)
        .await?;
        views.push(GlosaView {
            id: glosa_id,
            lote_id: Some(lote_id),
            level: g.level.code().to_owned(),
            protocol: g.protocol,
            guide_number: g.guide,
            item_sequence: g.item.map(i32::from),
            billing_item_id: item_id,
            code: g.code,
            description: g.description,
            centavos: g.centavos,
        });
    }
    Ok(ReturnView {
        id,
        kind: parsed.header.kind,
        glosas: views,
    })
}

fn unknown_lote() -> ApiError {
    refuse(
        "billing.return_unknown_lote",
        "O retorno cita um número de lote que a clínica não enviou a esta operadora.",
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

type GlosaRow = (
    Uuid,
    Option<Uuid>,
    String,
    Option<String>,
    Option<String>,
    Option<i32>,
    Option<Uuid>,
    String,
    Option<String>,
    Option<i64>,
);

macro_rules! glosa_columns {
    () => {
        "id, lote_id, level, protocol, guide_number, item_sequence, billing_item_id, code, description, centavos"
    };
}

fn glosa_view(r: GlosaRow) -> GlosaView {
    GlosaView {
        id: r.0,
        lote_id: r.1,
        level: r.2,
        protocol: r.3,
        guide_number: r.4,
        item_sequence: r.5,
        billing_item_id: r.6,
        code: r.7,
        description: r.8,
        centavos: r.9,
    }
}

pub async fn glosas(tx: &mut TenantTx, lote: Option<Uuid>) -> Result<Vec<GlosaView>, sqlx::Error> {
    let rows: Vec<GlosaRow> = sqlx::query_as(concat!(
        "SELECT ",
        glosa_columns!(),
        " FROM tiss_glosas WHERE ($1::uuid IS NULL OR lote_id = $1) \
         ORDER BY guide_number, item_sequence, id LIMIT 5000"
    ))
    .bind(lote)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().map(glosa_view).collect())
}

/// One contested glosa.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct ContestBody {
    pub glosa_id: Uuid,
    /// Why the clinic contests (≤ 500 characters).
    pub justification: String,
    /// How much is asked back; defaults to the amount denied.
    pub centavos: Option<i64>,
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct RecursoBody {
    pub lote_id: Uuid,
    pub contested: Vec<ContestBody>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecursoView {
    pub id: Uuid,
    pub number: String,
    pub sequencial_transacao: i64,
    pub protocol: String,
    pub total_centavos: i64,
    pub hash: String,
}

/// Builds, checks and stores a recurso de glosa for glosas of one lote.
pub async fn create_recurso(
    tx: &mut TenantTx,
    body: &RecursoBody,
    by: Uuid,
) -> Result<RecursoView, ApiError> {
    if body.contested.is_empty() {
        return Err(refuse(
            "billing.recurso_empty",
            "Escolha ao menos uma glosa para contestar.",
        ));
    }
    let lote: Option<(String, i64, String)> =
        sqlx::query_as("SELECT registro_ans, numero_lote, guide_kind FROM tiss_lotes WHERE id = $1")
            .bind(body.lote_id)
            .fetch_optional(&mut **tx)
            .await?;
    let (registro_ans, numero_lote, guide_kind) = lote.ok_or_else(ApiError::not_found)?;
    let operator = operator_locked(tx, &registro_ans).await?;
    let ids: Vec<Uuid> = body.contested.iter().map(|c| c.glosa_id).collect();
    let rows: Vec<GlosaRow> = sqlx::query_as(concat!(
        "SELECT ",
        glosa_columns!(),
        " FROM tiss_glosas WHERE id = ANY($1) AND lote_id = $2"
    ))
    .bind(&ids)
    .bind(body.lote_id)
    .fetch_all(&mut **tx)
    .await?;
    let found: BTreeMap<Uuid, GlosaView> = rows.into_iter().map(|r| (r.0, glosa_view(r))).collect();
    let mut protocol = None;
    let mut whole: BTreeMap<String, Vec<ContestedGuideGlosa>> = BTreeMap::new();
    let mut items: BTreeMap<String, Vec<ContestedItem>> = BTreeMap::new();
    let mut protocol_object = None;
    for c in &body.contested {
        let g = found
            .get(&c.glosa_id)
            .ok_or_else(|| refuse("billing.glosa_unknown", "Glosa não encontrada neste lote."))?;
        let centavos = c.centavos.or(g.centavos).unwrap_or(0);
        if centavos < 0 || g.centavos.is_some_and(|denied| centavos > denied) || centavos > 99_999_999 {
            return Err(refuse(
                "billing.recurso_amount",
                "O valor contestado não pode ser negativo nem maior que o valor glosado.",
            ));
        }
        let p = g.protocol.clone().ok_or_else(|| {
            refuse(
                "billing.glosa_without_protocol",
                "Um lote recusado no recebimento não tem recurso: corrija e envie um lote novo.",
            )
        })?;
        if protocol.get_or_insert_with(|| p.clone()) != &p {
            return Err(refuse(
                "billing.recurso_protocols",
                "Um recurso contesta glosas de um só protocolo.",
            ));
        }
        match (g.level.as_str(), &g.guide_number, g.billing_item_id) {
            ("item", Some(guide), Some(item_id)) => {
                #[allow(clippy::type_complexity)]
                let (table, code, performed_on, tooth, faces, quantity): (
                    String,
                    String,
                    String,
                    Option<String>,
                    Option<String>,
                    i32,
                ) = sqlx::query_as(
                    "SELECT tuss_table, code, performed_on::text, tooth, faces, quantity FROM billing_items WHERE id = $1",
                )
                .bind(item_id)
                .fetch_one(&mut **tx)
                .await?;
                let description = TussTable::from_code(&table)
                    .zip(TussCode::parse(&code).ok())
                    .and_then(|(t, c)| operator.price(t, &c).map(|p| p.description.clone()))
                    .unwrap_or_else(|| code.clone());
                items.entry(guide.clone()).or_default().push(ContestedItem {
                    sequence: u16::try_from(g.item_sequence.unwrap_or(0)).unwrap_or(0),
                    start: performed_on.parse().map_err(|_| ApiError::internal())?,
                    end: None,
                    procedure: Procedure {
                        table,
                        code,
                        description,
                    },
                    participation: None,
                    glosa_code: g.code.clone(),
                    centavos,
                    justification: c.justification.clone(),
                    tooth: tooth.as_deref().map(ToothOrRegion::classify),
                    faces,
                    quantity: u32::try_from(quantity).unwrap_or(1),
                });
            }
            ("guide", Some(guide), _) => whole.entry(guide.clone()).or_default().push(ContestedGuideGlosa {
                glosa_code: g.code.clone(),
                justification: c.justification.clone(),
                centavos,
            }),
            _ => {
                protocol_object = Some(RecursoObject::Protocol {
                    glosa_code: g.code.clone(),
                    justification: c.justification.clone(),
                    centavos,
                });
            }
        }
    }
    let object = match protocol_object {
        Some(object) if items.is_empty() && whole.is_empty() && body.contested.len() == 1 => object,
        Some(_) => {
            return Err(refuse(
                "billing.recurso_mixed",
                "A glosa do protocolo inteiro se contesta sozinha, num recurso próprio.",
            ));
        }
        None => {
            let mut guides = Vec::new();
            for (number, list) in whole {
                if items.contains_key(&number) {
                    return Err(refuse(
                        "billing.recurso_mixed",
                        format!("Na guia {number}, conteste a guia inteira ou itens, não os dois."),
                    ));
                }
                guides.push(ContestedGuide {
                    number,
                    operator_guide: None,
                    password: None,
                    contest: GuideContest::Whole(list),
                });
            }
            for (number, list) in items {
                guides.push(ContestedGuide {
                    number,
                    operator_guide: None,
                    password: None,
                    contest: GuideContest::Items(list),
                });
            }
            RecursoObject::Guides(guides)
        }
    };
    let transaction = take(tx, operator.registro_ans.as_str(), Counter::Transaction, 1).await?;
    let now = local_now(tx).await?;
    let recurso = Recurso {
        transaction: u64::try_from(transaction).unwrap_or(0),
        made_at: now,
        provider_code: operator.provider_code.clone(),
        registro_ans: operator.registro_ans.as_str().to_owned(),
        hash_input: operator.hash_input,
        number: format!("R{transaction}"),
        operator_name: operator.name.clone(),
        contractor: shared_model::billing::tiss::Contractor::OperatorCode(operator.provider_code.clone()),
        lote: numero_lote.to_string(),
        protocol: protocol.unwrap_or_default(),
        object,
        date: now.date(),
        dental: guide_kind == GuideKind::Odonto.code(),
    };
    let Message { bytes, hash } = recurso_message(&recurso).map_err(|e| from_model(&e))?;
    check_schema(bytes.clone()).await?;
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO tiss_recursos (tenant_id, id, registro_ans, lote_id, number, transaction_seq, protocol, \
           total_centavos, hash, xml, created_by) \
         VALUES (current_tenant(), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(id)
    .bind(operator.registro_ans.as_str())
    .bind(body.lote_id)
    .bind(&recurso.number)
    .bind(transaction)
    .bind(&recurso.protocol)
    .bind(recurso.total_centavos())
    .bind(&hash)
    .bind(&bytes)
    .bind(by)
    .execute(&mut **tx)
    .await?;
    for c in &body.contested {
        let centavos = c
            .centavos
            .or_else(|| found.get(&c.glosa_id).and_then(|g| g.centavos))
            .unwrap_or(0);
        sqlx::query(
            "INSERT INTO tiss_recurso_glosas (tenant_id, recurso_id, glosa_id, justification, centavos) \
             VALUES (current_tenant(), $1, $2, $3, $4)",
        )
        .bind(id)
        .bind(c.glosa_id)
        .bind(c.justification.trim())
        .bind(centavos)
        .execute(&mut **tx)
        .await?;
    }
    Ok(RecursoView {
        id,
        number: recurso.number.clone(),
        sequencial_transacao: transaction,
        protocol: recurso.protocol.clone(),
        total_centavos: recurso.total_centavos(),
        hash,
    })
}

pub async fn recurso_xml(tx: &mut TenantTx, id: Uuid) -> Result<Option<(String, Vec<u8>)>, sqlx::Error> {
    sqlx::query_as("SELECT number, xml FROM tiss_recursos WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
}
