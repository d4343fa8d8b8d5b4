//! Logging in: online against the server (stores the refresh token and an offline verifier),
//! offline for users who logged in online on this device before (NGS1.02.01: the server
//! re-authenticates at the next sync), the shared terminal's lock and user switch.

use std::path::Path;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore;
use shared_model::identity::Role;
use shared_model::ids::{DeviceId, TenantId};
use shared_model::values::ClinicTimeZone;

use super::client::{Api, Me, TokenPair};
use super::meta;
use crate::clock::Clock;
use crate::error::CoreError;
use crate::keys::{KeyPreference, KeySource, Keychain};
use crate::services::{Clinic, ClinicSettings, Session};
use crate::store::sync::{self as syncdb, AccountRow, TerminalRow, TokenStore};
use crate::store::{KeyAccess, Replica, UserRow, people};

/// What a person types to log in. `Debug` never shows the passwords.
#[derive(Clone)]
pub struct LoginRequest {
    /// `http(s)://host:port` — needed for the first login on a device.
    pub server: Option<String>,
    /// The clinic's short name — needed for the first login on a device.
    pub tenant: Option<String>,
    pub email: String,
    pub password: String,
    /// The new password, when the server requires a change at first login (NGS1.02.06).
    pub new_password: Option<String>,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("server", &self.server)
            .field("tenant", &self.tenant)
            .field("email", &"<redigido>")
            .finish_non_exhaustive()
    }
}

/// How a login went.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LoginOutcome {
    pub session: Session,
    /// `true`: the server checked the password; `false`: the local verifier did (offline).
    pub online: bool,
}

/// Creates a replica in `dir` as a new device of a server's clinic, logging `request`'s user in
/// online (a first login cannot be offline).
pub async fn connect_replica(
    dir: &Path,
    preference: KeyPreference,
    access: KeyAccess<'_>,
    request: &LoginRequest,
    clock: Box<dyn Clock>,
) -> Result<(Clinic, LoginOutcome), CoreError> {
    let server = request.server.as_deref().ok_or(CoreError::Domain {
        code: "sync.server_required",
        message: "informe o endereço do servidor (--server) no primeiro login deste computador".to_owned(),
    })?;
    let tenant = request.tenant.as_deref().ok_or(CoreError::Domain {
        code: "sync.tenant_required",
        message: "informe a clínica (--tenant) no primeiro login deste computador".to_owned(),
    })?;
    if dir.join(crate::store::DB_FILE).exists() {
        return Err(CoreError::AlreadyInitialized);
    }
    let api = Api::new(server)?;
    let device = DeviceId::new();
    let (pair, password) = online_pair(&api, tenant, request, device).await?;
    let me = api.me(&pair.access_token).await?;
    let settings = ClinicSettings {
        tenant: TenantId::from_uuid(me.tenant_id),
        clinic_name: me.clinic_name.clone(),
        time_zone: ClinicTimeZone::parse(&me.time_zone).map_err(CoreError::domain)?,
        device,
    };
    let replica = Replica::create(dir, preference, access)?;
    let clinic = Clinic::init_connected(replica, settings, clock)?;
    clinic.replica().write(|tx| {
        people::set_meta(tx, meta::SERVER_URL, api.base())?;
        people::set_meta(tx, meta::TENANT_SLUG, tenant)?;
        Ok(())
    })?;
    let session = clinic.remember_account(&me, &pair, &request.email, &password, access.keychain)?;
    Ok((
        clinic,
        LoginOutcome {
            session,
            online: true,
        },
    ))
}

/// Logs in online; completes the mandatory first change when asked to. Returns the pair and
/// the password now valid.
async fn online_pair(
    api: &Api,
    tenant: &str,
    request: &LoginRequest,
    device: DeviceId,
) -> Result<(TokenPair, String), CoreError> {
    let pair = api
        .login(tenant, request.email.trim(), &request.password, *device.as_uuid())
        .await?;
    if !pair.password_change_required {
        return Ok((pair, request.password.clone()));
    }
    let Some(new) = request.new_password.as_deref() else {
        return Err(CoreError::Domain {
            code: "auth.password_change_required",
            message: "é preciso definir uma nova senha no primeiro acesso: informe-a também".to_owned(),
        });
    };
    let changed = api
        .change_password(&pair.access_token, &request.password, new)
        .await?;
    Ok((changed, new.to_owned()))
}

/// Argon2id (m = 19 MiB, t = 2, p = 1) PHC string of `password`, for offline login.
fn verifier(password: &str) -> Result<String, CoreError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|_| CoreError::KdfParams)?;
    let params = Params::new(19 * 1024, 2, 1, None).map_err(|_| CoreError::KdfParams)?;
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| CoreError::KdfParams)
}

fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

fn wrong_credentials() -> CoreError {
    CoreError::Domain {
        code: "auth.invalid_credentials",
        message: "e-mail ou senha incorretos".to_owned(),
    }
}

/// The keychain entry of one user's refresh token on one replica.
fn token_name(replica_id: &str, user_id: &str) -> String {
    format!("{replica_id}/{user_id}")
}

impl Clinic {
    fn server_url(&self) -> Result<String, CoreError> {
        people::get_meta(self.replica().conn(), meta::SERVER_URL)?.ok_or(CoreError::Domain {
            code: "sync.standalone_replica",
            message: "esta réplica não está ligada a um servidor (foi criada com 'atendebem init')"
                .to_owned(),
        })
    }

    /// Whether this replica is a device of a server's clinic.
    pub fn is_connected(&self) -> Result<bool, CoreError> {
        Ok(people::get_meta(self.replica().conn(), meta::SERVER_URL)?.is_some())
    }

    /// Logs a user in: online when the server answers (storing a fresh session), else offline
    /// against the verifier kept from their last online login on this device.
    pub async fn login(
        &mut self,
        request: &LoginRequest,
        keychain: &dyn Keychain,
    ) -> Result<LoginOutcome, CoreError> {
        let server = self.server_url()?;
        if let Some(given) = &request.server
            && super::client::normalize_url(given)? != server
        {
            return Err(CoreError::Domain {
                code: "sync.other_server",
                message: "esta réplica pertence a outro servidor".to_owned(),
            });
        }
        let slug = match &request.tenant {
            Some(t) => t.clone(),
            None => people::get_meta(self.replica().conn(), meta::TENANT_SLUG)?.unwrap_or_default(),
        };
        let api = Api::new(&server)?;
        match online_pair(&api, &slug, request, self.settings().device).await {
            Ok((pair, password)) => {
                let me = api.me(&pair.access_token).await?;
                if TenantId::from_uuid(me.tenant_id) != self.settings().tenant {
                    return Err(CoreError::Domain {
                        code: "sync.other_clinic",
                        message: "este usuário pertence a outra clínica".to_owned(),
                    });
                }
                let session = self.remember_account(&me, &pair, &request.email, &password, keychain)?;
                Ok(LoginOutcome {
                    session,
                    online: true,
                })
            }
            Err(e) if super::is_offline(shared_model::ErrorCode::code(&e)) => {
                let session = self.login_offline(&request.email, &request.password)?;
                Ok(LoginOutcome {
                    session,
                    online: false,
                })
            }
            Err(e) => Err(e),
        }
    }

    /// Offline login: only for users who logged in online on this device (NGS1.02.01).
    pub fn login_offline(&mut self, email: &str, password: &str) -> Result<Session, CoreError> {
        let account = syncdb::account_by_email(self.replica().conn(), email.trim())?.ok_or_else(|| {
            CoreError::Domain {
                code: "auth.offline_unknown_user",
                message: "sem conexão com o servidor, só entra quem já fez login online neste computador"
                    .to_owned(),
            }
        })?;
        if !verify(password, &account.verifier) {
            let now = self.now().as_millisecond();
            let device = self.settings().device.to_string();
            self.replica().write(|tx| {
                people::audit(
                    tx,
                    now,
                    Some(&account.user_id),
                    &device,
                    "auth.offline_login.failed",
                    None,
                )
            })?;
            return Err(wrong_credentials());
        }
        self.start_terminal_session(&account.user_id, "auth.offline_login")
    }

    /// Stores what an online login learned: the account (verifier, refresh token), the local
    /// user row, and the terminal's current user.
    fn remember_account(
        &self,
        me: &Me,
        pair: &TokenPair,
        email: &str,
        password: &str,
        keychain: &dyn Keychain,
    ) -> Result<Session, CoreError> {
        let user_id = me.user_id.to_string();
        let now = self.now().as_millisecond();
        let (token_store, token) = self.keep_refresh_token(&user_id, &pair.refresh_token, keychain);
        let account = AccountRow {
            user_id: user_id.clone(),
            email: email.trim().to_lowercase(),
            name: me.name.clone(),
            role: me.role.clone(),
            professional_id: me.professional_id.map(|p| p.to_string()),
            verifier: verifier(password)?,
            token_store,
            refresh_token: token,
            ended_code: None,
            logged_in_at_ms: now,
            server_auth_ms: Some(now),
        };
        let user = UserRow {
            user_id: user_id.clone(),
            name: me.name.clone(),
            role: me.role.clone(),
            professional_id: account.professional_id.clone(),
            active: true,
        };
        self.replica().write(|tx| {
            syncdb::upsert_account(tx, &account)?;
            people::upsert_user(tx, &user, now)?;
            Ok(())
        })?;
        self.start_terminal_session(&user_id, "auth.online_login")
    }

