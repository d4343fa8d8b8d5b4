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

/// `dm_grauPart`: 00 cirurgião, 01–04 auxiliares, 05 instrumentador, 06 anestesista …
/// 13 intensivista.
pub const PARTICIPATIONS: &[&str] = &[
    "00", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13",
];

/// `dm_tipoAtendimento` (SP/SADT): 01 remoção, 02 pequena cirurgia, 03 outras terapias,
/// 04 consulta, 08 quimioterapia, 09 radioterapia, 10 TRS, 13 pequenos atendimentos, 23 exame.
pub const SERVICE_TYPES: &[&str] = &["01", "02", "03", "04", "08", "09", "10", "13", "23"];

/// `dm_outrasDespesas`: 01 gases medicinais, 02 medicamentos, 03 materiais, 05 diárias,
/// 07 taxas e aluguéis, 08 OPME.
pub const EXPENSE_KINDS: &[&str] = &["01", "02", "03", "05", "07", "08"];

/// `dm_unidadeMedida`: `001` to `061` (036 unidade, 023 mL, 022 mg, 008 comprimido, 001 ampola).
pub const UNITS_OF_MEASURE: &[&str] = &[
    "001", "002", "003", "004", "005", "006", "007", "008", "009", "010", "011", "012", "013", "014", "015",
    "016", "017", "018", "019", "020", "021", "022", "023", "024", "025", "026", "027", "028", "029", "030",
    "031", "032", "033", "034", "035", "036", "037", "038", "039", "040", "041", "042", "043", "044", "045",
    "046", "047", "048", "049", "050", "051", "052", "053", "054", "055", "056", "057", "058", "059", "060",
    "061",
];

/// `dm_dente`: FDI permanent teeth 11–48 and deciduous 51–85, with the supernumerary x9 codes.
pub const TEETH: &[&str] = &[
    "11", "12", "13", "14", "15", "16", "17", "18", "19", "21", "22", "23", "24", "25", "26", "27", "28",
    "29", "31", "32", "33", "34", "35", "36", "37", "38", "39", "41", "42", "43", "44", "45", "46", "47",
    "48", "49", "51", "52", "53", "54", "55", "59", "61", "62", "63", "64", "65", "69", "71", "72", "73",
    "74", "75", "79", "81", "82", "83", "84", "85", "89",
];

/// `dm_regiao`: regions of the mouth (AS arcada superior, HASD hemi-arco superior direito, …).
pub const REGIONS: &[&str] = &[
    "AB", "AI", "AS", "ASAI", "CL", "FLA", "FLI", "GI", "HAID", "HAIE", "HASD", "HASE", "LG", "LI", "LS",
    "MA", "MJ", "PA", "PD", "PI", "PM", "PP", "PT", "RCID", "RCIE", "RCSD", "RCSE", "RII", "RIS", "RL", "RM",
    "RMD", "RME", "RMID", "RMIE", "RMPD", "RMPE", "RMSD", "RMSE", "RP", "RPD", "RPE", "RPID", "RPIE", "RPSD",
    "RPSE", "RSL", "RSMD", "RSME", "RV", "S1", "S2", "S3", "S4", "S5", "S6", "SI", "SM", "TP", "TU", "UV",
];

/// `dm_motivoSaida`: why a hospitalisation ended (11 alta curado … 67 óbito).
pub const DISCHARGE_REASONS: &[&str] = &[
    "11", "12", "14", "15", "16", "18", "19", "21", "22", "23", "24", "25", "26", "27", "28", "31", "32",
    "41", "42", "43", "51", "61", "62", "63", "64", "65", "66", "67",
];

/// `dm_tipoGlosa` (TUSS table 38) as inclusive ranges of codes.
pub const GLOSA_RANGES: &[(u16, u16)] = &[
    (1001, 1025),
    (1101, 1104),
    (1201, 1218),
    (1301, 1323),
    (1401, 1438),
    (1501, 1509),
    (1601, 1615),
    (1701, 1749),
    (1801, 1840),
    (1901, 1918),
    (2001, 2015),
    (2101, 2115),
    (2201, 2213),
    (2301, 2310),
    (2401, 2424),
    (2501, 2516),
    (2601, 2614),
    (2701, 2718),
    (2801, 2822),
    (2901, 2909),
    (3001, 3098),
    (3100, 3168),
    (5001, 5062),
];

/// Whether `code` is a glosa code of TUSS table 38 (`dm_tipoGlosa`).
#[must_use]
pub fn is_glosa_code(code: &str) -> bool {
    code.len() == 4
        && code
            .parse::<u16>()
            .is_ok_and(|n| GLOSA_RANGES.iter().any(|(a, b)| (*a..=*b).contains(&n)))
}

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
            ("dm_grauPart", PARTICIPATIONS),
            ("dm_tipoAtendimento", SERVICE_TYPES),
            ("dm_outrasDespesas", EXPENSE_KINDS),
            ("dm_unidadeMedida", UNITS_OF_MEASURE),
            ("dm_dente", TEETH),
            ("dm_regiao", REGIONS),
            ("dm_motivoSaida", DISCHARGE_REASONS),
        ] {
            let mut ours: Vec<String> = list.iter().map(|s| (*s).to_owned()).collect();
            ours.sort();
            assert_eq!(ours, enumeration(name), "{name}");
        }
        let mut glosas: Vec<String> = GLOSA_RANGES
            .iter()
            .flat_map(|(a, b)| *a..=*b)
            .map(|n| n.to_string())
            .collect();
        // The schema also lists the empty string (an operator may leave the code blank).
        glosas.push(String::new());
        glosas.sort();
        assert_eq!(glosas, enumeration("dm_tipoGlosa"));
        assert!(is_glosa_code("1001") && is_glosa_code("5062") && !is_glosa_code("3099"));
        assert!(
            CBOS.windows(2).all(|w| w[0] < w[1]),
            "CBOS sorted, for binary search"
        );
    }
}
