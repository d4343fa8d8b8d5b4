//! Passphrases for the CLI: `ATENDEBEM_PASSPHRASE` (replica) / `ATENDEBEM_BACKUP_PASSPHRASE`
//! (backups), else a hidden prompt when a terminal is attached, else none.

use std::io::IsTerminal;

use atendebem_core::CoreError;
use atendebem_core::keys::{Passphrase, PassphraseProvider, PassphrasePurpose, Prompt};

#[derive(Debug, Default)]
pub struct CliPassphrases;

impl PassphraseProvider for CliPassphrases {
    fn passphrase(
        &self,
        purpose: PassphrasePurpose,
        prompt: Prompt,
    ) -> Result<Option<Passphrase>, CoreError> {
        let var = match purpose {
            PassphrasePurpose::Backup => "ATENDEBEM_BACKUP_PASSPHRASE",
            PassphrasePurpose::NewReplica | PassphrasePurpose::OpenReplica => "ATENDEBEM_PASSPHRASE",
        };
        if let Ok(value) = std::env::var(var)
            && !value.is_empty()
        {
            return Ok(Some(Passphrase::new(value)));
        }
        if prompt == Prompt::Never || !std::io::stdin().is_terminal() {
            return Ok(None);
        }
        let prompt = match purpose {
            PassphrasePurpose::NewReplica => "Crie uma senha para proteger a réplica: ",
            PassphrasePurpose::OpenReplica => "Senha da réplica: ",
            PassphrasePurpose::Backup => "Senha do backup: ",
        };
        let first = rpassword::prompt_password(prompt).map_err(|e| CoreError::Io {
            action: "ler a senha",
            source: e,
        })?;
        if purpose == PassphrasePurpose::NewReplica {
            let again = rpassword::prompt_password("Repita a senha: ").map_err(|e| CoreError::Io {
                action: "ler a senha",
                source: e,
            })?;
            if again != first {
                return Err(CoreError::Domain {
                    code: "key.passphrase_mismatch",
                    message: "as senhas digitadas não conferem".to_owned(),
                });
            }
        }
        Ok(Some(Passphrase::new(first)))
    }
}

/// The backup passphrase, required.
pub fn backup_passphrase() -> Result<Passphrase, CoreError> {
    CliPassphrases
        .passphrase(PassphrasePurpose::Backup, Prompt::Allowed)?
        .ok_or(CoreError::Domain {
            code: "backup.passphrase_required",
            message: "defina ATENDEBEM_BACKUP_PASSPHRASE ou digite a senha do backup".to_owned(),
        })
}
