//! The recurso de glosa (`prestadorParaOperadora/recursoGlosa/guiaRecursoGlosa`): the clinic
//! contests denials, by protocol, by whole guide or item by item, each with a justification.

use jiff::civil::Date;

use super::domains;
use super::guides::{Contractor, Procedure, ToothOrRegion, faces};
use super::hash::{HashInput, TissError};
use super::lote::parties;
use super::write::{
    Envelope, Message, Writer, date, digits, invalid, money, money10, one_of, opt_one_of, opt_text, text,
};

/// Most guides one recurso contests.
pub const MAX_CONTESTED_GUIDES: usize = 100;

/// One contested item (`itensGuia`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContestedItem {
    /// The item's `sequencialItem` in the original guide.
    pub sequence: u16,
    pub start: Date,
    pub end: Option<Date>,
    pub procedure: Procedure,
    pub participation: Option<String>,
    /// The glosa code contested (TUSS table 38).
    pub glosa_code: String,
    /// How much the clinic asks back.
    pub centavos: i64,
    pub justification: String,
    /// Dental items (a recurso of a GTO): the tooth or region, the faces, the quantity.
    pub tooth: Option<ToothOrRegion>,
    pub faces: Option<String>,
    pub quantity: u32,
}

/// A whole guide contested for one glosa (`recursoGuiaCompleta`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContestedGuideGlosa {
    pub glosa_code: String,
    pub justification: String,
    /// The amount of the guide's glosa (counts toward `valorTotalRecursado`).
    pub centavos: i64,
}

/// What is contested in one guide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuideContest {
    Whole(Vec<ContestedGuideGlosa>),
    Items(Vec<ContestedItem>),
}

/// One contested guide (`recursoGuia`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContestedGuide {
    /// `numeroGuiaOrigem`: our `numeroGuiaPrestador`.
    pub number: String,
    pub operator_guide: Option<String>,
    pub password: Option<String>,
    pub contest: GuideContest,
}

/// What the recurso contests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecursoObject {
    /// The whole protocol, for one glosa.
    Protocol {
        glosa_code: String,
        justification: String,
        centavos: i64,
    },
    Guides(Vec<ContestedGuide>),
}

/// A recurso de glosa for one protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recurso {
    pub transaction: u64,
    pub made_at: jiff::civil::DateTime,
    pub provider_code: String,
    pub registro_ans: String,
    pub hash_input: HashInput,
    /// `numeroGuiaRecGlosaPrestador`: our number for this recurso.
    pub number: String,
    pub operator_name: String,
    pub contractor: Contractor,
    /// Our `numeroLote` of the contested lote.
    pub lote: String,
    /// The operator's protocol number (the schema wants it numeric here).
    pub protocol: String,
    pub object: RecursoObject,
    pub date: Date,
    /// The contested lote was of Guias Odontológicas: the message is a `guiaRecursoGlosaOdonto`.
    pub dental: bool,
}

impl Recurso {
    /// `valorTotalRecursado`.
    #[must_use]
    pub fn total_centavos(&self) -> i64 {
        match &self.object {
            RecursoObject::Protocol { centavos, .. } => *centavos,
            RecursoObject::Guides(guides) => guides
                .iter()
                .map(|g| match &g.contest {
                    GuideContest::Whole(w) => w.iter().map(|c| c.centavos).fold(0, i64::saturating_add),
                    GuideContest::Items(items) => {
                        items.iter().map(|i| i.centavos).fold(0, i64::saturating_add)
                    }
                })
                .fold(0, i64::saturating_add),
        }
    }
}

fn glosa(field: &str, code: &str) -> Result<String, TissError> {
    let code = code.trim();
    if !domains::is_glosa_code(code) {
        return Err(invalid(field, "não é um código de glosa da tabela 38 da TUSS"));
    }
    Ok(code.to_owned())
}

/// Writes the recurso: ISO-8859-1 bytes, hash filled.
pub fn recurso_glosa(r: &Recurso) -> Result<Vec<u8>, TissError> {
    recurso_message(r).map(|m| m.bytes)
}

