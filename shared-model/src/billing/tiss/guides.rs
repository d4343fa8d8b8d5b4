//! The five billing guides of TISS 4.01.00, as typed input, and how each is written.
//!
//! Values the standard derives (item totals, guide totals) are computed here, never taken as
//! input, so a guide's totals always equal the sum of its items (glosa 5042 cannot happen).
//! Item numbers (`sequencialItem`) are unique within a guide, across procedures and other
//! expenses: the operator's glosas refer to items by them.

use std::collections::BTreeSet;

use jiff::civil::{Date, DateTime, Time};

use super::domains;
use super::hash::TissError;
use super::write::{
    Writer, cnpj, count, cpf, date, digits, factor, invalid, money, money10, one_of, opt_one_of, opt_text,
    quantity4, text, time,
};

/// Most items (procedures plus other expenses) one guide carries: `sequencialItem` has 4 digits.
pub const MAX_ITEMS: usize = 9_999;

/// The guide types a lote can carry (one type per lote).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GuideKind {
    Consulta,
    SpSadt,
    Honorarios,
    Odonto,
    ResumoInternacao,
}

impl GuideKind {
    /// The element name in `guiasTISS`.
    #[must_use]
    pub const fn element(self) -> &'static str {
        match self {
            Self::Consulta => "guiaConsulta",
            Self::SpSadt => "guiaSP-SADT",
            Self::Honorarios => "guiaHonorarios",
            Self::Odonto => "guiaOdonto",
            Self::ResumoInternacao => "guiaResumoInternacao",
        }
    }

    /// The pt-BR name shown to people.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Consulta => "Guia de Consulta",
            Self::SpSadt => "Guia SP/SADT",
            Self::Honorarios => "Guia de Honorários",
            Self::Odonto => "Guia de Tratamento Odontológico",
            Self::ResumoInternacao => "Guia de Resumo de Internação",
        }
    }

    /// Stable code (API, storage).
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::Consulta => "consulta",
            Self::SpSadt => "sp_sadt",
            Self::Honorarios => "honorarios",
            Self::Odonto => "odonto",
            Self::ResumoInternacao => "resumo_internacao",
        }
    }

    pub const ALL: [GuideKind; 5] = [
        Self::Consulta,
        Self::SpSadt,
        Self::Honorarios,
        Self::Odonto,
        Self::ResumoInternacao,
    ];

    /// The kind with this [`code`](Self::code).
    #[must_use]
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// The professional who executed or requested a service, as TISS encodes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TissProfessional {
    pub name: String,
    /// `dm_conselhoProfissional`, e.g. `06` for CRM ([`domains::council_code`]).
    pub council: String,
    pub council_number: String,
    /// `dm_UF`: the IBGE code of the council's state, e.g. `35` for SP ([`domains::uf_code`]).
    pub uf: String,
    /// `dm_CBOS`.
    pub cbo: String,
}

/// How a contracted provider is identified (`ct_contratadoDados`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contractor {
    /// `codigoPrestadorNaOperadora` (≤ 14): accepted everywhere, the default.
    OperatorCode(String),
    /// `cpfContratado` (11 digits).
    Cpf(String),
    /// `cnpjContratado` (14 digits; an alphanumeric CNPJ cannot be sent in 4.01.00).
    Cnpj(String),
}

/// How a professional is identified in a team (`codProfissional`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfessionalCode {
    OperatorCode(String),
    Cpf(String),
}

/// The beneficiary's card (`ct_beneficiarioDados`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Beneficiary {
    /// `numeroCarteira` (≤ 20).
    pub card: String,
    /// `atendimentoRN`: a newborn seen on the mother's card.
    pub newborn: bool,
}

/// A coded procedure or item (`ct_procedimentoDados`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Procedure {
    /// `dm_tabela`: 22 TUSS procedures, 18 fees, 19 materials, 20 drugs, 00/90/98 own tables.
    pub table: String,
    /// 8 digits for the TUSS tables (18, 19, 20, 22); ≤ 10 characters otherwise.
    pub code: String,
    /// ≤ 150 characters.
    pub description: String,
}

/// One member of the team of a procedure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamMember {
    /// `dm_grauPart` (00 cirurgião … 13 intensivista); required in Honorários and Internação.
    pub participation: Option<String>,
    pub code: ProfessionalCode,
    pub professional: TissProfessional,
}

/// A procedure executed (SP/SADT, Honorários and Resumo de Internação items).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutedProcedure {
    /// `sequencialItem`: 1..=9999, unique within the guide.
    pub sequence: u16,
    pub date: Date,
    pub start: Option<Time>,
    pub end: Option<Time>,
    pub procedure: Procedure,
    /// 1..=999.
    pub quantity: u32,
    /// `dm_viaDeAcesso` 1, 2, 3.
    pub access_route: Option<String>,
    /// `dm_tecnicaUtilizada` 1 convencional, 2 videolaparoscopia, 3 robótica.
    pub technique: Option<String>,
    /// Reduction or increase in hundredths: 100 = 1.00 (none).
    pub factor_hundredths: u16,
    pub unit_centavos: i64,
    pub team: Vec<TeamMember>,
}

impl ExecutedProcedure {
    /// quantity × unit × factor, in centavos, rounded once (half up).
    #[must_use]
    pub fn total_centavos(&self) -> i64 {
        scaled_total(
            i128::from(self.quantity),
            1,
            self.unit_centavos,
            self.factor_hundredths,
        )
    }
}

/// An other expense (`outrasDespesas/despesa`): gases, drugs, materials, daily rates, fees, OPME.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expense {
    /// `sequencialItem`, unique within the guide across procedures and expenses.
    pub sequence: u16,
    /// `dm_outrasDespesas`: 01 gases, 02 medicamentos, 03 materiais, 05 diárias,
    /// 07 taxas e aluguéis, 08 OPME.
    pub kind: String,
    pub date: Date,
    pub item: Procedure,
    /// In ten-thousandths: 10_000 = 1.
    pub quantity_ten_thousandths: i64,
    /// `dm_unidadeMedida`, e.g. `036` unidade.
    pub unit_of_measure: String,
    pub factor_hundredths: u16,
    pub unit_centavos: i64,
    /// `registroANVISA` of a material or drug.
    pub anvisa: Option<String>,
    /// `itemVinculado`: the `sequence` of the procedure this expense belongs to.
    pub linked_item: Option<u16>,
}

impl Expense {
    /// quantity × unit × factor, in centavos, rounded once (half up).
    #[must_use]
    pub fn total_centavos(&self) -> i64 {
        scaled_total(
            i128::from(self.quantity_ten_thousandths),
            10_000,
            self.unit_centavos,
            self.factor_hundredths,
        )
    }
}

