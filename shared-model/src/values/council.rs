//! Brazilian professional councils (conselhos profissionais).

use std::fmt;

use serde::{Deserialize, Serialize};

/// A professional council (conselho profissional). Stored form and `Display`: the acronym in
/// upper case (`"CRM"`, `"CRFA"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Council {
    /// Conselho Regional de Medicina.
    Crm,
    /// Conselho Regional de Odontologia.
    Cro,
    /// Conselho Regional de Enfermagem.
    Coren,
    /// Conselho Regional de Fisioterapia e Terapia Ocupacional.
    Crefito,
    /// Conselho Regional de Psicologia.
    Crp,
    /// Conselho Regional de Nutricionistas.
    Crn,
    /// Conselho Regional de Fonoaudiologia.
    Crfa,
    /// Conselho Regional de Farmácia.
    Crf,
    /// Conselho Regional de Biomedicina.
    Crbm,
    /// Conselho Regional de Educação Física.
    Cref,
    /// Conselho Regional de Serviço Social.
    Cress,
}

/// Why a text is not a council acronym.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CouncilError {
    #[error("conselho profissional não informado")]
    Empty,
    #[error("conselho profissional desconhecido (ex.: CRM, CRO, COREN, CREFITO, CRP)")]
    Unknown,
}

impl crate::ErrorCode for CouncilError {
    fn code(&self) -> &'static str {
        match self {
            Self::Empty => "council.empty",
            Self::Unknown => "council.unknown",
        }
    }
}

const ALL: [Council; 11] = [
    Council::Crm,
    Council::Cro,
    Council::Coren,
    Council::Crefito,
    Council::Crp,
    Council::Crn,
    Council::Crfa,
    Council::Crf,
    Council::Crbm,
    Council::Cref,
    Council::Cress,
];

impl Council {
    /// Parses an acronym, case-insensitive (`"crm"`, `"CRFa"`).
    pub fn parse(input: &str) -> Result<Self, CouncilError> {
        let acronym = input.trim();
        if acronym.is_empty() {
            return Err(CouncilError::Empty);
        }
        ALL.iter()
            .copied()
            .find(|c| c.as_str().eq_ignore_ascii_case(acronym))
            .ok_or(CouncilError::Unknown)
    }

    /// All councils.
    #[must_use]
    pub fn all() -> &'static [Council] {
        &ALL
    }

    /// The acronym in upper case, which is also the stored form.
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        self.info().0
    }

    /// The profession (or professions) the council registers, in Portuguese.
    #[must_use]
    pub fn profession(&self) -> &'static str {
        self.info().1
    }

    fn info(self) -> (&'static str, &'static str) {
        match self {
            Self::Crm => ("CRM", "Medicina"),
            Self::Cro => ("CRO", "Odontologia"),
            Self::Coren => ("COREN", "Enfermagem"),
            Self::Crefito => ("CREFITO", "Fisioterapia e Terapia Ocupacional"),
            Self::Crp => ("CRP", "Psicologia"),
            Self::Crn => ("CRN", "Nutrição"),
            Self::Crfa => ("CRFA", "Fonoaudiologia"),
            Self::Crf => ("CRF", "Farmácia"),
            Self::Crbm => ("CRBM", "Biomedicina"),
            Self::Cref => ("CREF", "Educação Física"),
            Self::Cress => ("CRESS", "Serviço Social"),
        }
    }
}

impl fmt::Display for Council {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

super::string_value!(Council, CouncilError, "um conselho profissional");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;
    use rstest::rstest;

    #[rstest]
    #[case("crm", Council::Crm, "Medicina")]
    #[case("CRFa", Council::Crfa, "Fonoaudiologia")]
    #[case(" cress ", Council::Cress, "Serviço Social")]
    fn parses_council(#[case] input: &str, #[case] council: Council, #[case] profession: &str) {
        assert_eq!(Council::parse(input).unwrap(), council);
        assert_eq!(council.profession(), profession);
        assert_eq!(Council::parse("CRX").unwrap_err().code(), "council.unknown");
    }

    #[test]
    fn serde_json_round_trips() {
        for &council in Council::all() {
            let json = serde_json::to_string(&council).unwrap();
            assert_eq!(json, format!("\"{}\"", council.as_str()));
            assert_eq!(serde_json::from_str::<Council>(&json).unwrap(), council);
        }
        assert!(serde_json::from_str::<Council>("\"CRX\"").is_err());
    }
}
