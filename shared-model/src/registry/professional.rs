//! Health professionals.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use super::{Cbo, PersonName, RegistryError};
use crate::ids::{ProfessionalId, UserId};
use crate::values::CouncilRegistration;

/// A health professional who attends patients (has an agenda, signs chart entries).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Professional {
    pub id: ProfessionalId,
    /// The login of this professional, if they use the system themselves.
    pub user_id: Option<UserId>,
    pub name: PersonName,
    /// Council registration (CRM, CRO, COREN, ... with UF and number).
    pub registration: CouncilRegistration,
    /// Free-text specialties ("Cardiologia", "Ortodontia"), trimmed, non-empty, no duplicates.
    pub specialties: Vec<String>,
    /// CBO occupation, as TISS guides require.
    pub cbo: Cbo,
}

/// Input for a new [`Professional`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProfessional {
    pub user_id: Option<UserId>,
    pub name: String,
    pub registration: CouncilRegistration,
    pub specialties: Vec<String>,
    pub cbo: Cbo,
}

impl Professional {
    /// Validates the input and gives the professional a new id.
    pub fn new(input: NewProfessional) -> Result<Self, RegistryError> {
        let name = PersonName::parse(&input.name).map_err(RegistryError::ProfessionalName)?;
        let mut specialties: Vec<String> = Vec::new();
        for specialty in input.specialties {
            let specialty = specialty.trim().to_owned();
            if specialty.is_empty() {
                return Err(RegistryError::SpecialtyEmpty);
            }
            if !specialties.contains(&specialty) {
                specialties.push(specialty);
            }
        }
        Ok(Self {
            id: ProfessionalId::new(),
            user_id: input.user_id,
            name,
            registration: input.registration,
            specialties,
            cbo: input.cbo,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    fn input(name: &str, specialties: &[&str]) -> NewProfessional {
        NewProfessional {
            user_id: None,
            name: name.into(),
            registration: CouncilRegistration::parse("CRM/SP 123456").unwrap(),
            specialties: specialties.iter().map(|s| (*s).to_owned()).collect(),
            cbo: Cbo::parse("225125").unwrap(),
        }
    }

    #[test]
    fn trims_and_dedups_specialties() {
        let p = Professional::new(input("Dr. João", &[" Cardiologia ", "Cardiologia"])).unwrap();
        assert_eq!(p.specialties, vec!["Cardiologia"]);
        assert_eq!(p.cbo.to_string(), "2251-25");
    }

    #[test]
    fn refuses_blank_name_and_specialty() {
        let err = Professional::new(input(" ", &[])).unwrap_err();
        assert_eq!(err.code(), "professional.name_empty");
        let err = Professional::new(input("Ana", &[" "])).unwrap_err();
        assert_eq!(err.code(), "professional.specialty_empty");
    }
}
