//! The lote de guias (`mensagemTISS` / `prestadorParaOperadora` / `loteGuias`), written as
//! ISO-8859-1 bytes with its epilogue hash.
//!
//! Every rule that would make the message invalid against `tissV4_01_00.xsd` is checked on the
//! input first, and the error names the field (never its content); nothing is written otherwise.
//! Rules the schema does not check are checked too: text is never empty after trimming, only
//! ISO-8859-1 without control characters, no negative amounts, totals equal to their items,
//! guide numbers unique in the lote.

use std::collections::BTreeSet;

use jiff::civil::DateTime;

use super::guides::{Guide, GuideContext, write_guide};
use super::hash::{HashInput, TissError};
use super::write::{Envelope, Message, Writer, digits, number12, text};

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

/// Checks the provider code and registro ANS of a message's header.
pub(super) fn parties(provider_code: &str, registro_ans: &str) -> Result<(String, String), TissError> {
    Ok((
        text("cabecalho.origem.codigoPrestadorNaOperadora", provider_code, 14)?,
        digits("cabecalho.destino.registroANS", registro_ans, 6)?,
    ))
}

/// Writes a lote: 1 to 100 guides of one type, ISO-8859-1 bytes, hash filled.
pub fn lote(header: &LoteHeader, guides: &[Guide]) -> Result<Vec<u8>, TissError> {
    lote_message(header, guides).map(|m| m.bytes)
}

/// [`lote`], with the hash it carries.
pub fn lote_message(header: &LoteHeader, guides: &[Guide]) -> Result<Message, TissError> {
    let Some(first) = guides.first() else {
        return Err(TissError::EmptyLote);
    };
    if guides.len() > MAX_GUIDES {
        return Err(TissError::TooManyGuides { count: guides.len() });
    }
    if let Some(other) = guides.iter().find(|g| g.kind() != first.kind()) {
        return Err(TissError::MixedGuideTypes {
            first: first.kind().label(),
            other: other.kind().label(),
        });
    }
    let mut numbers = BTreeSet::new();
    for (i, g) in guides.iter().enumerate() {
        if !numbers.insert(g.number().trim()) {
            return Err(TissError::DuplicateGuideNumber {
                field: format!("guia[{}].numeroGuiaPrestador", i + 1),
            });
        }
    }
    let (provider, registro_ans) = parties(&header.provider_code, &header.registro_ans)?;
    let lote_number = number12("loteGuias.numeroLote", header.lote)?;
    let mut w = Writer::begin(&Envelope {
        kind: "ENVIO_LOTE_GUIAS",
        transaction: header.transaction,
        made_at: header.made_at,
        provider_code: &provider,
        registro_ans: &registro_ans,
    })?;
    w.open("prestadorParaOperadora");
    w.open("loteGuias");
    w.leaf("numeroLote", &lote_number);
    w.open("guiasTISS");
    let ctx = GuideContext {
        registro_ans: &registro_ans,
    };
    for (i, guide) in guides.iter().enumerate() {
        write_guide(&mut w, &format!("guia[{}]", i + 1), guide, &ctx)?;
    }
    w.close("guiasTISS");
    w.close("loteGuias");
    w.close("prestadorParaOperadora");
    w.finish(header.hash_input)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;
    use crate::billing::tiss::guides::{Beneficiary, ConsultaGuide, Contractor, TissProfessional};
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
            beneficiary: Beneficiary {
                card: "0001234500012".into(),
                newborn: false,
            },
            executor: Contractor::OperatorCode("123456".into()),
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
            notes: None,
        };
        (header, guide)
    }

    #[test]
    fn writes_the_sample_lote_with_the_independently_computed_hash() {
        let (header, guide) = sample();
        let bytes = lote(&header, &[Guide::Consulta(guide)]).unwrap();
        assert!(bytes.starts_with(b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>"));
        // "José" in ISO-8859-1: one byte for the é.
        assert!(bytes.windows(4).any(|w| w == b"Jos\xe9"));
        let h = message_hashes(&bytes).unwrap();
        // The value Python's hashlib gives for testdata/consulta.xml (same leaves).
        assert_eq!(h.utf8, "29fadbe0c1f249348aa49813e9d1a2f0");
        // The hash the writer reports is the one it wrote.
        let written = lote_message(&header, &[Guide::Consulta(sample().1)]).unwrap();
        assert_eq!(
            (written.bytes, written.hash.as_str()),
            (bytes.clone(), "29fadbe0c1f249348aa49813e9d1a2f0")
        );
        assert_eq!(h.matches, Some("utf8"));
        let latin1 = lote(
            &LoteHeader {
                hash_input: HashInput::Latin1,
                ..header
            },
            &[Guide::Consulta(sample().1)],
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
                    beneficiary: Beneficiary {
                        card: "   ".into(),
                        newborn: false,
                    },
                    ..guide.clone()
                },
                "guia[1].dadosBeneficiario.numeroCarteira",
            ),
            (
                ConsultaGuide {
                    beneficiary: Beneficiary {
                        card: "123456789012345678901".into(),
                        newborn: false,
                    },
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
            let err = lote(&header, &[Guide::Consulta(bad)]).unwrap_err();
            assert_eq!(err.code(), "tiss.invalid_field");
            assert!(err.to_string().contains(field), "{err} / {field}");
        }
        let err = lote(
            &LoteHeader {
                registro_ans: "12345".into(),
                ..header.clone()
            },
            &[Guide::Consulta(guide.clone())],
        )
        .unwrap_err();
        assert!(err.to_string().contains("registroANS"), "{err}");
        assert_eq!(lote(&header, &[]).unwrap_err().code(), "tiss.empty_lote");
        let many = vec![Guide::Consulta(guide.clone()); MAX_GUIDES + 1];
        assert_eq!(lote(&header, &many).unwrap_err().code(), "tiss.too_many_guides");
        let twice = vec![Guide::Consulta(guide.clone()), Guide::Consulta(guide)];
        let err = lote(&header, &twice).unwrap_err();
        assert_eq!(err.code(), "tiss.duplicate_guide_number");
        assert!(err.to_string().contains("guia[2].numeroGuiaPrestador"), "{err}");
    }

    #[test]
    fn the_error_never_quotes_the_value() {
        let (header, guide) = sample();
        let bad = ConsultaGuide {
            beneficiary: Beneficiary {
                card: "Maria—Secreta".into(),
                newborn: false,
            },
            ..guide
        };
        let err = lote(&header, &[Guide::Consulta(bad)]).unwrap_err();
        assert!(!err.to_string().contains("Maria"), "{err}");
    }
}
