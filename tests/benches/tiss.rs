//! TISS benchmark of issue 6 (figure in docs/PERFORMANCE.md): build, hash and schema-check a
//! lote of 100 Guias SP/SADT. Each guide has realistic content (accented names, a team member,
//! two procedures and a material linked to one of them), distinct per guide.
//!
//! Phases, each timed over many rounds (median, p95):
//! - **build + hash**: `lote()` in process (every field checked, XML written as ISO-8859-1, the
//!   epilogue MD5 over the leaves);
//! - **schema check**: `xsd::check_schema` (xmllint as a process, schema compiled each time);
//! - compared in the same run with xmllint on the smallest valid message, which is the fixed
//!   cost of the process and the schema compilation.
//!
//! `cargo bench -p atendebem-e2e --bench tiss` (`ATENDEBEM_BENCH_ROUNDS` to change the rounds).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::time::{Duration, Instant};

use shared_model::billing::tiss::xsd::check_schema;
use shared_model::billing::tiss::{
    Beneficiary, Contractor, ExecutedProcedure, Expense, Guide, HashInput, LoteHeader, Procedure,
    ProfessionalCode, SadtGuide, TeamMember, TissProfessional, lote,
};

const NAMES: &[&str] = &[
    "Dra. Inês Araújo",
    "Dr. João Gonçalves",
    "Dra. Cecília Muñoz",
    "Dr. André Brandão",
];

fn guides() -> Vec<Guide> {
    (0..100)
        .map(|i| {
            let professional = TissProfessional {
                name: NAMES[i % NAMES.len()].to_owned(),
                council: "06".to_owned(),
                council_number: format!("{}", 100_000 + i),
                uf: "35".to_owned(),
                cbo: "225125".to_owned(),
            };
            let day = jiff::civil::date(2026, 11, 1 + i8::try_from(i % 28).unwrap());
            let procedure = |sequence: u16, code: &str, description: &str, unit: i64| ExecutedProcedure {
                sequence,
                date: day,
                start: Some(jiff::civil::time(8, 0, 0, 0)),
                end: Some(jiff::civil::time(8, 40, 0, 0)),
                procedure: Procedure {
                    table: "22".to_owned(),
                    code: code.to_owned(),
                    description: description.to_owned(),
                },
                quantity: 1 + u32::try_from(i % 3).unwrap(),
                access_route: None,
                technique: None,
                factor_hundredths: 100,
                unit_centavos: unit,
                team: vec![TeamMember {
                    participation: Some("12".to_owned()),
                    code: ProfessionalCode::OperatorCode(format!("P{i:05}")),
                    professional: professional.clone(),
                }],
            };
            Guide::SpSadt(SadtGuide {
                number: format!("{}", 5_000 + i),
                main_guide: None,
                authorization: None,
                beneficiary: Beneficiary {
                    card: format!("{:016}", 1_234_567_890_000 + i),
                    newborn: false,
                },
                requester: Contractor::OperatorCode("000123".to_owned()),
                requester_name: "Clínica São José Ltda".to_owned(),
                requesting_professional: professional.clone(),
                request_date: Some(day),
                character: "1".to_owned(),
                clinical_indication: Some("Dor lombar crônica; reavaliação após 10 sessões.".to_owned()),
                executor: Contractor::OperatorCode("000123".to_owned()),
                cnes: "2077485".to_owned(),
                service_type: "03".to_owned(),
                accident: "9".to_owned(),
                consultation_type: None,
                regime: "01".to_owned(),
                procedures: vec![
                    procedure(1, "20103069", "Sessão de fisioterapia motora", 4_000),
                    procedure(2, "20103204", "Reeducação postural global", 5_500),
                ],
                expenses: vec![Expense {
                    sequence: 3,
                    kind: "03".to_owned(),
                    date: day,
                    item: Procedure {
                        table: "19".to_owned(),
                        code: "70000000".to_owned(),
                        description: "Eletrodo descartável autoadesivo".to_owned(),
                    },
                    quantity_ten_thousandths: 20_000,
                    unit_of_measure: "036".to_owned(),
                    factor_hundredths: 100,
                    unit_centavos: 1_250,
                    anvisa: Some("80102510012".to_owned()),
                    linked_item: Some(1),
                }],
                notes: None,
            })
        })
        .collect()
}

fn stats(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let p = |q: f64| ms(samples[((samples.len() - 1) as f64 * q).round() as usize]);
    (p(0.5), p(0.95))
}

fn main() {
    let rounds: usize = std::env::var("ATENDEBEM_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    let guides = guides();
    let header = LoteHeader {
        transaction: 42,
        lote: 42,
        made_at: jiff::civil::date(2026, 11, 29).at(17, 0, 0, 0),
        provider_code: "000123".to_owned(),
        registro_ans: "326305".to_owned(),
        hash_input: HashInput::Utf8,
    };
    let smallest = include_bytes!("../../shared-model/src/billing/tiss/testdata/consulta.xml");
    // Warm up (schema files written to the cache directory once).
    let bytes = lote(&header, &guides).unwrap();
    check_schema(&bytes).unwrap();
    check_schema(smallest).unwrap();

    let (mut build, mut schema, mut total, mut baseline) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let t0 = Instant::now();
        let bytes = lote(&header, &guides).unwrap();
        let t1 = Instant::now();
        check_schema(&bytes).unwrap();
        let t2 = Instant::now();
        check_schema(smallest).unwrap();
        let t3 = Instant::now();
        build.push(t1 - t0);
        schema.push(t2 - t1);
        total.push(t2 - t0);
        baseline.push(t3 - t2);
    }
    let size = bytes.len();
    println!("lote of 100 SP/SADT guides: {size} bytes, {rounds} rounds");
    for (name, samples) in [
        ("build + hash (in process)", build),
        ("schema check (xmllint process)", schema),
        ("total: build + hash + schema check", total),
        ("xmllint on the smallest valid message", baseline),
    ] {
        let (p50, p95) = stats(samples);
        println!("{name:<40} p50 {p50:>7.2} ms   p95 {p95:>7.2} ms");
    }
}
