//! CID-10 (the Brazilian edition of ICD-10) diagnosis codes.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A CID-10 category (`J45`) or subcategory (`J45.9`) whose category falls in one of the 22
/// chapters (codes in the gaps between chapter ranges, such as `D49` or `H96`, are rejected).
///
/// Stored form and `Display`: upper case, with the dot before a subcategory (`J45.9`, `J45`).
/// This checks the shape and chapter only, not membership in the published code table.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Cid10(String);

/// Why a text is not a CID-10 code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Cid10Error {
    #[error("código CID-10 não informado")]
    Empty,
    #[error("código CID-10 deve ser uma letra, dois dígitos e subcategoria opcional (ex.: J45.9)")]
    Format,
    #[error("código CID-10 fora dos capítulos da classificação")]
    OutsideChapters,
}

impl crate::ErrorCode for Cid10Error {
    fn code(&self) -> &'static str {
        match self {
            Self::Empty => "cid10.empty",
            Self::Format => "cid10.format",
            Self::OutsideChapters => "cid10.outside_chapters",
        }
    }
}

impl Cid10 {
    /// Parses `J45`, `j45.9`, `J459` (surrounding whitespace ignored).
    pub fn parse(input: &str) -> Result<Self, Cid10Error> {
        let text = input.trim().to_ascii_uppercase();
        let b = text.as_bytes();
        let subcategory = match b {
            [] => return Err(Cid10Error::Empty),
            [l, d1, d2] if l.is_ascii_uppercase() && all_digits(&[*d1, *d2]) => None,
            [l, d1, d2, s] | [l, d1, d2, b'.', s]
                if l.is_ascii_uppercase() && all_digits(&[*d1, *d2, *s]) =>
            {
                Some(*s)
            }
            _ => return Err(Cid10Error::Format),
        };
        let mut canonical = text[..3].to_owned();
        if let Some(s) = subcategory {
            canonical.push('.');
            canonical.push(char::from(s));
        }
        if chapter_of(canonical.as_bytes()).is_none() {
            return Err(Cid10Error::OutsideChapters);
        }
        Ok(Self(canonical))
    }

    /// The canonical stored form: `J45.9` or `J45`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The three-character category (`J45` for `J45.9`).
    #[must_use]
    pub fn category(&self) -> &str {
        &self.0[..3]
    }

    /// The chapter of the classification, 1–22 (`J45.9` → 10; `U` codes → 22).
    #[must_use]
    pub fn chapter(&self) -> u8 {
        // Parsing rejected codes without a chapter, so the fallback is unreachable.
        chapter_of(self.0.as_bytes()).unwrap_or(22)
    }
}

impl fmt::Display for Cid10 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

super::string_value!(Cid10, Cid10Error, "um código CID-10");

fn all_digits(bytes: &[u8]) -> bool {
    bytes.iter().all(u8::is_ascii_digit)
}

/// The chapter of a code starting with an upper-case letter and two digits.
fn chapter_of(code: &[u8]) -> Option<u8> {
    let number = (code[1] - b'0') * 10 + (code[2] - b'0');
    Some(match code[0] {
        b'A' | b'B' => 1,
        b'C' => 2,
        b'D' if number <= 48 => 2,
        b'D' if (50..=89).contains(&number) => 3,
        b'D' => return None,
        b'E' => 4,
        b'F' => 5,
        b'G' => 6,
        b'H' if number <= 59 => 7,
        b'H' if (60..=95).contains(&number) => 8,
        b'H' => return None,
        b'I' => 9,
        b'J' => 10,
        b'K' => 11,
        b'L' => 12,
        b'M' => 13,
        b'N' => 14,
        b'O' => 15,
        b'P' => 16,
        b'Q' => 17,
        b'R' => 18,
        b'S' | b'T' => 19,
        b'V' | b'W' | b'X' | b'Y' => 20,
        b'Z' => 21,
        b'U' => 22,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;
    use proptest::prelude::*;
    use rstest::rstest;

    #[rstest]
    #[case("J45", "J45", 10)]
    #[case("j45.9", "J45.9", 10)]
    #[case("J459", "J45.9", 10)]
    #[case(" a09 ", "A09", 1)]
    #[case("B99", "B99", 1)]
    #[case("C50.9", "C50.9", 2)]
    #[case("D48.9", "D48.9", 2)]
    #[case("D50", "D50", 3)]
    #[case("D89.9", "D89.9", 3)]
    #[case("E11.9", "E11.9", 4)]
    #[case("F32", "F32", 5)]
    #[case("G43.0", "G43.0", 6)]
    #[case("H10", "H10", 7)]
    #[case("H59", "H59", 7)]
    #[case("H60", "H60", 8)]
    #[case("H95.1", "H95.1", 8)]
    #[case("I10", "I10", 9)]
    #[case("K35", "K35", 11)]
    #[case("L20", "L20", 12)]
    #[case("M54.5", "M54.5", 13)]
    #[case("N39.0", "N39.0", 14)]
    #[case("O80", "O80", 15)]
    #[case("P07", "P07", 16)]
    #[case("Q21", "Q21", 17)]
    #[case("R51", "R51", 18)]
    #[case("S72.0", "S72.0", 19)]
    #[case("T78.4", "T78.4", 19)]
    #[case("V01", "V01", 20)]
    #[case("Y98", "Y98", 20)]
    #[case("Z00.0", "Z00.0", 21)]
    #[case("U07.1", "U07.1", 22)]
    fn parses_with_chapter(#[case] input: &str, #[case] stored: &str, #[case] chapter: u8) {
        let cid = Cid10::parse(input).unwrap();
        assert_eq!(cid.as_str(), stored);
        assert_eq!(cid.to_string(), stored);
        assert_eq!(cid.category(), &stored[..3]);
        assert_eq!(cid.chapter(), chapter);
    }

    #[rstest]
    #[case("", "cid10.empty")]
    #[case("J4", "cid10.format")]
    #[case("J45.", "cid10.format")]
    #[case("J45.99", "cid10.format")]
    #[case("J4A", "cid10.format")]
    #[case("45.9", "cid10.format")]
    #[case("J 45", "cid10.format")]
    #[case("D49", "cid10.outside_chapters")]
    #[case("D90", "cid10.outside_chapters")]
    #[case("H96.0", "cid10.outside_chapters")]
    fn rejects(#[case] input: &str, #[case] code: &str) {
        assert_eq!(Cid10::parse(input).unwrap_err().code(), code);
    }

    proptest! {
        #[test]
        fn round_trips(code in "[A-CE-GI-Z][0-9]{2}(\\.[0-9])?") {
            let cid = Cid10::parse(&code.to_lowercase()).unwrap();
            prop_assert_eq!(cid.as_str(), code.as_str());
            prop_assert!((1..=22).contains(&cid.chapter()));
            prop_assert_eq!(cid.as_str().replace('.', "").parse::<Cid10>().unwrap(), cid.clone());
            let json = serde_json::to_string(&cid).unwrap();
            prop_assert_eq!(serde_json::from_str::<Cid10>(&json).unwrap(), cid);
        }
    }
}
