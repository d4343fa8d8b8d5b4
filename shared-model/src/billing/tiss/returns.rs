//! The operator's returns: `protocoloRecebimento` (the lote was received, maybe refused) and
//! `demonstrativoAnaliseConta` (the account analysis: what was paid, what was denied and why).
//!
//! Each is read into typed values, and every glosa is flattened into a [`Glosa`] that names the
//! lote, the guide (`numeroGuiaPrestador`) and the item (`sequencialItem`) it denies, which is
//! how it attaches to the clinic's billing items. The caller checks the file against the schema
//! first (`xsd::check_schema`); the reader still refuses, naming the field and the line, any
//! missing or malformed value it needs, and a file addressed to another provider.

use jiff::civil::Date;
use quick_xml::events::Event;

use super::domains;
use super::hash::{TissError, decode_message, resolve_reference};

/// One element of the message: name (without prefix), text, children and the line it starts on.
#[derive(Debug, Default)]
struct Node {
    name: String,
    text: String,
    children: Vec<Node>,
    line: u32,
}

/// Deeper than any TISS message nests (about 12 levels): a file deeper than this is not one.
const MAX_DEPTH: usize = 64;

/// Reads the whole message into a tree of [`Node`]s.
fn parse_tree(xml: &str) -> Result<Node, TissError> {
    let newlines: Vec<usize> = xml.match_indices('\n').map(|(i, _)| i).collect();
    let line_at = |pos: u64| {
        let pos = usize::try_from(pos).unwrap_or(usize::MAX);
        u32::try_from(newlines.partition_point(|&n| n < pos) + 1).unwrap_or(u32::MAX)
    };
    let mut reader = quick_xml::Reader::from_str(xml);
    let malformed = |reader: &quick_xml::Reader<&[u8]>| TissError::Malformed {
        position: reader.buffer_position(),
    };
    let mut stack: Vec<Node> = vec![Node::default()];
    loop {
        let start = reader.buffer_position();
        match reader.read_event().map_err(|_| malformed(&reader))? {
            Event::Start(_) if stack.len() > MAX_DEPTH => return Err(malformed(&reader)),
            Event::Start(e) => stack.push(Node {
                name: e.local_name().as_ref().to_owned(),
                line: line_at(start),
                ..Node::default()
            }),
            Event::Empty(e) => {
                let node = Node {
                    name: e.local_name().as_ref().to_owned(),
                    line: line_at(start),
                    ..Node::default()
                };
                stack
                    .last_mut()
                    .ok_or_else(|| malformed(&reader))?
                    .children
                    .push(node);
            }
            Event::Text(t) => {
                let text = t.xml10_content();
                if let Some(open) = stack.last_mut() {
                    open.text.push_str(&text);
                }
            }
            Event::CData(t) => {
                let text = t.xml10_content();
                if let Some(open) = stack.last_mut() {
                    open.text.push_str(&text);
                }
            }
            Event::GeneralRef(r) => {
                let resolved = resolve_reference(&r).ok_or_else(|| malformed(&reader))?;
                if let Some(open) = stack.last_mut() {
                    open.text.push_str(&resolved);
                }
            }
            Event::End(_) => {
                let node = stack.pop().ok_or_else(|| malformed(&reader))?;
                stack
                    .last_mut()
                    .ok_or_else(|| malformed(&reader))?
                    .children
                    .push(node);
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
    }
    let mut document = stack
        .pop()
        .filter(|_| stack.is_empty())
        .ok_or_else(|| malformed(&reader))?;
    if document.children.len() != 1 {
        return Err(malformed(&reader));
    }
    Ok(document.children.remove(0))
}

impl Node {
    fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    fn req(&self, name: &str, path: &str) -> Result<&Node, TissError> {
        self.child(name).ok_or_else(|| TissError::ReturnField {
            path: format!("{path}/{name}"),
            line: self.line,
            reason: "ausente",
        })
    }

    fn value(&self) -> String {
        self.text.trim().to_owned()
    }

    fn req_text(&self, name: &str, path: &str) -> Result<String, TissError> {
        let node = self.req(name, path)?;
        let value = node.value();
        if value.is_empty() {
            return Err(bad(node, &format!("{path}/{name}"), "vazio"));
        }
        Ok(value)
    }

    fn opt_text(&self, name: &str) -> Option<String> {
        self.child(name).map(Node::value).filter(|v| !v.is_empty())
    }

    fn req_date(&self, name: &str, path: &str) -> Result<Date, TissError> {
        let node = self.req(name, path)?;
        node.value()
            .parse::<Date>()
            .map_err(|_| bad(node, &format!("{path}/{name}"), "data inválida"))
    }

    fn req_money(&self, name: &str, path: &str) -> Result<i64, TissError> {
        let node = self.req(name, path)?;
        decimal(&node.value(), 2).ok_or_else(|| bad(node, &format!("{path}/{name}"), "valor inválido"))
    }

    fn opt_money(&self, name: &str, path: &str) -> Result<Option<i64>, TissError> {
        self.child(name)
            .map(|node| {
                decimal(&node.value(), 2)
                    .ok_or_else(|| bad(node, &format!("{path}/{name}"), "valor inválido"))
            })
            .transpose()
    }

    fn req_sequence(&self, name: &str, path: &str) -> Result<u16, TissError> {
        let node = self.req(name, path)?;
        node.value()
            .parse::<u16>()
            .ok()
            .filter(|n| (1..=9_999).contains(n))
            .ok_or_else(|| bad(node, &format!("{path}/{name}"), "número de item inválido"))
    }
}

fn bad(node: &Node, path: &str, reason: &'static str) -> TissError {
    TissError::ReturnField {
        path: path.to_owned(),
        line: node.line,
        reason,
    }
}

/// A decimal with at most `scale` fraction digits, scaled to an integer (`"150.5"` → 15050).
fn decimal(text: &str, scale: u32) -> Option<i64> {
    let text = text.trim();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > scale as usize
        || int.len() > 15
    {
        return None;
    }
    let int: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut frac_value: i64 = if frac.is_empty() { 0 } else { frac.parse().ok()? };
    for _ in frac.len()..scale as usize {
        frac_value *= 10;
    }
    let value = int.checked_mul(10_i64.pow(scale))?.checked_add(frac_value)?;
    Some(if negative { -value } else { value })
}

/// How a provider is identified in a message (`ct_contratadoDados` / `ct_prestadorIdentificacao`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum ProviderId {
    OperatorCode(String),
    Cpf(String),
    Cnpj(String),
}

impl ProviderId {
    fn read(node: &Node, path: &str) -> Result<Self, TissError> {
        for (name, make) in [
            (
                "codigoPrestadorNaOperadora",
                ProviderId::OperatorCode as fn(String) -> ProviderId,
            ),
            ("cpfContratado", ProviderId::Cpf),
            ("cnpjContratado", ProviderId::Cnpj),
            ("CPF", ProviderId::Cpf),
            ("CNPJ", ProviderId::Cnpj),
        ] {
            if let Some(value) = node.opt_text(name) {
                return Ok(make(value));
            }
        }
        Err(bad(node, path, "sem identificação do prestador"))
    }
}

/// Who the clinic is at this operator: a return addressed to anyone else is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedParties {
    /// The operator's registro ANS (the return's `origem`).
    pub registro_ans: String,
    /// The clinic's code at the operator.
    pub provider_code: String,
    /// The clinic's CNPJ or CPF (digits), if the operator may identify it that way.
    pub provider_document: Option<String>,
}

