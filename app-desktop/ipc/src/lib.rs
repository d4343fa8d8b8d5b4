//! The desktop's command surface, typed once for both sides: the Tauri shell implements each
//! [`Command`], the Leptos UI calls it through one generic wrapper. No page holds a command
//! name as a string. Builds for wasm32 (serde only).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// One Tauri command: its name, what it takes and what it returns. Every command takes one
/// argument named `input` (Tauri renames argument keys; one fixed name avoids surprises).
pub trait Command {
    const NAME: &'static str;
    type Input: Serialize + DeserializeOwned;
    type Output: Serialize + DeserializeOwned;
}

/// What the UI receives when a command fails: a stable code to react on and a pt-BR message
/// to show next to what caused it (`field` names it when it is a form field).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandError {
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl CommandError {
    #[must_use]
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            field: None,
        }
    }
}

/// No input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoInput {}

/// Name, vendor and version, shown on every screen (NGS1.01.01).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppInfo {
    pub name: String,
    pub vendor: String,
    pub version: String,
    pub replica_schema: i64,
}

impl AppInfo {
    /// The footer line: `AtendeBem versão 0.1.0`.
    #[must_use]
    pub fn footer(&self) -> String {
        format!("{} versão {}", self.name, self.version)
    }
}

/// `app_info`.
#[derive(Debug)]
pub enum GetAppInfo {}

impl Command for GetAppInfo {
    const NAME: &'static str = "app_info";
    type Input = NoInput;
    type Output = AppInfo;
}

/// Who is working on this computer, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClinicInfo {
    pub clinic_name: String,
    pub user_name: String,
    /// The role's pt-BR label (`Recepção`, `Profissional de saúde`, …).
    pub role: String,
    /// Connected to a clinic server (else standalone).
    pub connected: bool,
}

/// `clinic_info`: fails with `ui.no_replica` when this computer has no clinic yet.
#[derive(Debug)]
pub enum GetClinicInfo {}

impl Command for GetClinicInfo {
    const NAME: &'static str = "clinic_info";
    type Input = NoInput;
    type Output = ClinicInfo;
}

/// A patient search as typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchInput {
    /// Name (accents and case ignored), CPF or CNS, whole or a prefix.
    pub query: String,
    pub limit: u32,
}

/// One patient found, ready to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientHit {
    pub id: String,
    pub name: String,
    pub social_name: Option<String>,
    /// `000.000.000-00`.
    pub cpf: Option<String>,
    pub cns: Option<String>,
    /// `dd/mm/aaaa`.
    pub birth_date: Option<String>,
}

/// `search_patients`.
#[derive(Debug)]
pub enum SearchPatients {}

impl Command for SearchPatients {
    const NAME: &'static str = "search_patients";
    type Input = SearchInput;
    type Output = Vec<PatientHit>;
}

/// Every command's name, for the test that the shell registers them all.
pub const ALL: &[&str] = &[GetAppInfo::NAME, GetClinicInfo::NAME, SearchPatients::NAME];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_footer_names_the_product_and_version() {
        let info = AppInfo {
            name: "AtendeBem".into(),
            vendor: "AtendeBem".into(),
            version: "0.1.0".into(),
            replica_schema: 4,
        };
        assert_eq!(info.footer(), "AtendeBem versão 0.1.0");
    }

    #[test]
    fn errors_travel_as_code_message_and_field() {
        let plain = serde_json::to_value(CommandError::new(
            "cpf.check_digit",
            "dígito verificador do CPF inválido",
        ))
        .unwrap();
        assert_eq!(
            plain,
            serde_json::json!({"code": "cpf.check_digit", "message": "dígito verificador do CPF inválido"})
        );
        let back: CommandError =
            serde_json::from_value(serde_json::json!({"code": "a", "message": "b", "field": "cpf"})).unwrap();
        assert_eq!(back.field.as_deref(), Some("cpf"));
    }
}
