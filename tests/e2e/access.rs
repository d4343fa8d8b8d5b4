//! Profiles (NGS1.03.01/02/03): administrative staff never reach clinical content; health
//! professionals do. Checked through the real binary with `--as USER_ID`.

use atendebem_e2e::{Replica, assert_portuguese};

#[test]
fn staff_cannot_read_or_write_the_chart_and_professionals_can() {
    let replica = Replica::init();
    let patient = replica.add_patient("Irene Queiroz", Some("111.444.777-35"));
    let (_, professional) = replica.add_professional("Dr. João Batista", "CRM/MG 998877");
    let staff = replica.add_user("Recepção", "STAFF");
    let users = replica.json(&["user", "list"]);
    let staff_row = users
        .as_array()
        .expect("usuários")
        .iter()
        .find(|u| u["user_id"] == staff.as_str())
        .expect("STAFF");
    assert_eq!(staff_row["name"], "Recepção");
    assert!(staff_row["professional_id"].is_null());

    // The professional writes a note (and may read and export it).
    let note = replica.json(&[
        "--as",
        &professional,
        "note",
        "add",
        "--patient",
        &patient,
        "--text",
        "Sigilo: HAS.",
    ]);
    let note_id = note["id"].as_str().expect("id").to_owned();

    // STAFF: no note add, no chart.
    let before = replica.status()["documents"].clone();
    let failure = replica.fail(&[
        "--as",
        &staff,
        "note",
        "add",
        "--patient",
        &patient,
        "--text",
        "tentativa",
    ]);
    assert_eq!(failure.code, "access.denied");
    assert!(failure.message.contains("acesso negado"), "{}", failure.message);
    assert!(failure.message.contains("prontuário"), "{}", failure.message);
    assert_portuguese(&failure.message);
    let failure = replica.fail(&[
        "--as",
        &staff,
        "note",
        "add",
        "--patient",
        &patient,
        "--text",
        "x",
        "--sign",
    ]);
    assert_eq!(failure.code, "access.denied");
    let failure = replica.fail(&["--as", &staff, "chart", "--patient", &patient]);
    assert_eq!(failure.code, "access.denied");
    let failure = replica.fail(&[
        "--as",
        &staff,
        "note",
        "sign",
        "--patient",
        &patient,
        "--entry",
        &note_id,
    ]);
    assert_eq!(failure.code, "access.denied");
    assert_eq!(
        replica.status()["documents"],
        before,
        "nada gravado pelas tentativas recusadas"
    );

    // STAFF export: registry and agenda, the chart omitted with a stable reason.
    let export = replica.json(&["--as", &staff, "export", "--patient", &patient]);
    assert_eq!(export["registry"]["id"], patient.as_str());
    assert!(
        export["chart"].is_null(),
        "sem prontuário para a recepção: {export}"
    );
    assert_eq!(export["chart_omitted"], "access.denied");
    assert!(
        !export.to_string().contains("Sigilo"),
        "nenhum texto clínico na exportação da recepção"
    );
    // STAFF still does its job: search and register patients.
    assert_eq!(replica.search_ids("irene"), [patient.as_str()]);
    let out = replica.json(&["--as", &staff, "patient", "search", "111.444.777-35", "--json"]);
    assert_eq!(out[0]["patient_id"], patient.as_str());
    replica.json(&["--as", &staff, "patient", "add", "--name", "Jorge Lins"]);

    // PROFESSIONAL: reads the chart and exports it.
    let chart = replica.json(&["--as", &professional, "chart", "--patient", &patient]);
    assert_eq!(chart[0]["current"]["id"], note_id.as_str());
    let export = replica.json(&["--as", &professional, "export", "--patient", &patient]);
    assert!(export["chart_omitted"].is_null());
    assert_eq!(export["chart"][0]["text"], "Sigilo: HAS.");
}

/// Table of the other profiles: the local administrator manages but is not a health professional;
/// a VIEWER sees reports only; STAFF cannot manage users.
#[test]
fn admin_and_viewer_profiles() {
    let replica = Replica::init();
    let patient = replica.add_patient("Karina Nunes", None);
    let viewer = replica.add_user("Contabilidade", "VIEWER");
    let staff = replica.add_user("Recepção 2", "STAFF");
    let users = replica.json(&["user", "list"]);
    let admin = users
        .as_array()
        .expect("usuários")
        .iter()
        .find(|u| u["role"] == "ADMIN")
        .and_then(|u| u["user_id"].as_str())
        .expect("administrador local")
        .to_owned();

    let denied: &[(&str, &[&str])] = &[
        (&admin, &["note", "add", "--patient", &patient, "--text", "x"]),
        (&admin, &["chart", "--patient", &patient]),
        (&viewer, &["patient", "search", "karina"]),
        (&viewer, &["export", "--patient", &patient]),
        (&viewer, &["patient", "add", "--name", "Luís Viana"]),
        (&staff, &["user", "add", "--name", "Outro", "--role", "ADMIN"]),
        (
            &staff,
            &[
                "professional",
                "add",
                "--name",
                "Dr. X",
                "--council",
                "CRM/SP 123456",
                "--cbo",
                "225125",
            ],
        ),
    ];
    for (user, args) in denied {
        let mut full = vec!["--as", user];
        full.extend_from_slice(args);
        let failure = replica.fail(&full);
        assert_eq!(failure.code, "access.denied", "{args:?}");
        assert_portuguese(&failure.message);
    }
    let export = replica.json(&["--as", &admin, "export", "--patient", &patient]);
    assert!(export["chart"].is_null());
    assert_eq!(export["chart_omitted"], "access.denied");

    // Professionals are created with 'professional add', never as a bare user.
    assert_eq!(
        replica
            .fail(&["user", "add", "--name", "Dr. Y", "--role", "PROFESSIONAL"])
            .code,
        "user.role_not_allowed"
    );
    // An unknown user id is refused.
    let unknown = "01a22680-0000-7000-8000-000000000000";
    assert_eq!(
        replica
            .fail(&["--as", unknown, "patient", "search", "karina"])
            .code,
        "user.not_found"
    );
}