impl ExpectedParties {
    fn is_us(&self, id: &ProviderId) -> bool {
        match id {
            ProviderId::OperatorCode(code) => *code == self.provider_code.trim(),
            ProviderId::Cpf(doc) | ProviderId::Cnpj(doc) => {
                self.provider_document.as_deref().map(str::trim) == Some(doc)
            }
        }
    }
}

/// A glosa reason (`ct_motivoGlosa`): a code of TUSS table 38, maybe with the operator's text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct GlosaReason {
    pub code: String,
    pub description: Option<String>,
}

fn reasons(node: &Node, element: &str, path: &str) -> Result<Vec<GlosaReason>, TissError> {
    node.all(element)
        .map(|m| reason(m, &format!("{path}/{element}")))
        .collect()
}

fn reason(node: &Node, path: &str) -> Result<GlosaReason, TissError> {
    let code_node = node.req("codigoGlosa", path)?;
    glosa_code(code_node, &format!("{path}/codigoGlosa"))?;
    Ok(GlosaReason {
        code: code_node.value(),
        description: node.opt_text("descricaoGlosa"),
    })
}

/// A glosa code: TUSS table 38, or empty (the schema allows an operator to leave it blank).
fn glosa_code(node: &Node, path: &str) -> Result<(), TissError> {
    let code = node.value();
    if !code.is_empty() && !domains::is_glosa_code(&code) {
        return Err(bad(node, path, "código de glosa fora da tabela 38 da TUSS"));
    }
    Ok(())
}

