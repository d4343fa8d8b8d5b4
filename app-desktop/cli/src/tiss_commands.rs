//! `atendebem tiss ...`: the epilogue hash and schema check of any TISS file (for support and
//! operators' complaints), the operators this clinic bills, and lotes written from the replica.

use std::path::Path;

use atendebem_core::services::LoteRequest;
use atendebem_core::{Clinic, CoreError};
use shared_model::ErrorCode;
use shared_model::billing::tiss::HashInput;
use shared_model::billing::tiss::xsd::{SchemaIssue, XsdError, check_schema};
use shared_model::billing::{OperatorSettings, PriceEntry, TussCode, TussTable};
use shared_model::identity::Role;
use shared_model::registry::AnsCode;
use shared_model::values::{Money, parse_date_br_or_iso};

use crate::args::{
    TissAnsFilter, TissLoteArgs, TissOperatorArgs, TissPeriodArgs, TissReturnArgs, TissSentArgs, TissXmlArgs,
};
use crate::output;
use crate::sync_commands::session;

fn invalid(code: &'static str, message: impl Into<String>) -> CoreError {
    CoreError::Domain {
        code,
        message: message.into(),
    }
}

fn read(file: &Path) -> Result<Vec<u8>, CoreError> {
    std::fs::read(file).map_err(|source| CoreError::Io {
        action: "ler o arquivo TISS",
        source,
    })
}

/// `tiss hash FILE`: the epilogue hash of a message file in both encodings, against its own.
pub fn hash(file: &Path, json: bool) -> Result<(), CoreError> {
    let hashes = shared_model::billing::tiss::message_hashes(&read(file)?).map_err(CoreError::domain)?;
    if json {
        return output::json(&hashes);
    }
    print_hashes(&hashes);
    Ok(())
}

fn print_hashes(hashes: &shared_model::billing::tiss::MessageHashes) {
    println!("hash (UTF-8):      {}", hashes.utf8);
    match &hashes.iso_8859_1 {
        Some(h) => println!("hash (ISO-8859-1): {h}"),
        None => println!("hash (ISO-8859-1): — (o texto tem caracteres fora do ISO-8859-1)"),
    }
    match (&hashes.declared, hashes.matches) {
        (None, _) => println!("no arquivo:        (vazio)"),
        (Some(d), Some("utf8")) => println!("no arquivo:        {d} — confere (UTF-8)"),
        (Some(d), Some(_)) => println!("no arquivo:        {d} — confere (ISO-8859-1)"),
        (Some(d), None) => println!("no arquivo:        {d} — NÃO confere com nenhuma das duas"),
    }
}

#[derive(Debug, serde::Serialize)]
struct Validation {
    schema_valid: bool,
    issues: Vec<SchemaIssue>,
    hashes: Option<shared_model::billing::tiss::MessageHashes>,
    hash_valid: bool,
}

/// `tiss validate FILE`: the official schema and the epilogue hash. Fails (exit 1) when either
/// does not hold.
pub fn validate(file: &Path, json: bool) -> Result<(), CoreError> {
    let bytes = read(file)?;
    let issues = match check_schema(&bytes) {
        Ok(()) => Vec::new(),
        Err(XsdError::Invalid(issues)) => issues,
        Err(e) => return Err(invalid(e.code(), e.to_string())),
    };
    let hashes = shared_model::billing::tiss::message_hashes(&bytes).ok();
    let report = Validation {
        schema_valid: issues.is_empty(),
        hash_valid: hashes.as_ref().is_some_and(|h| h.matches.is_some()),
        issues,
        hashes,
    };
    if json {
        output::json(&report)?;
    } else {
        if report.schema_valid {
            println!("schema TISS 4.01.00: confere");
        } else {
            println!(
                "schema TISS 4.01.00: NÃO confere ({} problema(s))",
                report.issues.len()
            );
            for issue in &report.issues {
                println!("  {issue}");
            }
        }
        if let Some(h) = &report.hashes {
            print_hashes(h);
        }
    }
    match (report.schema_valid, report.hash_valid) {
        (true, true) => Ok(()),
        (false, _) => Err(invalid(
            "tiss.schema_invalid",
            "o arquivo não segue o schema TISS 4.01.00",
        )),
        (true, false) => Err(invalid(
            "tiss.hash_mismatch",
            "o hash do epílogo não confere com o conteúdo (nem em UTF-8 nem em ISO-8859-1)",
        )),
    }
}

