//! The epilogue hash of a TISS message (`epilogo/hash`), per the ANS rule: with the `hash`
//! element taken as empty, concatenate the text of every leaf element in document order and take
//! the MD5, lowercase hex.
//!
//! The text is the *parsed* text (`&amp;` counts as `&`, `&#233;` as `é`, line ends normalised);
//! whitespace between tags is not leaf text, so indentation never changes the hash. A digital
//! signature (`ds:Signature`) is not hashed. The bytes fed to MD5 are UTF-8 or ISO-8859-1
//! ([`HashInput`]): operators differ.

use md5::{Digest, Md5};
use quick_xml::events::Event;

/// The byte encoding of the text fed to MD5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HashInput {
    Utf8,
    Latin1,
}

/// Why a message could not be read or hashed. Messages are pt-BR; codes are stable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TissError {
    /// The parser's detail is left out: it may quote the file's content.
    #[error("arquivo TISS malformado (XML inválido) perto do byte {position}")]
    Malformed { position: u64 },
    #[error("codificação {0:?} não suportada (TISS usa ISO-8859-1; UTF-8 também é aceito)")]
    UnsupportedEncoding(String),
    #[error("o arquivo declara UTF-8 mas não é UTF-8 válido")]
    InvalidUtf8,
    #[error("o campo {element} tem caracteres que não existem em ISO-8859-1")]
    NotLatin1 { element: String },
    #[error("campo {field}: {reason}")]
    InvalidField { field: String, reason: &'static str },
    #[error("o lote não tem guias")]
    EmptyLote,
    #[error("um lote leva no máximo 100 guias (este tem {count}); divida-o")]
    TooManyGuides { count: usize },
    #[error("um lote leva guias de um só tipo; separe {first} e {other} em lotes diferentes")]
    MixedGuideTypes {
        first: &'static str,
        other: &'static str,
    },
    #[error("campo {field}: o número da guia se repete no lote")]
    DuplicateGuideNumber { field: String },
    #[error(
        "campo {field}: CNPJ alfanumérico não pode ser enviado no TISS 4.01.00 (o padrão só aceita \
         CNPJ numérico); use o código do prestador na operadora"
    )]
    AlphanumericCnpj { field: String },
    #[error("arquivo de retorno: campo {path} {reason} (linha {line})")]
    ReturnField {
        path: String,
        line: u32,
        reason: &'static str,
    },
    #[error("o arquivo de retorno é de outra operadora ou de outro prestador (campo {field})")]
    ReturnOtherParty { field: String },
    #[error("o arquivo não é um retorno da operadora (tipoTransacao {kind})")]
    NotAReturn { kind: String },
    #[error("a operadora recusou a solicitação (glosa {code})")]
    ReturnRefused { code: String },
}

impl crate::ErrorCode for TissError {
    fn code(&self) -> &'static str {
        match self {
            TissError::Malformed { .. } => "tiss.malformed",
            TissError::UnsupportedEncoding(_) => "tiss.unsupported_encoding",
            TissError::InvalidUtf8 => "tiss.invalid_utf8",
            TissError::NotLatin1 { .. } => "tiss.not_latin1",
            TissError::InvalidField { .. } => "tiss.invalid_field",
            TissError::EmptyLote => "tiss.empty_lote",
            TissError::TooManyGuides { .. } => "tiss.too_many_guides",
            TissError::MixedGuideTypes { .. } => "tiss.mixed_guide_types",
            TissError::DuplicateGuideNumber { .. } => "tiss.duplicate_guide_number",
            TissError::AlphanumericCnpj { .. } => "tiss.alphanumeric_cnpj",
            TissError::ReturnField { .. } => "tiss.return_field",
            TissError::ReturnOtherParty { .. } => "tiss.return_other_party",
            TissError::NotAReturn { .. } => "tiss.not_a_return",
            TissError::ReturnRefused { .. } => "tiss.return_refused",
        }
    }
}

