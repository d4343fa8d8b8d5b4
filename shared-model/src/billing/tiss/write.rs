//! The checks every value goes through before it is written, and the writer that keeps the
//! text of every leaf for the epilogue hash.
//!
//! A check returns the value exactly as it will be written, or an error naming the field (never
//! quoting the value: it may be patient data).

use jiff::civil::{Date, DateTime, Time};

use super::hash::{HashInput, TissError, md5_of_text};

pub(super) fn invalid(field: &str, reason: &'static str) -> TissError {
    TissError::InvalidField {
        field: field.to_owned(),
        reason,
    }
}

/// Trimmed text of 1..=`max` characters, ISO-8859-1 without control characters.
pub(super) fn text(field: &str, value: &str, max: usize) -> Result<String, TissError> {
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

/// [`text`] when present.
pub(super) fn opt_text(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>, TissError> {
    value.map(|v| text(field, v, max)).transpose()
}

/// Exactly `len` ASCII digits.
pub(super) fn digits(field: &str, value: &str, len: usize) -> Result<String, TissError> {
    let value = value.trim();
    if value.len() != len || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(
            field,
            "deve ter exatamente os dígitos que o padrão TISS pede",
        ));
    }
    Ok(value.to_owned())
}

/// A code of a closed list of the schema.
pub(super) fn one_of(field: &str, value: &str, allowed: &[&str]) -> Result<String, TissError> {
    let value = value.trim();
    if !allowed.contains(&value) {
        return Err(invalid(field, "não é um código da tabela do padrão TISS"));
    }
    Ok(value.to_owned())
}

/// [`one_of`] when present.
pub(super) fn opt_one_of(
    field: &str,
    value: Option<&str>,
    allowed: &[&str],
) -> Result<Option<String>, TissError> {
    value.map(|v| one_of(field, v, allowed)).transpose()
}

/// `st_CNPJ`: 14 digits. TISS 4.01.00 predates the alphanumeric CNPJ and cannot carry it.
pub(super) fn cnpj(field: &str, value: &str) -> Result<String, TissError> {
    let value = value.trim();
    if value.len() == 14
        && value.bytes().all(|b| b.is_ascii_alphanumeric())
        && value.bytes().any(|b| b.is_ascii_alphabetic())
    {
        return Err(TissError::AlphanumericCnpj {
            field: field.to_owned(),
        });
    }
    digits(field, value, 14)
}

/// `st_CPF`: 11 digits.
pub(super) fn cpf(field: &str, value: &str) -> Result<String, TissError> {
    digits(field, value, 11)
}

/// Money in centavos as `st_decimal8-2` (items: 0 to 999,999.99).
pub(super) fn money(field: &str, centavos: i64) -> Result<String, TissError> {
    money_up_to(field, centavos, 99_999_999)
}

/// Money in centavos as `st_decimal10-2` (guide and lote totals: up to 99,999,999.99).
pub(super) fn money10(field: &str, centavos: i64) -> Result<String, TissError> {
    money_up_to(field, centavos, 9_999_999_999)
}

fn money_up_to(field: &str, centavos: i64, max: i64) -> Result<String, TissError> {
    if !(0..=max).contains(&centavos) {
        return Err(invalid(field, "valor fora do intervalo do padrão TISS"));
    }
    Ok(format!("{}.{:02}", centavos / 100, centavos % 100))
}

/// A reduction or increase factor in hundredths (`st_decimal3-2`: 0.00 to 9.99; 100 = 1.00).
pub(super) fn factor(field: &str, hundredths: u16) -> Result<String, TissError> {
    if hundredths > 999 {
        return Err(invalid(field, "fator deve ir de 0,00 a 9,99"));
    }
    Ok(format!("{}.{:02}", hundredths / 100, hundredths % 100))
}

/// A quantity in ten-thousandths as `st_decimal9-4` (up to 99,999.9999), never zero.
pub(super) fn quantity4(field: &str, ten_thousandths: i64) -> Result<String, TissError> {
    if !(1..=999_999_999).contains(&ten_thousandths) {
        return Err(invalid(field, "quantidade deve ir de 0,0001 a 99.999,9999"));
    }
    Ok(format!(
        "{}.{:04}",
        ten_thousandths / 10_000,
        ten_thousandths % 10_000
    ))
}

/// An integer count of `1..=max` (`st_numericoN`).
pub(super) fn count(field: &str, n: u32, max: u32) -> Result<String, TissError> {
    if n == 0 || n > max {
        return Err(invalid(field, "quantidade fora do intervalo do padrão TISS"));
    }
    Ok(n.to_string())
}

/// A positive number of at most 12 digits (`st_texto12` fields that we number).
pub(super) fn number12(field: &str, n: u64) -> Result<String, TissError> {
    if n == 0 || n > 999_999_999_999 {
        return Err(invalid(field, "deve ser um número de 1 a 12 dígitos"));
    }
    Ok(n.to_string())
}

/// `st_data`: `YYYY-MM-DD`, never a time zone.
pub(super) fn date(field: &str, d: Date) -> Result<String, TissError> {
    if d.year() < 1900 {
        return Err(invalid(field, "data fora do intervalo aceito"));
    }
    Ok(d.strftime("%Y-%m-%d").to_string())
}