/// `quantity / divisor × unit × factor / 100`, rounded half up; saturates (and is then refused
/// as out of range).
fn scaled_total(quantity: i128, divisor: i128, unit: i64, factor: u16) -> i64 {
    let den = divisor * 100;
    let num = quantity * i128::from(unit) * i128::from(factor);
    let rounded = (num + den / 2).div_euclid(den);
    i64::try_from(rounded).unwrap_or(i64::MAX)
}

/// Authorisation data of an SP/SADT (`ct_autorizacaoSADT`) or hospitalisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub operator_guide: Option<String>,
    pub date: Date,
    /// `senha`: required for a hospitalisation.
    pub password: Option<String>,
    pub password_valid_until: Option<Date>,
}

/// One Guia de Consulta (`guiaConsulta`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsultaGuide {
    /// `numeroGuiaPrestador` (≤ 20).
    pub number: String,
    pub beneficiary: Beneficiary,
    pub executor: Contractor,
    /// The clinic's CNES (7 digits; `9999999` when it has none).
    pub cnes: String,
    pub professional: TissProfessional,
    /// `dm_indicadorAcidente`: `9` when it was no accident.
    pub accident: String,
    /// `dm_regimeAtendimento`, e.g. `01` ambulatorial.
    pub regime: String,
    pub date: Date,
    /// `dm_tipoConsulta`: `1` first visit … `4` referral.
    pub consultation_type: String,
    /// The consultation's code (table and code; no description in this guide).
    pub table: String,
    pub procedure: String,
    pub value_centavos: i64,
    pub notes: Option<String>,
}

/// One Guia SP/SADT (`guiaSP-SADT`): exams, therapies and small procedures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SadtGuide {
    pub number: String,
    /// `guiaPrincipal`: the guide this one complements.
    pub main_guide: Option<String>,
    pub authorization: Option<Authorization>,
    pub beneficiary: Beneficiary,
    pub requester: Contractor,
    pub requester_name: String,
    pub requesting_professional: TissProfessional,
    pub request_date: Option<Date>,
    /// `dm_caraterAtendimento`: 1 eletiva, 2 urgência/emergência.
    pub character: String,
    /// `indicacaoClinica` (≤ 500).
    pub clinical_indication: Option<String>,
    pub executor: Contractor,
    pub cnes: String,
    /// `dm_tipoAtendimento`, e.g. `03` outras terapias, `04` consulta, `23` exame.
    pub service_type: String,
    pub accident: String,
    pub consultation_type: Option<String>,
    pub regime: String,
    pub procedures: Vec<ExecutedProcedure>,
    pub expenses: Vec<Expense>,
    pub notes: Option<String>,
}

/// Where a Guia de Honorários was executed (`localContratado/codigoContratado`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SiteCode {
    OperatorCode(String),
    Cnpj(String),
}

/// One Guia de Honorários (`guiaHonorarios`): a professional's fees during a hospitalisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HonorariosGuide {
    pub number: String,
    /// `guiaSolicInternacao`: the hospitalisation request guide.
    pub hospitalisation_guide: String,
    pub password: Option<String>,
    pub operator_guide: Option<String>,
    pub beneficiary: Beneficiary,
    pub site: SiteCode,
    pub site_name: String,
    pub site_cnes: String,
    /// `codigonaOperadora` of the executing provider (≤ 14).
    pub executor_code: String,
    pub executor_cnes: String,
    pub billing_start: Date,
    pub billing_end: Date,
    /// Each with at least one team member, participation given.
    pub procedures: Vec<ExecutedProcedure>,
    pub notes: Option<String>,
    pub issued: Date,
}

/// A tooth (`dm_dente`, FDI) or a region of the mouth (`dm_regiao`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToothOrRegion {
    Tooth(String),
    Region(String),
}

impl ToothOrRegion {
    /// A code as recorded: a tooth when it is one of `dm_dente`, else a region (which the
    /// writer then checks against `dm_regiao`).
    #[must_use]
    pub fn classify(code: &str) -> Self {
        let code = code.trim();
        if domains::TEETH.contains(&code) {
            Self::Tooth(code.to_owned())
        } else {
            Self::Region(code.to_owned())
        }
    }
}

/// Whether `value` names the faces of a tooth: 1 to 5 distinct letters of `OLMVDIP` (upper
/// case).
#[must_use]
pub fn faces_valid(value: &str) -> bool {
    let mut seen = BTreeSet::new();
    (1..=5).contains(&value.len()) && value.chars().all(|c| "OLMVDIP".contains(c) && seen.insert(c))
}

/// One procedure of a Guia Odontológica.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OdontoItem {
    pub sequence: u16,
    pub procedure: Procedure,
    pub tooth: Option<ToothOrRegion>,
    /// Faces: distinct letters of `OLMVDIP`, e.g. `OM`.
    pub faces: Option<String>,
    /// 1..=99.
    pub quantity: u32,
    pub unit_centavos: i64,
    pub franchise_centavos: Option<i64>,
    pub authorized: bool,
    pub date: Date,
}

impl OdontoItem {
    #[must_use]
    pub fn total_centavos(&self) -> i64 {
        scaled_total(i128::from(self.quantity), 1, self.unit_centavos, 100)
    }
}

/// The dentist who executed the treatment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OdontoExecutor {
    /// `codigoProfExec`: the dentist's code at the operator (≤ 14).
    pub code: String,
    pub name: String,
    /// CRO number.
    pub cro: String,
    /// `dm_UF` of the CRO.
    pub uf: String,
    pub cnes: String,
    pub cbo: String,
}

/// One Guia de Tratamento Odontológico, cobrança (`guiaOdonto`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OdontoGuide {
    pub number: String,
    pub main_guide: Option<String>,
    pub operator_guide: Option<String>,
    pub beneficiary: Beneficiary,
    /// `planoBeneficiario` (≤ 40).
    pub plan: String,
    pub executor: OdontoExecutor,
    pub items: Vec<OdontoItem>,
    pub treatment_end: Option<Date>,
    /// `dm_tipoAtendimentoOdonto`: 1 tratamento … 5 auditoria.
    pub service_type: String,
    /// `dm_tipoFaturamentoOdonto`: 1 parcial, 4 total.
    pub billing_type: String,
    pub notes: Option<String>,
}