/// [`recurso_glosa`], with the hash it carries.
pub fn recurso_message(r: &Recurso) -> Result<Message, TissError> {
    let (provider, registro_ans) = parties(&r.provider_code, &r.registro_ans)?;
    let at = "recursoGlosa";
    let f = |name: &str| format!("{at}.{name}");
    let number = text(&f("numeroGuiaRecGlosaPrestador"), &r.number, 20)?;
    let operator_name = text(&f("nomeOperadora"), &r.operator_name, 70)?;
    let lote = text(&f("numeroLote"), &r.lote, 12)?;
    let protocol = r.protocol.trim();
    if protocol.is_empty() || protocol.len() > 12 || !protocol.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(
            &f("numeroProtocolo"),
            "o recurso só aceita protocolo numérico de até 12 dígitos (TISS 4.01.00); peça à operadora o número numérico",
        ));
    }
    let protocol = digits(&f("numeroProtocolo"), protocol, protocol.len())?;
    let (contractor_element, contractor) = match &r.contractor {
        Contractor::OperatorCode(code) => (
            "codigoPrestadorNaOperadora",
            text(&f("dadosContratado.codigoPrestadorNaOperadora"), code, 14)?,
        ),
        Contractor::Cpf(v) => (
            "cpfContratado",
            super::write::cpf(&f("dadosContratado.cpfContratado"), v)?,
        ),
        Contractor::Cnpj(v) => (
            "cnpjContratado",
            super::write::cnpj(&f("dadosContratado.cnpjContratado"), v)?,
        ),
    };
    let day = date(&f("dataRecurso"), r.date)?;
    let total = money10(&f("valorTotalRecursado"), r.total_centavos())?;

    let mut w = Writer::begin(&Envelope {
        kind: "RECURSO_GLOSA",
        transaction: r.transaction,
        made_at: r.made_at,
        provider_code: &provider,
        registro_ans: &registro_ans,
    })?;
    let body = if r.dental {
        "guiaRecursoGlosaOdonto"
    } else {
        "guiaRecursoGlosa"
    };
    w.open("prestadorParaOperadora");
    w.open("recursoGlosa");
    w.open(body);
    w.leaf("registroANS", &registro_ans);
    w.leaf("numeroGuiaRecGlosaPrestador", &number);
    w.leaf("nomeOperadora", &operator_name);
    w.leaf(
        "objetoRecurso",
        match r.object {
            RecursoObject::Protocol { .. } => "1",
            RecursoObject::Guides(_) => "2",
        },
    );
    w.group("dadosContratado", &[(contractor_element, &contractor)]);
    w.leaf("numeroLote", &lote);
    w.leaf("numeroProtocolo", &protocol);
    w.open("opcaoRecurso");
    match &r.object {
        RecursoObject::Protocol {
            glosa_code,
            justification,
            ..
        } => {
            let code = glosa(&f("recursoProtocolo.codigoGlosaProtocolo"), glosa_code)?;
            let why = text(&f("recursoProtocolo.justificativaProtocolo"), justification, 500)?;
            w.group(
                "recursoProtocolo",
                &[("codigoGlosaProtocolo", &code), ("justificativaProtocolo", &why)],
            );
        }
        RecursoObject::Guides(guides) => {
            if guides.is_empty() {
                return Err(invalid(&f("recursoGuia"), "nenhuma guia contestada"));
            }
            if guides.len() > MAX_CONTESTED_GUIDES {
                return Err(invalid(
                    &f("recursoGuia"),
                    "um recurso contesta no máximo 100 guias",
                ));
            }
            for (i, g) in guides.iter().enumerate() {
                let at = format!("{at}.recursoGuia[{}]", i + 1);
                if r.dental {
                    write_dental_guide(&mut w, &at, g)?;
                } else {
                    write_guide(&mut w, &at, g)?;
                }
            }
        }
    }
    w.close("opcaoRecurso");
    w.leaf("valorTotalRecursado", &total);
    w.leaf("dataRecurso", &day);
    w.close(body);
    w.close("recursoGlosa");
    w.close("prestadorParaOperadora");
    w.finish(r.hash_input)
}

