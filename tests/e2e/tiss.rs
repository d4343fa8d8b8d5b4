//! TISS messages against the official schema (issue 6): every generated lote, of each of the five
//! guide types, must pass `xmllint --schema tissV4_01_00.xsd` (the ANS schemas, vendored
//! unchanged in `shared-model/src/billing/tiss/schema/`), including property-generated ones with
//! odd but legal data: accents, markup characters, maximum lengths, 100 guides.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use shared_model::ErrorCode;
use shared_model::billing::tiss::xsd::{XsdError, check_schema};
use shared_model::billing::tiss::{
    Authorization, Beneficiary, ConsultaGuide, Contractor, ExecutedProcedure, Expense, Guide, GuideKind,
    HashInput, HonorariosGuide, InternacaoGuide, LoteHeader, MAX_GUIDES, OdontoExecutor, OdontoGuide,
    OdontoItem, Procedure, ProfessionalCode, SadtGuide, SiteCode, TeamMember, TissProfessional,
    ToothOrRegion, domains, lote, message_hashes,
};

/// Text of 1..=max characters from ISO-8859-1 letters (accents included), digits, spaces and
/// markup characters, not blank at either end.
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

fn day() -> impl Strategy<Value = jiff::civil::Date> {
    (1900i16..2100, 1i8..=12, 1i8..=28).prop_map(|(y, m, d)| jiff::civil::date(y, m, d))
}

fn time() -> impl Strategy<Value = jiff::civil::Time> {
    (0i8..24, 0i8..60, 0i8..60).prop_map(|(h, m, s)| jiff::civil::time(h, m, s, 0))
}

fn professional() -> impl Strategy<Value = TissProfessional> {
    (
        latin1_text(70),
        pick(domains::COUNCILS),
        latin1_text(15),
        pick(domains::UFS),
        pick(domains::CBOS),
    )
        .prop_map(|(name, council, council_number, uf, cbo)| TissProfessional {
            name,
            council,
            council_number,
            uf,
            cbo,
        })
}

fn beneficiary() -> impl Strategy<Value = Beneficiary> {
    (latin1_text(20), any::<bool>()).prop_map(|(card, newborn)| Beneficiary { card, newborn })
}

fn contractor() -> impl Strategy<Value = Contractor> {
    prop_oneof![
        latin1_text(14).prop_map(Contractor::OperatorCode),
        "[0-9]{11}".prop_map(Contractor::Cpf),
        "[0-9]{14}".prop_map(Contractor::Cnpj),
    ]
}

fn procedure() -> impl Strategy<Value = Procedure> {
    prop_oneof![
        ("[0-9]{8}", latin1_text(150)).prop_map(|(code, description)| Procedure {
            table: "22".to_owned(),
            code,
            description,
        }),
        (pick(&["00", "90", "98"]), latin1_text(10), latin1_text(150)).prop_map(
            |(table, code, description)| {
                Procedure {
                    table,
                    code,
                    description,
                }
            }
        ),
    ]
}

fn team_member(participation_required: bool) -> impl Strategy<Value = TeamMember> {
    (
        pick(domains::PARTICIPATIONS),
        any::<bool>(),
        prop_oneof![
            latin1_text(14).prop_map(ProfessionalCode::OperatorCode),
            "[0-9]{11}".prop_map(ProfessionalCode::Cpf),
        ],
        professional(),
    )
        .prop_map(move |(role, with_role, code, professional)| TeamMember {
            participation: (with_role || participation_required).then_some(role),
            code,
            professional,
        })
}

/// Executed procedures numbered 1..=n; the team has `min_team..=2` members.
fn executed(
    n: std::ops::RangeInclusive<usize>,
    min_team: usize,
    roles: bool,
) -> impl Strategy<Value = Vec<ExecutedProcedure>> {
    proptest::collection::vec(
        (
            day(),
            proptest::option::of((time(), time())),
            procedure(),
            1u32..=999,
            proptest::option::of(pick(&["1", "2", "3"])),
            proptest::option::of(pick(&["1", "2", "3"])),
            0u16..=999,
            0i64..=10_000,
            proptest::collection::vec(team_member(roles), min_team..=2),
        ),
        n,
    )
    .prop_map(|items| {
        items
            .into_iter()
            .enumerate()
            .map(
                |(i, (date, times, procedure, quantity, access_route, technique, factor, unit, team))| {
                    let (start, end) = match times {
                        Some((a, b)) => (Some(a.min(b)), Some(a.max(b))),
                        None => (None, None),
                    };
                    ExecutedProcedure {
                        sequence: u16::try_from(i + 1).expect("few items"),
                        date,
                        start,
                        end,
                        procedure,
                        quantity,
                        access_route,
                        technique,
                        factor_hundredths: factor,
                        unit_centavos: unit,
                        team,
                    }
                },
            )
            .collect()
    })
}