/// One Guia de Resumo de Internação (`guiaResumoInternacao`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InternacaoGuide {
    pub number: String,
    /// `numeroGuiaSolicitacaoInternacao`.
    pub request_guide: String,
    /// The password is required here.
    pub authorization: Authorization,
    pub beneficiary: Beneficiary,
    pub executor: Contractor,
    pub cnes: String,
    pub character: String,
    /// `dm_tipoFaturamento`: 1 parcial, 2 final, 3 complementar, 4 total.
    pub billing_type: String,
    pub billing_start: DateTime,
    pub billing_end: DateTime,
    /// `dm_tipoInternacao`: 1 clínica … 5 psiquiátrica.
    pub hospitalisation_type: String,
    /// `dm_regimeInternacao`: 1 hospitalar, 2 hospital-dia, 3 domiciliar.
    pub hospitalisation_regime: String,
    /// Up to 4 CID-10 codes (e.g. `J18.9`; written without the dot).
    pub diagnoses: Vec<String>,
    pub accident: String,
    /// `dm_motivoSaida`.
    pub discharge_reason: String,
    pub procedures: Vec<ExecutedProcedure>,
    pub expenses: Vec<Expense>,
    pub notes: Option<String>,
}

/// One guide of a lote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Guide {
    Consulta(ConsultaGuide),
    SpSadt(SadtGuide),
    Honorarios(HonorariosGuide),
    Odonto(OdontoGuide),
    ResumoInternacao(InternacaoGuide),
}

impl Guide {
    #[must_use]
    pub const fn kind(&self) -> GuideKind {
        match self {
            Self::Consulta(_) => GuideKind::Consulta,
            Self::SpSadt(_) => GuideKind::SpSadt,
            Self::Honorarios(_) => GuideKind::Honorarios,
            Self::Odonto(_) => GuideKind::Odonto,
            Self::ResumoInternacao(_) => GuideKind::ResumoInternacao,
        }
    }

    /// `numeroGuiaPrestador`.
    #[must_use]
    pub fn number(&self) -> &str {
        match self {
            Self::Consulta(g) => &g.number,
            Self::SpSadt(g) => &g.number,
            Self::Honorarios(g) => &g.number,
            Self::Odonto(g) => &g.number,
            Self::ResumoInternacao(g) => &g.number,
        }
    }

    /// The guide's total, as written (`valorTotalGeral` or its equivalent).
    #[must_use]
    pub fn total_centavos(&self) -> i64 {
        match self {
            Self::Consulta(g) => g.value_centavos,
            Self::SpSadt(g) => Totals::of(&g.procedures, &g.expenses).general,
            Self::Honorarios(g) => g
                .procedures
                .iter()
                .map(ExecutedProcedure::total_centavos)
                .fold(0, i64::saturating_add),
            Self::Odonto(g) => g
                .items
                .iter()
                .map(OdontoItem::total_centavos)
                .fold(0, i64::saturating_add),
            Self::ResumoInternacao(g) => Totals::of(&g.procedures, &g.expenses).general,
        }
    }
}

/// `ct_guiaValorTotal`, computed from the items.
#[derive(Debug, Default)]
struct Totals {
    procedures: i64,
    daily_rates: i64,
    fees: i64,
    materials: i64,
    drugs: i64,
    opme: i64,
    gases: i64,
    general: i64,
}

impl Totals {
    fn of(procedures: &[ExecutedProcedure], expenses: &[Expense]) -> Self {
        let mut t = Self {
            procedures: procedures
                .iter()
                .map(ExecutedProcedure::total_centavos)
                .fold(0, i64::saturating_add),
            ..Self::default()
        };
        for e in expenses {
            let slot = match e.kind.trim() {
                "01" => &mut t.gases,
                "02" => &mut t.drugs,
                "03" => &mut t.materials,
                "05" => &mut t.daily_rates,
                "07" => &mut t.fees,
                _ => &mut t.opme,
            };
            *slot = slot.saturating_add(e.total_centavos());
        }
        t.general = [
            t.procedures,
            t.daily_rates,
            t.fees,
            t.materials,
            t.drugs,
            t.opme,
            t.gases,
        ]
        .into_iter()
        .fold(0_i64, i64::saturating_add);
        t
    }

    fn write(&self, w: &mut Writer, at: &str) -> Result<(), TissError> {
        let f = |name: &str| format!("{at}.valorTotal.{name}");
        w.open("valorTotal");
        for (name, value) in [
            ("valorProcedimentos", self.procedures),
            ("valorDiarias", self.daily_rates),
            ("valorTaxasAlugueis", self.fees),
            ("valorMateriais", self.materials),
            ("valorMedicamentos", self.drugs),
            ("valorOPME", self.opme),
            ("valorGasesMedicinais", self.gases),
        ] {
            if value != 0 {
                w.leaf(name, &money10(&f(name), value)?);
            }
        }
        w.leaf("valorTotalGeral", &money10(&f("valorTotalGeral"), self.general)?);
        w.close("valorTotal");
        Ok(())
    }
}

/// Everything a guide needs from its lote: the operator and the sender.
pub(super) struct GuideContext<'a> {
    pub registro_ans: &'a str,
}

/// Checked leaves of a professional (`ct_contratadoProfissionalDados` order).
struct CheckedProfessional {
    name: String,
    council: String,
    number: String,
    uf: String,
    cbo: String,
}

fn professional(at: &str, p: &TissProfessional, name_max: usize) -> Result<CheckedProfessional, TissError> {
    let f = |name: &str| format!("{at}.{name}");
    Ok(CheckedProfessional {
        name: text(&f("nomeProfissional"), &p.name, name_max)?,
        council: one_of(&f("conselhoProfissional"), &p.council, domains::COUNCILS)?,
        number: text(&f("numeroConselhoProfissional"), &p.council_number, 15)?,
        uf: one_of(&f("UF"), &p.uf, domains::UFS)?,
        cbo: cbo(&f("CBOS"), &p.cbo)?,
    })
}

fn cbo(field: &str, value: &str) -> Result<String, TissError> {
    let value = value.trim();
    if domains::CBOS.binary_search(&value).is_err() {
        return Err(invalid(field, "não é um código CBO aceito pelo padrão TISS"));
    }
    Ok(value.to_owned())
}

fn write_professional(w: &mut Writer, element: &str, p: &CheckedProfessional) {
    w.group(
        element,
        &[
            ("nomeProfissional", &p.name),
            ("conselhoProfissional", &p.council),
            ("numeroConselhoProfissional", &p.number),
            ("UF", &p.uf),
            ("CBOS", &p.cbo),
        ],
    );
}

/// `ct_contratadoDados`: (element, value), checked.
fn contractor(at: &str, c: &Contractor) -> Result<(&'static str, String), TissError> {
    Ok(match c {
        Contractor::OperatorCode(code) => (
            "codigoPrestadorNaOperadora",
            text(&format!("{at}.codigoPrestadorNaOperadora"), code, 14)?,
        ),
        Contractor::Cpf(value) => ("cpfContratado", cpf(&format!("{at}.cpfContratado"), value)?),
        Contractor::Cnpj(value) => ("cnpjContratado", cnpj(&format!("{at}.cnpjContratado"), value)?),
    })
}

