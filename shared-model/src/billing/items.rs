//! What a clinic bills: operators (health plans) with their price tables, billable items, and
//! how items become TISS guides.
//!
//! Items come from completed appointments (a consultation) and from signed procedure entries of
//! the chart (a TUSS code recorded against the entry). Building guides is pure: the caller
//! resolves professionals and patient cards, and numbers the guides; nothing here reads a
//! database, so the desktop can build the same guides offline.

use std::collections::BTreeMap;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::tiss::{
    Authorization, Beneficiary, ConsultaGuide, Contractor, ExecutedProcedure, Expense, Guide, GuideKind,
    HashInput, HonorariosGuide, InternacaoGuide, OdontoExecutor, OdontoGuide, OdontoItem, Procedure,
    ProfessionalCode, SadtGuide, SiteCode, TeamMember, TissError, TissProfessional, ToothOrRegion, domains,
};
use crate::ids::{PatientId, ProfessionalId};
use crate::registry::{AnsCode, CardNumber, HealthPlanCard, Professional};

/// TUSS terminology a code comes from (`dm_tabela`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TussTable {
    /// 22: procedures and events.
    Procedures,
    /// 18: fees, daily rates and gases.
    Fees,
    /// 19: materials and OPME.
    Materials,
    /// 20: drugs.
    Drugs,
}

impl TussTable {
    /// The `dm_tabela` code.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::Procedures => "22",
            Self::Fees => "18",
            Self::Materials => "19",
            Self::Drugs => "20",
        }
    }

    #[must_use]
    pub fn from_code(code: &str) -> Option<Self> {
        [Self::Procedures, Self::Fees, Self::Materials, Self::Drugs]
            .into_iter()
            .find(|t| t.code() == code.trim())
    }
}

/// A TUSS code: 8 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TussCode(String);

impl TussCode {
    pub fn parse(input: &str) -> Result<Self, BillingError> {
        let code = input.trim();
        if code.len() != 8 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(BillingError::InvalidTussCode);
        }
        Ok(Self(code.to_owned()))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for TussCode {
    type Error = BillingError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<TussCode> for String {
    fn from(value: TussCode) -> String {
        value.0
    }
}

/// The TUSS code of a consultation in the office (consulta em consultório).
pub const CONSULTATION_CODE: &str = "10101012";

/// One line of an operator's price table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceEntry {
    pub table: TussTable,
    pub code: TussCode,
    pub description: String,
    pub centavos: i64,
}

/// A health-plan operator as this clinic bills it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorSettings {
    pub registro_ans: AnsCode,
    pub name: String,
    /// The clinic's code at this operator (`codigoPrestadorNaOperadora`).
    pub provider_code: String,
    pub clinic_name: String,
    /// The clinic's CNES (`9999999` when it has none).
    pub cnes: String,
    pub hash_input: HashInput,
    /// The code billed for a consultation.
    pub consultation_code: TussCode,
    pub prices: Vec<PriceEntry>,
}

impl OperatorSettings {
    /// The contracted price of `code`, if the operator's table has it.
    #[must_use]
    pub fn price(&self, table: TussTable, code: &TussCode) -> Option<&PriceEntry> {
        self.prices.iter().find(|p| p.table == table && p.code == *code)
    }
}

/// Where a billable item came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum ItemSource {
    Appointment(Uuid),
    ChartEntry(Uuid),
}

/// What kind of service an item is, which decides its guide and TISS codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    /// Primeira consulta (Guia de Consulta, tipoConsulta 1).
    FirstVisit,
    /// Retorno (tipoConsulta 2).
    FollowUp,
    /// Teleconsulta (regime 05).
    Teleconsultation,
    /// A procedure recorded in the chart (Guia SP/SADT; materials, drugs and fees of the
    /// visit go in its `outrasDespesas`).
    Procedure,
    /// A dental procedure (Guia de Tratamento Odontológico), on a tooth or region.
    Dental,
    /// A professional's fees for work in a hospitalisation (Guia de Honorários).
    HospitalFees,
    /// A day-hospital stay billed by the clinic itself (Guia de Resumo de Internação).
    DayHospital,
}