/// A message file's text: ISO-8859-1 when its XML declaration says so (as the standard
/// declares), else UTF-8.
pub fn decode_message(bytes: &[u8]) -> Result<String, TissError> {
    let head = &bytes[..bytes.len().min(200)];
    let declared = declared_encoding(head);
    match declared.as_deref().map(str::to_ascii_lowercase).as_deref() {
        Some("iso-8859-1" | "iso8859-1" | "latin1" | "latin-1" | "iso_8859-1") => {
            // ISO-8859-1 maps each byte to the code point of the same value.
            Ok(bytes.iter().map(|&b| char::from(b)).collect())
        }
        None | Some("utf-8" | "utf8") => {
            let text = std::str::from_utf8(bytes).map_err(|_| TissError::InvalidUtf8)?;
            Ok(text.strip_prefix('\u{feff}').unwrap_or(text).to_owned())
        }
        // The declared name comes from the file: keep it short and printable.
        Some(_) => Err(TissError::UnsupportedEncoding(
            declared
                .unwrap_or_default()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
                .take(20)
                .collect(),
        )),
    }
}

/// The `encoding` of an XML declaration at the start of `head`, if any.
fn declared_encoding(head: &[u8]) -> Option<String> {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let text: String = head.iter().map(|&b| char::from(b)).collect();
    let decl = &text[..text.find("?>")?];
    if !decl.starts_with("<?xml") {
        return None;
    }
    let at = decl.find("encoding")?;
    let rest = decl[at + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &rest[1..];
    Some(value[..value.find(quote)?].to_owned())
}

/// One open element while walking the message.
struct Open {
    name: String,
    /// Inside `epilogo/hash` or a `ds:Signature`: not hashed.
    skipped: bool,
    has_children: bool,
    text: String,
}

/// A message read for hashing: each hashed leaf as (element name, text), in document order,
/// and the value of `epilogo/hash` if filled.
struct Leaves {
    leaves: Vec<(String, String)>,
    declared: Option<String>,
}

/// The leaf text of `xml` in document order, and the declared `epilogo/hash` value (if any).
fn leaf_text(xml: &str) -> Result<Leaves, TissError> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let malformed = |reader: &quick_xml::Reader<&[u8]>| TissError::Malformed {
        position: reader.buffer_position(),
    };
    let mut stack: Vec<Open> = Vec::new();
    let mut leaves: Vec<(String, String)> = Vec::new();
    let mut declared = None;
    loop {
        let event = reader.read_event().map_err(|_| malformed(&reader))?;
        match event {
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_owned();
                let parent_skipped = stack.last().is_some_and(|p| p.skipped);
                let in_epilogue = stack.last().is_some_and(|p| p.name == "epilogo");
                if let Some(parent) = stack.last_mut() {
                    parent.has_children = true;
                }
                stack.push(Open {
                    skipped: parent_skipped || name == "Signature" || (in_epilogue && name == "hash"),
                    name,
                    has_children: false,
                    text: String::new(),
                });
            }
            Event::Empty(_) => {
                // An empty leaf adds no text.
                if let Some(parent) = stack.last_mut() {
                    parent.has_children = true;
                }
            }
            Event::Text(t) => {
                if let Some(open) = stack.last_mut() {
                    open.text.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(open) = stack.last_mut() {
                    open.text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                let resolved = resolve_reference(&r).ok_or_else(|| malformed(&reader))?;
                if let Some(open) = stack.last_mut() {
                    open.text.push_str(&resolved);
                }
            }
            Event::End(_) => {
                let open = stack.pop().ok_or_else(|| malformed(&reader))?;
                if open.name == "hash" && stack.last().is_some_and(|p| p.name == "epilogo") {
                    let value = open.text.trim();
                    declared = (!value.is_empty()).then(|| value.to_owned());
                }
                if !open.has_children && !open.skipped {
                    leaves.push((open.name, open.text));
                }
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err(malformed(&reader));
    }
    if leaves.is_empty() {
        return Err(malformed(&reader));
    }
    Ok(Leaves { leaves, declared })
}

/// The text of a character or predefined entity reference (`&#233;`, `&amp;`); `None` for
/// anything else (the standard defines no other entities).
pub(super) fn resolve_reference(r: &quick_xml::events::BytesRef<'_>) -> Option<String> {
    match r.resolve_char_ref() {
        Ok(Some(c)) => Some(c.to_string()),
        Ok(None) => {
            let name: &str = r;
            quick_xml::escape::resolve_predefined_entity(name).map(str::to_owned)
        }
        Err(_) => None,
    }
}

fn md5_hex(bytes: &[u8]) -> String {
    Md5::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// MD5 (lowercase hex) of the concatenated leaf text encoded as `input`; `None` when
/// ISO-8859-1 cannot carry it.
pub(super) fn md5_of_text(text: &str, input: HashInput) -> Option<String> {
    match input {
        HashInput::Utf8 => Some(md5_hex(text.as_bytes())),
        HashInput::Latin1 => {
            let bytes: Option<Vec<u8>> = text.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect();
            Some(md5_hex(&bytes?))
        }
    }
}

fn hash_leaves(leaves: &[(String, String)], input: HashInput) -> Result<String, TissError> {
    let text: String = leaves.iter().map(|(_, t)| t.as_str()).collect();
    md5_of_text(&text, input).ok_or_else(|| {
        // Name the first field ISO-8859-1 cannot carry.
        let element = leaves
            .iter()
            .find(|(_, t)| t.chars().any(|c| u32::from(c) > 0xff))
            .map(|(e, _)| e.clone())
            .unwrap_or_default();
        TissError::NotLatin1 { element }
    })
}

/// The epilogue hash of a message's text.
pub fn epilogue_hash(xml: &str, input: HashInput) -> Result<String, TissError> {
    hash_leaves(&leaf_text(xml)?.leaves, input)
}

/// A message's hash in both encodings, and the one it carries.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MessageHashes {
    pub utf8: String,
    /// `None` when the text has characters ISO-8859-1 cannot carry.
    pub iso_8859_1: Option<String>,
    /// The value in `epilogo/hash`, if filled.
    pub declared: Option<String>,
    /// Which encoding's hash the declared value equals (`utf8`, `iso_8859_1`), if any.
    pub matches: Option<&'static str>,
}

/// Both hashes of a message file's bytes, and how they compare with the declared one.
pub fn message_hashes(bytes: &[u8]) -> Result<MessageHashes, TissError> {
    let xml = decode_message(bytes)?;
    let Leaves { leaves, declared } = leaf_text(&xml)?;
    let utf8 = hash_leaves(&leaves, HashInput::Utf8)?;
    let iso_8859_1 = hash_leaves(&leaves, HashInput::Latin1).ok();
    let normalized = declared.as_deref().map(str::to_ascii_lowercase);
    let matches = match normalized.as_deref() {
        Some(d) if d == utf8 => Some("utf8"),
        Some(d) if Some(d) == iso_8859_1.as_deref() => Some("iso_8859_1"),
        _ => None,
    };
    Ok(MessageHashes {
        utf8,
        iso_8859_1,
        declared,
        matches,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;
    use proptest::prelude::*;

    /// A lote with one Guia de Consulta, ISO-8859-1, valid against tissV4_01_00.xsd. Expected
    /// values computed independently (Python `xml.etree` + `hashlib`, docs/tiss-4.01.00-notes.md).
    const CONSULTA: &[u8] = include_bytes!("testdata/consulta.xml");
    /// The same with `José Araújo &amp; Filhos &#233;` as the professional's name.
    const CONSULTA_AMP: &[u8] = include_bytes!("testdata/consulta-amp.xml");

    #[test]
    fn hashes_a_real_lote_in_both_encodings() {
        let h = message_hashes(CONSULTA).unwrap();
        assert_eq!(h.utf8, "29fadbe0c1f249348aa49813e9d1a2f0");
        assert_eq!(h.iso_8859_1.as_deref(), Some("283dfe334e502cb95414e6d496ea6345"));
        assert_eq!(h.declared.as_deref(), Some("29fadbe0c1f249348aa49813e9d1a2f0"));
        assert_eq!(h.matches, Some("utf8"));
    }

    #[test]
    fn references_count_as_their_characters() {
        let h = message_hashes(CONSULTA_AMP).unwrap();
        assert_eq!(h.utf8, "059147a2159a276b47d8d9f319b766ac");
        assert_eq!(h.iso_8859_1.as_deref(), Some("cb1c6b6d828540f701b5c9bfe1cffc81"));
        assert_eq!(h.matches, None, "the declared hash is the original file's");
    }

    #[test]
    fn the_hash_element_and_indentation_do_not_count() {
        let xml = decode_message(CONSULTA).unwrap();
        let emptied = xml.replace("29fadbe0c1f249348aa49813e9d1a2f0", "");
        let reindented = xml.replace("><", ">\n    <");
        for variant in [emptied, reindented] {
            assert_eq!(
                epilogue_hash(&variant, HashInput::Utf8).unwrap(),
                "29fadbe0c1f249348aa49813e9d1a2f0"
            );
        }
        // A value's own spaces do count.
        let spaced = xml.replace(">123456<", "> 123456<");
        assert_ne!(
            epilogue_hash(&spaced, HashInput::Utf8).unwrap(),
            "29fadbe0c1f249348aa49813e9d1a2f0"
        );
    }

    #[test]
    fn small_documents_match_an_independent_md5() {
        // md5("Pão & Ciax"), UTF-8 and ISO-8859-1 (Python hashlib).
        let xml = "<a><b>Pão &amp; Cia</b><epilogo><hash>ff</hash></epilogo><c>x</c></a>";
        assert_eq!(
            epilogue_hash(xml, HashInput::Utf8).unwrap(),
            md5_hex("Pão & Ciax".as_bytes())
        );
        assert_eq!(
            epilogue_hash(xml, HashInput::Latin1).unwrap(),
            md5_hex(&[b'P', 0xe3, b'o', b' ', b'&', b' ', b'C', b'i', b'a', b'x'])
        );
        assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
    }

    #[test]
    fn text_iso_8859_1_cannot_carry_is_named() {
        let xml = "<a><nomeProfissional>Ana — Souza</nomeProfissional></a>";
        assert!(epilogue_hash(xml, HashInput::Utf8).is_ok());
        let err = epilogue_hash(xml, HashInput::Latin1).unwrap_err();
        assert_eq!(err.code(), "tiss.not_latin1");
        assert!(err.to_string().contains("nomeProfissional"), "{err}");
        let h = message_hashes(xml.as_bytes()).unwrap();
        assert_eq!(h.iso_8859_1, None);
    }

    #[test]
    fn bad_files_have_codes() {
        let cases: [(&[u8], &str); 5] = [
            (b"<a><b>x</a>", "tiss.malformed"),
            (b"<a><b>x</b>", "tiss.malformed"),
            (b"", "tiss.malformed"),
            (
                b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><a>\xe9</a>",
                "tiss.invalid_utf8",
            ),
            (
                b"<?xml version=\"1.0\" encoding=\"Shift_JIS\"?><a>x</a>",
                "tiss.unsupported_encoding",
            ),
        ];
        for (bytes, code) in cases {
            assert_eq!(message_hashes(bytes).unwrap_err().code(), code, "{bytes:?}");
        }
        let err = message_hashes(b"<a>&bogus;</a>").unwrap_err();
        assert_eq!(err.code(), "tiss.malformed");
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = message_hashes(&bytes);
        }

        #[test]
        fn latin1_text_hashes_alike_in_both_encodings_when_ascii(text in "[a-zA-Z0-9 ]{0,40}") {
            let xml = format!("<a><b>{text}</b><c>1</c></a>");
            prop_assert_eq!(
                epilogue_hash(&xml, HashInput::Utf8).unwrap(),
                epilogue_hash(&xml, HashInput::Latin1).unwrap()
            );
        }
    }
}