fn professional_code(at: &str, c: &ProfessionalCode) -> Result<(&'static str, String), TissError> {
    Ok(match c {
        ProfessionalCode::OperatorCode(code) => (
            "codigoPrestadorNaOperadora",
            text(&format!("{at}.codigoPrestadorNaOperadora"), code, 14)?,
        ),
        ProfessionalCode::Cpf(value) => ("cpfContratado", cpf(&format!("{at}.cpfContratado"), value)?),
    })
}

fn beneficiary(w: &mut Writer, element: &str, at: &str, b: &Beneficiary) -> Result<(), TissError> {
    let card = text(&format!("{at}.{element}.numeroCarteira"), &b.card, 20)?;
    w.group(
        element,
        &[
            ("numeroCarteira", &card),
            ("atendimentoRN", if b.newborn { "S" } else { "N" }),
        ],
    );
    Ok(())
}

/// Table and code: TUSS codes (tables 18, 19, 20, 22) are 8 digits.
fn coded(at: &str, table: &str, code: &str) -> Result<(String, String), TissError> {
    let table = one_of(&format!("{at}.codigoTabela"), table, domains::TABLES)?;
    let field = format!("{at}.codigoProcedimento");
    let code = if matches!(table.as_str(), "18" | "19" | "20" | "22") {
        digits(&field, code, 8)?
    } else {
        text(&field, code, 10)?
    };
    Ok((table, code))
}

fn write_procedure(w: &mut Writer, element: &str, at: &str, p: &Procedure) -> Result<(), TissError> {
    let at = format!("{at}.{element}");
    let (table, code) = coded(&at, &p.table, &p.code)?;
    let description = text(&format!("{at}.descricaoProcedimento"), &p.description, 150)?;
    w.group(
        element,
        &[
            ("codigoTabela", &table),
            ("codigoProcedimento", &code),
            ("descricaoProcedimento", &description),
        ],
    );
    Ok(())
}

/// Item numbers: each 1..=9999 and unique within the guide.
fn check_sequences(at: &str, sequences: impl IntoIterator<Item = u16>) -> Result<BTreeSet<u16>, TissError> {
    let mut seen = BTreeSet::new();
    for (i, s) in sequences.into_iter().enumerate() {
        if s == 0 || s > 9_999 || !seen.insert(s) {
            return Err(invalid(
                &format!("{at}.item[{}].sequencialItem", i + 1),
                "número do item deve ir de 1 a 9999 e não se repetir na guia",
            ));
        }
    }
    Ok(seen)
}

/// Which team element a procedure writes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TeamStyle {
    /// SP/SADT: `equipeSadt*` (`grauPart` optional).
    Sadt,
    /// Honorários: `profissionais+` (`grauParticipacao` required, `CBO`).
    Fees,
    /// Internação: `identEquipe*/identificacaoEquipe` (`grauPart` required).
    Hospital,
}

fn write_executed(
    w: &mut Writer,
    element: &str,
    at: &str,
    p: &ExecutedProcedure,
    team: TeamStyle,
) -> Result<(), TissError> {
    let f = |name: &str| format!("{at}.{name}");
    let day = date(&f("dataExecucao"), p.date)?;
    let quantity = count(&f("quantidadeExecutada"), p.quantity, 999)?;
    let access = opt_one_of(&f("viaAcesso"), p.access_route.as_deref(), &["1", "2", "3"])?;
    let technique = opt_one_of(&f("tecnicaUtilizada"), p.technique.as_deref(), &["1", "2", "3"])?;
    let factor = factor(&f("reducaoAcrescimo"), p.factor_hundredths)?;
    let unit = money(&f("valorUnitario"), p.unit_centavos)?;
    let total = money(&f("valorTotal"), p.total_centavos())?;
    if let (Some(start), Some(end)) = (p.start, p.end)
        && end < start
    {
        return Err(invalid(&f("horaFinal"), "hora final antes da hora inicial"));
    }
    if team == TeamStyle::Fees && p.team.is_empty() {
        return Err(invalid(
            &f("profissionais"),
            "a guia de honorários precisa de ao menos um profissional por procedimento",
        ));
    }
    w.open(element);
    w.leaf("sequencialItem", &p.sequence.to_string());
    w.leaf("dataExecucao", &day);
    w.opt_leaf("horaInicial", p.start.map(time).as_deref());
    w.opt_leaf("horaFinal", p.end.map(time).as_deref());
    write_procedure(w, "procedimento", at, &p.procedure)?;
    w.leaf("quantidadeExecutada", &quantity);
    w.opt_leaf("viaAcesso", access.as_deref());
    w.opt_leaf("tecnicaUtilizada", technique.as_deref());
    w.leaf("reducaoAcrescimo", &factor);
    w.leaf("valorUnitario", &unit);
    w.leaf("valorTotal", &total);
    for (i, member) in p.team.iter().enumerate() {
        let at = format!("{at}.equipe[{}]", i + 1);
        let role_field = format!("{at}.grauParticipacao");
        let role = opt_one_of(
            &role_field,
            member.participation.as_deref(),
            domains::PARTICIPATIONS,
        )?;
        if team != TeamStyle::Sadt && role.is_none() {
            return Err(invalid(&role_field, "informe o grau de participação"));
        }
        let (code_element, code) = professional_code(&format!("{at}.codProfissional"), &member.code)?;
        let p = professional(&at, &member.professional, 70)?;
        match team {
            TeamStyle::Sadt | TeamStyle::Hospital => {
                if team == TeamStyle::Sadt {
                    w.open("equipeSadt");
                } else {
                    w.open("identEquipe");
                    w.open("identificacaoEquipe");
                }
                w.opt_leaf("grauPart", role.as_deref());
                w.group("codProfissional", &[(code_element, &code)]);
                w.leaf("nomeProf", &p.name);
                w.leaf("conselho", &p.council);
                w.leaf("numeroConselhoProfissional", &p.number);
                w.leaf("UF", &p.uf);
                w.leaf("CBOS", &p.cbo);
                if team == TeamStyle::Sadt {
                    w.close("equipeSadt");
                } else {
                    w.close("identificacaoEquipe");
                    w.close("identEquipe");
                }
            }
            TeamStyle::Fees => {
                w.open("profissionais");
                w.opt_leaf("grauParticipacao", role.as_deref());
                w.group("codProfissional", &[(code_element, &code)]);
                w.leaf("nomeProfissional", &p.name);
                w.leaf("conselhoProfissional", &p.council);
                w.leaf("numeroConselhoProfissional", &p.number);
                w.leaf("UF", &p.uf);
                w.leaf("CBO", &p.cbo);
                w.close("profissionais");
            }
        }
    }
    w.close(element);
    Ok(())
}

