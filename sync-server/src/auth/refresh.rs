//! Refresh tokens: opaque, `base64url(tenant id ‖ 32 random bytes)`, stored only as SHA-256.
//! The tenant id inside lets the server open a transaction bound to that tenant before looking
//! the token up, so even a refresh never reads across tenants.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub struct RefreshToken {
    pub tenant: Uuid,
    pub token: String,
}

impl std::fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefreshToken")
            .field("tenant", &self.tenant)
            .finish_non_exhaustive()
    }
}

impl RefreshToken {
    pub fn generate(tenant: Uuid) -> Self {
        let mut bytes = [0u8; 48];
        bytes[..16].copy_from_slice(tenant.as_bytes());
        rand::rng().fill_bytes(&mut bytes[16..]);
        Self {
            tenant,
            token: URL_SAFE_NO_PAD.encode(bytes),
        }
    }

    /// The tenant a presented token claims; `None` if it is not one of ours.
    pub fn parse_tenant(token: &str) -> Option<Uuid> {
        if token.len() != 64 {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
        let tenant: [u8; 16] = bytes.get(..16)?.try_into().ok()?;
        (bytes.len() == 48).then(|| Uuid::from_bytes(tenant))
    }

    pub fn hash(token: &str) -> Vec<u8> {
        Sha256::digest(token.as_bytes()).to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_garbage() {
        let t = Uuid::now_v7();
        let rt = RefreshToken::generate(t);
        assert_eq!(RefreshToken::parse_tenant(&rt.token), Some(t));
        assert_eq!(RefreshToken::parse_tenant("abc"), None);
        assert_eq!(RefreshToken::parse_tenant(&"!".repeat(64)), None);
        assert_ne!(RefreshToken::generate(t).token, rt.token);
        assert!(!format!("{rt:?}").contains(&rt.token));
    }
}