impl Service {
    #[must_use]
    pub const fn guide(self) -> GuideKind {
        match self {
            Self::Procedure => GuideKind::SpSadt,
            Self::Dental => GuideKind::Odonto,
            Self::HospitalFees => GuideKind::Honorarios,
            Self::DayHospital => GuideKind::ResumoInternacao,
            _ => GuideKind::Consulta,
        }
    }
}

/// The hospitalisation an item belongs to (Honorários and Resumo de Internação).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HospitalStay {
    /// The hospitalisation request guide (`guiaSolicInternacao`, `numeroGuiaSolicitacaoInternacao`).
    pub request_guide: String,
    /// The operator's authorisation: day and password (`senha`, required in a Resumo).
    pub authorized_on: Option<Date>,
    pub password: Option<String>,
    /// Where the work was done (Honorários): the hospital's code at the operator, or its CNPJ.
    pub site_code: Option<String>,
    pub site_cnpj: Option<String>,
    pub site_name: Option<String>,
    pub site_cnes: Option<String>,
    pub start: jiff::civil::DateTime,
    pub end: jiff::civil::DateTime,
    /// `dm_grauPart` of the professional (00 cirurgião, 01 primeiro auxiliar, …, 12 clínico).
    pub participation: String,
    /// Resumo: 1 eletiva, 2 urgência/emergência.
    pub character: Option<String>,
    /// Resumo: `dm_tipoInternacao` 1 clínica … 5 psiquiátrica.
    pub kind: Option<String>,
    /// Resumo: `dm_regimeInternacao` 1 hospitalar, 2 hospital-dia, 3 domiciliar.
    pub regime: Option<String>,
    /// Resumo: `dm_motivoSaida` (e.g. 11 alta curado).
    pub discharge_reason: Option<String>,
    /// Resumo: up to 4 CID-10 codes.
    #[serde(default)]
    pub diagnoses: Vec<String>,
}

/// One thing the clinic will bill a health plan for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillableItem {
    pub id: Uuid,
    pub source: ItemSource,
    pub patient: PatientId,
    pub professional: ProfessionalId,
    pub performed_on: Date,
    pub registro_ans: AnsCode,
    pub card: CardNumber,
    pub service: Service,
    pub table: TussTable,
    pub code: TussCode,
    pub quantity: u32,
    /// Dental items: the tooth (FDI, `36`) or region (`AS`), and the faces (`OM`).
    pub tooth: Option<String>,
    pub faces: Option<String>,
    /// Hospital items (fees, day-hospital stays): the hospitalisation.
    pub hospital: Option<HospitalStay>,
}

impl BillableItem {
    /// Which guide an item goes in, within its lote: items with the same key share a guide.
    /// Consultations never share; procedures and dental work share per patient, card,
    /// professional and day; hospital items per patient, card and hospitalisation (fees also
    /// per professional).
    #[must_use]
    pub fn guide_key(&self) -> (PatientId, String, Option<ProfessionalId>, String) {
        let card = self.card.as_str().to_owned();
        match (self.service, &self.hospital) {
            (Service::FirstVisit | Service::FollowUp | Service::Teleconsultation, _) => {
                (self.patient, card, Some(self.professional), self.id.to_string())
            }
            (Service::HospitalFees, Some(stay)) => (
                self.patient,
                card,
                Some(self.professional),
                stay.request_guide.clone(),
            ),
            (Service::DayHospital, Some(stay)) => (self.patient, card, None, stay.request_guide.clone()),
            _ => (
                self.patient,
                card,
                Some(self.professional),
                self.performed_on.to_string(),
            ),
        }
    }
}