/// `CODE=VALUE=DESCRIPTION`, the code optionally `TABLE:CODE`.
fn price(text: &str) -> Result<PriceEntry, CoreError> {
    let bad = || {
        invalid(
            "billing.invalid_price",
            "preço no formato CÓDIGO=VALOR=DESCRIÇÃO (ex.: 10101012=150,00=Consulta em consultório)",
        )
    };
    let mut parts = text.splitn(3, '=');
    let (code, value, description) = (
        parts.next().ok_or_else(bad)?,
        parts.next().ok_or_else(bad)?,
        parts.next().ok_or_else(bad)?,
    );
    let (table, code) = match code.split_once(':') {
        Some((table, code)) => (TussTable::from_code(table).ok_or_else(bad)?, code),
        None => (TussTable::Procedures, code),
    };
    let value = Money::parse(value).map_err(CoreError::domain)?;
    if value.is_negative() || value.centavos() > 99_999_999 {
        return Err(bad());
    }
    let description = description.trim();
    if description.is_empty() || description.chars().count() > 150 {
        return Err(bad());
    }
    Ok(PriceEntry {
        table,
        code: TussCode::parse(code).map_err(CoreError::domain)?,
        description: description.to_owned(),
        centavos: value.centavos(),
    })
}

pub fn operator_set(
    clinic: &Clinic,
    as_user: Option<&str>,
    args: TissOperatorArgs,
    json: bool,
) -> Result<(), CoreError> {
    let session = session(clinic, as_user, Role::Admin)?;
    let text = |field: &str, value: &str, max: usize| {
        let v = value.trim();
        if v.is_empty() || v.chars().count() > max {
            Err(invalid(
                "billing.invalid_operator",
                format!("{field}: de 1 a {max} caracteres"),
            ))
        } else {
            Ok(v.to_owned())
        }
    };
    let cnes = args.cnes.trim();
    if cnes.len() != 7 || !cnes.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(
            "billing.invalid_operator",
            "--cnes: o CNES tem 7 dígitos",
        ));
    }
    let settings = OperatorSettings {
        registro_ans: AnsCode::parse(&args.ans).map_err(CoreError::domain)?,
        name: text("--name", &args.name, 70)?,
        provider_code: text("--provider-code", &args.provider_code, 14)?,
        clinic_name: clinic.settings().clinic_name.chars().take(70).collect(),
        cnes: cnes.to_owned(),
        hash_input: match args.hash.as_str() {
            "utf8" => HashInput::Utf8,
            "latin1" => HashInput::Latin1,
            _ => return Err(invalid("billing.invalid_operator", "--hash: use utf8 ou latin1")),
        },
        consultation_code: TussCode::parse(&args.consultation_code).map_err(CoreError::domain)?,
        prices: args.prices.iter().map(|p| price(p)).collect::<Result<_, _>>()?,
    };
    clinic.set_billing_operator(&session, &settings)?;
    if json {
        output::json(&settings)
    } else {
        println!(
            "Operadora {} ({}) salva com {} preço(s).",
            settings.name,
            settings.registro_ans,
            settings.prices.len()
        );
        Ok(())
    }
}

pub fn operator_list(clinic: &Clinic, as_user: Option<&str>, json: bool) -> Result<(), CoreError> {
    let session = session(clinic, as_user, Role::Admin)?;
    let list = clinic.billing_operators(&session)?;
    if json {
        return output::json(&list);
    }
    for o in &list {
        println!(
            "{}  {}  (código da clínica: {}, {} preço(s))",
            o.registro_ans,
            o.name,
            o.provider_code,
            o.prices.len()
        );
    }
    Ok(())
}

pub fn lote(clinic: &Clinic, as_user: Option<&str>, args: TissLoteArgs, json: bool) -> Result<(), CoreError> {
    let session = session(clinic, as_user, Role::Staff)?;
    let from = parse_date_br_or_iso(&args.period.from).map_err(CoreError::domain)?;
    let to = parse_date_br_or_iso(&args.period.to).map_err(CoreError::domain)?;
    let written = clinic.tiss_lote(
        &session,
        &LoteRequest {
            registro_ans: args.period.ans,
            from,
            to,
            preview: args.preview,
        },
    )?;
    // The lote is recorded in the replica; if its file cannot be written, `tiss xml` writes it
    // again.
    write_file(&args.out, &written.xml)?;
    if json {
        return output::json(&written);
    }
    println!(
        "{} {} gravado em {}: {} guia(s), total R$ {}, hash {}.",
        if written.preview {
            "Prévia do lote"
        } else {
            "Lote"
        },
        written.numero_lote,
        args.out.display(),
        written.guide_count,
        Money::from_centavos(written.total_centavos),
        written.hash
    );
    if written.remaining > 0 {
        println!(
            "Restam {} atendimento(s) do período para o próximo lote.",
            written.remaining
        );
    }
    Ok(())
}

