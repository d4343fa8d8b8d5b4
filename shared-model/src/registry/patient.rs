//! The patient record.

use autosurgeon::{Hydrate, Reconcile};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::{ConsentRecord, HealthPlanCard, NewHealthPlanCard, PersonName, RegistryError};
use crate::documents::codec::code_enum;
use crate::ids::PatientId;
use crate::values::{BirthDate, Cep, Cns, Cpf, Email, Phone, Uf};

code_enum! {
    /// Sex as recorded for clinical purposes (growth charts, reference ranges). Gender identity
    /// is respected through [`Patient::social_name`].
    pub enum Sex {
        Female = "female",
        Male = "male",
        Intersex = "intersex",
        Unknown = "unknown",
    }
}

impl Sex {
    /// The pt-BR label shown to people.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Female => "Feminino",
            Self::Male => "Masculino",
            Self::Intersex => "Intersexo",
            Self::Unknown => "Não informado",
        }
    }
}

/// A patient's registry record (demographics, contacts, health-plan cards, consents).
///
/// Fields are public because every field type carries its own invariant; use
/// [`Patient::new`] to build one from form input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Patient {
    pub id: PatientId,
    /// Civil name.
    pub name: PersonName,
    /// Nome social: when present, the name used to address and show the patient.
    pub social_name: Option<PersonName>,
    pub birth_date: Option<BirthDate>,
    pub sex: Sex,
    pub cpf: Option<Cpf>,
    pub cns: Option<Cns>,
    pub mother_name: Option<PersonName>,
    pub phones: Vec<Phone>,
    pub emails: Vec<Email>,
    pub address: Option<Address>,
    pub health_plan_cards: Vec<HealthPlanCard>,
    /// Append-only: see [`Patient::record_consent`] and [`Patient::revoke_consent`].
    pub consents: Vec<ConsentRecord>,
}

/// A postal address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Address {
    pub street: String,
    /// House number; `"S/N"` when there is none.
    pub number: String,
    pub complement: Option<String>,
    /// Bairro.
    pub district: String,
    pub city: String,
    pub uf: Uf,
    pub cep: Cep,
}

/// Form input for a new patient. Typed values (CPF, CNS, phones, ...) are parsed field by field
/// by the form; [`Patient::new`] checks the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPatient {
    pub name: String,
    pub social_name: Option<String>,
    pub birth_date: Option<Date>,
    pub sex: Sex,
    pub cpf: Option<Cpf>,
    pub cns: Option<Cns>,
    pub mother_name: Option<String>,
    pub phones: Vec<Phone>,
    pub emails: Vec<Email>,
    pub address: Option<Address>,
    pub health_plan_cards: Vec<NewHealthPlanCard>,
}

impl NewPatient {
    /// Input with only the mandatory name; everything else empty and sex unknown.
    #[must_use]
    pub fn named(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            social_name: None,
            birth_date: None,
            sex: Sex::Unknown,
            cpf: None,
            cns: None,
            mother_name: None,
            phones: Vec::new(),
            emails: Vec::new(),
            address: None,
            health_plan_cards: Vec::new(),
        }
    }
}

impl Patient {
    /// Validates `input` (with `today` in the clinic's zone, for the birth date) and gives the
    /// patient a new id and no consents yet. Duplicate phones and e-mails are dropped.
    pub fn new(input: NewPatient, today: Date) -> Result<Self, RegistryError> {
        let name = PersonName::parse(&input.name).map_err(RegistryError::PatientName)?;
        let social_name =
            PersonName::parse_optional(input.social_name.as_deref()).map_err(RegistryError::SocialName)?;
        let mother_name =
            PersonName::parse_optional(input.mother_name.as_deref()).map_err(RegistryError::MotherName)?;
        let birth_date = input
            .birth_date
            .map(|date| BirthDate::new(date, today))
            .transpose()
            .map_err(RegistryError::BirthDate)?;
        let address = input.address.map(Address::validated).transpose()?;
        let mut cards: Vec<HealthPlanCard> = Vec::new();
        for card in input.health_plan_cards {
            let card = HealthPlanCard::new(card)?;
            if cards
                .iter()
                .any(|c| c.operator_ans == card.operator_ans && c.card_number == card.card_number)
            {
                return Err(RegistryError::DuplicateHealthPlanCard);
            }
            cards.push(card);
        }
        Ok(Self {
            id: PatientId::new(),
            name,
            social_name,
            birth_date,
            sex: input.sex,
            cpf: input.cpf,
            cns: input.cns,
            mother_name,
            phones: dedup(input.phones),
            emails: dedup(input.emails),
            address,
            health_plan_cards: cards,
            consents: Vec::new(),
        })
    }

    /// The name to show and address the patient by: the social name when there is one.
    #[must_use]
    pub fn display_name(&self) -> &PersonName {
        self.social_name.as_ref().unwrap_or(&self.name)
    }
}

