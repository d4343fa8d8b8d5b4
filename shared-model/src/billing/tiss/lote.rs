//! The lote de guias (`mensagemTISS` / `prestadorParaOperadora` / `loteGuias`), written as
//! ISO-8859-1 bytes with its epilogue hash. Today: lotes of Guias de Consulta.
//!
//! Every rule that would make the message invalid against `tissV4_01_00.xsd` is checked on the
//! input first, and the error names the field (never its content); nothing is written otherwise.
//! Rules the schema does not check are checked too: text is never empty after trimming, only
//! ISO-8859-1 without control characters, no negative amounts.

use jiff::civil::{Date, DateTime};

use super::domains;
use super::hash::{HashInput, TissError, md5_of_text};

/// Most guides a lote may carry (all of one type).
pub const MAX_GUIDES: usize = 100;

/// Who sends the lote, to whom, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoteHeader {
    /// `sequencialTransacao`: unique per provider and operator.
    pub transaction: u64,
    /// `numeroLote`: unique per provider and operator.
    pub lote: u64,
    /// When the lote was made (clinic's local time).
    pub made_at: DateTime,
    /// The clinic's code at the operator (`codigoPrestadorNaOperadora`, ≤ 14 characters).
    pub provider_code: String,
    /// The operator's registro ANS (6 digits).
    pub registro_ans: String,
    /// Bytes fed to the hash (operators differ).
    pub hash_input: HashInput,
}

/// The professional who executed the service, as TISS encodes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TissProfessional {
    pub name: String,
    /// `dm_conselhoProfissional`, e.g. `06` for CRM.
    pub council: String,
    pub council_number: String,
    /// `dm_UF`: the IBGE code of the council's state, e.g. `35` for SP.
    pub uf: String,
    /// `dm_CBOS`.
    pub cbo: String,
}

/// One Guia de Consulta (`guiaConsulta`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsultaGuide {
    /// `numeroGuiaPrestador` (≤ 20).
    pub number: String,
    /// The beneficiary's card number (`numeroCarteira`, ≤ 20).
    pub card: String,
    /// `atendimentoRN`: a newborn seen on the mother's card.
    pub newborn: bool,
    /// The clinic's CNES (7 digits).
    pub cnes: String,
    pub professional: TissProfessional,
    /// `dm_indicadorAcidente`: `9` when it was no accident.
    pub accident: String,
    /// `dm_regimeAtendimento`, e.g. `01` ambulatorial.
    pub regime: String,
    pub date: Date,
    /// `dm_tipoConsulta`: `1` first visit … `4` referral.
    pub consultation_type: String,
    /// `dm_tabela` of the procedure code, e.g. `22` (TUSS procedures).
    pub table: String,
    /// The procedure code (TUSS: 8 digits).
    pub procedure: String,
    pub value_centavos: i64,
}

/// Writes the XML and keeps the text of every leaf written, in order: the epilogue hash is
/// computed from exactly what was written.
struct Writer {
    out: String,
    leaves: String,
}

fn invalid(field: &str, reason: &'static str) -> TissError {
    TissError::InvalidField {
        field: field.to_owned(),
        reason,
    }
}

/// Trimmed text of 1..=`max` characters, ISO-8859-1 without control characters.
fn text(field: &str, value: &str, max: usize) -> Result<String, TissError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(invalid(field, "não pode ficar vazio"));
    }
    if value.chars().count() > max {
        return Err(invalid(field, "passa do tamanho máximo do padrão TISS"));
    }
    if value.chars().any(|c| u32::from(c) > 0xff || c.is_control()) {
        return Err(invalid(
            field,
            "tem caracteres que o padrão TISS (ISO-8859-1) não aceita",
        ));
    }
    Ok(value.to_owned())
}

fn digits(field: &str, value: &str, len: usize) -> Result<String, TissError> {
    let value = value.trim();
    if value.len() != len || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(
            field,
            "deve ter exatamente os dígitos que o padrão TISS pede",
        ));
    }
    Ok(value.to_owned())
}

fn one_of(field: &str, value: &str, allowed: &[&str]) -> Result<String, TissError> {
    let value = value.trim();
    if !allowed.contains(&value) {
        return Err(invalid(field, "não é um código da tabela do padrão TISS"));
    }
    Ok(value.to_owned())
}