pub fn items(
    clinic: &Clinic,
    as_user: Option<&str>,
    args: TissPeriodArgs,
    json: bool,
) -> Result<(), CoreError> {
    let session = session(clinic, as_user, Role::Staff)?;
    let from = parse_date_br_or_iso(&args.from).map_err(CoreError::domain)?;
    let to = parse_date_br_or_iso(&args.to).map_err(CoreError::domain)?;
    let list = clinic.billable_items(&session, &args.ans, from, to)?;
    if json {
        return output::json(&list);
    }
    for i in &list {
        println!(
            "{}  atendimento {}  carteira {}  TUSS {}  {}",
            i.day,
            i.appointment_id,
            i.card_number,
            i.code,
            i.centavos.map_or_else(
                || "sem preço na tabela".to_owned(),
                |c| format!("R$ {}", Money::from_centavos(c))
            )
        );
    }
    println!("{} atendimento(s) a faturar.", list.len());
    Ok(())
}

pub fn lotes(
    clinic: &Clinic,
    as_user: Option<&str>,
    args: TissAnsFilter,
    json: bool,
) -> Result<(), CoreError> {
    let session = session(clinic, as_user, Role::Staff)?;
    let list = clinic.tiss_lotes(&session, args.ans.as_deref())?;
    if json {
        return output::json(&list);
    }
    for l in &list {
        println!(
            "{} lote {}  {} guia(s)  R$ {}  {}",
            l.registro_ans,
            l.numero_lote,
            l.guide_count,
            Money::from_centavos(l.total_centavos),
            if l.sent_at_ms.is_some() {
                "enviado"
            } else {
                "não enviado"
            }
        );
    }
    Ok(())
}

pub fn sent(clinic: &Clinic, as_user: Option<&str>, args: TissSentArgs, json: bool) -> Result<(), CoreError> {
    let session = session(clinic, as_user, Role::Staff)?;
    clinic.mark_lote_sent(&session, &args.ans, args.lote)?;
    if json {
        return output::json(
            &serde_json::json!({"registro_ans": args.ans.trim(), "numero_lote": args.lote, "sent": true}),
        );
    }
    println!("Lote {} marcado como enviado.", args.lote);
    Ok(())
}

/// `tiss return FILE`: the schema first (a file the operator's own validator would refuse is not
/// read), then the clinic's lotes.
pub fn import_return(
    clinic: &Clinic,
    as_user: Option<&str>,
    args: TissReturnArgs,
    json: bool,
) -> Result<(), CoreError> {
    let session = session(clinic, as_user, Role::Staff)?;
    let bytes = read(&args.file)?;
    match check_schema(&bytes) {
        Ok(()) => {}
        Err(XsdError::Invalid(issues)) => {
            let first = issues.first().map_or_else(String::new, |i| format!(" ({i})"));
            return Err(invalid(
                "tiss.schema_invalid",
                format!("o arquivo não segue o schema TISS 4.01.00{first}"),
            ));
        }
        Err(e) => return Err(invalid(e.code(), e.to_string())),
    }
    let glosas = clinic.import_tiss_return(&session, &args.ans, &bytes, args.lote)?;
    if json {
        return output::json(&glosas);
    }
    if glosas.is_empty() {
        println!("Retorno importado: nenhuma glosa.");
    }
    for g in &glosas {
        println!(
            "lote {}  guia {}  item {}  glosa {}{}{}",
            g.numero_lote,
            g.guide_number.as_deref().unwrap_or("—"),
            g.item_sequence.map_or_else(|| "—".to_owned(), |i| i.to_string()),
            g.code,
            g.centavos
                .map_or_else(String::new, |c| format!("  R$ {}", Money::from_centavos(c))),
            g.description
                .as_deref()
                .map_or_else(String::new, |d| format!("  ({d})"))
        );
    }
    Ok(())
}

/// Writes beside and renames: a half-written file never sits under the final name.
fn write_file(out: &Path, bytes: &[u8]) -> Result<(), CoreError> {
    let tmp = out.with_extension("xml.tmp");
    std::fs::write(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, out))
        .map_err(|source| CoreError::Io {
            action: "gravar o arquivo TISS (o lote já está registrado: use atendebem tiss xml para gravá-lo de novo)",
            source,
        })
}

pub fn xml(clinic: &Clinic, as_user: Option<&str>, args: TissXmlArgs, json: bool) -> Result<(), CoreError> {
    let session = session(clinic, as_user, Role::Staff)?;
    let bytes = clinic.tiss_lote_xml(&session, &args.lote.ans, args.lote.lote)?;
    write_file(&args.out, &bytes)?;
    if json {
        return output::json(&serde_json::json!({"numero_lote": args.lote.lote, "bytes": bytes.len()}));
    }
    println!("Lote {} gravado em {}.", args.lote.lote, args.out.display());
    Ok(())
}