/// `st_hora`: `HH:MM:SS`.
pub(super) fn time(t: Time) -> String {
    t.strftime("%H:%M:%S").to_string()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Writes the XML and keeps the text of every leaf written, in order: the epilogue hash is
/// computed from exactly what was written.
#[derive(Debug, Default)]
pub(super) struct Writer {
    out: String,
    leaves: String,
}

/// `tipoTransacao` and sender/receiver of a message's `cabecalho`.
pub(super) struct Envelope<'a> {
    pub kind: &'static str,
    pub transaction: u64,
    pub made_at: DateTime,
    /// `codigoPrestadorNaOperadora` of the provider (sender).
    pub provider_code: &'a str,
    /// The operator's registro ANS (receiver).
    pub registro_ans: &'a str,
}

impl Writer {
    pub fn open(&mut self, name: &str) {
        self.out.push_str("<ans:");
        self.out.push_str(name);
        self.out.push('>');
    }

    pub fn close(&mut self, name: &str) {
        self.out.push_str("</ans:");
        self.out.push_str(name);
        self.out.push('>');
    }

    pub fn leaf(&mut self, name: &str, value: &str) {
        self.leaves.push_str(value);
        self.open(name);
        self.out.push_str(&escape(value));
        self.close(name);
    }

    pub fn opt_leaf(&mut self, name: &str, value: Option<&str>) {
        if let Some(value) = value {
            self.leaf(name, value);
        }
    }

    /// An element holding only leaves, in order.
    pub fn group(&mut self, name: &str, leaves: &[(&str, &str)]) {
        self.open(name);
        for (leaf, value) in leaves {
            self.leaf(leaf, value);
        }
        self.close(name);
    }

    /// The XML declaration, the root and the `cabecalho` of a provider → operator message;
    /// leaves the root open. The caller checked the provider code and registro ANS.
    pub fn begin(envelope: &Envelope<'_>) -> Result<Self, TissError> {
        let mut w = Self::default();
        w.out.push_str(
            "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\
             <ans:mensagemTISS xmlns:ans=\"http://www.ans.gov.br/padroes/tiss/schemas\">",
        );
        w.open("cabecalho");
        w.open("identificacaoTransacao");
        w.leaf("tipoTransacao", envelope.kind);
        w.leaf(
            "sequencialTransacao",
            &number12("cabecalho.sequencialTransacao", envelope.transaction)?,
        );
        w.leaf(
            "dataRegistroTransacao",
            &date("cabecalho.dataRegistroTransacao", envelope.made_at.date())?,
        );
        w.leaf("horaRegistroTransacao", &time(envelope.made_at.time()));
        w.close("identificacaoTransacao");
        w.open("origem");
        w.group(
            "identificacaoPrestador",
            &[("codigoPrestadorNaOperadora", envelope.provider_code)],
        );
        w.close("origem");
        w.group("destino", &[("registroANS", envelope.registro_ans)]);
        w.leaf("Padrao", "4.01.00");
        w.close("cabecalho");
        Ok(w)
    }

    /// Closes the root after the epilogue (hash of every leaf written) and returns the
    /// ISO-8859-1 bytes.
    pub fn finish(mut self, hash_input: HashInput) -> Result<Message, TissError> {
        // Every value was checked to be ISO-8859-1 text, so both encodings can carry it.
        let hash = md5_of_text(&self.leaves, hash_input).ok_or(TissError::NotLatin1 {
            element: "mensagemTISS".to_owned(),
        })?;
        self.out.push_str("<ans:epilogo><ans:hash>");
        self.out.push_str(&hash);
        self.out.push_str("</ans:hash></ans:epilogo></ans:mensagemTISS>");
        // Every character was checked to be ISO-8859-1, so each maps to one byte.
        Ok(Message {
            bytes: self
                .out
                .chars()
                .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
                .collect(),
            hash,
        })
    }
}

/// A message written: its ISO-8859-1 bytes and the epilogue hash they carry (computed while
/// writing, so nobody has to parse the bytes again to learn it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub bytes: Vec<u8>,
    pub hash: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn numbers_are_written_as_the_schema_types_want() {
        assert_eq!(money("f", 0).unwrap(), "0.00");
        assert_eq!(money("f", 99_999_999).unwrap(), "999999.99");
        assert!(money("f", 100_000_000).is_err());
        assert!(money("f", -1).is_err());
        assert_eq!(money10("f", 9_999_999_999).unwrap(), "99999999.99");
        assert_eq!(factor("f", 100).unwrap(), "1.00");
        assert_eq!(factor("f", 5).unwrap(), "0.05");
        assert!(factor("f", 1000).is_err());
        assert_eq!(quantity4("f", 15_000).unwrap(), "1.5000");
        assert!(quantity4("f", 0).is_err());
        assert!(quantity4("f", 1_000_000_000).is_err());
        assert_eq!(count("f", 999, 999).unwrap(), "999");
        assert!(count("f", 1000, 999).is_err());
        assert!(count("f", 0, 999).is_err());
    }

    #[test]
    fn an_alphanumeric_cnpj_is_refused_by_name() {
        let err = cnpj("guia[1].cnpjContratado", "12ABC34501DE35").unwrap_err();
        assert_eq!(err.code(), "tiss.alphanumeric_cnpj");
        assert!(err.to_string().contains("guia[1].cnpjContratado"));
        assert_eq!(cnpj("f", "12345678000195").unwrap(), "12345678000195");
        assert_eq!(
            cnpj("f", "1234567800019").unwrap_err().code(),
            "tiss.invalid_field"
        );
    }
}