/// Where a glosa applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GlosaLevel {
    /// The whole lote was refused on receipt.
    Lote,
    Protocol,
    Guide,
    Item,
}

impl GlosaLevel {
    /// Stable code (API, storage): `lote`, `protocol`, `guide`, `item`.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::Lote => "lote",
            Self::Protocol => "protocol",
            Self::Guide => "guide",
            Self::Item => "item",
        }
    }
}

/// One glosa, flattened: what it denies and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Glosa {
    pub level: GlosaLevel,
    /// Our `numeroLote`.
    pub lote: String,
    pub protocol: Option<String>,
    /// Our `numeroGuiaPrestador` (guide and item glosas).
    pub guide: Option<String>,
    /// `sequencialItem` (item glosas).
    pub item: Option<u16>,
    pub code: String,
    pub description: Option<String>,
    /// The amount denied, when the operator says it.
    pub centavos: Option<i64>,
}

/// The header of a return.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReturnHeader {
    pub kind: String,
    pub transaction: String,
    pub registro_ans: String,
    pub provider: ProviderId,
}

/// A guide as the operator received it (`ct_guiaDados`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReceivedGuide {
    pub number: String,
    pub operator_number: Option<String>,
    pub glosas: Vec<GlosaReason>,
    /// (sequencialItem, reasons, amount denied).
    pub items: Vec<(u16, Vec<GlosaReason>, Option<i64>)>,
}

/// `protocoloRecebimento`: the lote was received under a protocol number.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ProtocolReceipt {
    pub lote: String,
    pub sent_on: Date,
    pub protocol: String,
    pub total_centavos: i64,
    pub glosas: Vec<GlosaReason>,
    pub glosa_centavos: Option<i64>,
    pub guides: Vec<ReceivedGuide>,
}

/// One item of an analysed guide.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AnalysedItem {
    pub sequence: u16,
    pub date: Date,
    pub table: String,
    pub code: String,
    pub description: Option<String>,
    pub participation: Option<String>,
    pub informed_centavos: i64,
    /// In ten-thousandths.
    pub quantity: i64,
    pub processed_centavos: i64,
    pub released_centavos: i64,
    /// (code, amount denied).
    pub glosas: Vec<(String, i64)>,
}

/// One guide of a demonstrativo.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AnalysedGuide {
    pub number: String,
    pub operator_number: Option<String>,
    pub password: Option<String>,
    pub card: String,
    pub start: Date,
    pub glosas: Vec<GlosaReason>,
    pub status: String,
    pub items: Vec<AnalysedItem>,
    pub informed_centavos: i64,
    pub processed_centavos: i64,
    pub released_centavos: i64,
    pub glosa_centavos: Option<i64>,
}

/// One protocol (one lote) of a demonstrativo.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AnalysedProtocol {
    pub lote: String,
    pub protocol: String,
    pub date: Date,
    pub glosa: Option<GlosaReason>,
    /// `dm_statusProtocolo`: 1 recebido … 6 pago … 9 cancelado.
    pub status: String,
    pub guides: Vec<AnalysedGuide>,
    pub informed_centavos: i64,
    pub processed_centavos: i64,
    pub released_centavos: i64,
    pub glosa_centavos: Option<i64>,
}

/// `demonstrativoAnaliseConta`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AnalysisStatement {
    pub number: String,
    pub operator_name: String,
    pub operator_cnpj: String,
    pub issued: Date,
    pub protocols: Vec<AnalysedProtocol>,
}

/// What an operator sent back.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ReturnBody {
    /// The lote was refused as a whole (`recebimentoLote/mensagemErro`).
    LoteRefused {
        reason: GlosaReason,
    },
    Receipt(ProtocolReceipt),
    Analysis(Vec<AnalysisStatement>),
}

