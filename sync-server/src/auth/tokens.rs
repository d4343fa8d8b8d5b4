//! Access tokens: JWT signed with Ed25519 (`EdDSA`, the only algorithm accepted), 15 minutes,
//! `iss`, `aud` and the `typ` header (`at+jwt`, RFC 9068) checked. Refresh tokens are opaque
//! (see `refresh.rs`), so one can never pass for an access token.

use std::collections::HashMap;

use argon2::password_hash::rand_core::OsRng;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{EncodePrivateKey, EncodePublicKey};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use uuid::Uuid;

use crate::config::AuthSettings;

pub const ACCESS_TYP: &str = "at+jwt";

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// The user.
    pub sub: Uuid,
    /// The tenant.
    pub tid: Uuid,
    /// The device.
    pub did: Uuid,
    /// The session (refresh-token family).
    pub sid: Uuid,
    pub role: String,
    /// The token may only be used to change the password (NGS1.02.06).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pwd_change: bool,
    pub iat: i64,
    pub exp: i64,
    pub jti: Uuid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("token de acesso inválido")]
    Invalid,
    #[error("token de acesso expirado")]
    Expired,
}

impl shared_model::ErrorCode for TokenError {
    fn code(&self) -> &'static str {
        match self {
            TokenError::Invalid => "auth.token_invalid",
            TokenError::Expired => "auth.token_expired",
        }
    }
}

/// The keys every instance shares through the `signing_keys` table.
pub struct KeyRing {
    kid: String,
    signing: EncodingKey,
    verifying: HashMap<String, DecodingKey>,
    validation: Validation,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("nenhuma chave de assinatura no banco: execute `atendebem-server migrate`")]
    Missing,
    #[error("chave de assinatura inválida no banco")]
    Corrupt,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl KeyRing {
    pub async fn load(pool: &PgPool, settings: &AuthSettings) -> Result<Self, KeyError> {
        let rows: Vec<(Uuid, String, String)> = sqlx::query_as(
            "SELECT kid, private_pem, public_pem FROM signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC",
        )
        .fetch_all(pool)
        .await?;
        let Some((kid, private_pem, _)) = rows.first() else {
            return Err(KeyError::Missing);
        };
        let signing = EncodingKey::from_ed_pem(private_pem.as_bytes()).map_err(|_| KeyError::Corrupt)?;
        let mut verifying = HashMap::new();
        for (kid, _, public_pem) in &rows {
            let key = DecodingKey::from_ed_pem(public_pem.as_bytes()).map_err(|_| KeyError::Corrupt)?;
            verifying.insert(kid.to_string(), key);
        }
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[settings.issuer.as_str()]);
        validation.set_audience(&[settings.audience.as_str()]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 5;
        Ok(Self {
            kid: kid.to_string(),
            signing,
            verifying,
            validation,
        })
    }

    pub fn sign(&self, claims: &Claims) -> Result<String, TokenError> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.typ = Some(ACCESS_TYP.into());
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.signing).map_err(|_| TokenError::Invalid)
    }

    /// Checks signature, algorithm, `typ`, `iss`, `aud` and expiry.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?;
        if header.alg != Algorithm::EdDSA || header.typ.as_deref() != Some(ACCESS_TYP) {
            return Err(TokenError::Invalid);
        }
        let key = header
            .kid
            .as_deref()
            .and_then(|kid| self.verifying.get(kid))
            .ok_or(TokenError::Invalid)?;
        match jsonwebtoken::decode::<Claims>(token, key, &self.validation) {
            Ok(data) => Ok(data.claims),
            Err(e) if matches!(e.kind(), jsonwebtoken::errors::ErrorKind::ExpiredSignature) => {
                Err(TokenError::Expired)
            }
            Err(_) => Err(TokenError::Invalid),
        }
    }
}

/// Creates the first signing key if none is active (run by `migrate`, as the owner).
pub async fn ensure_signing_key(owner: &PgPool) -> Result<bool, KeyError> {
    let active: i64 = sqlx::query_scalar("SELECT count(*) FROM signing_keys WHERE retired_at IS NULL")
        .fetch_one(owner)
        .await?;
    if active > 0 {
        return Ok(false);
    }
    let key = SigningKey::generate(&mut OsRng);
    let private_pem = key.to_pkcs8_pem(LineEnding::LF).map_err(|_| KeyError::Corrupt)?;
    let public_pem = key
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .map_err(|_| KeyError::Corrupt)?;
    sqlx::query("INSERT INTO signing_keys (kid, private_pem, public_pem) VALUES ($1, $2, $3)")
        .bind(Uuid::now_v7())
        .bind(private_pem.as_str())
        .bind(public_pem)
        .execute(owner)
        .await?;
    Ok(true)
}