/// Expenses numbered after `first`, each maybe linked to a procedure `1..=procedures`.
fn expenses(n: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = Vec<Expense>> {
    proptest::collection::vec(
        (
            pick(domains::EXPENSE_KINDS),
            day(),
            pick(&["18", "19", "20"]),
            "[0-9]{8}",
            latin1_text(150),
            1i64..=9_999_999,
            pick(domains::UNITS_OF_MEASURE),
            0u16..=999,
            0i64..=10_000,
            proptest::option::of(latin1_text(15)),
            any::<bool>(),
        ),
        n,
    )
    .prop_map(|items| {
        items
            .into_iter()
            .map(
                |(
                    kind,
                    date,
                    table,
                    code,
                    description,
                    quantity,
                    unit_of_measure,
                    factor,
                    unit,
                    anvisa,
                    linked,
                )| {
                    Expense {
                        sequence: 0,
                        kind,
                        date,
                        item: Procedure {
                            table,
                            code,
                            description,
                        },
                        quantity_ten_thousandths: quantity,
                        unit_of_measure,
                        factor_hundredths: factor,
                        unit_centavos: unit,
                        anvisa,
                        linked_item: linked.then_some(1),
                    }
                },
            )
            .collect()
    })
}

/// Numbers expenses after the procedures; links only when a procedure exists.
fn number_expenses(procedures: usize, mut expenses: Vec<Expense>) -> Vec<Expense> {
    for (i, e) in expenses.iter_mut().enumerate() {
        e.sequence = u16::try_from(procedures + i + 1).expect("few items");
        if procedures == 0 {
            e.linked_item = None;
        }
    }
    expenses
}

fn consulta() -> impl Strategy<Value = Guide> {
    (
        (beneficiary(), contractor(), "[0-9]{7}", professional()),
        (
            pick(domains::ACCIDENTS),
            pick(domains::REGIMES),
            pick(domains::CONSULTATION_TYPES),
            day(),
        ),
        (
            "[0-9]{8}",
            0i64..=99_999_999,
            proptest::option::of(latin1_text(500)),
        ),
    )
        .prop_map(
            |(
                (beneficiary, executor, cnes, professional),
                (accident, regime, kind, date),
                (procedure, value, notes),
            )| {
                Guide::Consulta(ConsultaGuide {
                    number: String::new(),
                    beneficiary,
                    executor,
                    cnes,
                    professional,
                    accident,
                    regime,
                    date,
                    consultation_type: kind,
                    table: "22".to_owned(),
                    procedure,
                    value_centavos: value,
                    notes,
                })
            },
        )
}

fn authorization() -> impl Strategy<Value = Authorization> {
    (
        proptest::option::of(latin1_text(20)),
        day(),
        latin1_text(20),
        proptest::option::of(day()),
    )
        .prop_map(|(operator_guide, date, password, valid)| Authorization {
            operator_guide,
            date,
            password: Some(password),
            password_valid_until: valid,
        })
}

fn sadt() -> impl Strategy<Value = Guide> {
    (
        (
            proptest::option::of(latin1_text(20)),
            proptest::option::of(authorization()),
            beneficiary(),
            contractor(),
            latin1_text(70),
            professional(),
        ),
        (
            proptest::option::of(day()),
            pick(&["1", "2"]),
            proptest::option::of(latin1_text(500)),
            contractor(),
            "[0-9]{7}",
        ),
        (
            pick(domains::SERVICE_TYPES),
            pick(domains::ACCIDENTS),
            proptest::option::of(pick(domains::CONSULTATION_TYPES)),
            pick(domains::REGIMES),
        ),
        (
            executed(0..=3, 0, false),
            expenses(0..=3),
            proptest::option::of(latin1_text(500)),
        ),
    )
        .prop_filter("a procedure or an expense", |(_, _, _, (p, e, _))| {
            !p.is_empty() || !e.is_empty()
        })
        .prop_map(
            |(
                (main_guide, authorization, beneficiary, requester, requester_name, requesting_professional),
                (request_date, character, clinical_indication, executor, cnes),
                (service_type, accident, consultation_type, regime),
                (procedures, expenses, notes),
            )| {
                let expenses = number_expenses(procedures.len(), expenses);
                Guide::SpSadt(SadtGuide {
                    number: String::new(),
                    main_guide,
                    authorization,
                    beneficiary,
                    requester,
                    requester_name,
                    requesting_professional,
                    request_date,
                    character,
                    clinical_indication,
                    executor,
                    cnes,
                    service_type,
                    accident,
                    consultation_type,
                    regime,
                    procedures,
                    expenses,
                    notes,
                })
            },
        )
}

fn honorarios() -> impl Strategy<Value = Guide> {
    (
        (
            latin1_text(20),
            proptest::option::of(latin1_text(20)),
            proptest::option::of(latin1_text(20)),
            beneficiary(),
        ),
        (
            prop_oneof![
                latin1_text(14).prop_map(SiteCode::OperatorCode),
                "[0-9]{14}".prop_map(SiteCode::Cnpj)
            ],
            latin1_text(70),
            "[0-9]{7}",
            latin1_text(14),
            "[0-9]{7}",
        ),
        (
            day(),
            0i64..60,
            executed(1..=3, 1, true),
            proptest::option::of(latin1_text(500)),
            day(),
        ),
    )
        .prop_map(
            |(
                (hospitalisation_guide, password, operator_guide, beneficiary),
                (site, site_name, site_cnes, executor_code, executor_cnes),
                (start, days, procedures, notes, issued),
            )| {
                Guide::Honorarios(HonorariosGuide {
                    number: String::new(),
                    hospitalisation_guide,
                    password,
                    operator_guide,
                    beneficiary,
                    site,
                    site_name,
                    site_cnes,
                    executor_code,
                    executor_cnes,
                    billing_start: start,
                    billing_end: start.checked_add(jiff::Span::new().days(days)).expect("date"),
                    procedures,
                    notes,
                    issued,
                })
            },
        )
}

/// 1 to 5 distinct faces, in any order.
fn faces() -> impl Strategy<Value = String> {
    proptest::sample::subsequence(vec!['O', 'L', 'M', 'V', 'D', 'I', 'P'], 1..=5)
        .prop_shuffle()
        .prop_map(|f| f.into_iter().collect())
}

fn odonto() -> impl Strategy<Value = Guide> {
    let item = (
        procedure(),
        prop_oneof![
            Just(None),
            pick(domains::TEETH).prop_map(|t| Some(ToothOrRegion::Tooth(t))),
            pick(domains::REGIONS).prop_map(|r| Some(ToothOrRegion::Region(r))),
        ],
        faces(),
        1u32..=99,
        0i64..=1_000_000,
        proptest::option::of(0i64..=1_000_000),
        any::<bool>(),
        day(),
    );
    (
        (
            proptest::option::of(latin1_text(20)),
            proptest::option::of(latin1_text(20)),
            beneficiary(),
            latin1_text(40),
        ),
        (
            latin1_text(14),
            latin1_text(70),
            latin1_text(15),
            pick(domains::UFS),
            "[0-9]{7}",
            pick(domains::CBOS),
        ),
        proptest::collection::vec(item, 1..=4),
        (
            proptest::option::of(day()),
            pick(&["1", "2", "3", "4", "5"]),
            pick(&["1", "4"]),
            proptest::option::of(latin1_text(500)),
        ),
    )
        .prop_map(
            |(
                (main_guide, operator_guide, beneficiary, plan),
                (code, name, cro, uf, cnes, cbo),
                items,
                (treatment_end, service_type, billing_type, notes),
            )| {
                let items = items
                    .into_iter()
                    .enumerate()
                    .map(
                        |(i, (procedure, tooth, faces, quantity, unit, franchise, authorized, date))| {
                            let faces = matches!(tooth, Some(ToothOrRegion::Tooth(_))).then_some(faces);
                            OdontoItem {
                                sequence: u16::try_from(i + 1).expect("few items"),
                                procedure,
                                tooth,
                                faces,
                                quantity,
                                unit_centavos: unit,
                                franchise_centavos: franchise,
                                authorized,
                                date,
                            }
                        },
                    )
                    .collect();
                Guide::Odonto(OdontoGuide {
                    number: String::new(),
                    main_guide,
                    operator_guide,
                    beneficiary,
                    plan,
                    executor: OdontoExecutor {
                        code,
                        name,
                        cro,
                        uf,
                        cnes,
                        cbo,
                    },
                    items,
                    treatment_end,
                    service_type,
                    billing_type,
                    notes,
                })
            },
        )
}

fn internacao() -> impl Strategy<Value = Guide> {
    (
        (
            latin1_text(20),
            authorization(),
            beneficiary(),
            contractor(),
            "[0-9]{7}",
        ),
        (
            pick(&["1", "2"]),
            pick(&["1", "2", "3", "4"]),
            day(),
            time(),
            0i64..90 * 24 * 60,
            pick(&["1", "2", "3", "4", "5"]),
            pick(&["1", "2", "3"]),
        ),
        (
            proptest::collection::vec("[A-TV-Z][0-9]{2}[0-9]?", 0..=4),
            pick(domains::ACCIDENTS),
            pick(domains::DISCHARGE_REASONS),
        ),
        (
            executed(0..=3, 0, true),
            expenses(0..=3),
            proptest::option::of(latin1_text(500)),
        ),
    )
        .prop_filter("a procedure or an expense", |(_, _, _, (p, e, _))| {
            !p.is_empty() || !e.is_empty()
        })
        .prop_map(
            |(
                (request_guide, authorization, beneficiary, executor, cnes),
                (character, billing_type, day, at, minutes, kind, regime),
                (diagnoses, accident, discharge_reason),
                (procedures, expenses, notes),
            )| {
                let start = day.to_datetime(at);
                let end = start
                    .checked_add(jiff::Span::new().minutes(minutes))
                    .expect("date");
                let expenses = number_expenses(procedures.len(), expenses);
                Guide::ResumoInternacao(InternacaoGuide {
                    number: String::new(),
                    request_guide,
                    authorization,
                    beneficiary,
                    executor,
                    cnes,
                    character,
                    billing_type,
                    billing_start: start,
                    billing_end: end,
                    hospitalisation_type: kind,
                    hospitalisation_regime: regime,
                    diagnoses,
                    accident,
                    discharge_reason,
                    procedures,
                    expenses,
                    notes,
                })
            },
        )
}

fn set_number(guide: &mut Guide, number: String) {
    match guide {
        Guide::Consulta(g) => g.number = number,
        Guide::SpSadt(g) => g.number = number,
        Guide::Honorarios(g) => g.number = number,
        Guide::Odonto(g) => g.number = number,
        Guide::ResumoInternacao(g) => g.number = number,
    }
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

/// Generates `cases` lotes of guides from `guide`, and checks each against the schema and
/// its own hash.
fn lotes_pass_the_schema(kind: GuideKind, guide: impl Strategy<Value = Guide>, cases: u32) {
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let lotes = (
        proptest::collection::vec(guide, 1..=6),
        any::<bool>(),
        1u64..999_999_999_999,
        "[A-Za-z0-9]{0,12}",
    );
    runner
        .run(&lotes, |(mut guides, latin1, number, suffix)| {
            for (i, g) in guides.iter_mut().enumerate() {
                prop_assert_eq!(g.kind(), kind);
                set_number(g, format!("{}{suffix}", i + 1));
            }
            let input = if latin1 {
                HashInput::Latin1
            } else {
                HashInput::Utf8
            };
            let bytes = lote(&header(number, input), &guides)
                .map_err(|e| TestCaseError::fail(format!("refused legal input: {e}")))?;
            check_schema(&bytes).map_err(|e| TestCaseError::fail(format!("{e}: {e:?}")))?;
            let h = message_hashes(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(h.matches, Some(if latin1 { "iso_8859_1" } else { "utf8" }));
            Ok(())
        })
        .unwrap();
}

#[test]
fn generated_consulta_lotes_pass_the_official_schema() {
    lotes_pass_the_schema(GuideKind::Consulta, consulta(), 30);
}

#[test]
fn generated_sp_sadt_lotes_pass_the_official_schema() {
    lotes_pass_the_schema(GuideKind::SpSadt, sadt(), 30);
}

#[test]
fn generated_honorarios_lotes_pass_the_official_schema() {
    lotes_pass_the_schema(GuideKind::Honorarios, honorarios(), 30);
}

#[test]
fn generated_odonto_lotes_pass_the_official_schema() {
    lotes_pass_the_schema(GuideKind::Odonto, odonto(), 30);
}

#[test]
fn generated_resumo_internacao_lotes_pass_the_official_schema() {
    lotes_pass_the_schema(GuideKind::ResumoInternacao, internacao(), 30);
}

/// A lote of 100 SP/SADT guides with every text field at its maximum length.
pub fn full_sadt_lote() -> Vec<Guide> {
    let long = |n: usize| "Ç".repeat(n);
    let member = TeamMember {
        participation: Some("12".to_owned()),
        code: ProfessionalCode::Cpf("12345678909".to_owned()),
        professional: TissProfessional {
            name: long(70),
            council: "06".to_owned(),
            council_number: long(15),
            uf: "98".to_owned(),
            cbo: "999999".to_owned(),
        },
    };
    let procedure = ExecutedProcedure {
        sequence: 1,
        date: jiff::civil::date(2026, 2, 28),
        start: Some(jiff::civil::time(8, 0, 0, 0)),
        end: Some(jiff::civil::time(9, 30, 0, 0)),
        procedure: Procedure {
            table: "22".to_owned(),
            code: "40301630".to_owned(),
            description: long(150),
        },
        quantity: 999,
        access_route: Some("1".to_owned()),
        technique: Some("3".to_owned()),
        factor_hundredths: 999,
        unit_centavos: 10_000,
        team: vec![member.clone(), member],
    };
    let expense = Expense {
        sequence: 2,
        kind: "08".to_owned(),
        date: jiff::civil::date(2026, 2, 28),
        item: Procedure {
            table: "19".to_owned(),
            code: "70000000".to_owned(),
            description: long(150),
        },
        quantity_ten_thousandths: 9_999_999,
        unit_of_measure: "061".to_owned(),
        factor_hundredths: 999,
        unit_centavos: 10_000,
        anvisa: Some(long(15)),
        linked_item: Some(1),
    };
    (0..MAX_GUIDES)
        .map(|i| {
            Guide::SpSadt(SadtGuide {
                number: format!("{:020}", i + 1),
                main_guide: Some(long(20)),
                authorization: Some(Authorization {
                    operator_guide: Some(long(20)),
                    date: jiff::civil::date(2026, 2, 1),
                    password: Some(long(20)),
                    password_valid_until: Some(jiff::civil::date(2026, 3, 1)),
                }),
                beneficiary: Beneficiary {
                    card: long(20),
                    newborn: true,
                },
                requester: Contractor::OperatorCode(long(14)),
                requester_name: long(70),
                requesting_professional: TissProfessional {
                    name: long(70),
                    council: "15".to_owned(),
                    council_number: long(15),
                    uf: "53".to_owned(),
                    cbo: "225125".to_owned(),
                },
                request_date: Some(jiff::civil::date(2026, 2, 27)),
                character: "2".to_owned(),
                clinical_indication: Some(long(500)),
                executor: Contractor::Cnpj("12345678000195".to_owned()),
                cnes: "9999999".to_owned(),
                service_type: "23".to_owned(),
                accident: "0".to_owned(),
                consultation_type: Some("4".to_owned()),
                regime: "05".to_owned(),
                procedures: vec![procedure.clone()],
                expenses: vec![expense.clone()],
                notes: Some(long(500)),
            })
        })
        .collect()
}

#[test]
fn a_full_lote_of_maximum_length_fields_passes_the_official_schema() {
    let guides = full_sadt_lote();
    let bytes = lote(&header(999_999_999_999, HashInput::Utf8), &guides).unwrap();
    check_schema(&bytes).unwrap();
    // The schema itself refuses a 101st guide: the generator refuses first.
    let mut more = guides.clone();
    let mut extra = more[0].clone();
    set_number(&mut extra, "extra".to_owned());
    more.push(extra);
    assert_eq!(
        lote(&header(1, HashInput::Utf8), &more).unwrap_err().code(),
        "tiss.too_many_guides"
    );
}

#[test]
fn the_fixture_lote_passes_the_vendored_schema_and_a_broken_one_does_not() {
    check_schema(include_bytes!(
        "../../shared-model/src/billing/tiss/testdata/consulta.xml"
    ))
    .unwrap();
    let broken = b"<?xml version=\"1.0\"?><ans:mensagemTISS xmlns:ans=\"http://www.ans.gov.br/padroes/tiss/schemas\"/>";
    match check_schema(broken) {
        Err(XsdError::Invalid(issues)) => assert!(!issues.is_empty()),
        other => panic!("expected a schema error, got {other:?}"),
    }
    // A value the schema refuses is reported by line and element, without the value.
    let fixture: Vec<u8> = include_bytes!("../../shared-model/src/billing/tiss/testdata/consulta.xml")
        .iter()
        .map(|&b| char::from(b))
        .collect::<String>()
        .replace("<ans:UF>35</ans:UF>", "<ans:UF>SP</ans:UF>")
        .chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap())
        .collect();
    match check_schema(&fixture) {
        Err(XsdError::Invalid(issues)) => {
            assert_eq!(issues[0].element.as_deref(), Some("UF"), "{issues:?}");
            assert!(issues[0].line.is_some());
            assert!(!issues[0].rule.contains("'SP'"), "{issues:?}");
        }
        other => panic!("expected a schema error, got {other:?}"),
    }
}

/// Bad input the issue names: each a clear error naming the field, nothing written.
#[test]
fn bad_guides_are_refused_by_field() {
    let mut guides = full_sadt_lote();
    guides.truncate(2);
    let Guide::SpSadt(base) = guides[0].clone() else {
        unreachable!()
    };
    let h = header(7, HashInput::Utf8);
    let refuse = |g: SadtGuide| lote(&h, &[Guide::SpSadt(g)]).unwrap_err();

    let err = refuse(SadtGuide {
        executor: Contractor::Cnpj("12ABC34501DE35".to_owned()),
        ..base.clone()
    });
    assert_eq!(err.code(), "tiss.alphanumeric_cnpj");
    assert!(
        err.to_string()
            .contains("guia[1].contratadoExecutante.cnpjContratado"),
        "{err}"
    );

    let err = refuse(SadtGuide {
        beneficiary: Beneficiary {
            card: String::new(),
            newborn: false,
        },
        ..base.clone()
    });
    assert!(
        err.to_string()
            .contains("guia[1].dadosBeneficiario.numeroCarteira"),
        "{err}"
    );

    let mut unknown = base.clone();
    unknown.procedures[0].procedure.code = "4030163".to_owned();
    let err = refuse(unknown);
    assert!(
        err.to_string()
            .contains("procedimentosExecutados[1].procedimento.codigoProcedimento"),
        "{err}"
    );

    let mut dangling = base.clone();
    dangling.expenses[0].linked_item = Some(9);
    assert!(
        refuse(dangling)
            .to_string()
            .contains("outrasDespesas[1].itemVinculado")
    );

    let mut repeated = base.clone();
    repeated.expenses[0].sequence = 1;
    assert!(refuse(repeated).to_string().contains("sequencialItem"));

    let empty = SadtGuide {
        procedures: vec![],
        expenses: vec![],
        ..base.clone()
    };
    assert!(refuse(empty).to_string().contains("procedimentosExecutados"));

    let mixed = vec![
        guides[0].clone(),
        Guide::Consulta(ConsultaGuide {
            number: "C1".to_owned(),
            beneficiary: base.beneficiary.clone(),
            executor: Contractor::OperatorCode("1".to_owned()),
            cnes: "1234567".to_owned(),
            professional: base.requesting_professional.clone(),
            accident: "9".to_owned(),
            regime: "01".to_owned(),
            date: jiff::civil::date(2026, 1, 1),
            consultation_type: "1".to_owned(),
            table: "22".to_owned(),
            procedure: "10101012".to_owned(),
            value_centavos: 1,
            notes: None,
        }),
    ];
    let err = lote(&h, &mixed).unwrap_err();
    assert_eq!(err.code(), "tiss.mixed_guide_types");
    assert!(err.to_string().contains("Guia de Consulta"), "{err}");
}

#[test]
fn odonto_faces_teeth_and_regions_are_checked() {
    let mut runner = TestRunner::new(Config {
        cases: 1,
        failure_persistence: None,
        ..Config::default()
    });
    let tree = odonto().new_tree(&mut runner).unwrap();
    let Guide::Odonto(mut g) = tree.current() else {
        unreachable!()
    };
    g.number = "O1".to_owned();
    g.items.truncate(1);
    g.items[0].tooth = Some(ToothOrRegion::Tooth("36".to_owned()));
    let h = header(8, HashInput::Utf8);
    for (faces, ok) in [
        ("OM", true),
        ("OLMVD", true),
        ("om", false),
        ("OO", false),
        ("X", false),
        ("OLMVDI", false),
    ] {
        g.items[0].faces = Some(faces.to_owned());
        let result = lote(&h, &[Guide::Odonto(g.clone())]);
        assert_eq!(result.is_ok(), ok, "{faces}: {result:?}");
        if let Ok(bytes) = result {
            check_schema(&bytes).unwrap();
        }
    }
    for (tooth, ok) in [
        ("11", true),
        ("19", true),
        ("85", true),
        ("89", true),
        ("10", false),
        ("56", false),
        ("90", false),
    ] {
        g.items[0].faces = None;
        g.items[0].tooth = Some(ToothOrRegion::Tooth(tooth.to_owned()));
        assert_eq!(lote(&h, &[Guide::Odonto(g.clone())]).is_ok(), ok, "{tooth}");
    }
    g.items[0].tooth = Some(ToothOrRegion::Region("ZZ".to_owned()));
    assert!(
        lote(&h, &[Guide::Odonto(g)])
            .unwrap_err()
            .to_string()
            .contains("codRegiao")
    );
}

/// The SP/SADT guide of the notes' §8.2 sample: a physiotherapy session ×2 and an electrode.
fn physiotherapy_guide() -> SadtGuide {
    let professional = TissProfessional {
        name: "José Araújo".to_owned(),
        council: "05".to_owned(),
        council_number: "123456-F".to_owned(),
        uf: "35".to_owned(),
        cbo: "223605".to_owned(),
    };
    SadtGuide {
        number: "2".to_owned(),
        main_guide: None,
        authorization: None,
        beneficiary: Beneficiary {
            card: "0001234500012".to_owned(),
            newborn: false,
        },
        requester: Contractor::OperatorCode("123456".to_owned()),
        requester_name: "Clínica Exemplo Ltda".to_owned(),
        requesting_professional: professional.clone(),
        request_date: None,
        character: "1".to_owned(),
        clinical_indication: None,
        executor: Contractor::OperatorCode("123456".to_owned()),
        cnes: "1234567".to_owned(),
        service_type: "03".to_owned(),
        accident: "9".to_owned(),
        consultation_type: None,
        regime: "01".to_owned(),
        procedures: vec![ExecutedProcedure {
            sequence: 1,
            date: jiff::civil::date(2024, 5, 9),
            start: None,
            end: None,
            procedure: Procedure {
                table: "22".to_owned(),
                code: "20103069".to_owned(),
                description: "Sessão de fisioterapia".to_owned(),
            },
            quantity: 2,
            access_route: None,
            technique: None,
            factor_hundredths: 100,
            unit_centavos: 4_000,
            team: vec![TeamMember {
                participation: None,
                code: ProfessionalCode::OperatorCode("77".to_owned()),
                professional,
            }],
        }],
        expenses: vec![Expense {
            sequence: 2,
            kind: "03".to_owned(),
            date: jiff::civil::date(2024, 5, 9),
            item: Procedure {
                table: "19".to_owned(),
                code: "70000000".to_owned(),
                description: "Eletrodo descartável".to_owned(),
            },
            quantity_ten_thousandths: 10_000,
            unit_of_measure: "036".to_owned(),
            factor_hundredths: 100,
            unit_centavos: 1_250,
            anvisa: None,
            linked_item: Some(1),
        }],
        notes: None,
    }
}

fn clinic_at_operator() -> shared_model::billing::tiss::ExpectedParties {
    shared_model::billing::tiss::ExpectedParties {
        registro_ans: "123456".to_owned(),
        provider_code: "123456".to_owned(),
        provider_document: None,
    }
}

/// Round trip: a lote we generate, the operator's demonstrativo for it (a file built from the
/// XSD, checked against it), its glosas attached to the lote's items, and the recurso for them,
/// which passes the schema too.
#[test]
fn a_demonstrativo_s_glosas_attach_to_the_lote_and_the_recurso_passes_the_schema() {
    use shared_model::billing::tiss::{
        ContestedGuide, ContestedItem, GlosaLevel, GuideContest, Recurso, RecursoObject, parse_return,
        recurso_glosa,
    };
    let guide = physiotherapy_guide();
    let header = LoteHeader {
        transaction: 2,
        lote: 2,
        made_at: jiff::civil::date(2024, 5, 10).at(14, 30, 0, 0),
        provider_code: "123456".to_owned(),
        registro_ans: "123456".to_owned(),
        hash_input: HashInput::Utf8,
    };
    let sent = lote(&header, &[Guide::SpSadt(guide.clone())]).unwrap();
    check_schema(&sent).unwrap();

    let file = include_bytes!("../../shared-model/src/billing/tiss/testdata/retorno-demonstrativo.xml");
    check_schema(file).unwrap();
    let analysis = parse_return(file, &clinic_at_operator()).unwrap();
    let glosas = analysis.glosas("2");
    assert_eq!(glosas.len(), 2);

    // Each glosa names an item of the guide we sent, for no more than the item's total.
    let mut contested = Vec::new();
    for g in &glosas {
        assert_eq!(
            (g.level, g.lote.as_str(), g.guide.as_deref()),
            (GlosaLevel::Item, "2", Some("2"))
        );
        let sequence = g.item.unwrap();
        let (procedure, total, date) =
            if let Some(p) = guide.procedures.iter().find(|p| p.sequence == sequence) {
                (p.procedure.clone(), p.total_centavos(), p.date)
            } else {
                let e = guide
                    .expenses
                    .iter()
                    .find(|e| e.sequence == sequence)
                    .expect("the glosa's item is in the guide");
                (e.item.clone(), e.total_centavos(), e.date)
            };
        assert!(g.centavos.unwrap() <= total);
        contested.push(ContestedItem {
            sequence,
            start: date,
            end: None,
            procedure,
            participation: None,
            glosa_code: g.code.clone(),
            centavos: g.centavos.unwrap(),
            justification: "Procedimento autorizado e realizado conforme pedido médico; segue laudo em anexo."
                .to_owned(),
            tooth: None,
            faces: None,
            quantity: 1,
        });
    }
    let recurso = Recurso {
        transaction: 3,
        made_at: jiff::civil::date(2024, 6, 10).at(10, 0, 0, 0),
        provider_code: "123456".to_owned(),
        registro_ans: "123456".to_owned(),
        hash_input: HashInput::Latin1,
        number: "R-1".to_owned(),
        operator_name: "Saúde Exemplo Operadora S.A.".to_owned(),
        contractor: Contractor::OperatorCode("123456".to_owned()),
        lote: "2".to_owned(),
        protocol: "202405000123".to_owned(),
        object: RecursoObject::Guides(vec![ContestedGuide {
            number: "2".to_owned(),
            operator_guide: Some("OP-2024-77".to_owned()),
            password: None,
            contest: GuideContest::Items(contested),
        }]),
        date: jiff::civil::date(2024, 6, 10),
        dental: false,
    };
    assert_eq!(recurso.total_centavos(), 3_250);
    let bytes = recurso_glosa(&recurso).unwrap();
    check_schema(&bytes).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("<ans:valorTotalRecursado>32.50</ans:valorTotalRecursado>"));
    assert!(text.contains("<ans:tipoTransacao>RECURSO_GLOSA</ans:tipoTransacao>"));
    assert_eq!(message_hashes(&bytes).unwrap().matches, Some("iso_8859_1"));

    // Whole-protocol and whole-guide recursos pass too.
    for object in [
        RecursoObject::Protocol {
            glosa_code: "1705".to_owned(),
            justification: "Valores conforme tabela contratada.".to_owned(),
            centavos: 3_250,
        },
        RecursoObject::Guides(vec![ContestedGuide {
            number: "2".to_owned(),
            operator_guide: None,
            password: None,
            contest: GuideContest::Whole(vec![shared_model::billing::tiss::ContestedGuideGlosa {
                glosa_code: "2001".to_owned(),
                justification: "Material previsto no contrato, cláusula 4ª.".to_owned(),
                centavos: 1_250,
            }]),
        }]),
    ] {
        let bytes = recurso_glosa(&Recurso {
            object,
            ..recurso.clone()
        })
        .unwrap();
        check_schema(&bytes).unwrap();
    }

    // TISS 4.01.00 wants the protocol number numeric in a recurso; an operator's "P2024000124"
    // is refused by name before anything is written.
    let err = recurso_glosa(&Recurso {
        protocol: "P2024000124".to_owned(),
        ..recurso.clone()
    })
    .unwrap_err();
    assert!(err.to_string().contains("recursoGlosa.numeroProtocolo"), "{err}");
    let err = recurso_glosa(&Recurso {
        object: RecursoObject::Protocol {
            glosa_code: "9999".to_owned(),
            justification: "x".to_owned(),
            centavos: 1,
        },
        ..recurso
    })
    .unwrap_err();
    assert!(err.to_string().contains("codigoGlosaProtocolo"), "{err}");
}

/// Return files that do not follow the XSD, or are addressed to someone else, are refused.
#[test]
fn bad_return_files_are_refused() {
    use shared_model::billing::tiss::parse_return;
    for name in [
        "retorno-protocolo.xml",
        "retorno-lote-recusado.xml",
        "retorno-demonstrativo.xml",
    ] {
        let path = format!(
            "{}/../shared-model/src/billing/tiss/testdata/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let bytes = std::fs::read(path).unwrap();
        check_schema(&bytes).unwrap();
        parse_return(&bytes, &clinic_at_operator()).unwrap();
    }
    let file = include_bytes!("../../shared-model/src/billing/tiss/testdata/retorno-demonstrativo.xml");
    let broken: Vec<u8> = file
        .iter()
        .map(|&b| char::from(b))
        .collect::<String>()
        .replace("<ans:situacaoGuia>3</ans:situacaoGuia>", "")
        .chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap())
        .collect();
    match check_schema(&broken) {
        Err(XsdError::Invalid(issues)) => assert!(issues.iter().any(|i| i.line.is_some()), "{issues:?}"),
        other => panic!("expected a schema error, got {other:?}"),
    }
    let err = parse_return(&broken, &clinic_at_operator()).unwrap_err();
    assert_eq!(err.code(), "tiss.return_field");
    let other = shared_model::billing::tiss::ExpectedParties {
        provider_code: "654321".to_owned(),
        ..clinic_at_operator()
    };
    assert_eq!(
        parse_return(file, &other).unwrap_err().code(),
        "tiss.return_other_party"
    );
}

/// The CLI against a standalone replica (issue 6, point 6): the demo clinic's operators, a lote
/// of its completed health-plan consultations that passes the schema, numbering that never
/// repeats, previews that consume nothing, and `tiss validate` on good and bad files.
#[test]
fn cli_writes_numbered_lotes_from_the_replica_and_validates_files() {
    use atendebem_e2e::{Replica, failure, json, stdout};
    let replica = Replica::init();
    replica.ok(&["demo", "--patients", "80", "--months", "2"]);
    let operators = json(&replica.run(&["--json", "tiss", "operator", "list"]));
    let operators = operators.as_array().expect("operators").clone();
    assert_eq!(operators.len(), 4, "{operators:?}");

    let today = atendebem_e2e::today();
    let from = today.checked_sub(jiff::Span::new().days(70)).unwrap().to_string();
    let to = today.to_string();
    let out = replica.scratch("lote.xml");
    let out_text = out.to_str().unwrap().to_owned();
    // The operator with the most billed work: try each until one has appointments to bill.
    let mut first = None;
    for o in &operators {
        let ans = o["registro_ans"].as_str().unwrap().to_owned();
        let run = replica.run(&[
            "--json", "tiss", "lote", "--ans", &ans, "--from", &from, "--to", &to, "--out", &out_text,
        ]);
        if run.status.success() {
            first = Some((ans, json(&run)));
            break;
        }
        assert_eq!(failure(&run).code, "billing.nothing_to_bill", "{}", stdout(&run));
    }
    let (ans, written) = first.expect("the demo bills some operator");
    assert_eq!(written["numero_lote"], 1);
    assert_eq!(written["preview"], false);
    let count = written["guide_count"].as_u64().unwrap();
    assert!((1..=100).contains(&count), "{written}");
    let bytes = std::fs::read(&out).unwrap();
    check_schema(&bytes).expect("the replica's lote passes the XSD");
    assert_eq!(
        message_hashes(&bytes).unwrap().declared.as_deref(),
        written["hash"].as_str()
    );
    let valid = replica.run(&["--json", "tiss", "validate", &out_text]);
    assert!(valid.status.success(), "{}", stdout(&valid));
    assert_eq!(json(&valid)["schema_valid"], true);

    // A preview numbers nothing; the next real lote takes number 2 or there is nothing left.
    let preview = replica.run(&[
        "--json",
        "tiss",
        "lote",
        "--ans",
        &ans,
        "--from",
        &from,
        "--to",
        &to,
        "--out",
        &out_text,
        "--preview",
    ]);
    let second = replica.run(&[
        "--json", "tiss", "lote", "--ans", &ans, "--from", &from, "--to", &to, "--out", &out_text,
    ]);
    if written["remaining"].as_u64().unwrap() > 0 {
        assert_eq!(json(&preview)["numero_lote"], 1);
        assert_eq!(json(&second)["numero_lote"], 2);
    } else {
        assert_eq!(failure(&preview).code, "billing.nothing_to_bill");
        assert_eq!(failure(&second).code, "billing.nothing_to_bill");
    }

    // Support: a file whose content changed after hashing, and one the schema refuses.
    let text: String = bytes.iter().map(|&b| char::from(b)).collect();
    let declared = written["hash"].as_str().unwrap();
    let tampered = text.replace(declared, &"0".repeat(32));
    let file = replica.scratch("alterado.xml");
    std::fs::write(
        &file,
        tampered
            .chars()
            .map(|c| u8::try_from(u32::from(c)).unwrap())
            .collect::<Vec<u8>>(),
    )
    .unwrap();
    let run = replica.run(&["--json", "tiss", "validate", file.to_str().unwrap()]);
    assert_eq!(failure(&run).code, "tiss.hash_mismatch");
    assert_eq!(json(&run)["schema_valid"], true);
    let run = replica.run(&["tiss", "validate", file.to_str().unwrap()]);
    assert!(!run.status.success());
    assert!(
        stdout(&run).contains("schema TISS 4.01.00: confere"),
        "{}",
        stdout(&run)
    );
    let broken = text.replacen("<ans:UF>", "<ans:UF>9", 1);
    std::fs::write(
        &file,
        broken
            .chars()
            .map(|c| u8::try_from(u32::from(c)).unwrap())
            .collect::<Vec<u8>>(),
    )
    .unwrap();
    let run = replica.run(&["--json", "tiss", "validate", file.to_str().unwrap()]);
    assert_eq!(failure(&run).code, "tiss.schema_invalid");
    assert_eq!(json(&run)["issues"][0]["element"], "UF");
    let run = replica.run(&["tiss", "validate", file.to_str().unwrap()]);
    assert!(stdout(&run).contains("elemento UF"), "{}", stdout(&run));

    // A written lote's file can be written again, byte for byte as recorded.
    let again = replica.scratch("lote-1-de-novo.xml");
    replica.ok(&[
        "tiss",
        "xml",
        "--ans",
        &ans,
        "--lote",
        "1",
        "--out",
        again.to_str().unwrap(),
    ]);
    assert_eq!(std::fs::read(&again).unwrap(), bytes);

    // The replica lists what it would bill, its lotes, and records the sending once.
    let listed = json(&replica.run(&["--json", "tiss", "lotes", "--ans", &ans]));
    assert_eq!(listed[0]["numero_lote"], 1);
    assert!(listed[0]["sent_at_ms"].is_null());
    replica.ok(&["tiss", "sent", "--ans", &ans, "--lote", "1"]);
    let again = replica.run(&["--json", "tiss", "sent", "--ans", &ans, "--lote", "1"]);
    assert_eq!(failure(&again).code, "billing.lote_unknown_or_sent");
    let pending = json(&replica.run(&[
        "--json", "tiss", "items", "--ans", &ans, "--from", &from, "--to", &to,
    ]));
    // The second lote above took up to 100 of what the first left.
    let left = written["remaining"].as_u64().unwrap().saturating_sub(100);
    assert_eq!(pending.as_array().unwrap().len() as u64, left);

    // The operator's returns, built from the XSD-checked fixtures and addressed to this clinic:
    // a demonstrativo denying guide 1 of lote 1, and a refusal of the lote on receipt.
    let fixture = |name: &str| -> String {
        std::fs::read(format!(
            "{}/../shared-model/src/billing/tiss/testdata/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
        .iter()
        .map(|&b| char::from(b))
        .collect::<String>()
        .replace(
            "<ans:registroANS>123456</ans:registroANS>",
            &format!("<ans:registroANS>{ans}</ans:registroANS>"),
        )
        .replace(
            "<ans:codigoPrestadorNaOperadora>123456</ans:codigoPrestadorNaOperadora>",
            &format!("<ans:codigoPrestadorNaOperadora>AB{ans}</ans:codigoPrestadorNaOperadora>"),
        )
    };
    let latin1 = |text: String| -> Vec<u8> {
        text.chars()
            .map(|c| u8::try_from(u32::from(c)).unwrap())
            .collect()
    };
    let demonstrativo = fixture("retorno-demonstrativo.xml");
    let start = demonstrativo
        .find("<ans:detalhesGuia>\n                <ans:sequencialItem>2")
        .unwrap();
    let end =
        start + demonstrativo[start..].find("</ans:detalhesGuia>").unwrap() + "</ans:detalhesGuia>".len();
    let demonstrativo = format!("{}{}", &demonstrativo[..start], &demonstrativo[end..])
        .replace("<ans:numeroLotePrestador>2<", "<ans:numeroLotePrestador>1<")
        .replace("<ans:numeroGuiaPrestador>2<", "<ans:numeroGuiaPrestador>1<");
    let file = replica.scratch("demonstrativo.xml");
    std::fs::write(&file, latin1(demonstrativo)).unwrap();
    let imported = replica.run(&["--json", "tiss", "return", file.to_str().unwrap(), "--ans", &ans]);
    assert!(imported.status.success(), "{}", atendebem_e2e::stderr(&imported));
    let glosas = json(&imported);
    assert_eq!(glosas[0]["code"], "1705");
    assert_eq!(glosas[0]["numero_lote"], 1);
    assert_eq!(glosas[0]["guide_number"], "1");
    assert!(
        glosas[0]["appointment_id"]
            .as_str()
            .is_some_and(|id| id.len() == 36),
        "{glosas}"
    );
    let twice = replica.run(&["--json", "tiss", "return", file.to_str().unwrap(), "--ans", &ans]);
    assert_eq!(failure(&twice).code, "billing.return_duplicate");
    let refused = replica.scratch("recusado.xml");
    std::fs::write(&refused, latin1(fixture("retorno-lote-recusado.xml"))).unwrap();
    let run = replica.run(&[
        "--json",
        "tiss",
        "return",
        refused.to_str().unwrap(),
        "--ans",
        &ans,
    ]);
    assert_eq!(failure(&run).code, "billing.return_needs_lote");
    let run = replica.run(&[
        "--json",
        "tiss",
        "return",
        refused.to_str().unwrap(),
        "--ans",
        &ans,
        "--lote",
        "1",
    ]);
    assert_eq!(json(&run)[0]["code"], "5014");
    // A return for another clinic's code is refused before anything is stored.
    let other = replica.scratch("outra.xml");
    std::fs::write(
        &other,
        latin1(fixture("retorno-protocolo.xml").replace(&format!("AB{ans}"), "ZZ999")),
    )
    .unwrap();
    let run = replica.run(&["--json", "tiss", "return", other.to_str().unwrap(), "--ans", &ans]);
    assert_eq!(failure(&run).code, "tiss.return_other_party");

    // Bad operator input is named; nothing changes.
    let run = replica.run(&[
        "--json",
        "tiss",
        "operator",
        "set",
        "--ans",
        &ans,
        "--name",
        "X",
        "--provider-code",
        "1",
        "--cnes",
        "1234567",
        "--price",
        "10101012=cento e vinte=Consulta",
    ]);
    assert_eq!(failure(&run).code, "money.format");
    let run = replica.run(&[
        "--json",
        "tiss",
        "operator",
        "set",
        "--ans",
        "12345",
        "--name",
        "X",
        "--provider-code",
        "1",
        "--cnes",
        "1234567",
    ]);
    assert_eq!(failure(&run).code, "health_plan.operator_ans_invalid");
    let after = json(&replica.run(&["--json", "tiss", "operator", "list"]));
    assert_eq!(after.as_array().unwrap().len(), 4);
}

/// Guides built from billable items (issue 6, point 2), one lote per guide type, each checked
/// against the official schema: consultations, procedures with a material (SP/SADT with
/// `outrasDespesas`), a dentist's work on a tooth (GTO), a surgeon's fees in a hospitalisation
/// (Honorários) and a day-hospital stay (Resumo de Internação).
#[test]
fn guides_built_from_billable_items_pass_the_official_schema() {
    use shared_model::billing::{
        BillableItem, HospitalStay, ItemSource, LoadedLookup, OperatorSettings, PriceEntry, Service,
        TussCode, TussTable, build_guides,
    };
    use shared_model::ids::PatientId;
    use shared_model::registry::{Cbo, HealthPlanCard, NewHealthPlanCard, NewProfessional, Professional};
    use shared_model::values::CouncilRegistration;

    let professional = |name: &str, registration: &str, cbo: &str| {
        Professional::new(NewProfessional {
            user_id: None,
            name: name.to_owned(),
            registration: CouncilRegistration::parse(registration).unwrap(),
            specialties: vec![],
            cbo: Cbo::parse(cbo).unwrap(),
        })
        .unwrap()
    };
    let surgeon = professional("Dr. Antônio Simões", "CRM/MG 45678", "225225");
    let dentist = professional("Dra. Lúcia Peçanha", "CRO/RJ 23456", "223208");
    let card = HealthPlanCard::new(NewHealthPlanCard {
        operator_ans: "326305".to_owned(),
        operator_name: "Saúde Exemplo".to_owned(),
        card_number: "0001234500012".to_owned(),
        plan_name: Some("Apartamento Nacional".to_owned()),
        valid_until: None,
    })
    .unwrap();
    let patient = PatientId::new();
    let mut lookup = LoadedLookup::default();
    lookup.professionals.insert(surgeon.id, surgeon.clone());
    lookup.professionals.insert(dentist.id, dentist.clone());
    lookup.cards.insert(patient, vec![card.clone()]);
    let price = |table: TussTable, code: &str, description: &str, centavos: i64| PriceEntry {
        table,
        code: TussCode::parse(code).unwrap(),
        description: description.to_owned(),
        centavos,
    };
    let operator = OperatorSettings {
        registro_ans: card.operator_ans.clone(),
        name: "Saúde Exemplo Operadora S.A.".to_owned(),
        provider_code: "000123".to_owned(),
        clinic_name: "Clínica São Lucas Ltda".to_owned(),
        cnes: "2077485".to_owned(),
        hash_input: HashInput::Latin1,
        consultation_code: TussCode::parse("10101012").unwrap(),
        prices: vec![
            price(
                TussTable::Procedures,
                "10101012",
                "Consulta em consultório",
                15_000,
            ),
            price(
                TussTable::Procedures,
                "30101012",
                "Procedimento cirúrgico (exemplo)",
                120_000,
            ),
            price(
                TussTable::Procedures,
                "85100196",
                "Restauração em resina (exemplo)",
                9_000,
            ),
            price(TussTable::Materials, "70000000", "Fio de sutura (exemplo)", 1_850),
            price(TussTable::Fees, "60000000", "Taxa de sala (exemplo)", 30_000),
        ],
    };
    let stay = HospitalStay {
        request_guide: "SOL-2026-000381".to_owned(),
        authorized_on: Some(jiff::civil::date(2026, 11, 2)),
        password: Some("A7X2-91".to_owned()),
        site_code: None,
        site_cnpj: Some("11222333000181".to_owned()),
        site_name: Some("Hospital Santa Efigênia".to_owned()),
        site_cnes: Some("2126494".to_owned()),
        start: jiff::civil::date(2026, 11, 3).at(7, 30, 0, 0),
        end: jiff::civil::date(2026, 11, 3).at(18, 0, 0, 0),
        participation: "00".to_owned(),
        character: Some("1".to_owned()),
        kind: Some("2".to_owned()),
        regime: Some("2".to_owned()),
        discharge_reason: Some("11".to_owned()),
        diagnoses: vec!["K40.9".to_owned()],
    };
    let item = |service: Service, table: TussTable, code: &str, who: &Professional, day: i8| BillableItem {
        id: uuid::Uuid::now_v7(),
        source: ItemSource::ChartEntry(uuid::Uuid::now_v7()),
        patient,
        professional: who.id,
        performed_on: jiff::civil::date(2026, 11, day),
        registro_ans: card.operator_ans.clone(),
        card: card.card_number.clone(),
        service,
        table,
        code: TussCode::parse(code).unwrap(),
        quantity: 1,
        tooth: None,
        faces: None,
        hospital: matches!(service, Service::HospitalFees | Service::DayHospital).then(|| stay.clone()),
    };
    let mut filling = item(Service::Dental, TussTable::Procedures, "85100196", &dentist, 5);
    filling.tooth = Some("36".to_owned());
    filling.faces = Some("OM".to_owned());
    let cases: Vec<(GuideKind, Vec<BillableItem>)> = vec![
        (
            GuideKind::Consulta,
            vec![
                item(
                    Service::FirstVisit,
                    TussTable::Procedures,
                    "10101012",
                    &surgeon,
                    1,
                ),
                item(Service::FollowUp, TussTable::Procedures, "10101012", &surgeon, 20),
            ],
        ),
        (
            GuideKind::SpSadt,
            vec![
                item(Service::Procedure, TussTable::Procedures, "30101012", &surgeon, 4),
                item(Service::Procedure, TussTable::Materials, "70000000", &surgeon, 4),
            ],
        ),
        (GuideKind::Odonto, vec![filling]),
        (
            GuideKind::Honorarios,
            vec![item(
                Service::HospitalFees,
                TussTable::Procedures,
                "30101012",
                &surgeon,
                3,
            )],
        ),
        (
            GuideKind::ResumoInternacao,
            vec![
                item(
                    Service::DayHospital,
                    TussTable::Procedures,
                    "30101012",
                    &surgeon,
                    3,
                ),
                item(
                    Service::DayHospital,
                    TussTable::Materials,
                    "70000000",
                    &surgeon,
                    3,
                ),
                item(Service::DayHospital, TussTable::Fees, "60000000", &surgeon, 3),
            ],
        ),
    ];
    let mut number = 0;
    for (n, (kind, items)) in cases.into_iter().enumerate() {
        let built = build_guides(&operator, &items, &lookup, || {
            number += 1;
            number
        })
        .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        assert!(built.iter().all(|b| b.guide.kind() == kind), "{kind:?}");
        let placed: usize = built.iter().map(|b| b.items.len()).sum();
        assert_eq!(placed, items.len(), "{kind:?}: every item in a guide");
        let guides: Vec<Guide> = built.into_iter().map(|b| b.guide).collect();
        let bytes = lote(&header(n as u64 + 1, HashInput::Latin1), &guides).unwrap();
        check_schema(&bytes).unwrap_or_else(|e| panic!("{kind:?}: {e:?}"));
        assert_eq!(message_hashes(&bytes).unwrap().matches, Some("iso_8859_1"));
    }
    // Hospital items need their hospitalisation.
    let mut bare = item(
        Service::HospitalFees,
        TussTable::Procedures,
        "30101012",
        &surgeon,
        3,
    );
    bare.hospital = None;
    let err = build_guides(&operator, &[bare], &lookup, || 1).unwrap_err();
    assert_eq!(err.code(), "billing.hospital_missing");
}

/// A recurso for a GTO is a `guiaRecursoGlosaOdonto`: one glosa for the guide, then each
/// contested procedure with its tooth, faces and quantity. It passes the schema.
#[test]
fn a_dental_recurso_passes_the_official_schema() {
    use shared_model::billing::tiss::{
        ContestedGuide, ContestedGuideGlosa, ContestedItem, GuideContest, Recurso, RecursoObject,
        recurso_glosa,
    };
    let item = |sequence: u16, tooth: Option<ToothOrRegion>, faces: Option<&str>| ContestedItem {
        sequence,
        start: jiff::civil::date(2026, 11, 5),
        end: None,
        procedure: Procedure {
            table: "22".to_owned(),
            code: "85100196".to_owned(),
            description: "Restauração em resina (exemplo)".to_owned(),
        },
        participation: None,
        glosa_code: "1705".to_owned(),
        centavos: 4_500,
        justification: "Valor da tabela contratada, anexo III; radiografia em anexo.".to_owned(),
        tooth,
        faces: faces.map(str::to_owned),
        quantity: 1,
    };
    let recurso = Recurso {
        transaction: 9,
        made_at: jiff::civil::date(2026, 12, 10).at(9, 0, 0, 0),
        provider_code: "000123".to_owned(),
        registro_ans: "326305".to_owned(),
        hash_input: HashInput::Utf8,
        number: "R9".to_owned(),
        operator_name: "Saúde Exemplo Operadora S.A.".to_owned(),
        contractor: Contractor::OperatorCode("000123".to_owned()),
        lote: "3".to_owned(),
        protocol: "202611000777".to_owned(),
        object: RecursoObject::Guides(vec![
            ContestedGuide {
                number: "3".to_owned(),
                operator_guide: None,
                password: None,
                contest: GuideContest::Items(vec![
                    item(1, Some(ToothOrRegion::Tooth("36".to_owned())), Some("OM")),
                    item(2, Some(ToothOrRegion::Region("AS".to_owned())), None),
                ]),
            },
            ContestedGuide {
                number: "4".to_owned(),
                operator_guide: Some("OP-99".to_owned()),
                password: None,
                contest: GuideContest::Whole(vec![ContestedGuideGlosa {
                    glosa_code: "1001".to_owned(),
                    justification: "Carteira válida na data do atendimento.".to_owned(),
                    centavos: 9_000,
                }]),
            },
        ]),
        date: jiff::civil::date(2026, 12, 10),
        dental: true,
    };
    let bytes = recurso_glosa(&recurso).unwrap();
    check_schema(&bytes).unwrap();
    let text: String = bytes.iter().map(|&b| char::from(b)).collect();
    assert!(text.contains("<ans:guiaRecursoGlosaOdonto>"));
    assert!(
        text.contains("<ans:codDente>36</ans:codDente></ans:denteRegiao><ans:denteFace>OM</ans:denteFace>")
    );
    // Faces the return's schema type refuses are refused by name.
    let mut bad = recurso.clone();
    if let RecursoObject::Guides(g) = &mut bad.object {
        g[0].contest = GuideContest::Items(vec![item(
            1,
            Some(ToothOrRegion::Tooth("36".to_owned())),
            Some("OX"),
        )]);
    }
    assert!(recurso_glosa(&bad).unwrap_err().to_string().contains("denteFace"));
}