fn write_expenses(
    w: &mut Writer,
    at: &str,
    expenses: &[Expense],
    procedures: &BTreeSet<u16>,
) -> Result<(), TissError> {
    if expenses.is_empty() {
        return Ok(());
    }
    w.open("outrasDespesas");
    for (i, e) in expenses.iter().enumerate() {
        let at = format!("{at}.outrasDespesas[{}]", i + 1);
        let f = |name: &str| format!("{at}.{name}");
        let kind = one_of(&f("codigoDespesa"), &e.kind, domains::EXPENSE_KINDS)?;
        let day = date(&f("dataExecucao"), e.date)?;
        let (table, code) = coded(&at, &e.item.table, &e.item.code)?;
        let quantity = quantity4(&f("quantidadeExecutada"), e.quantity_ten_thousandths)?;
        let unit_of_measure = one_of(&f("unidadeMedida"), &e.unit_of_measure, domains::UNITS_OF_MEASURE)?;
        let factor = factor(&f("reducaoAcrescimo"), e.factor_hundredths)?;
        let unit = money(&f("valorUnitario"), e.unit_centavos)?;
        let total = money(&f("valorTotal"), e.total_centavos())?;
        let description = text(&f("descricaoProcedimento"), &e.item.description, 150)?;
        let anvisa = opt_text(&f("registroANVISA"), e.anvisa.as_deref(), 15)?;
        if let Some(linked) = e.linked_item
            && !procedures.contains(&linked)
        {
            return Err(invalid(
                &f("itemVinculado"),
                "não corresponde a nenhum procedimento desta guia",
            ));
        }
        w.open("despesa");
        w.leaf("sequencialItem", &e.sequence.to_string());
        w.leaf("codigoDespesa", &kind);
        w.open("servicosExecutados");
        w.leaf("dataExecucao", &day);
        w.leaf("codigoTabela", &table);
        w.leaf("codigoProcedimento", &code);
        w.leaf("quantidadeExecutada", &quantity);
        w.leaf("unidadeMedida", &unit_of_measure);
        w.leaf("reducaoAcrescimo", &factor);
        w.leaf("valorUnitario", &unit);
        w.leaf("valorTotal", &total);
        w.leaf("descricaoProcedimento", &description);
        w.opt_leaf("registroANVISA", anvisa.as_deref());
        w.close("servicosExecutados");
        w.opt_leaf("itemVinculado", e.linked_item.map(|s| s.to_string()).as_deref());
        w.close("despesa");
    }
    w.close("outrasDespesas");
    Ok(())
}

fn write_authorization(
    w: &mut Writer,
    at: &str,
    a: &Authorization,
    password_required: bool,
) -> Result<(), TissError> {
    let at = format!("{at}.dadosAutorizacao");
    let f = |name: &str| format!("{at}.{name}");
    let operator_guide = opt_text(&f("numeroGuiaOperadora"), a.operator_guide.as_deref(), 20)?;
    let day = date(&f("dataAutorizacao"), a.date)?;
    let password = opt_text(&f("senha"), a.password.as_deref(), 20)?;
    if password_required && password.is_none() {
        return Err(invalid(
            &f("senha"),
            "a senha de autorização é obrigatória nesta guia",
        ));
    }
    let valid = a
        .password_valid_until
        .map(|d| date(&f("dataValidadeSenha"), d))
        .transpose()?;
    w.open("dadosAutorizacao");
    w.opt_leaf("numeroGuiaOperadora", operator_guide.as_deref());
    w.leaf("dataAutorizacao", &day);
    w.opt_leaf("senha", password.as_deref());
    w.opt_leaf("dataValidadeSenha", valid.as_deref());
    w.close("dadosAutorizacao");
    Ok(())
}

fn item_count(at: &str, n: usize) -> Result<(), TissError> {
    if n > MAX_ITEMS {
        return Err(invalid(at, "uma guia leva no máximo 9999 itens"));
    }
    Ok(())
}

pub(super) fn write_guide(
    w: &mut Writer,
    at: &str,
    guide: &Guide,
    ctx: &GuideContext<'_>,
) -> Result<(), TissError> {
    match guide {
        Guide::Consulta(g) => write_consulta(w, at, g, ctx),
        Guide::SpSadt(g) => write_sadt(w, at, g, ctx),
        Guide::Honorarios(g) => write_honorarios(w, at, g, ctx),
        Guide::Odonto(g) => write_odonto(w, at, g, ctx),
        Guide::ResumoInternacao(g) => write_internacao(w, at, g, ctx),
    }
}

fn guide_number(at: &str, number: &str) -> Result<String, TissError> {
    text(&format!("{at}.numeroGuiaPrestador"), number, 20)
}

fn write_consulta(
    w: &mut Writer,
    at: &str,
    g: &ConsultaGuide,
    ctx: &GuideContext<'_>,
) -> Result<(), TissError> {
    let field = |name: &str| format!("{at}.{name}");
    let number = guide_number(at, &g.number)?;
    let (executor_element, executor) = contractor(&field("contratadoExecutante"), &g.executor)?;
    let cnes = digits(&field("contratadoExecutante.CNES"), &g.cnes, 7)?;
    let professional = professional(&field("profissionalExecutante"), &g.professional, 70)?;
    let accident = one_of(&field("indicacaoAcidente"), &g.accident, domains::ACCIDENTS)?;
    let regime = one_of(
        &field("dadosAtendimento.regimeAtendimento"),
        &g.regime,
        domains::REGIMES,
    )?;
    let day = date(&field("dadosAtendimento.dataAtendimento"), g.date)?;
    let kind = one_of(
        &field("dadosAtendimento.tipoConsulta"),
        &g.consultation_type,
        domains::CONSULTATION_TYPES,
    )?;
    let (table, procedure) = coded(&field("dadosAtendimento.procedimento"), &g.table, &g.procedure)?;
    let value = money(
        &field("dadosAtendimento.procedimento.valorProcedimento"),
        g.value_centavos,
    )?;
    let notes = opt_text(&field("observacao"), g.notes.as_deref(), 500)?;

    w.open("guiaConsulta");
    w.group(
        "cabecalhoConsulta",
        &[
            ("registroANS", ctx.registro_ans),
            ("numeroGuiaPrestador", &number),
        ],
    );
    beneficiary(w, "dadosBeneficiario", at, &g.beneficiary)?;
    w.group(
        "contratadoExecutante",
        &[(executor_element, &executor), ("CNES", &cnes)],
    );
    write_professional(w, "profissionalExecutante", &professional);
    w.leaf("indicacaoAcidente", &accident);
    w.open("dadosAtendimento");
    w.leaf("regimeAtendimento", &regime);
    w.leaf("dataAtendimento", &day);
    w.leaf("tipoConsulta", &kind);
    w.group(
        "procedimento",
        &[
            ("codigoTabela", &table),
            ("codigoProcedimento", &procedure),
            ("valorProcedimento", &value),
        ],
    );
    w.close("dadosAtendimento");
    w.opt_leaf("observacao", notes.as_deref());
    w.close("guiaConsulta");
    Ok(())
}