impl Address {
    /// Longest accepted text field, in characters.
    pub const MAX_CHARS: usize = 200;

    /// Trims every text field, checks the mandatory ones and lengths; a blank number becomes
    /// `"S/N"`, a blank complement `None`.
    pub fn validated(self) -> Result<Self, RegistryError> {
        let number = match self.number.trim() {
            "" => "S/N".to_owned(),
            n => n.to_owned(),
        };
        let complement = self
            .complement
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty());
        let checked = |field: &'static str, value: &str| -> Result<String, RegistryError> {
            let value = value.trim();
            if value.is_empty() {
                Err(RegistryError::AddressFieldEmpty { field })
            } else if value.chars().count() > Self::MAX_CHARS {
                Err(RegistryError::AddressFieldTooLong {
                    field,
                    max: Self::MAX_CHARS,
                })
            } else {
                Ok(value.to_owned())
            }
        };
        let street = checked("logradouro", &self.street)?;
        let number = checked("número", &number)?;
        if let Some(complement) = &complement {
            checked("complemento", complement)?;
        }
        Ok(Self {
            street,
            number,
            complement,
            district: checked("bairro", &self.district)?,
            city: checked("cidade", &self.city)?,
            uf: self.uf,
            cep: self.cep,
        })
    }
}

fn dedup<T: PartialEq>(items: Vec<T>) -> Vec<T> {
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;
    use rstest::rstest;

    const TODAY: Date = jiff::civil::date(2026, 11, 29);

    fn address() -> Address {
        Address {
            street: " Rua das Flores ".into(),
            number: " ".into(),
            complement: Some("".into()),
            district: "Centro".into(),
            city: "Manaus".into(),
            uf: Uf::parse("AM").unwrap(),
            cep: Cep::parse("69005-010").unwrap(),
        }
    }

    #[test]
    fn builds_a_trimmed_patient() {
        let mut input = NewPatient::named("  Maria   Silva ");
        input.social_name = Some("  ".into());
        input.birth_date = Some(jiff::civil::date(1990, 5, 17));
        input.address = Some(address());
        input.phones = vec![
            Phone::parse("(92) 99123-4567").unwrap(),
            Phone::parse("92 991234567").unwrap(),
        ];
        let patient = Patient::new(input, TODAY).unwrap();
        assert_eq!(patient.name.as_str(), "Maria Silva");
        assert_eq!(patient.social_name, None);
        assert_eq!(patient.phones.len(), 1);
        let address = patient.address.unwrap();
        assert_eq!(address.street, "Rua das Flores");
        assert_eq!(address.number, "S/N");
        assert_eq!(address.complement, None);
    }

    #[test]
    fn social_name_is_the_display_name() {
        let mut input = NewPatient::named("João Souza");
        input.social_name = Some("Joana Souza".into());
        let patient = Patient::new(input, TODAY).unwrap();
        assert_eq!(patient.display_name().as_str(), "Joana Souza");
    }

    #[rstest]
    #[case::empty_name(NewPatient::named("   "), "patient.name_empty")]
    #[case::long_name(NewPatient::named(&"a".repeat(201)), "patient.name_too_long")]
    #[case::long_mother(
        NewPatient { mother_name: Some("m".repeat(201)), ..NewPatient::named("Ana") },
        "patient.mother_name_too_long"
    )]
    #[case::no_city(
        NewPatient { address: Some(Address { city: " ".into(), ..address() }), ..NewPatient::named("Ana") },
        "address.field_empty"
    )]
    #[case::bad_card(
        NewPatient {
            health_plan_cards: vec![NewHealthPlanCard {
                operator_ans: "12".into(), operator_name: "X".into(), card_number: "1".into(),
                ..NewHealthPlanCard::default()
            }],
            ..NewPatient::named("Ana")
        },
        "health_plan.operator_ans_invalid"
    )]
    fn rejects(#[case] input: NewPatient, #[case] code: &str) {
        assert_eq!(Patient::new(input, TODAY).unwrap_err().code(), code);
    }

    #[test]
    fn rejects_a_birth_date_in_the_future() {
        let mut input = NewPatient::named("Ana");
        input.birth_date = Some(jiff::civil::date(2027, 1, 1));
        let err = Patient::new(input, TODAY).unwrap_err();
        assert!(matches!(err, RegistryError::BirthDate(_)));
    }

    #[test]
    fn rejects_duplicate_cards() {
        let card = NewHealthPlanCard {
            operator_ans: "326305".into(),
            operator_name: "Unimed".into(),
            card_number: "123".into(),
            ..NewHealthPlanCard::default()
        };
        let mut input = NewPatient::named("Ana");
        input.health_plan_cards = vec![card.clone(), card];
        let err = Patient::new(input, TODAY).unwrap_err();
        assert_eq!(err.code(), "health_plan.duplicate");
    }
}
