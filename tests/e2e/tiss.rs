//! TISS messages against the official schema (issue 6): every generated lote must pass
//! `xmllint --schema tissV4_01_00.xsd` (the ANS schemas, vendored unchanged in
//! `shared-model/src/billing/tiss/schema/`), including property-generated ones with odd but
//! legal data: accents, maximum lengths, 100 guides.

use std::path::{Path, PathBuf};
use std::process::Command;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use shared_model::billing::tiss::{
    ConsultaGuide, HashInput, LoteHeader, MAX_GUIDES, TissProfessional, domains, lote_consultas,
    message_hashes,
};

fn schema() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared-model/src/billing/tiss/schema/tissV4_01_00.xsd")
}

/// Runs xmllint on `bytes`; `Err` with its report when the schema refuses them.
fn xsd_check(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), String> {
    let file = dir.join(name);
    std::fs::write(&file, bytes).expect("write lote");
    let out = Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(schema())
        .arg(&file)
        .output()
        .expect("xmllint (libxml2-utils, installed by scripts/setup-system.sh)");
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Text of 1..=max characters from ISO-8859-1 letters (accents included), digits and spaces,
/// not blank at either end.
fn latin1_text(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!(
        "[A-Za-zÀ-ÖØ-öø-ÿ0-9ºª&<>'\"][A-Za-zÀ-ÖØ-öø-ÿ0-9 .,&<>'\"ºª-]{{0,{}}}",
        max - 1
    ))
    .expect("regex")
    .prop_map(|s| s.trim_end().to_owned())
    .prop_filter("not blank", |s| !s.is_empty())
}

fn pick(list: &'static [&'static str]) -> impl Strategy<Value = String> {
    proptest::sample::select(list).prop_map(str::to_owned)
}

fn guide() -> impl Strategy<Value = ConsultaGuide> {
    (
        (latin1_text(20), latin1_text(20), any::<bool>(), "[0-9]{7}"),
        (
            latin1_text(70),
            pick(domains::COUNCILS),
            latin1_text(15),
            pick(domains::UFS),
            pick(domains::CBOS),
        ),
        (
            pick(domains::ACCIDENTS),
            pick(domains::REGIMES),
            pick(domains::CONSULTATION_TYPES),
        ),
        (1900i16..2100, 1i8..=12, 1i8..=28, "[0-9]{8}", 0i64..=99_999_999),
    )
        .prop_map(
            |(
                (number, card, newborn, cnes),
                (name, council, council_number, uf, cbo),
                (accident, regime, kind),
                (y, m, d, procedure, value),
            )| {
                ConsultaGuide {
                    number,
                    card,
                    newborn,
                    cnes,
                    professional: TissProfessional {
                        name,
                        council,
                        council_number,
                        uf,
                        cbo,
                    },
                    accident,
                    regime,
                    date: jiff::civil::date(y, m, d),
                    consultation_type: kind,
                    table: "22".to_owned(),
                    procedure,
                    value_centavos: value,
                }
            },
        )
}

fn header(n: u64, hash_input: HashInput) -> LoteHeader {
    LoteHeader {
        transaction: n,
        lote: n,
        made_at: jiff::civil::date(2026, 11, 29).at(17, 5, 9, 0),
        provider_code: "12345678901234".to_owned(),
        registro_ans: "123456".to_owned(),
        hash_input,
    }
}

#[test]
fn generated_consulta_lotes_pass_the_official_schema() {
    let dir = tempfile::tempdir().unwrap();
    let mut runner = TestRunner::new(Config {
        cases: 60,
        failure_persistence: None,
        ..Config::default()
    });
    let lotes = (
        proptest::collection::vec(guide(), 1..=12),
        any::<bool>(),
        1u64..999_999_999_999,
    );
    let n = std::cell::Cell::new(0u32);
    runner
        .run(&lotes, |(guides, latin1, number)| {
            n.set(n.get() + 1);
            let input = if latin1 {
                HashInput::Latin1
            } else {
                HashInput::Utf8
            };
            let bytes = lote_consultas(&header(number, input), &guides)
                .map_err(|e| TestCaseError::fail(format!("refused legal input: {e}")))?;
            xsd_check(dir.path(), &format!("lote-{}.xml", n.get()), &bytes).map_err(TestCaseError::fail)?;
            let h = message_hashes(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(h.matches, Some(if latin1 { "iso_8859_1" } else { "utf8" }));
            Ok(())
        })
        .unwrap();
}

#[test]
fn a_full_lote_of_maximum_length_fields_passes_the_official_schema() {
    let dir = tempfile::tempdir().unwrap();
    let long = |n: usize| "Ç".repeat(n);
    let guide = ConsultaGuide {
        number: "9".repeat(20),
        card: long(20),
        newborn: true,
        cnes: "9999999".to_owned(),
        professional: TissProfessional {
            name: format!("Dra. {}", long(65)),
            council: "06".to_owned(),
            council_number: "123456789012345".to_owned(),
            uf: "98".to_owned(),
            cbo: "999999".to_owned(),
        },
        accident: "0".to_owned(),
        regime: "05".to_owned(),
        date: jiff::civil::date(2026, 2, 28),
        consultation_type: "4".to_owned(),
        table: "22".to_owned(),
        procedure: "10101012".to_owned(),
        value_centavos: 99_999_999,
    };
    let guides = vec![guide; MAX_GUIDES];
    let bytes = lote_consultas(&header(999_999_999_999, HashInput::Utf8), &guides).unwrap();
    xsd_check(dir.path(), "cheio.xml", &bytes).unwrap();
    // The schema itself refuses a 101st guide: the generator refuses first.
    let mut more = guides.clone();
    more.push(more[0].clone());
    assert!(lote_consultas(&header(1, HashInput::Utf8), &more).is_err());
}

#[test]
fn the_fixture_lote_passes_the_vendored_schema() {
    let dir = tempfile::tempdir().unwrap();
    xsd_check(
        dir.path(),
        "consulta.xml",
        include_bytes!("../../shared-model/src/billing/tiss/testdata/consulta.xml"),
    )
    .unwrap();
    // And a broken one does not: the check can fail.
    assert!(xsd_check(dir.path(), "ruim.xml", b"<?xml version=\"1.0\"?><ans:mensagemTISS xmlns:ans=\"http://www.ans.gov.br/padroes/tiss/schemas\"/>").is_err());
}