/// Why items could not become guides. Codes are stable; messages pt-BR and never quote
/// patient data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BillingError {
    #[error("código TUSS deve ter 8 dígitos")]
    InvalidTussCode,
    #[error("item {item}: o código TUSS {code} não está na tabela de preços desta operadora")]
    UnknownTussCode { item: Uuid, code: String },
    #[error("item {item}: o paciente não tem a carteira desta operadora cadastrada")]
    CardMissing { item: Uuid },
    #[error("item {item}: a carteira do paciente estava vencida na data do atendimento")]
    CardExpired { item: Uuid },
    #[error("item {item}: o profissional não está cadastrado")]
    ProfessionalMissing { item: Uuid },
    #[error("item {item}: é de outra operadora")]
    OtherOperator { item: Uuid },
    #[error(
        "item {item}: falta a internação (guia de solicitação, datas, local) para faturar honorários ou resumo"
    )]
    HospitalMissing { item: Uuid },
    #[error("itens de guias diferentes ({first} e {other}) não vão no mesmo lote")]
    MixedGuideTypes {
        first: &'static str,
        other: &'static str,
    },
    #[error("nenhum item a faturar")]
    Empty,
    #[error(transparent)]
    Tiss(#[from] TissError),
}

impl crate::ErrorCode for BillingError {
    fn code(&self) -> &'static str {
        match self {
            Self::InvalidTussCode => "billing.invalid_tuss_code",
            Self::UnknownTussCode { .. } => "billing.unknown_tuss_code",
            Self::CardMissing { .. } => "billing.card_missing",
            Self::CardExpired { .. } => "billing.card_expired",
            Self::ProfessionalMissing { .. } => "billing.professional_missing",
            Self::OtherOperator { .. } => "billing.other_operator",
            Self::HospitalMissing { .. } => "billing.hospital_missing",
            Self::MixedGuideTypes { .. } => "billing.mixed_guide_types",
            Self::Empty => "billing.empty",
            Self::Tiss(e) => crate::ErrorCode::code(e),
        }
    }
}

/// A guide built from items, with where each item went (`sequencialItem`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltGuide {
    pub guide: Guide,
    /// (item id, sequencialItem; 1 for a consulta).
    pub items: Vec<(Uuid, u16)>,
}

/// What the builder needs to look up.
pub trait Lookup {
    fn professional(&self, id: ProfessionalId) -> Option<Professional>;
    /// The patient's card with this number at this operator.
    fn card(&self, patient: PatientId, registro_ans: &AnsCode, card: &CardNumber) -> Option<HealthPlanCard>;
}

/// A [`Lookup`] over what the caller read beforehand (the server from its documents, a replica
/// from its own).
#[derive(Debug, Clone, Default)]
pub struct LoadedLookup {
    pub professionals: BTreeMap<ProfessionalId, Professional>,
    /// Each patient's health-plan cards.
    pub cards: BTreeMap<PatientId, Vec<HealthPlanCard>>,
}

impl Lookup for LoadedLookup {
    fn professional(&self, id: ProfessionalId) -> Option<Professional> {
        self.professionals.get(&id).cloned()
    }

    fn card(&self, patient: PatientId, registro_ans: &AnsCode, card: &CardNumber) -> Option<HealthPlanCard> {
        self.cards
            .get(&patient)?
            .iter()
            .find(|c| c.operator_ans == *registro_ans && c.card_number == *card)
            .cloned()
    }
}

fn tiss_professional(p: &Professional) -> TissProfessional {
    TissProfessional {
        name: p.name.as_str().to_owned(),
        council: domains::council_code(p.registration.council()).to_owned(),
        council_number: p.registration.number().to_owned(),
        uf: domains::uf_code(p.registration.uf()).to_owned(),
        cbo: p.cbo.as_str().to_owned(),
    }
}