fn write_sadt(w: &mut Writer, at: &str, g: &SadtGuide, ctx: &GuideContext<'_>) -> Result<(), TissError> {
    let f = |name: &str| format!("{at}.{name}");
    let number = guide_number(at, &g.number)?;
    let main_guide = opt_text(&f("guiaPrincipal"), g.main_guide.as_deref(), 20)?;
    if g.procedures.is_empty() && g.expenses.is_empty() {
        return Err(invalid(
            &f("procedimentosExecutados"),
            "a guia SP/SADT precisa de ao menos um procedimento ou despesa",
        ));
    }
    item_count(at, g.procedures.len() + g.expenses.len())?;
    let procedures = check_sequences(at, g.procedures.iter().map(|p| p.sequence))?;
    check_sequences(
        at,
        g.procedures
            .iter()
            .map(|p| p.sequence)
            .chain(g.expenses.iter().map(|e| e.sequence)),
    )?;
    let (requester_element, requester) = contractor(&f("contratadoSolicitante"), &g.requester)?;
    let requester_name = text(&f("nomeContratadoSolicitante"), &g.requester_name, 70)?;
    let requesting = professional(&f("profissionalSolicitante"), &g.requesting_professional, 70)?;
    let request_date = g
        .request_date
        .map(|d| date(&f("dataSolicitacao"), d))
        .transpose()?;
    let character = one_of(&f("caraterAtendimento"), &g.character, &["1", "2"])?;
    let indication = opt_text(&f("indicacaoClinica"), g.clinical_indication.as_deref(), 500)?;
    let (executor_element, executor) = contractor(&f("contratadoExecutante"), &g.executor)?;
    let cnes = digits(&f("dadosExecutante.CNES"), &g.cnes, 7)?;
    let service = one_of(&f("tipoAtendimento"), &g.service_type, domains::SERVICE_TYPES)?;
    let accident = one_of(&f("indicacaoAcidente"), &g.accident, domains::ACCIDENTS)?;
    let consultation = opt_one_of(
        &f("tipoConsulta"),
        g.consultation_type.as_deref(),
        domains::CONSULTATION_TYPES,
    )?;
    let regime = one_of(&f("regimeAtendimento"), &g.regime, domains::REGIMES)?;
    let notes = opt_text(&f("observacao"), g.notes.as_deref(), 500)?;

    w.open("guiaSP-SADT");
    w.open("cabecalhoGuia");
    w.leaf("registroANS", ctx.registro_ans);
    w.leaf("numeroGuiaPrestador", &number);
    w.opt_leaf("guiaPrincipal", main_guide.as_deref());
    w.close("cabecalhoGuia");
    if let Some(a) = &g.authorization {
        write_authorization(w, at, a, false)?;
    }
    beneficiary(w, "dadosBeneficiario", at, &g.beneficiary)?;
    w.open("dadosSolicitante");
    w.group("contratadoSolicitante", &[(requester_element, &requester)]);
    w.leaf("nomeContratadoSolicitante", &requester_name);
    write_professional(w, "profissionalSolicitante", &requesting);
    w.close("dadosSolicitante");
    w.open("dadosSolicitacao");
    w.opt_leaf("dataSolicitacao", request_date.as_deref());
    w.leaf("caraterAtendimento", &character);
    w.opt_leaf("indicacaoClinica", indication.as_deref());
    w.close("dadosSolicitacao");
    w.open("dadosExecutante");
    w.group("contratadoExecutante", &[(executor_element, &executor)]);
    w.leaf("CNES", &cnes);
    w.close("dadosExecutante");
    w.open("dadosAtendimento");
    w.leaf("tipoAtendimento", &service);
    w.leaf("indicacaoAcidente", &accident);
    w.opt_leaf("tipoConsulta", consultation.as_deref());
    w.leaf("regimeAtendimento", &regime);
    w.close("dadosAtendimento");
    if !g.procedures.is_empty() {
        w.open("procedimentosExecutados");
        for (i, p) in g.procedures.iter().enumerate() {
            let at = format!("{at}.procedimentosExecutados[{}]", i + 1);
            write_executed(w, "procedimentoExecutado", &at, p, TeamStyle::Sadt)?;
        }
        w.close("procedimentosExecutados");
    }
    write_expenses(w, at, &g.expenses, &procedures)?;
    w.opt_leaf("observacao", notes.as_deref());
    Totals::of(&g.procedures, &g.expenses).write(w, at)?;
    w.close("guiaSP-SADT");
    Ok(())
}

