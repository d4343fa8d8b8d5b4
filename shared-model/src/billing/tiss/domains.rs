//! Closed lists of TISS 4.01.00 taken from the official schema (`schema/`). A test reads the
//! schema and checks each list against it, so an update of the schema shows up as a failure.

use crate::values::{Council, Uf};

/// `dm_CBOS`: the CBO codes a TISS message may carry (sorted; `999999` = unknown).
pub const CBOS: &[&str] = &[
    "131220", "201115", "203015", "213150", "221105", "221205", "223204", "223208", "223212", "223216",
    "223220", "223224", "223228", "223232", "223236", "223240", "223244", "223248", "223252", "223256",
    "223260", "223264", "223268", "223272", "223276", "223280", "223284", "223288", "223293", "223405",
    "223415", "223420", "223425", "223430", "223435", "223440", "223445", "223505", "223510", "223515",
    "223520", "223525", "223530", "223535", "223540", "223545", "223550", "223555", "223560", "223565",
    "223570", "223605", "223625", "223630", "223635", "223640", "223645", "223650", "223655", "223660",
    "223705", "223710", "223810", "223815", "223820", "223825", "223830", "223835", "223840", "223845",
    "223905", "223910", "223915", "224105", "224110", "224115", "224120", "224125", "224130", "224135",
    "224140", "225103", "225105", "225106", "225109", "225110", "225112", "225115", "225118", "225120",
    "225121", "225122", "225124", "225125", "225127", "225130", "225133", "225135", "225136", "225139",
    "225140", "225142", "225145", "225148", "225150", "225151", "225154", "225155", "225160", "225165",
    "225170", "225175", "225180", "225185", "225190", "225195", "225203", "225210", "225215", "225220",
    "225225", "225230", "225235", "225240", "225245", "225250", "225255", "225260", "225265", "225270",
    "225275", "225280", "225285", "225290", "225295", "225305", "225310", "225315", "225320", "225325",
    "225330", "225335", "225340", "225345", "225350", "225355", "226105", "226110", "226305", "226310",
    "226315", "226320", "239425", "239440", "239445", "251510", "251545", "251550", "251555", "251605",
    "322120", "322125", "322135", "322205", "322220", "322225", "322230", "516210", "999999",
];

/// `dm_tabela`: the tables a procedure or item code may come from.
pub const TABLES: &[&str] = &["00", "18", "19", "20", "22", "90", "98"];

/// `dm_conselhoProfissional`: 01 CRESS … 15 CRTR.
pub const COUNCILS: &[&str] = &[
    "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14", "15",
];

/// `dm_UF`: IBGE codes of the states, and 98 (abroad).
pub const UFS: &[&str] = &[
    "11", "12", "13", "14", "15", "16", "17", "21", "22", "23", "24", "25", "26", "27", "28", "29", "31",
    "32", "33", "35", "41", "42", "43", "50", "51", "52", "53", "98",
];

/// `dm_indicadorAcidente`: 0 trabalho, 1 trânsito, 2 outros, 9 não acidente.
pub const ACCIDENTS: &[&str] = &["0", "1", "2", "9"];

/// `dm_regimeAtendimento`: 01 ambulatorial … 05 telessaúde.
pub const REGIMES: &[&str] = &["01", "02", "03", "04", "05"];

/// `dm_tipoConsulta`: 1 primeira, 2 seguimento, 3 pré-natal, 4 por encaminhamento.
pub const CONSULTATION_TYPES: &[&str] = &["1", "2", "3", "4"];

/// The `dm_UF` code of a state: its IBGE number.
#[must_use]
pub fn uf_code(uf: Uf) -> &'static str {
    match uf {
        Uf::Ro => "11",
        Uf::Ac => "12",
        Uf::Am => "13",
        Uf::Rr => "14",
        Uf::Pa => "15",
        Uf::Ap => "16",
        Uf::To => "17",
        Uf::Ma => "21",
        Uf::Pi => "22",
        Uf::Ce => "23",
        Uf::Rn => "24",
        Uf::Pb => "25",
        Uf::Pe => "26",
        Uf::Al => "27",
        Uf::Se => "28",
        Uf::Ba => "29",
        Uf::Mg => "31",
        Uf::Es => "32",
        Uf::Rj => "33",
        Uf::Sp => "35",
        Uf::Pr => "41",
        Uf::Sc => "42",
        Uf::Rs => "43",
        Uf::Ms => "50",
        Uf::Mt => "51",
        Uf::Go => "52",
        Uf::Df => "53",
    }
}

/// The `dm_conselhoProfissional` code of a council (01 CRESS, 02 COREN, … 06 CRM …).
#[must_use]
pub fn council_code(council: Council) -> &'static str {
    match council {
        Council::Cress => "01",
        Council::Coren => "02",
        Council::Crf => "03",
        Council::Crfa => "04",
        Council::Crefito => "05",
        Council::Crm => "06",
        Council::Crn => "07",
        Council::Cro => "08",
        Council::Crp => "09",
        Council::Crbm => "12",
        Council::Cref => "13",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_and_councils_map_to_distinct_schema_codes() {
        let ufs: Vec<&str> = Uf::all().iter().map(|u| uf_code(*u)).collect();
        assert_eq!(ufs.len(), 27);
        for code in &ufs {
            assert!(UFS.contains(code), "{code}");
        }
        let mut distinct = ufs.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), 27);
        assert_eq!(uf_code(Uf::Sp), "35");
        assert_eq!(uf_code(Uf::Df), "53");
        let councils = Council::all();
        let mut codes: Vec<&str> = councils.iter().map(|c| council_code(*c)).collect();
        for code in &codes {
            assert!(COUNCILS.contains(code), "{code}");
        }
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), councils.len());
        assert_eq!(council_code(Council::Crm), "06");
        assert_eq!(council_code(Council::Cro), "08");
    }

    /// The enumeration of `simpleType name` in the vendored schema.
    fn enumeration(name: &str) -> Vec<String> {
        let bytes = include_bytes!("schema/tissSimpleTypesV4_01_00.xsd");
        let text: String = bytes.iter().map(|&b| char::from(b)).collect();
        let start = text
            .find(&format!("<simpleType name=\"{name}\">"))
            .unwrap_or_else(|| panic!("{name} not in the schema"));
        let end = start + text[start..].find("</simpleType>").expect("end of type");
        let mut values: Vec<String> = text[start..end]
            .split("<enumeration value=\"")
            .skip(1)
            .map(|rest| rest[..rest.find('"').expect("quote")].to_owned())
            .collect();
        values.sort();
        values.dedup();
        values
    }

    #[test]
    fn lists_match_the_official_schema() {
        for (name, list) in [
            ("dm_CBOS", CBOS),
            ("dm_tabela", TABLES),
            ("dm_conselhoProfissional", COUNCILS),
            ("dm_UF", UFS),
            ("dm_indicadorAcidente", ACCIDENTS),
            ("dm_regimeAtendimento", REGIMES),
            ("dm_tipoConsulta", CONSULTATION_TYPES),
        ] {
            let mut ours: Vec<String> = list.iter().map(|s| (*s).to_owned()).collect();
            ours.sort();
            assert_eq!(ours, enumeration(name), "{name}");
        }
        assert!(
            CBOS.windows(2).all(|w| w[0] < w[1]),
            "CBOS sorted, for binary search"
        );
    }
}