/// Builds the guides of one lote: all items of one operator and one guide type. Guide numbers
/// come from `next_number` (unique per provider and operator: the caller's counter).
/// Consultations make one guide each; procedures of the same patient, card, professional and
/// day share one SP/SADT guide.
pub fn build_guides(
    operator: &OperatorSettings,
    items: &[BillableItem],
    lookup: &dyn Lookup,
    mut next_number: impl FnMut() -> u64,
) -> Result<Vec<BuiltGuide>, BillingError> {
    let first = items.first().ok_or(BillingError::Empty)?;
    let kind = first.service.guide();
    for item in items {
        if item.registro_ans != operator.registro_ans {
            return Err(BillingError::OtherOperator { item: item.id });
        }
        if item.service.guide() != kind {
            return Err(BillingError::MixedGuideTypes {
                first: kind.label(),
                other: item.service.guide().label(),
            });
        }
        match lookup.card(item.patient, &item.registro_ans, &item.card) {
            None => return Err(BillingError::CardMissing { item: item.id }),
            Some(card) if !card.is_valid_on(item.performed_on) => {
                return Err(BillingError::CardExpired { item: item.id });
            }
            Some(_) => {}
        }
        if operator.price(item.table, &item.code).is_none() {
            return Err(BillingError::UnknownTussCode {
                item: item.id,
                code: item.code.as_str().to_owned(),
            });
        }
    }
    let professional = |item: &BillableItem| {
        lookup
            .professional(item.professional)
            .ok_or(BillingError::ProfessionalMissing { item: item.id })
    };
    let executor = Contractor::OperatorCode(operator.provider_code.clone());
    let mut out = Vec::new();
    if kind == GuideKind::Consulta {
        for item in items {
            let price = operator.price(item.table, &item.code).map_or(0, |p| p.centavos);
            out.push(BuiltGuide {
                guide: Guide::Consulta(ConsultaGuide {
                    number: next_number().to_string(),
                    beneficiary: Beneficiary {
                        card: item.card.as_str().to_owned(),
                        newborn: false,
                    },
                    executor: executor.clone(),
                    cnes: operator.cnes.clone(),
                    professional: tiss_professional(&professional(item)?),
                    accident: "9".to_owned(),
                    regime: if item.service == Service::Teleconsultation {
                        "05"
                    } else {
                        "01"
                    }
                    .to_owned(),
                    date: item.performed_on,
                    consultation_type: if item.service == Service::FollowUp {
                        "2"
                    } else {
                        "1"
                    }
                    .to_owned(),
                    table: item.table.code().to_owned(),
                    procedure: item.code.as_str().to_owned(),
                    value_centavos: price.saturating_mul(i64::from(item.quantity.max(1))),
                    notes: None,
                }),
                items: vec![(item.id, 1)],
            });
        }
        return Ok(out);
    }
    // Other guides: items of the same `guide_key` share a guide, in the items' order.
    let mut groups: BTreeMap<(PatientId, String, Option<ProfessionalId>, String), Vec<&BillableItem>> =
        BTreeMap::new();
    for item in items {
        if matches!(kind, GuideKind::Honorarios | GuideKind::ResumoInternacao) && item.hospital.is_none() {
            return Err(BillingError::HospitalMissing { item: item.id });
        }
        groups.entry(item.guide_key()).or_default().push(item);
    }
    let too_many = || {
        BillingError::Tiss(TissError::InvalidField {
            field: "procedimentosExecutados".to_owned(),
            reason: "itens demais numa guia",
        })
    };
    for ((patient, card, _, _), group) in groups {
        let day = group[0].performed_on;
        let professional = professional(group[0])?;
        let described = |item: &BillableItem| {
            let price = operator.price(item.table, &item.code);
            (
                Procedure {
                    table: item.table.code().to_owned(),
                    code: item.code.as_str().to_owned(),
                    description: price
                        .map_or_else(|| item.code.as_str().to_owned(), |p| p.description.clone()),
                },
                price.map_or(0, |p| p.centavos),
            )
        };
        let mut placed = Vec::new();
        if kind == GuideKind::Odonto {
            let mut dental = Vec::new();
            for (i, item) in group.iter().enumerate() {
                let sequence = u16::try_from(i + 1).map_err(|_| too_many())?;
                let (procedure, unit) = described(item);
                dental.push(OdontoItem {
                    sequence,
                    procedure,
                    tooth: item.tooth.as_deref().map(ToothOrRegion::classify),
                    faces: item.faces.clone(),
                    quantity: item.quantity,
                    unit_centavos: unit,
                    franchise_centavos: None,
                    authorized: true,
                    date: item.performed_on,
                });
                placed.push((item.id, sequence));
            }
            let card_plan = lookup
                .card(patient, &operator.registro_ans, &group[0].card)
                .and_then(|c| c.plan_name);
            out.push(BuiltGuide {
                guide: Guide::Odonto(OdontoGuide {
                    number: next_number().to_string(),
                    main_guide: None,
                    operator_guide: None,
                    beneficiary: Beneficiary { card, newborn: false },
                    plan: card_plan.unwrap_or_else(|| operator.name.chars().take(40).collect()),
                    executor: OdontoExecutor {
                        code: operator.provider_code.clone(),
                        name: professional.name.as_str().to_owned(),
                        cro: professional.registration.number().to_owned(),
                        uf: domains::uf_code(professional.registration.uf()).to_owned(),
                        cnes: operator.cnes.clone(),
                        cbo: professional.cbo.as_str().to_owned(),
                    },
                    items: dental,
                    treatment_end: None,
                    service_type: "1".to_owned(),
                    billing_type: "4".to_owned(),
                    notes: None,
                }),
                items: placed,
            });
            continue;
        }
        // Procedures first (numbered 1..), then materials, drugs and fees as other expenses,
        // linked to the visit's first procedure. In hospital guides the professional is the
        // procedure's team, with their degree of participation.
        let stay = group[0].hospital.clone();
        // The executing professional is identified by the clinic's code at the operator
        // (the only identifier every operator accepts; see the notes, §1.1).
        let team: Vec<TeamMember> = vec![TeamMember {
            participation: match (&stay, kind) {
                (Some(stay), GuideKind::Honorarios | GuideKind::ResumoInternacao) => {
                    Some(stay.participation.clone())
                }
                _ => None,
            },
            code: ProfessionalCode::OperatorCode(operator.provider_code.clone()),
            professional: tiss_professional(&professional),
        }];
        let mut procedures = Vec::new();
        let mut expenses = Vec::new();
        let (main, extra): (Vec<&BillableItem>, Vec<&BillableItem>) =
            group.iter().partition(|i| i.table == TussTable::Procedures);
        for (i, item) in main.iter().chain(extra.iter()).enumerate() {
            let sequence = u16::try_from(i + 1).map_err(|_| too_many())?;
            let (procedure, unit) = described(item);
            if item.table == TussTable::Procedures {
                procedures.push(ExecutedProcedure {
                    sequence,
                    date: item.performed_on,
                    start: None,
                    end: None,
                    procedure,
                    quantity: item.quantity,
                    access_route: None,
                    technique: None,
                    factor_hundredths: 100,
                    unit_centavos: unit,
                    team: team.clone(),
                });
            } else {
                expenses.push(Expense {
                    sequence,
                    kind: match item.table {
                        TussTable::Drugs => "02",
                        TussTable::Materials => "03",
                        _ => "07",
                    }
                    .to_owned(),
                    date: item.performed_on,
                    item: procedure,
                    quantity_ten_thousandths: i64::from(item.quantity) * 10_000,
                    unit_of_measure: "036".to_owned(),
                    factor_hundredths: 100,
                    unit_centavos: unit,
                    anvisa: None,
                    linked_item: (!main.is_empty()).then_some(1),
                });
            }
            placed.push((item.id, sequence));
        }
        let number = next_number().to_string();
        let guide = match (kind, stay) {
            (GuideKind::Honorarios, Some(stay)) => {
                // Fees are procedures only: an expense line here is billed as a procedure.
                procedures.extend(expenses.drain(..).map(|e| ExecutedProcedure {
                    sequence: e.sequence,
                    date: e.date,
                    start: None,
                    end: None,
                    procedure: e.item,
                    quantity: u32::try_from(e.quantity_ten_thousandths / 10_000).unwrap_or(1),
                    access_route: None,
                    technique: None,
                    factor_hundredths: 100,
                    unit_centavos: e.unit_centavos,
                    team: team.clone(),
                }));
                Guide::Honorarios(HonorariosGuide {
                    number,
                    hospitalisation_guide: stay.request_guide,
                    password: stay.password,
                    operator_guide: None,
                    beneficiary: Beneficiary { card, newborn: false },
                    site: match (stay.site_cnpj, stay.site_code) {
                        (Some(cnpj), _) => SiteCode::Cnpj(cnpj),
                        (None, code) => SiteCode::OperatorCode(code.unwrap_or_default()),
                    },
                    site_name: stay.site_name.unwrap_or_default(),
                    site_cnes: stay.site_cnes.unwrap_or_else(|| "9999999".to_owned()),
                    executor_code: operator.provider_code.clone(),
                    executor_cnes: operator.cnes.clone(),
                    billing_start: stay.start.date(),
                    billing_end: stay.end.date(),
                    procedures,
                    notes: None,
                    issued: stay.end.date(),
                })
            }
            (GuideKind::ResumoInternacao, Some(stay)) => Guide::ResumoInternacao(InternacaoGuide {
                number,
                request_guide: stay.request_guide,
                authorization: Authorization {
                    operator_guide: None,
                    date: stay.authorized_on.unwrap_or(day),
                    password: stay.password,
                    password_valid_until: None,
                },
                beneficiary: Beneficiary { card, newborn: false },
                executor: executor.clone(),
                cnes: operator.cnes.clone(),
                character: stay.character.unwrap_or_else(|| "1".to_owned()),
                billing_type: "4".to_owned(),
                billing_start: stay.start,
                billing_end: stay.end,
                hospitalisation_type: stay.kind.unwrap_or_else(|| "1".to_owned()),
                hospitalisation_regime: stay.regime.unwrap_or_else(|| "2".to_owned()),
                diagnoses: stay.diagnoses,
                accident: "9".to_owned(),
                discharge_reason: stay.discharge_reason.unwrap_or_default(),
                procedures,
                expenses,
                notes: None,
            }),
            _ => Guide::SpSadt(SadtGuide {
                number,
                main_guide: None,
                authorization: None,
                beneficiary: Beneficiary { card, newborn: false },
                requester: executor.clone(),
                requester_name: operator.clinic_name.clone(),
                requesting_professional: tiss_professional(&professional),
                request_date: Some(day),
                character: "1".to_owned(),
                clinical_indication: None,
                executor: executor.clone(),
                cnes: operator.cnes.clone(),
                service_type: "13".to_owned(),
                accident: "9".to_owned(),
                consultation_type: None,
                regime: "01".to_owned(),
                procedures,
                expenses,
                notes: None,
            }),
        };
        out.push(BuiltGuide { guide, items: placed });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;
    use crate::billing::tiss::{LoteHeader, lote, message_hashes};
    use crate::registry::{Cbo, NewHealthPlanCard, NewProfessional};
    use crate::values::CouncilRegistration;

    struct Clinic {
        doctor: Professional,
        card: HealthPlanCard,
    }

    impl Lookup for Clinic {
        fn professional(&self, id: ProfessionalId) -> Option<Professional> {
            (id == self.doctor.id).then(|| self.doctor.clone())
        }
        fn card(&self, _: PatientId, ans: &AnsCode, card: &CardNumber) -> Option<HealthPlanCard> {
            (self.card.operator_ans == *ans && self.card.card_number == *card).then(|| self.card.clone())
        }
    }

    fn clinic() -> Clinic {
        Clinic {
            doctor: Professional::new(NewProfessional {
                user_id: None,
                name: "Dra. Inês Araújo".into(),
                registration: CouncilRegistration::parse("CRM/SP 123456").unwrap(),
                specialties: vec![],
                cbo: Cbo::parse("225125").unwrap(),
            })
            .unwrap(),
            card: HealthPlanCard::new(NewHealthPlanCard {
                operator_ans: "326305".into(),
                operator_name: "Saúde Exemplo".into(),
                card_number: "0001234500012".into(),
                plan_name: None,
                valid_until: Some(jiff::civil::date(2026, 12, 31)),
            })
            .unwrap(),
        }
    }

    fn operator() -> OperatorSettings {
        OperatorSettings {
            registro_ans: AnsCode::parse("326305").unwrap(),
            name: "Saúde Exemplo".into(),
            provider_code: "000123".into(),
            clinic_name: "Clínica AtendeBem".into(),
            cnes: "1234567".into(),
            hash_input: HashInput::Utf8,
            consultation_code: TussCode::parse(CONSULTATION_CODE).unwrap(),
            prices: vec![
                PriceEntry {
                    table: TussTable::Procedures,
                    code: TussCode::parse(CONSULTATION_CODE).unwrap(),
                    description: "Consulta em consultório".into(),
                    centavos: 15_000,
                },
                PriceEntry {
                    table: TussTable::Procedures,
                    code: TussCode::parse("20104014").unwrap(),
                    description: "Sessão de acupuntura".into(),
                    centavos: 8_000,
                },
                PriceEntry {
                    table: TussTable::Materials,
                    code: TussCode::parse("70000000").unwrap(),
                    description: "Agulha descartável".into(),
                    centavos: 250,
                },
                PriceEntry {
                    table: TussTable::Procedures,
                    code: TussCode::parse("85100196").unwrap(),
                    description: "Restauração em resina".into(),
                    centavos: 9_000,
                },
            ],
        }
    }

    fn item(c: &Clinic, service: Service, code: &str, day: i8) -> BillableItem {
        BillableItem {
            id: Uuid::now_v7(),
            source: ItemSource::Appointment(Uuid::now_v7()),
            patient: PatientId::new(),
            professional: c.doctor.id,
            performed_on: jiff::civil::date(2026, 11, day),
            registro_ans: c.card.operator_ans.clone(),
            card: c.card.card_number.clone(),
            service,
            table: TussTable::Procedures,
            code: TussCode::parse(code).unwrap(),
            quantity: 1,
            tooth: None,
            faces: None,
            hospital: None,
        }
    }

    #[test]
    fn consultations_become_numbered_guides_with_contract_prices() {
        let c = clinic();
        let items = [
            item(&c, Service::FirstVisit, CONSULTATION_CODE, 3),
            item(&c, Service::Teleconsultation, CONSULTATION_CODE, 4),
        ];
        let mut n = 40;
        let built = build_guides(&operator(), &items, &c, || {
            n += 1;
            n
        })
        .unwrap();
        assert_eq!(built.len(), 2);
        let Guide::Consulta(g) = &built[1].guide else {
            panic!()
        };
        assert_eq!(
            (g.number.as_str(), g.regime.as_str(), g.value_centavos),
            ("42", "05", 15_000)
        );
        assert_eq!(g.professional.council, "06");
        assert_eq!(g.professional.uf, "35");
        assert_eq!(built[0].items, vec![(items[0].id, 1)]);
        let header = LoteHeader {
            transaction: 1,
            lote: 1,
            made_at: jiff::civil::date(2026, 11, 29).at(12, 0, 0, 0),
            provider_code: "000123".into(),
            registro_ans: "326305".into(),
            hash_input: HashInput::Utf8,
        };
        let guides: Vec<Guide> = built.into_iter().map(|b| b.guide).collect();
        let bytes = lote(&header, &guides).unwrap();
        assert_eq!(message_hashes(&bytes).unwrap().matches, Some("utf8"));
    }

    #[test]
    fn procedures_of_one_visit_share_an_sp_sadt_guide() {
        let c = clinic();
        let mut a = item(&c, Service::Procedure, "20104014", 5);
        let mut b = a.clone();
        b.id = Uuid::now_v7();
        b.quantity = 3;
        a.source = ItemSource::ChartEntry(Uuid::now_v7());
        let other_day = item(&c, Service::Procedure, "20104014", 6);
        let built = build_guides(&operator(), &[a.clone(), b.clone(), other_day], &c, {
            let mut n = 0;
            move || {
                n += 1;
                n
            }
        })
        .unwrap();
        assert_eq!(built.len(), 2);
        let Guide::SpSadt(g) = &built[0].guide else {
            panic!()
        };
        assert_eq!(g.procedures.len(), 2);
        assert_eq!(g.procedures[1].total_centavos(), 24_000);
        assert_eq!(built[0].items, vec![(a.id, 1), (b.id, 2)]);
        assert_eq!(built[0].guide.total_centavos(), 32_000);
    }

    #[test]
    fn materials_go_in_other_expenses_and_dental_work_in_a_gto() {
        let c = clinic();
        let needle = {
            let mut i = item(&c, Service::Procedure, "70000000", 5);
            i.table = TussTable::Materials;
            i.quantity = 4;
            i
        };
        let session = item(&c, Service::Procedure, "20104014", 5);
        let mut session = session;
        session.patient = needle.patient;
        let built = build_guides(&operator(), &[needle.clone(), session.clone()], &c, || 9).unwrap();
        let Guide::SpSadt(g) = &built[0].guide else {
            panic!()
        };
        assert_eq!(g.procedures.len(), 1);
        assert_eq!(g.procedures[0].sequence, 1);
        assert_eq!(g.expenses.len(), 1);
        let e = &g.expenses[0];
        assert_eq!((e.kind.as_str(), e.sequence, e.linked_item), ("03", 2, Some(1)));
        assert_eq!(e.total_centavos(), 1_000);
        assert_eq!(built[0].items, vec![(session.id, 1), (needle.id, 2)]);
        assert_eq!(built[0].guide.total_centavos(), 9_000);

        let mut filling = item(&c, Service::Dental, "85100196", 6);
        filling.tooth = Some("36".into());
        filling.faces = Some("OM".into());
        let built = build_guides(&operator(), std::slice::from_ref(&filling), &c, || 3).unwrap();
        let Guide::Odonto(g) = &built[0].guide else {
            panic!()
        };
        assert_eq!(g.items[0].tooth, Some(ToothOrRegion::Tooth("36".into())));
        assert_eq!(g.executor.cro, "123456");
        assert_eq!(g.plan, "Saúde Exemplo");
        let header = LoteHeader {
            transaction: 2,
            lote: 2,
            made_at: jiff::civil::date(2026, 11, 29).at(12, 0, 0, 0),
            provider_code: "000123".into(),
            registro_ans: "326305".into(),
            hash_input: HashInput::Latin1,
        };
        let bytes = lote(&header, &[built[0].guide.clone()]).unwrap();
        assert_eq!(message_hashes(&bytes).unwrap().matches, Some("iso_8859_1"));
    }

    #[test]
    fn bad_items_are_named() {
        let c = clinic();
        let numbers = || 1;
        let unknown = item(&c, Service::Procedure, "99999999", 5);
        let err = build_guides(&operator(), std::slice::from_ref(&unknown), &c, numbers).unwrap_err();
        assert_eq!(err.code(), "billing.unknown_tuss_code");
        assert!(err.to_string().contains(&unknown.id.to_string()));
        let late = item(&c, Service::FirstVisit, CONSULTATION_CODE, 30);
        let mut late = late;
        late.performed_on = jiff::civil::date(2027, 1, 2);
        assert_eq!(
            build_guides(&operator(), &[late], &c, numbers)
                .unwrap_err()
                .code(),
            "billing.card_expired"
        );
        let mut stranger = item(&c, Service::FirstVisit, CONSULTATION_CODE, 3);
        stranger.card = CardNumber::parse("999").unwrap();
        assert_eq!(
            build_guides(&operator(), &[stranger], &c, numbers)
                .unwrap_err()
                .code(),
            "billing.card_missing"
        );
        let mixed = [
            item(&c, Service::FirstVisit, CONSULTATION_CODE, 3),
            item(&c, Service::Procedure, "20104014", 3),
        ];
        assert_eq!(
            build_guides(&operator(), &mixed, &c, numbers).unwrap_err().code(),
            "billing.mixed_guide_types"
        );
        assert_eq!(
            build_guides(&operator(), &[], &c, numbers).unwrap_err().code(),
            "billing.empty"
        );
        assert_eq!(
            TussCode::parse("1010101").unwrap_err().code(),
            "billing.invalid_tuss_code"
        );
    }
}
