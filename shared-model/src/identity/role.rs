use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What a user is in a clinic. One user has one role per tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    /// Operates the whole installation (all tenants) from the admin console. Not a clinic user:
    /// it never reads patient data.
    SuperAdmin,
    /// Runs one clinic: users, settings, billing, reports. Not clinical content.
    Admin,
    /// Health professional (doctor, dentist, nurse, ...): the only role that reads and writes charts.
    Professional,
    /// Reception / administrative staff: registry and agenda, never clinical content.
    Staff,
    /// Reads reports only.
    Viewer,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::SuperAdmin,
        Role::Admin,
        Role::Professional,
        Role::Staff,
        Role::Viewer,
    ];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::SuperAdmin => "SUPER_ADMIN",
            Role::Admin => "ADMIN",
            Role::Professional => "PROFESSIONAL",
            Role::Staff => "STAFF",
            Role::Viewer => "VIEWER",
        }
    }

    /// Name shown to people (pt-BR).
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Role::SuperAdmin => "Superadministrador",
            Role::Admin => "Administrador da clínica",
            Role::Professional => "Profissional de saúde",
            Role::Staff => "Recepção",
            Role::Viewer => "Consulta a relatórios",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("perfil desconhecido; use SUPER_ADMIN, ADMIN, PROFESSIONAL, STAFF ou VIEWER")]
pub struct RoleParseError;

impl crate::ErrorCode for RoleParseError {
    fn code(&self) -> &'static str {
        "role.unknown"
    }
}

impl FromStr for Role {
    type Err = RoleParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let normalized = s.trim().to_ascii_uppercase().replace('-', "_");
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == normalized)
            .ok_or(RoleParseError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_role_and_rejects_others() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
            assert_eq!(role.as_str().to_lowercase().parse::<Role>().unwrap(), role);
        }
        assert_eq!("super-admin".parse::<Role>().unwrap(), Role::SuperAdmin);
        assert!("DOCTOR".parse::<Role>().is_err());
    }

    #[test]
    fn serde_uses_screaming_snake_case() {
        assert_eq!(
            serde_json::to_string(&Role::SuperAdmin).unwrap(),
            "\"SUPER_ADMIN\""
        );
    }
}