fn write_guide(w: &mut Writer, at: &str, g: &ContestedGuide) -> Result<(), TissError> {
    let f = |name: &str| format!("{at}.{name}");
    let number = text(&f("numeroGuiaOrigem"), &g.number, 20)?;
    let operator_guide = opt_text(&f("numeroGuiaOperadora"), g.operator_guide.as_deref(), 20)?;
    let password = opt_text(&f("senha"), g.password.as_deref(), 20)?;
    w.open("recursoGuia");
    w.leaf("numeroGuiaOrigem", &number);
    w.opt_leaf("numeroGuiaOperadora", operator_guide.as_deref());
    w.opt_leaf("senha", password.as_deref());
    w.open("opcaoRecursoGuia");
    match &g.contest {
        GuideContest::Whole(glosas) => {
            if glosas.is_empty() {
                return Err(invalid(&f("recursoGuiaCompleta"), "nenhuma glosa contestada"));
            }
            for (i, c) in glosas.iter().enumerate() {
                let at = format!("{at}.recursoGuiaCompleta[{}]", i + 1);
                let code = glosa(&format!("{at}.codGlosaGuia"), &c.glosa_code)?;
                let why = text(&format!("{at}.justificativaGuia"), &c.justification, 500)?;
                money(&format!("{at}.valor"), c.centavos)?;
                w.group(
                    "recursoGuiaCompleta",
                    &[("codGlosaGuia", &code), ("justificativaGuia", &why)],
                );
            }
        }
        GuideContest::Items(items) => {
            if items.is_empty() {
                return Err(invalid(&f("itensGuia"), "nenhum item contestado"));
            }
            for (i, item) in items.iter().enumerate() {
                let at = format!("{at}.itensGuia[{}]", i + 1);
                let f = |name: &str| format!("{at}.{name}");
                if item.sequence == 0 || item.sequence > 9_999 {
                    return Err(invalid(&f("sequencialItem"), "número de item inválido"));
                }
                let start = date(&f("dataInicio"), item.start)?;
                let end = item.end.map(|d| date(&f("dataFim"), d)).transpose()?;
                let table = one_of(
                    &f("procRecurso.codigoTabela"),
                    &item.procedure.table,
                    domains::TABLES,
                )?;
                let code = text(&f("procRecurso.codigoProcedimento"), &item.procedure.code, 10)?;
                let description = text(
                    &f("procRecurso.descricaoProcedimento"),
                    &item.procedure.description,
                    150,
                )?;
                let role = opt_one_of(
                    &f("grauParticipacao"),
                    item.participation.as_deref(),
                    domains::PARTICIPATIONS,
                )?;
                let glosa_code = glosa(&f("codGlosaItem"), &item.glosa_code)?;
                let value = money(&f("valorRecursado"), item.centavos)?;
                let why = text(&f("justificativaItem"), &item.justification, 500)?;
                w.open("itensGuia");
                w.leaf("sequencialItem", &item.sequence.to_string());
                w.leaf("dataInicio", &start);
                w.opt_leaf("dataFim", end.as_deref());
                w.group(
                    "procRecurso",
                    &[
                        ("codigoTabela", &table),
                        ("codigoProcedimento", &code),
                        ("descricaoProcedimento", &description),
                    ],
                );
                w.opt_leaf("grauParticipacao", role.as_deref());
                w.leaf("codGlosaItem", &glosa_code);
                w.leaf("valorRecursado", &value);
                w.leaf("justificativaItem", &why);
                w.close("itensGuia");
            }
        }
    }
    w.close("opcaoRecursoGuia");
    w.close("recursoGuia");
    Ok(())
}