    /// Keeps a refresh token: in the OS keychain when the replica's key lives there, else in
    /// the replica itself (then protected by the replica's passphrase).
    fn keep_refresh_token(
        &self,
        user_id: &str,
        token: &str,
        keychain: &dyn Keychain,
    ) -> (TokenStore, Option<String>) {
        let meta = self.replica().meta();
        if matches!(meta.key_source, KeySource::Keychain)
            && keychain
                .store_secret(&token_name(&meta.replica_id, user_id), token)
                .is_ok()
        {
            return (TokenStore::Keychain, None);
        }
        (TokenStore::Replica, Some(token.to_owned()))
    }

    /// The refresh token of `account`, wherever it is kept.
    pub(crate) fn refresh_token_of(
        &self,
        account: &AccountRow,
        keychain: &dyn Keychain,
    ) -> Result<Option<String>, CoreError> {
        Ok(match account.token_store {
            TokenStore::None => None,
            TokenStore::Replica => account.refresh_token.clone(),
            TokenStore::Keychain => {
                keychain.load_secret(&token_name(&self.replica().meta().replica_id, &account.user_id))?
            }
        })
    }

    /// Stores a rotated refresh token right after the server issued it.
    pub(crate) fn store_rotated_token(
        &self,
        account: &AccountRow,
        token: &str,
        keychain: &dyn Keychain,
    ) -> Result<(), CoreError> {
        let now = self.now().as_millisecond();
        let in_replica = match account.token_store {
            TokenStore::Keychain => {
                keychain.store_secret(
                    &token_name(&self.replica().meta().replica_id, &account.user_id),
                    token,
                )?;
                None
            }
            _ => Some(token),
        };
        self.replica()
            .write(|tx| syncdb::set_refresh_token(tx, &account.user_id, in_replica, now))
    }

    fn start_terminal_session(&self, user_id: &str, action: &str) -> Result<Session, CoreError> {
        let now = self.now().as_millisecond();
        let device = self.settings().device.to_string();
        self.replica().write(|tx| {
            syncdb::set_terminal(
                tx,
                &TerminalRow {
                    user_id: user_id.to_owned(),
                    locked: false,
                    last_activity_ms: now,
                },
            )?;
            people::audit(tx, now, Some(user_id), &device, action, None)
        })?;
        self.session(Some(user_id), Role::Staff)
    }

    /// The shared terminal's current session: refused when nobody is logged in, when it is
    /// locked, or when it has been idle longer than `lock_after` (it is then locked). Touches
    /// the activity time.
    pub fn terminal_session(&self, lock_after: std::time::Duration) -> Result<Session, CoreError> {
        let now = self.now().as_millisecond();
        let Some(mut t) = syncdb::terminal(self.replica().conn())? else {
            return Err(CoreError::Domain {
                code: "auth.not_logged_in",
                message: "ninguém está conectado neste computador; faça login".to_owned(),
            });
        };
        let idle = i64::try_from(lock_after.as_millis()).unwrap_or(i64::MAX);
        if !t.locked && now.saturating_sub(t.last_activity_ms) > idle {
            t.locked = true;
            let device = self.settings().device.to_string();
            self.replica().write(|tx| {
                syncdb::set_terminal(tx, &t)?;
                people::audit(tx, now, Some(&t.user_id), &device, "terminal.auto_lock", None)
            })?;
        }
        if t.locked {
            return Err(CoreError::Domain {
                code: "terminal.locked",
                message: "a tela está bloqueada; entre de novo com sua senha ('atendebem switch-user')"
                    .to_owned(),
            });
        }
        t.last_activity_ms = now;
        self.replica().write(|tx| syncdb::set_terminal(tx, &t))?;
        self.session(Some(&t.user_id), Role::Staff)
    }

    /// The user the shared terminal belongs to now (logged in, possibly locked).
    pub fn current_terminal_user(&self) -> Result<Option<String>, CoreError> {
        Ok(syncdb::terminal(self.replica().conn())?.map(|t| t.user_id))
    }

    /// Locks the shared terminal (the current user's session stays, behind their password).
    pub fn lock_terminal(&self) -> Result<(), CoreError> {
        let now = self.now().as_millisecond();
        let device = self.settings().device.to_string();
        let Some(mut t) = syncdb::terminal(self.replica().conn())? else {
            return Ok(());
        };
        t.locked = true;
        self.replica().write(|tx| {
            syncdb::set_terminal(tx, &t)?;
            people::audit(tx, now, Some(&t.user_id), &device, "terminal.lock", None)
        })
    }
}