fn write_honorarios(
    w: &mut Writer,
    at: &str,
    g: &HonorariosGuide,
    ctx: &GuideContext<'_>,
) -> Result<(), TissError> {
    let f = |name: &str| format!("{at}.{name}");
    let number = guide_number(at, &g.number)?;
    if g.procedures.is_empty() {
        return Err(invalid(
            &f("procedimentosRealizados"),
            "a guia de honorários precisa de ao menos um procedimento",
        ));
    }
    item_count(at, g.procedures.len())?;
    check_sequences(at, g.procedures.iter().map(|p| p.sequence))?;
    let request = text(&f("guiaSolicInternacao"), &g.hospitalisation_guide, 20)?;
    let password = opt_text(&f("senha"), g.password.as_deref(), 20)?;
    let operator_guide = opt_text(&f("numeroGuiaOperadora"), g.operator_guide.as_deref(), 20)?;
    let (site_element, site) = match &g.site {
        SiteCode::OperatorCode(code) => (
            "codigoNaOperadora",
            text(&f("localContratado.codigoNaOperadora"), code, 14)?,
        ),
        SiteCode::Cnpj(value) => (
            "cnpjLocalExecutante",
            cnpj(&f("localContratado.cnpjLocalExecutante"), value)?,
        ),
    };
    let site_name = text(&f("localContratado.nomeContratado"), &g.site_name, 70)?;
    let site_cnes = digits(&f("localContratado.cnes"), &g.site_cnes, 7)?;
    let executor = text(
        &f("dadosContratadoExecutante.codigonaOperadora"),
        &g.executor_code,
        14,
    )?;
    let executor_cnes = digits(
        &f("dadosContratadoExecutante.cnesContratadoExecutante"),
        &g.executor_cnes,
        7,
    )?;
    let start = date(&f("dadosInternacao.dataInicioFaturamento"), g.billing_start)?;
    let end = date(&f("dadosInternacao.dataFimFaturamento"), g.billing_end)?;
    if g.billing_end < g.billing_start {
        return Err(invalid(
            &f("dadosInternacao.dataFimFaturamento"),
            "o fim do faturamento vem antes do início",
        ));
    }
    let notes = opt_text(&f("observacao"), g.notes.as_deref(), 500)?;
    let issued = date(&f("dataEmissaoGuia"), g.issued)?;
    let total: i64 = g
        .procedures
        .iter()
        .map(ExecutedProcedure::total_centavos)
        .fold(0, i64::saturating_add);

    w.open("guiaHonorarios");
    w.group(
        "cabecalhoGuia",
        &[
            ("registroANS", ctx.registro_ans),
            ("numeroGuiaPrestador", &number),
        ],
    );
    w.leaf("guiaSolicInternacao", &request);
    w.opt_leaf("senha", password.as_deref());
    w.opt_leaf("numeroGuiaOperadora", operator_guide.as_deref());
    beneficiary(w, "beneficiario", at, &g.beneficiary)?;
    w.open("localContratado");
    w.group("codigoContratado", &[(site_element, &site)]);
    w.leaf("nomeContratado", &site_name);
    w.leaf("cnes", &site_cnes);
    w.close("localContratado");
    w.group(
        "dadosContratadoExecutante",
        &[
            ("codigonaOperadora", &executor),
            ("cnesContratadoExecutante", &executor_cnes),
        ],
    );
    w.group(
        "dadosInternacao",
        &[("dataInicioFaturamento", &start), ("dataFimFaturamento", &end)],
    );
    w.open("procedimentosRealizados");
    for (i, p) in g.procedures.iter().enumerate() {
        let at = format!("{at}.procedimentosRealizados[{}]", i + 1);
        write_executed(w, "procedimentoRealizado", &at, p, TeamStyle::Fees)?;
    }
    w.close("procedimentosRealizados");
    w.opt_leaf("observacao", notes.as_deref());
    w.leaf(
        "valorTotalHonorarios",
        &money10(&f("valorTotalHonorarios"), total)?,
    );
    w.leaf("dataEmissaoGuia", &issued);
    w.close("guiaHonorarios");
    Ok(())
}

/// Faces of a tooth: 1 to 5 distinct letters of `OLMVDIP` (upper case).
pub(super) fn faces(field: &str, value: &str) -> Result<String, TissError> {
    let value = value.trim();
    if !faces_valid(value) {
        return Err(invalid(
            field,
            "faces do dente: de 1 a 5 letras distintas entre O, L, M, V, D, I e P",
        ));
    }
    Ok(value.to_owned())
}

fn write_odonto(w: &mut Writer, at: &str, g: &OdontoGuide, ctx: &GuideContext<'_>) -> Result<(), TissError> {
    let f = |name: &str| format!("{at}.{name}");
    let number = guide_number(at, &g.number)?;
    if g.items.is_empty() {
        return Err(invalid(
            &f("procedimentosExecutados"),
            "a guia odontológica precisa de ao menos um procedimento",
        ));
    }
    item_count(at, g.items.len())?;
    check_sequences(at, g.items.iter().map(|p| p.sequence))?;
    let main_guide = opt_text(&f("numeroGuiaPrincipal"), g.main_guide.as_deref(), 20)?;
    let operator_guide = opt_text(&f("numeroGuiaOperadora"), g.operator_guide.as_deref(), 20)?;
    let plan = text(&f("planoBeneficiario"), &g.plan, 40)?;
    let e = &g.executor;
    let r = |name: &str| format!("{at}.dadosProfissionaisResponsaveis.{name}");
    let code = text(&r("codigoProfExec"), &e.code, 14)?;
    let cro = text(&r("croExec"), &e.cro, 15)?;
    let uf = one_of(&r("ufExec"), &e.uf, domains::UFS)?;
    let cnes = digits(&r("cnesExec"), &e.cnes, 7)?;
    let name = text(&r("nomeProfExec2"), &e.name, 70)?;
    let cbo = cbo(&r("cbosExec2"), &e.cbo)?;
    let end = g
        .treatment_end
        .map(|d| date(&f("dataTerminoTrat"), d))
        .transpose()?;
    let service = one_of(&f("tipoAtendimento"), &g.service_type, &["1", "2", "3", "4", "5"])?;
    let billing = one_of(&f("tipoFaturamento"), &g.billing_type, &["1", "4"])?;
    let notes = opt_text(&f("observacao"), g.notes.as_deref(), 500)?;

    w.open("guiaOdonto");
    w.leaf("registroANS", ctx.registro_ans);
    w.leaf("numeroGuiaPrestador", &number);
    w.opt_leaf("numeroGuiaPrincipal", main_guide.as_deref());
    w.opt_leaf("numeroGuiaOperadora", operator_guide.as_deref());
    beneficiary(w, "dadosBeneficiario", at, &g.beneficiary)?;
    w.leaf("planoBeneficiario", &plan);
    w.group(
        "dadosProfissionaisResponsaveis",
        &[
            ("codigoProfExec", &code),
            ("croExec", &cro),
            ("ufExec", &uf),
            ("cnesExec", &cnes),
            ("nomeProfExec2", &name),
            ("croExec2", &cro),
            ("ufExec2", &uf),
            ("cbosExec2", &cbo),
        ],
    );
    let mut total = 0_i64;
    let mut franchise = 0_i64;
    let mut any_franchise = false;
    for (i, item) in g.items.iter().enumerate() {
        let at = format!("{at}.procedimentosExecutados[{}]", i + 1);
        let f = |name: &str| format!("{at}.{name}");
        let place = match &item.tooth {
            None => None,
            Some(ToothOrRegion::Tooth(t)) => Some(("codDente", one_of(&f("codDente"), t, domains::TEETH)?)),
            Some(ToothOrRegion::Region(r)) => {
                Some(("codRegiao", one_of(&f("codRegiao"), r, domains::REGIONS)?))
            }
        };
        let item_faces = item
            .faces
            .as_deref()
            .map(|v| faces(&f("denteFace"), v))
            .transpose()?;
        if item_faces.is_some() && !matches!(item.tooth, Some(ToothOrRegion::Tooth(_))) {
            return Err(invalid(&f("denteFace"), "faces só se informam junto com o dente"));
        }
        let quantity = count(&f("qtdProc"), item.quantity, 99)?;
        let value = money(&f("valorProc"), item.total_centavos())?;
        let item_franchise = item
            .franchise_centavos
            .map(|c| money(&f("valorFranquia"), c))
            .transpose()?;
        let day = date(&f("dataRealizacao"), item.date)?;
        w.open("procedimentosExecutados");
        w.leaf("sequencialItem", &item.sequence.to_string());
        write_procedure(w, "procSolic", &at, &item.procedure)?;
        if let Some((element, value)) = &place {
            w.group("denteRegiao", &[(element, value)]);
        }
        w.opt_leaf("denteFace", item_faces.as_deref());
        w.leaf("qtdProc", &quantity);
        w.leaf("valorProc", &value);
        w.opt_leaf("valorFranquia", item_franchise.as_deref());
        w.leaf("autorizado", if item.authorized { "true" } else { "false" });
        w.leaf("dataRealizacao", &day);
        w.close("procedimentosExecutados");
        total = total.saturating_add(item.total_centavos());
        if let Some(c) = item.franchise_centavos {
            any_franchise = true;
            franchise = franchise.saturating_add(c);
        }
    }
    w.opt_leaf("dataTerminoTrat", end.as_deref());
    w.leaf("tipoAtendimento", &service);
    w.leaf("tipoFaturamento", &billing);
    w.leaf("valorTotalProc", &money10(&f("valorTotalProc"), total)?);
    if any_franchise {
        w.leaf(
            "valorTotalFranquia",
            &money10(&f("valorTotalFranquia"), franchise)?,
        );
    }
    w.opt_leaf("observacao", notes.as_deref());
    w.close("guiaOdonto");
    Ok(())
}