/// `st_decimal8-2` money: 0 to 999,999.99, two decimals.
fn money(field: &str, centavos: i64) -> Result<String, TissError> {
    if !(0..=99_999_999).contains(&centavos) {
        return Err(invalid(
            field,
            "valor fora do intervalo do padrão TISS (0 a 999.999,99)",
        ));
    }
    Ok(format!("{}.{:02}", centavos / 100, centavos % 100))
}

/// A positive number of at most 12 digits (`st_texto12` fields that we number).
fn number12(field: &str, n: u64) -> Result<String, TissError> {
    if n == 0 || n > 999_999_999_999 {
        return Err(invalid(field, "deve ser um número de 1 a 12 dígitos"));
    }
    Ok(n.to_string())
}

fn date(field: &str, d: Date) -> Result<String, TissError> {
    if d.year() < 1900 {
        return Err(invalid(field, "data fora do intervalo aceito"));
    }
    Ok(d.strftime("%Y-%m-%d").to_string())
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

impl Writer {
    fn open(&mut self, name: &str) {
        self.out.push_str("<ans:");
        self.out.push_str(name);
        self.out.push('>');
    }

    fn close(&mut self, name: &str) {
        self.out.push_str("</ans:");
        self.out.push_str(name);
        self.out.push('>');
    }

    fn leaf(&mut self, name: &str, value: &str) {
        self.leaves.push_str(value);
        self.open(name);
        self.out.push_str(&escape(value));
        self.close(name);
    }

    /// An element holding only leaves, in order.
    fn group(&mut self, name: &str, leaves: &[(&str, &str)]) {
        self.open(name);
        for (leaf, value) in leaves {
            self.leaf(leaf, value);
        }
        self.close(name);
    }
}

/// Writes a lote of Guias de Consulta: ISO-8859-1 bytes, hash filled.
pub fn lote_consultas(header: &LoteHeader, guides: &[ConsultaGuide]) -> Result<Vec<u8>, TissError> {
    if guides.is_empty() {
        return Err(TissError::EmptyLote);
    }
    if guides.len() > MAX_GUIDES {
        return Err(TissError::TooManyGuides { count: guides.len() });
    }
    let registro_ans = digits("cabecalho.destino.registroANS", &header.registro_ans, 6)?;
    let provider = text(
        "cabecalho.origem.codigoPrestadorNaOperadora",
        &header.provider_code,
        14,
    )?;
    let mut w = Writer {
        out: String::new(),
        leaves: String::new(),
    };
    w.out.push_str(
        "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\
         <ans:mensagemTISS xmlns:ans=\"http://www.ans.gov.br/padroes/tiss/schemas\">",
    );
    w.open("cabecalho");
    w.open("identificacaoTransacao");
    w.leaf("tipoTransacao", "ENVIO_LOTE_GUIAS");
    w.leaf(
        "sequencialTransacao",
        &number12("cabecalho.sequencialTransacao", header.transaction)?,
    );
    w.leaf(
        "dataRegistroTransacao",
        &date("cabecalho.dataRegistroTransacao", header.made_at.date())?,
    );
    w.leaf(
        "horaRegistroTransacao",
        &header.made_at.time().strftime("%H:%M:%S").to_string(),
    );
    w.close("identificacaoTransacao");
    w.open("origem");
    w.group(
        "identificacaoPrestador",
        &[("codigoPrestadorNaOperadora", &provider)],
    );
    w.close("origem");
    w.group("destino", &[("registroANS", &registro_ans)]);
    w.leaf("Padrao", "4.01.00");
    w.close("cabecalho");
    w.open("prestadorParaOperadora");
    w.open("loteGuias");
    w.leaf("numeroLote", &number12("loteGuias.numeroLote", header.lote)?);
    w.open("guiasTISS");
    for (i, guide) in guides.iter().enumerate() {
        write_consulta(
            &mut w,
            &format!("guia[{}]", i + 1),
            guide,
            &registro_ans,
            &provider,
        )?;
    }
    w.close("guiasTISS");
    w.close("loteGuias");
    w.close("prestadorParaOperadora");
    // Every value was checked to be ISO-8859-1 text, so both encodings can carry it.
    let hash = md5_of_text(&w.leaves, header.hash_input).ok_or(TissError::NotLatin1 {
        element: "mensagemTISS".to_owned(),
    })?;
    w.out.push_str("<ans:epilogo><ans:hash>");
    w.out.push_str(&hash);
    w.out.push_str("</ans:hash></ans:epilogo></ans:mensagemTISS>");
    // Every character was checked to be ISO-8859-1, so each maps to one byte.
    Ok(w.out
        .chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
        .collect())
}

fn write_consulta(
    w: &mut Writer,
    at: &str,
    g: &ConsultaGuide,
    registro_ans: &str,
    provider: &str,
) -> Result<(), TissError> {
    let field = |name: &str| format!("{at}.{name}");
    let p = &g.professional;
    let number = text(&field("numeroGuiaPrestador"), &g.number, 20)?;
    let card = text(&field("dadosBeneficiario.numeroCarteira"), &g.card, 20)?;
    let cnes = digits(&field("contratadoExecutante.CNES"), &g.cnes, 7)?;
    let name = text(&field("profissionalExecutante.nomeProfissional"), &p.name, 70)?;
    let council = one_of(
        &field("profissionalExecutante.conselhoProfissional"),
        &p.council,
        domains::COUNCILS,
    )?;
    let council_number = text(
        &field("profissionalExecutante.numeroConselhoProfissional"),
        &p.council_number,
        15,
    )?;
    let uf = one_of(&field("profissionalExecutante.UF"), &p.uf, domains::UFS)?;
    let cbo = p.cbo.trim();
    if domains::CBOS.binary_search(&cbo).is_err() {
        return Err(invalid(
            &field("profissionalExecutante.CBOS"),
            "não é um código CBO aceito pelo padrão TISS",
        ));
    }
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
    let table = one_of(
        &field("dadosAtendimento.procedimento.codigoTabela"),
        &g.table,
        domains::TABLES,
    )?;
    let procedure_field = field("dadosAtendimento.procedimento.codigoProcedimento");
    let procedure = if table == "22" {
        digits(&procedure_field, &g.procedure, 8)?
    } else {
        text(&procedure_field, &g.procedure, 10)?
    };
    let value = money(
        &field("dadosAtendimento.procedimento.valorProcedimento"),
        g.value_centavos,
    )?;

    w.open("guiaConsulta");
    w.group(
        "cabecalhoConsulta",
        &[("registroANS", registro_ans), ("numeroGuiaPrestador", &number)],
    );
    w.group(
        "dadosBeneficiario",
        &[
            ("numeroCarteira", &card),
            ("atendimentoRN", if g.newborn { "S" } else { "N" }),
        ],
    );
    w.group(
        "contratadoExecutante",
        &[("codigoPrestadorNaOperadora", provider), ("CNES", &cnes)],
    );
    w.group(
        "profissionalExecutante",
        &[
            ("nomeProfissional", &name),
            ("conselhoProfissional", &council),
            ("numeroConselhoProfissional", &council_number),
            ("UF", &uf),
            ("CBOS", cbo),
        ],
    );
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
    w.close("guiaConsulta");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;
    use crate::billing::tiss::message_hashes;

    /// The lote of `testdata/consulta.xml` (which passes the official XSD).
    fn sample() -> (LoteHeader, ConsultaGuide) {
        let header = LoteHeader {
            transaction: 1,
            lote: 1,
            made_at: jiff::civil::date(2024, 5, 10).at(14, 30, 0, 0),
            provider_code: "123456".into(),
            registro_ans: "123456".into(),
            hash_input: HashInput::Utf8,
        };
        let guide = ConsultaGuide {
            number: "1".into(),
            card: "0001234500012".into(),
            newborn: false,
            cnes: "1234567".into(),
            professional: TissProfessional {
                name: "José Araújo".into(),
                council: "06".into(),
                council_number: "123456".into(),
                uf: "35".into(),
                cbo: "225125".into(),
            },
            accident: "9".into(),
            regime: "01".into(),
            date: jiff::civil::date(2024, 5, 9),
            consultation_type: "1".into(),
            table: "22".into(),
            procedure: "10101012".into(),
            value_centavos: 15_000,
        };
        (header, guide)
    }

    #[test]
    fn writes_the_sample_lote_with_the_independently_computed_hash() {
        let (header, guide) = sample();
        let bytes = lote_consultas(&header, &[guide]).unwrap();
        assert!(bytes.starts_with(b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>"));
        // "José" in ISO-8859-1: one byte for the é.
        assert!(bytes.windows(4).any(|w| w == b"Jos\xe9"));
        let h = message_hashes(&bytes).unwrap();
        // The value Python's hashlib gives for testdata/consulta.xml (same leaves).
        assert_eq!(h.utf8, "29fadbe0c1f249348aa49813e9d1a2f0");
        assert_eq!(h.matches, Some("utf8"));
        let latin1 = lote_consultas(
            &LoteHeader {
                hash_input: HashInput::Latin1,
                ..header
            },
            &[sample().1],
        )
        .unwrap();
        let h = message_hashes(&latin1).unwrap();
        assert_eq!(h.declared.as_deref(), Some("283dfe334e502cb95414e6d496ea6345"));
        assert_eq!(h.matches, Some("iso_8859_1"));
    }

    #[test]
    fn refuses_bad_input_naming_the_field() {
        let (header, guide) = sample();
        let cases: Vec<(ConsultaGuide, &str)> = vec![
            (
                ConsultaGuide {
                    professional: TissProfessional {
                        cbo: "225999".into(),
                        ..guide.professional.clone()
                    },
                    ..guide.clone()
                },
                "guia[1].profissionalExecutante.CBOS",
            ),
            (
                ConsultaGuide {
                    card: "   ".into(),
                    ..guide.clone()
                },
                "guia[1].dadosBeneficiario.numeroCarteira",
            ),
            (
                ConsultaGuide {
                    card: "123456789012345678901".into(),
                    ..guide.clone()
                },
                "guia[1].dadosBeneficiario.numeroCarteira",
            ),
            (
                ConsultaGuide {
                    professional: TissProfessional {
                        name: "Ana — Souza".into(),
                        ..guide.professional.clone()
                    },
                    ..guide.clone()
                },
                "guia[1].profissionalExecutante.nomeProfissional",
            ),
            (
                ConsultaGuide {
                    professional: TissProfessional {
                        uf: "SP".into(),
                        ..guide.professional.clone()
                    },
                    ..guide.clone()
                },
                "guia[1].profissionalExecutante.UF",
            ),
            (
                ConsultaGuide {
                    procedure: "1010101".into(),
                    ..guide.clone()
                },
                "guia[1].dadosAtendimento.procedimento.codigoProcedimento",
            ),
            (
                ConsultaGuide {
                    value_centavos: -1,
                    ..guide.clone()
                },
                "guia[1].dadosAtendimento.procedimento.valorProcedimento",
            ),
            (
                ConsultaGuide {
                    regime: "1".into(),
                    ..guide.clone()
                },
                "guia[1].dadosAtendimento.regimeAtendimento",
            ),
        ];
        for (bad, field) in cases {
            let err = lote_consultas(&header, &[bad]).unwrap_err();
            assert_eq!(err.code(), "tiss.invalid_field");
            assert!(err.to_string().contains(field), "{err} / {field}");
        }
        let err = lote_consultas(
            &LoteHeader {
                registro_ans: "12345".into(),
                ..header.clone()
            },
            std::slice::from_ref(&guide),
        )
        .unwrap_err();
        assert!(err.to_string().contains("registroANS"), "{err}");
        assert_eq!(
            lote_consultas(&header, &[]).unwrap_err().code(),
            "tiss.empty_lote"
        );
        let many = vec![guide; MAX_GUIDES + 1];
        assert_eq!(
            lote_consultas(&header, &many).unwrap_err().code(),
            "tiss.too_many_guides"
        );
    }

    #[test]
    fn the_error_never_quotes_the_value() {
        let (header, guide) = sample();
        let bad = ConsultaGuide {
            card: "Maria—Secreta".into(),
            ..guide
        };
        let err = lote_consultas(&header, &[bad]).unwrap_err();
        assert!(!err.to_string().contains("Maria"), "{err}");
    }
}