/// A parsed return file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OperatorReturn {
    pub header: ReturnHeader,
    pub body: ReturnBody,
}

impl OperatorReturn {
    /// Every glosa of the return, flattened; `lote` is our lote number when the return does not
    /// carry it (a lote refused on receipt).
    #[must_use]
    pub fn glosas(&self, refused_lote: &str) -> Vec<Glosa> {
        let mut out = Vec::new();
        match &self.body {
            ReturnBody::LoteRefused { reason } => out.push(Glosa {
                level: GlosaLevel::Lote,
                lote: refused_lote.to_owned(),
                protocol: None,
                guide: None,
                item: None,
                code: reason.code.clone(),
                description: reason.description.clone(),
                centavos: None,
            }),
            ReturnBody::Receipt(r) => {
                let base = |level, guide: Option<&str>, item, g: &GlosaReason, centavos| Glosa {
                    level,
                    lote: r.lote.clone(),
                    protocol: Some(r.protocol.clone()),
                    guide: guide.map(str::to_owned),
                    item,
                    code: g.code.clone(),
                    description: g.description.clone(),
                    centavos,
                };
                // An amount denied is given once for all the reasons that follow it: it goes
                // with the first, so contesting them never asks for it twice.
                for (i, g) in r.glosas.iter().enumerate() {
                    let centavos = if i == 0 { r.glosa_centavos } else { None };
                    out.push(base(GlosaLevel::Protocol, None, None, g, centavos));
                }
                for guide in &r.guides {
                    for g in &guide.glosas {
                        out.push(base(GlosaLevel::Guide, Some(&guide.number), None, g, None));
                    }
                    for (sequence, reasons, centavos) in &guide.items {
                        for (i, g) in reasons.iter().enumerate() {
                            let centavos = if i == 0 { *centavos } else { None };
                            out.push(base(
                                GlosaLevel::Item,
                                Some(&guide.number),
                                Some(*sequence),
                                g,
                                centavos,
                            ));
                        }
                    }
                }
            }
            ReturnBody::Analysis(statements) => {
                for p in statements.iter().flat_map(|s| &s.protocols) {
                    let base = |level,
                                guide: Option<&str>,
                                item,
                                code: &str,
                                description: Option<String>,
                                centavos| Glosa {
                        level,
                        lote: p.lote.clone(),
                        protocol: Some(p.protocol.clone()),
                        guide: guide.map(str::to_owned),
                        item,
                        code: code.to_owned(),
                        description,
                        centavos,
                    };
                    // The protocol's and a guide's total denied include their items' glosas:
                    // they go with the protocol's or guide's own reason only when nothing below
                    // it was denied, and then with the first reason only.
                    let below = p
                        .guides
                        .iter()
                        .any(|g| !g.glosas.is_empty() || g.items.iter().any(|i| !i.glosas.is_empty()));
                    if let Some(g) = &p.glosa {
                        out.push(base(
                            GlosaLevel::Protocol,
                            None,
                            None,
                            &g.code,
                            g.description.clone(),
                            if below { None } else { p.glosa_centavos },
                        ));
                    }
                    for guide in &p.guides {
                        let items_denied = guide.items.iter().any(|i| !i.glosas.is_empty());
                        for (i, g) in guide.glosas.iter().enumerate() {
                            out.push(base(
                                GlosaLevel::Guide,
                                Some(&guide.number),
                                None,
                                &g.code,
                                g.description.clone(),
                                if i == 0 && !items_denied {
                                    guide.glosa_centavos
                                } else {
                                    None
                                },
                            ));
                        }
                        for item in &guide.items {
                            for (code, centavos) in &item.glosas {
                                out.push(base(
                                    GlosaLevel::Item,
                                    Some(&guide.number),
                                    Some(item.sequence),
                                    code,
                                    None,
                                    Some(*centavos),
                                ));
                            }
                        }
                    }
                }
            }
        }
        out
    }
}

