//! Printing results and errors.

use std::process::ExitCode;

use atendebem_core::{CoreError, ErrorCode};
use clap::error::{ContextKind, ContextValue, ErrorKind};
use serde::Serialize;

/// Prints a value as pretty JSON on stdout.
pub fn json<T: Serialize>(value: &T) -> Result<(), CoreError> {
    let text = serde_json::to_string_pretty(value).map_err(|_| CoreError::Domain {
        code: "output.serialize",
        message: "não foi possível gerar o JSON de saída".to_owned(),
    })?;
    println!("{text}");
    Ok(())
}

/// Reports a command error on stderr: Portuguese text, or `{"error":{"code","message"}}` with
/// `--json`. Exit status 1.
pub fn report_error(error: &CoreError, json: bool) -> ExitCode {
    if json {
        let body = serde_json::json!({ "error": { "code": error.code(), "message": error.to_string() } });
        eprintln!("{body}");
    } else {
        eprintln!("erro: {error}");
    }
    ExitCode::from(1)
}

/// Reports a command-line usage error in Portuguese (help and version print as usual). Exit 2.
pub fn usage_error(error: &clap::Error) -> ExitCode {
    match error.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = error.print();
            return ExitCode::SUCCESS;
        }
        _ => {}
    }
    let arg = match error.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(s)) => s.clone(),
        Some(ContextValue::Strings(v)) => v.join(", "),
        _ => String::new(),
    };
    let message = match error.kind() {
        ErrorKind::MissingRequiredArgument => format!("argumento obrigatório ausente: {arg}"),
        ErrorKind::UnknownArgument => format!("argumento desconhecido: {arg}"),
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => format!("valor inválido para {arg}"),
        ErrorKind::InvalidSubcommand => "comando desconhecido".to_owned(),
        ErrorKind::MissingSubcommand => "informe um comando".to_owned(),
        ErrorKind::ArgumentConflict => format!("argumentos incompatíveis: {arg}"),
        ErrorKind::TooManyValues | ErrorKind::WrongNumberOfValues | ErrorKind::TooFewValues => {
            format!("número de valores incorreto para {arg}")
        }
        _ => "uso inválido do comando".to_owned(),
    };
    let json = std::env::args().any(|a| a == "--json");
    if json {
        let body = serde_json::json!({ "error": { "code": "usage", "message": message } });
        eprintln!("{body}");
    } else {
        eprintln!("erro: {message}\n\nUse 'atendebem --help' para ver os comandos.");
    }
    ExitCode::from(2)
}
