//! UF (unidade federativa): the 26 Brazilian states and the Distrito Federal.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A Brazilian federative unit. Stored form and `Display`: the two-letter code (`"SP"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Uf {
    Ac,
    Al,
    Ap,
    Am,
    Ba,
    Ce,
    Df,
    Es,
    Go,
    Ma,
    Mt,
    Ms,
    Mg,
    Pa,
    Pb,
    Pr,
    Pe,
    Pi,
    Rj,
    Rn,
    Rs,
    Ro,
    Rr,
    Sc,
    Sp,
    Se,
    To,
}

/// Why a text is not a UF.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UfError {
    #[error("UF não informada")]
    Empty,
    #[error("UF desconhecida: use a sigla de um estado ou do Distrito Federal (ex.: SP)")]
    Unknown,
}

impl crate::ErrorCode for UfError {
    fn code(&self) -> &'static str {
        match self {
            Self::Empty => "uf.empty",
            Self::Unknown => "uf.unknown",
        }
    }
}

const ALL: [Uf; 27] = [
    Uf::Ac,
    Uf::Al,
    Uf::Ap,
    Uf::Am,
    Uf::Ba,
    Uf::Ce,
    Uf::Df,
    Uf::Es,
    Uf::Go,
    Uf::Ma,
    Uf::Mt,
    Uf::Ms,
    Uf::Mg,
    Uf::Pa,
    Uf::Pb,
    Uf::Pr,
    Uf::Pe,
    Uf::Pi,
    Uf::Rj,
    Uf::Rn,
    Uf::Rs,
    Uf::Ro,
    Uf::Rr,
    Uf::Sc,
    Uf::Sp,
    Uf::Se,
    Uf::To,
];

impl Uf {
    /// Parses a two-letter code, case-insensitive, surrounding whitespace ignored.
    pub fn parse(input: &str) -> Result<Self, UfError> {
        let code = input.trim();
        if code.is_empty() {
            return Err(UfError::Empty);
        }
        ALL.iter()
            .copied()
            .find(|uf| uf.as_str().eq_ignore_ascii_case(code))
            .ok_or(UfError::Unknown)
    }

    /// All 27 units, in alphabetical order of their names.
    #[must_use]
    pub fn all() -> &'static [Uf] {
        &ALL
    }

    /// The two-letter code (`"SP"`), which is also the stored form.
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        self.info().0
    }

    /// The unit's name in Portuguese (`"São Paulo"`).
    #[must_use]
    pub fn name(&self) -> &'static str {
        self.info().1
    }

    fn info(self) -> (&'static str, &'static str) {
        match self {
            Self::Ac => ("AC", "Acre"),
            Self::Al => ("AL", "Alagoas"),
            Self::Ap => ("AP", "Amapá"),
            Self::Am => ("AM", "Amazonas"),
            Self::Ba => ("BA", "Bahia"),
            Self::Ce => ("CE", "Ceará"),
            Self::Df => ("DF", "Distrito Federal"),
            Self::Es => ("ES", "Espírito Santo"),
            Self::Go => ("GO", "Goiás"),
            Self::Ma => ("MA", "Maranhão"),
            Self::Mt => ("MT", "Mato Grosso"),
            Self::Ms => ("MS", "Mato Grosso do Sul"),
            Self::Mg => ("MG", "Minas Gerais"),
            Self::Pa => ("PA", "Pará"),
            Self::Pb => ("PB", "Paraíba"),
            Self::Pr => ("PR", "Paraná"),
            Self::Pe => ("PE", "Pernambuco"),
            Self::Pi => ("PI", "Piauí"),
            Self::Rj => ("RJ", "Rio de Janeiro"),
            Self::Rn => ("RN", "Rio Grande do Norte"),
            Self::Rs => ("RS", "Rio Grande do Sul"),
            Self::Ro => ("RO", "Rondônia"),
            Self::Rr => ("RR", "Roraima"),
            Self::Sc => ("SC", "Santa Catarina"),
            Self::Sp => ("SP", "São Paulo"),
            Self::Se => ("SE", "Sergipe"),
            Self::To => ("TO", "Tocantins"),
        }
    }
}

impl fmt::Display for Uf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

super::string_value!(Uf, UfError, "uma UF");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;
    use rstest::rstest;

    #[rstest]
    #[case("SP", Uf::Sp, "São Paulo")]
    #[case(" sp ", Uf::Sp, "São Paulo")]
    #[case("Df", Uf::Df, "Distrito Federal")]
    #[case("am", Uf::Am, "Amazonas")]
    fn parses_codes(#[case] input: &str, #[case] uf: Uf, #[case] name: &str) {
        assert_eq!(Uf::parse(input).unwrap(), uf);
        assert_eq!(uf.name(), name);
    }

    #[rstest]
    #[case("", "uf.empty")]
    #[case("XX", "uf.unknown")]
    #[case("São Paulo", "uf.unknown")]
    fn rejects(#[case] input: &str, #[case] code: &str) {
        assert_eq!(Uf::parse(input).unwrap_err().code(), code);
    }

    #[test]
    fn all_units_round_trip() {
        assert_eq!(Uf::all().len(), 27);
        for &uf in Uf::all() {
            assert_eq!(uf.as_str().len(), 2);
            assert_eq!(uf.to_string().parse::<Uf>().unwrap(), uf);
            let json = serde_json::to_string(&uf).unwrap();
            assert_eq!(json, format!("\"{}\"", uf.as_str()));
            assert_eq!(serde_json::from_str::<Uf>(&json).unwrap(), uf);
        }
        assert!(serde_json::from_str::<Uf>("\"ZZ\"").is_err());
    }
}