/// Reads a return file (ISO-8859-1 or UTF-8 bytes) sent by the operator to this clinic.
pub fn parse_return(bytes: &[u8], expected: &ExpectedParties) -> Result<OperatorReturn, TissError> {
    let xml = decode_message(bytes)?;
    let root = parse_tree(&xml)?;
    if root.name != "mensagemTISS" {
        return Err(bad(&root, "mensagemTISS", "não é uma mensagem TISS"));
    }
    let cab = root.req("cabecalho", "mensagemTISS")?;
    let ident = cab.req("identificacaoTransacao", "cabecalho")?;
    let kind = ident.req_text("tipoTransacao", "cabecalho/identificacaoTransacao")?;
    let analysis = match kind.as_str() {
        "PROTOCOLO_RECEBIMENTO" => false,
        "DEMONSTRATIVO_ANALISE_CONTA" => true,
        _ => {
            // A schema value, but the file may not follow the schema: keep it printable.
            let kind: String = kind
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .take(40)
                .collect();
            return Err(TissError::NotAReturn { kind });
        }
    };
    let transaction = ident.req_text("sequencialTransacao", "cabecalho/identificacaoTransacao")?;
    let origem = cab.req("origem", "cabecalho")?;
    let registro_ans = origem.req_text("registroANS", "cabecalho/origem")?;
    if registro_ans != expected.registro_ans.trim() {
        return Err(TissError::ReturnOtherParty {
            field: "cabecalho/origem/registroANS".to_owned(),
        });
    }
    let destino = cab.req("destino", "cabecalho")?;
    let provider = ProviderId::read(
        destino.req("identificacaoPrestador", "cabecalho/destino")?,
        "cabecalho/destino/identificacaoPrestador",
    )?;
    if !expected.is_us(&provider) {
        return Err(TissError::ReturnOtherParty {
            field: "cabecalho/destino/identificacaoPrestador".to_owned(),
        });
    }
    let header = ReturnHeader {
        kind: kind.clone(),
        transaction,
        registro_ans,
        provider,
    };
    let body = root.req("operadoraParaPrestador", "mensagemTISS")?;
    let body = if !analysis {
        let received = body.req("recebimentoLote", "operadoraParaPrestador")?;
        if let Some(error) = received.child("mensagemErro") {
            ReturnBody::LoteRefused {
                reason: reason(error, "recebimentoLote/mensagemErro")?,
            }
        } else {
            ReturnBody::Receipt(receipt(
                received.req("protocoloRecebimento", "operadoraParaPrestador/recebimentoLote")?,
                expected,
            )?)
        }
    } else {
        let returns = body.req("demonstrativosRetorno", "operadoraParaPrestador")?;
        if let Some(error) = returns.child("mensagemErro") {
            return Err(TissError::ReturnRefused {
                code: reason(error, "demonstrativosRetorno/mensagemErro")?.code,
            });
        }
        let statements = returns
            .all("demonstrativoAnaliseConta")
            .enumerate()
            .map(|(i, s)| statement(s, &format!("demonstrativoAnaliseConta[{}]", i + 1), expected))
            .collect::<Result<Vec<_>, _>>()?;
        if statements.is_empty() {
            return Err(bad(
                returns,
                "demonstrativosRetorno/demonstrativoAnaliseConta",
                "ausente",
            ));
        }
        ReturnBody::Analysis(statements)
    };
    Ok(OperatorReturn { header, body })
}