/// CID-10 as `st_texto4`: the code without its dot (`J18.9` → `J189`).
fn cid(field: &str, value: &str) -> Result<String, TissError> {
    let code: String = value
        .trim()
        .chars()
        .filter(|c| *c != '.')
        .collect::<String>()
        .to_ascii_uppercase();
    let bytes = code.as_bytes();
    let ok = (3..=4).contains(&bytes.len())
        && bytes[0].is_ascii_uppercase()
        && bytes[1..].iter().all(u8::is_ascii_digit);
    if !ok {
        return Err(invalid(field, "não é um código CID-10 (ex.: J18.9)"));
    }
    Ok(code)
}

fn write_internacao(
    w: &mut Writer,
    at: &str,
    g: &InternacaoGuide,
    ctx: &GuideContext<'_>,
) -> Result<(), TissError> {
    let f = |name: &str| format!("{at}.{name}");
    let number = guide_number(at, &g.number)?;
    item_count(at, g.procedures.len() + g.expenses.len())?;
    let procedures = check_sequences(at, g.procedures.iter().map(|p| p.sequence))?;
    check_sequences(
        at,
        g.procedures
            .iter()
            .map(|p| p.sequence)
            .chain(g.expenses.iter().map(|e| e.sequence)),
    )?;
    if g.procedures.is_empty() && g.expenses.is_empty() {
        return Err(invalid(
            &f("procedimentosExecutados"),
            "o resumo de internação precisa de ao menos um procedimento ou despesa",
        ));
    }
    let request = text(&f("numeroGuiaSolicitacaoInternacao"), &g.request_guide, 20)?;
    let (executor_element, executor) = contractor(&f("contratadoExecutante"), &g.executor)?;
    let cnes = digits(&f("dadosExecutante.CNES"), &g.cnes, 7)?;
    let d = |name: &str| format!("{at}.dadosInternacao.{name}");
    let character = one_of(&d("caraterAtendimento"), &g.character, &["1", "2"])?;
    let billing = one_of(&d("tipoFaturamento"), &g.billing_type, &["1", "2", "3", "4"])?;
    let start_day = date(&d("dataInicioFaturamento"), g.billing_start.date())?;
    let end_day = date(&d("dataFinalFaturamento"), g.billing_end.date())?;
    if g.billing_end < g.billing_start {
        return Err(invalid(
            &d("dataFinalFaturamento"),
            "o fim do faturamento vem antes do início",
        ));
    }
    let kind = one_of(
        &d("tipoInternacao"),
        &g.hospitalisation_type,
        &["1", "2", "3", "4", "5"],
    )?;
    let regime = one_of(
        &d("regimeInternacao"),
        &g.hospitalisation_regime,
        &["1", "2", "3"],
    )?;
    if g.diagnoses.len() > 4 {
        return Err(invalid(
            &f("dadosSaidaInternacao.diagnostico"),
            "no máximo 4 diagnósticos",
        ));
    }
    let diagnoses = g
        .diagnoses
        .iter()
        .enumerate()
        .map(|(i, c)| cid(&format!("{at}.dadosSaidaInternacao.diagnostico[{}]", i + 1), c))
        .collect::<Result<Vec<_>, _>>()?;
    let accident = one_of(
        &f("dadosSaidaInternacao.indicadorAcidente"),
        &g.accident,
        domains::ACCIDENTS,
    )?;
    let discharge = one_of(
        &f("dadosSaidaInternacao.motivoEncerramento"),
        &g.discharge_reason,
        domains::DISCHARGE_REASONS,
    )?;
    let notes = opt_text(&f("observacao"), g.notes.as_deref(), 500)?;

    w.open("guiaResumoInternacao");
    w.group(
        "cabecalhoGuia",
        &[
            ("registroANS", ctx.registro_ans),
            ("numeroGuiaPrestador", &number),
        ],
    );
    w.leaf("numeroGuiaSolicitacaoInternacao", &request);
    write_authorization(w, at, &g.authorization, true)?;
    beneficiary(w, "dadosBeneficiario", at, &g.beneficiary)?;
    w.open("dadosExecutante");
    w.group("contratadoExecutante", &[(executor_element, &executor)]);
    w.leaf("CNES", &cnes);
    w.close("dadosExecutante");
    w.group(
        "dadosInternacao",
        &[
            ("caraterAtendimento", &character),
            ("tipoFaturamento", &billing),
            ("dataInicioFaturamento", &start_day),
            ("horaInicioFaturamento", &time(g.billing_start.time())),
            ("dataFinalFaturamento", &end_day),
            ("horaFinalFaturamento", &time(g.billing_end.time())),
            ("tipoInternacao", &kind),
            ("regimeInternacao", &regime),
        ],
    );
    w.open("dadosSaidaInternacao");
    for code in &diagnoses {
        w.leaf("diagnostico", code);
    }
    w.leaf("indicadorAcidente", &accident);
    w.leaf("motivoEncerramento", &discharge);
    w.close("dadosSaidaInternacao");
    if !g.procedures.is_empty() {
        w.open("procedimentosExecutados");
        for (i, p) in g.procedures.iter().enumerate() {
            let at = format!("{at}.procedimentosExecutados[{}]", i + 1);
            write_executed(w, "procedimentoExecutado", &at, p, TeamStyle::Hospital)?;
        }
        w.close("procedimentosExecutados");
    }
    Totals::of(&g.procedures, &g.expenses).write(w, at)?;
    write_expenses(w, at, &g.expenses, &procedures)?;
    w.opt_leaf("observacao", notes.as_deref());
    w.close("guiaResumoInternacao");
    Ok(())
}
