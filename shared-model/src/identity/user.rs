use serde::{Deserialize, Serialize};

use super::Role;
use crate::ids::{ProfessionalId, TenantId, UserId};
use crate::values::{Cpf, Email};

/// A person who logs in to one clinic. Users who acted are never deleted, only disabled
/// (NGS1.03.09).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub tenant: TenantId,
    pub name: String,
    pub email: Email,
    /// One user per person, tied to the CPF (NGS1.03.09).
    pub cpf: Option<Cpf>,
    pub role: Role,
    /// Set for users with the PROFESSIONAL role: their professional record.
    pub professional: Option<ProfessionalId>,
    pub active: bool,
}