fn receipt(node: &Node, expected: &ExpectedParties) -> Result<ProtocolReceipt, TissError> {
    let path = "protocoloRecebimento";
    let provider = ProviderId::read(
        node.req("dadosPrestador", path)?,
        "protocoloRecebimento/dadosPrestador",
    )?;
    if !expected.is_us(&provider) {
        return Err(TissError::ReturnOtherParty {
            field: "protocoloRecebimento/dadosPrestador".to_owned(),
        });
    }
    let detail = node.req("detalheProtocolo", path)?;
    let dpath = "protocoloRecebimento/detalheProtocolo";
    let (glosas, glosa_centavos) = match detail.child("glosaProtocolo") {
        Some(g) => {
            let gpath = format!("{dpath}/glosaProtocolo");
            let motives = g.req("motivosGlosa", &gpath)?;
            (
                reasons(motives, "motivoGlosa", &format!("{gpath}/motivosGlosa"))?,
                Some(g.req_money("vlGlosaProtocolo", &gpath)?),
            )
        }
        None => (Vec::new(), None),
    };
    let guides_node = detail.req("dadosGuiasProtocolo", dpath)?;
    let mut guides = Vec::new();
    for (i, g) in guides_node
        .all("dadosGuias")
        .chain(guides_node.all("dadosGuiasOdonto"))
        .enumerate()
    {
        let gpath = format!("{dpath}/dadosGuiasProtocolo/dadosGuias[{}]", i + 1);
        let glosas = match g.child("glosaGuia") {
            Some(gg) => reasons(gg, "motivoGlosa", &format!("{gpath}/glosaGuia"))?,
            None => Vec::new(),
        };
        let mut items = Vec::new();
        if let Some(done) = g.child("procedimentosRealizados") {
            for (j, item) in done.all("procedimentoRealizado").enumerate() {
                let ipath = format!("{gpath}/procedimentosRealizados/procedimentoRealizado[{}]", j + 1);
                let sequence = item.req_sequence("sequencialItem", &ipath)?;
                let (reasons_found, amount) = match item.child("glosasProcedimento") {
                    Some(gp) => (
                        reasons(gp, "motivoGlosa", &format!("{ipath}/glosasProcedimento"))?,
                        gp.opt_money("valorGlosaProcedimento", &format!("{ipath}/glosasProcedimento"))?,
                    ),
                    None => (Vec::new(), None),
                };
                items.push((sequence, reasons_found, amount));
            }
        }
        guides.push(ReceivedGuide {
            number: g.req_text("numeroGuiaPrestador", &gpath)?,
            operator_number: g.opt_text("numeroGuiaOperadora"),
            glosas,
            items,
        });
    }
    Ok(ProtocolReceipt {
        lote: node.req_text("numeroLote", path)?,
        sent_on: node.req_date("dataEnvioLote", path)?,
        protocol: detail.req_text("numeroProtocolo", dpath)?,
        total_centavos: detail.req_money("valorTotalProtocolo", dpath)?,
        glosas,
        glosa_centavos,
        guides,
    })
}