/// A contested guide of a GTO (`cto_recursoGlosaOdonto/recursoGuia`): one glosa code and
/// justification for the guide, then the contested procedures with tooth, faces and quantity.
fn write_dental_guide(w: &mut Writer, at: &str, g: &ContestedGuide) -> Result<(), TissError> {
    let f = |name: &str| format!("{at}.{name}");
    let number = text(&f("numeroGuiaPrestador"), &g.number, 20)?;
    let operator_guide = opt_text(&f("numeroGuiaOperadora"), g.operator_guide.as_deref(), 20)?;
    let password = opt_text(&f("senha"), g.password.as_deref(), 20)?;
    let (code, why, items): (&str, &str, &[ContestedItem]) = match &g.contest {
        GuideContest::Whole(glosas) => match glosas.as_slice() {
            [one] => (&one.glosa_code, &one.justification, &[]),
            _ => {
                return Err(invalid(
                    &f("codGlosaGuia"),
                    "no recurso odontológico a guia inteira se contesta por uma só glosa",
                ));
            }
        },
        GuideContest::Items(items) => match items.first() {
            Some(first) => (&first.glosa_code, &first.justification, items.as_slice()),
            None => return Err(invalid(&f("recursoProcedimento"), "nenhum item contestado")),
        },
    };
    let code = glosa(&f("codGlosaGuia"), code)?;
    let why = text(&f("justificativaGuia"), why, 500)?;
    w.open("recursoGuia");
    w.leaf("numeroGuiaPrestador", &number);
    w.opt_leaf("numeroGuiaOperadora", operator_guide.as_deref());
    w.opt_leaf("senha", password.as_deref());
    w.leaf("codGlosaGuia", &code);
    w.leaf("justificativaGuia", &why);
    for (i, item) in items.iter().enumerate() {
        let at = format!("{at}.recursoProcedimento[{}]", i + 1);
        let f = |name: &str| format!("{at}.{name}");
        if item.sequence == 0 || item.sequence > 9_999 {
            return Err(invalid(&f("sequencialItem"), "número de item inválido"));
        }
        let day = date(&f("dataRealizacao"), item.start)?;
        let place = match &item.tooth {
            None => None,
            Some(ToothOrRegion::Tooth(t)) => Some(("codDente", one_of(&f("codDente"), t, domains::TEETH)?)),
            Some(ToothOrRegion::Region(r)) => {
                Some(("codRegiao", one_of(&f("codRegiao"), r, domains::REGIONS)?))
            }
        };
        let faces = item
            .faces
            .as_deref()
            .map(|v| faces(&f("denteFace"), v))
            .transpose()?;
        let quantity = super::write::count(&f("quantidade"), item.quantity, 99)?;
        let table = one_of(
            &f("procRecurso.codigoTabela"),
            &item.procedure.table,
            domains::TABLES,
        )?;
        let procedure = text(&f("procRecurso.codigoProcedimento"), &item.procedure.code, 10)?;
        let description = text(
            &f("procRecurso.descricaoProcedimento"),
            &item.procedure.description,
            150,
        )?;
        let item_code = glosa(&f("codGlosaProc"), &item.glosa_code)?;
        let item_why = text(&f("justificativaProc"), &item.justification, 500)?;
        let value = money(&f("valorRecursado"), item.centavos)?;
        w.open("recursoProcedimento");
        w.leaf("sequencialItem", &item.sequence.to_string());
        w.leaf("dataRealizacao", &day);
        if let Some((element, value)) = &place {
            w.group("denteRegiao", &[(element, value)]);
        }
        w.opt_leaf("denteFace", faces.as_deref());
        w.leaf("quantidade", &quantity);
        w.group(
            "procRecurso",
            &[
                ("codigoTabela", &table),
                ("codigoProcedimento", &procedure),
                ("descricaoProcedimento", &description),
            ],
        );
        w.leaf("codGlosaProc", &item_code);
        w.leaf("justificativaProc", &item_why);
        w.leaf("valorRecursado", &value);
        w.close("recursoProcedimento");
    }
    w.close("recursoGuia");
    Ok(())
}