fn statement(node: &Node, path: &str, expected: &ExpectedParties) -> Result<AnalysisStatement, TissError> {
    let cab = node.req("cabecalhoDemonstrativo", path)?;
    let cpath = format!("{path}/cabecalhoDemonstrativo");
    if cab.req_text("registroANS", &cpath)? != expected.registro_ans.trim() {
        return Err(TissError::ReturnOtherParty {
            field: format!("{cpath}/registroANS"),
        });
    }
    let provider_node = node.req("dadosPrestador", path)?;
    let provider = ProviderId::read(
        provider_node.req("dadosContratado", &format!("{path}/dadosPrestador"))?,
        &format!("{path}/dadosPrestador/dadosContratado"),
    )?;
    if !expected.is_us(&provider) {
        return Err(TissError::ReturnOtherParty {
            field: format!("{path}/dadosPrestador/dadosContratado"),
        });
    }
    let account = node.req("dadosConta", path)?;
    let mut protocols = Vec::new();
    for (i, p) in account.all("dadosProtocolo").enumerate() {
        let ppath = format!("{path}/dadosConta/dadosProtocolo[{}]", i + 1);
        let mut guides = Vec::new();
        for (j, g) in p.all("relacaoGuias").enumerate() {
            let gpath = format!("{ppath}/relacaoGuias[{}]", j + 1);
            let mut items = Vec::new();
            for (k, d) in g.all("detalhesGuia").enumerate() {
                let ipath = format!("{gpath}/detalhesGuia[{}]", k + 1);
                let procedure = d.req("procedimento", &ipath)?;
                let ppath2 = format!("{ipath}/procedimento");
                let quantity_node = d.req("qtdExecutada", &ipath)?;
                let quantity = decimal(&quantity_node.value(), 4).ok_or_else(|| {
                    bad(
                        quantity_node,
                        &format!("{ipath}/qtdExecutada"),
                        "quantidade inválida",
                    )
                })?;
                let mut glosas = Vec::new();
                for (l, rg) in d.all("relacaoGlosa").enumerate() {
                    let rpath = format!("{ipath}/relacaoGlosa[{}]", l + 1);
                    let code = rg.req("tipoGlosa", &rpath)?;
                    glosa_code(code, &format!("{rpath}/tipoGlosa"))?;
                    glosas.push((code.value(), rg.req_money("valorGlosa", &rpath)?));
                }
                items.push(AnalysedItem {
                    sequence: d.req_sequence("sequencialItem", &ipath)?,
                    date: d.req_date("dataRealizacao", &ipath)?,
                    table: procedure.req_text("codigoTabela", &ppath2)?,
                    code: procedure.req_text("codigoProcedimento", &ppath2)?,
                    description: procedure.opt_text("descricaoProcedimento"),
                    participation: d.opt_text("grauParticipacao"),
                    informed_centavos: d.req_money("valorInformado", &ipath)?,
                    quantity,
                    processed_centavos: d.req_money("valorProcessado", &ipath)?,
                    released_centavos: d.req_money("valorLiberado", &ipath)?,
                    glosas,
                });
            }
            guides.push(AnalysedGuide {
                number: g.req_text("numeroGuiaPrestador", &gpath)?,
                operator_number: g.opt_text("numeroGuiaOperadora"),
                password: g.opt_text("senha"),
                card: g.req_text("numeroCarteira", &gpath)?,
                start: g.req_date("dataInicioFat", &gpath)?,
                glosas: reasons(g, "motivoGlosaGuia", &gpath)?,
                status: g.req_text("situacaoGuia", &gpath)?,
                items,
                informed_centavos: g.req_money("valorInformadoGuia", &gpath)?,
                processed_centavos: g.req_money("valorProcessadoGuia", &gpath)?,
                released_centavos: g.req_money("valorLiberadoGuia", &gpath)?,
                glosa_centavos: g.opt_money("valorGlosaGuia", &gpath)?,
            });
        }
        protocols.push(AnalysedProtocol {
            lote: p.req_text("numeroLotePrestador", &ppath)?,
            protocol: p.req_text("numeroProtocolo", &ppath)?,
            date: p.req_date("dataProtocolo", &ppath)?,
            glosa: p
                .child("GlosaProtocolo")
                .map(|g| reason(g, &format!("{ppath}/GlosaProtocolo")))
                .transpose()?,
            status: p.req_text("situacaoProtocolo", &ppath)?,
            guides,
            informed_centavos: p.req_money("valorInformadoProtocolo", &ppath)?,
            processed_centavos: p.req_money("valorProcessadoProtocolo", &ppath)?,
            released_centavos: p.req_money("valorLiberadoProtocolo", &ppath)?,
            glosa_centavos: p.opt_money("valorGlosaProtocolo", &ppath)?,
        });
    }
    Ok(AnalysisStatement {
        number: cab.req_text("numeroDemonstrativo", &cpath)?,
        operator_name: cab.req_text("nomeOperadora", &cpath)?,
        operator_cnpj: cab.req_text("numeroCNPJ", &cpath)?,
        issued: cab.req_date("dataEmissao", &cpath)?,
        protocols,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_scale_exactly() {
        assert_eq!(decimal("150.00", 2), Some(15_000));
        assert_eq!(decimal("150.5", 2), Some(15_050));
        assert_eq!(decimal("150", 2), Some(15_000));
        assert_eq!(decimal(".5", 2), Some(50));
        assert_eq!(decimal("1.0000", 4), Some(10_000));
        assert_eq!(decimal("1.001", 2), None);
        assert_eq!(decimal("1,00", 2), None);
        assert_eq!(decimal("", 2), None);
        assert_eq!(decimal("1e2", 2), None);
        assert_eq!(decimal("-1.00", 2), Some(-100));
    }

    fn clinic() -> ExpectedParties {
        ExpectedParties {
            registro_ans: "123456".into(),
            provider_code: "123456".into(),
            provider_document: Some("12345678000195".into()),
        }
    }

    #[test]
    fn a_demonstrativo_gives_item_glosas_with_amounts() {
        let r = parse_return(include_bytes!("testdata/retorno-demonstrativo.xml"), &clinic()).unwrap();
        assert_eq!(r.header.kind, "DEMONSTRATIVO_ANALISE_CONTA");
        let ReturnBody::Analysis(statements) = &r.body else {
            panic!("{:?}", r.body)
        };
        assert_eq!(statements[0].operator_name, "Saúde Exemplo Operadora S.A.");
        let p = &statements[0].protocols[0];
        assert_eq!((p.lote.as_str(), p.protocol.as_str()), ("2", "202405000123"));
        assert_eq!(p.guides[0].items[0].quantity, 20_000);
        assert_eq!(p.glosa_centavos, Some(3_250));
        let glosas = r.glosas("2");
        assert_eq!(glosas.len(), 2);
        assert_eq!(
            glosas[0],
            Glosa {
                level: GlosaLevel::Item,
                lote: "2".into(),
                protocol: Some("202405000123".into()),
                guide: Some("2".into()),
                item: Some(1),
                code: "1705".into(),
                description: None,
                centavos: Some(2_000),
            }
        );
        assert_eq!(
            (glosas[1].item, glosas[1].code.as_str(), glosas[1].centavos),
            (Some(2), "2001", Some(1_250))
        );
    }

    #[test]
    fn a_receipt_and_a_refusal_are_read() {
        let r = parse_return(include_bytes!("testdata/retorno-protocolo.xml"), &clinic()).unwrap();
        let ReturnBody::Receipt(receipt) = &r.body else {
            panic!("{:?}", r.body)
        };
        assert_eq!(receipt.protocol, "202405000123");
        assert_eq!(receipt.total_centavos, 9_250);
        let glosas = r.glosas("2");
        assert_eq!(glosas.len(), 1);
        assert_eq!(glosas[0].level, GlosaLevel::Item);
        assert_eq!(
            glosas[0].description.as_deref(),
            Some("Material não coberto pelo contrato")
        );
        assert_eq!(glosas[0].centavos, Some(1_250));

        let r = parse_return(include_bytes!("testdata/retorno-lote-recusado.xml"), &clinic()).unwrap();
        let glosas = r.glosas("7");
        assert_eq!(glosas.len(), 1);
        assert_eq!(
            (glosas[0].level, glosas[0].lote.as_str(), glosas[0].code.as_str()),
            (GlosaLevel::Lote, "7", "5014")
        );
    }

    #[test]
    fn a_return_for_another_clinic_or_operator_is_refused() {
        use crate::ErrorCode;
        let bytes = include_bytes!("testdata/retorno-demonstrativo.xml");
        let other = ExpectedParties {
            provider_code: "999".into(),
            ..clinic()
        };
        let err = parse_return(bytes, &other).unwrap_err();
        assert_eq!(err.code(), "tiss.return_other_party");
        assert!(
            err.to_string()
                .contains("cabecalho/destino/identificacaoPrestador"),
            "{err}"
        );
        let other = ExpectedParties {
            registro_ans: "654321".into(),
            ..clinic()
        };
        assert!(
            parse_return(bytes, &other)
                .unwrap_err()
                .to_string()
                .contains("registroANS")
        );
        // A lote we sent is not a return.
        let err = parse_return(include_bytes!("testdata/consulta.xml"), &clinic()).unwrap_err();
        assert_eq!(err.code(), "tiss.not_a_return", "{err}");
        assert!(err.to_string().contains("ENVIO_LOTE_GUIAS"), "{err}");
    }

    #[test]
    fn a_missing_field_is_named_with_its_line() {
        use crate::ErrorCode;
        let text = String::from_utf8_lossy(include_bytes!("testdata/retorno-demonstrativo.xml"))
            .replace("<ans:situacaoGuia>3</ans:situacaoGuia>", "");
        let err = parse_return(text.as_bytes(), &clinic()).unwrap_err();
        assert_eq!(err.code(), "tiss.return_field");
        let message = err.to_string();
        assert!(message.contains("relacaoGuias[1]/situacaoGuia"), "{message}");
        assert!(message.contains("linha 29"), "{message}");
    }

    #[test]
    fn garbage_never_panics() {
        let expected = ExpectedParties {
            registro_ans: "123456".into(),
            provider_code: "1".into(),
            provider_document: None,
        };
        for input in [
            &b""[..],
            b"<a>",
            b"<a></b>",
            b"<?xml version=\"1.0\"?><x/>",
            b"<mensagemTISS><cabecalho/></mensagemTISS>",
            b"\xff\xfe",
        ] {
            assert!(parse_return(input, &expected).is_err());
        }
    }
}
