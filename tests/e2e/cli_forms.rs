//! The exact command forms scripts rely on: each one works and what it prints parses.

use atendebem_e2e::{Replica, cpf_from_base, format_cpf, local_rfc3339, next, stdout};
use jiff::civil::Weekday;
use serde_json::Value;

#[test]
fn cpf_oracle_matches_a_known_valid_cpf() {
    // The helper's check digits agree with a CPF published as valid (and with the CLI below).
    assert_eq!(cpf_from_base([5, 2, 9, 9, 8, 2, 2, 4, 7]), "52998224725");
    assert_eq!(cpf_from_base([1, 1, 1, 4, 4, 4, 7, 7, 7]), "11144477735");
}

#[test]
fn registry_agenda_chart_and_export_forms() {
    let replica = Replica::init();

    // patient add: prints the patient as JSON with an id.
    let joao = replica.json(&[
        "patient",
        "add",
        "--name",
        "João da Silva",
        "--cpf",
        "529.982.247-25",
        "--birth",
        "1980-05-04",
        "--cns",
        "898001160618390",
    ]);
    let joao_id = joao["id"].as_str().expect("id").to_owned();
    assert_eq!(joao["name"], "João da Silva");
    assert_eq!(joao["cpf"], "52998224725", "CPF guardado só com dígitos");
    assert_eq!(joao["birth_date"], "1980-05-04");
    assert_eq!(joao["cns"], "898001160618390");
    let other_cpf = cpf_from_base([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    let other = replica.add_patient("Maria Souza", Some(&other_cpf));

    // patient search: accent- and case-insensitive name prefixes, CPF with or without punctuation.
    for query in [
        "joao silva",
        "João",
        "JOÃO",
        "joã",
        "silv",
        "529.982.247-25",
        "52998224725",
        "529982",
        "898001160618390",
    ] {
        assert_eq!(replica.search_ids(query), [joao_id.as_str()], "busca {query:?}");
    }
    assert_eq!(replica.search_ids("maria"), [other.as_str()]);
    assert_eq!(replica.search_ids(&format_cpf(&other_cpf)), [other.as_str()]);
    assert!(
        replica.search_ids("joao souza").is_empty(),
        "todas as palavras são exigidas"
    );
    assert!(
        replica.search_ids("\"; DROP TABLE patient_index; --").is_empty(),
        "sintaxe FTS5 tomada ao pé da letra"
    );
    let hit = &replica.search("joao silva")[0];
    assert_eq!(hit["name"], "João da Silva");
    assert_eq!(hit["birth_date"], "1980-05-04");
    // Without --json: one line per hit with the formatted CPF.
    let plain = stdout(&replica.ok(&["patient", "search", "joao"]));
    assert!(
        plain.contains(&joao_id) && plain.contains("529.982.247-25"),
        "saída de texto: {plain}"
    );
    // patient show.
    assert_eq!(
        replica.json(&["patient", "show", &joao_id])["name"],
        "João da Silva"
    );

    // professional add: JSON with professional.id (and the login's user_id).
    let (professional_id, professional_user) = replica.add_professional("Dra. Ana Lima", "CRM/SP 123456");
    let listed = replica.json(&["professional", "list"]);
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    assert_eq!(listed[0]["professional"]["registration"], "CRM/SP 123456");
    assert_eq!(listed[0]["professional"]["cbo"], "225125");
    let weekly = listed[0]["working_hours"]["weekly"]
        .as_array()
        .expect("expediente");
    assert_eq!(weekly.len(), 5, "seg–sex");
    assert_eq!(weekly[0]["start"], "08:00:00");
    assert_eq!(weekly[0]["end"], "18:00:00");

    // agenda book: next Monday 10:00 in São Paulo.
    let monday = next(Weekday::Monday);
    let start = local_rfc3339(monday, 10, 0);
    let appointment = replica.json(&[
        "agenda",
        "book",
        "--professional",
        &professional_id,
        "--patient",
        &joao_id,
        "--start",
        &start,
        "--minutes",
        "30",
    ]);
    let appointment_id = appointment["id"].as_str().expect("appointment.id").to_owned();
    assert_eq!(appointment["status"], "booked");
    assert_eq!(appointment["patient"], joao_id.as_str());
    let expected_start: jiff::Timestamp = start.parse().expect("RFC 3339");
    let printed_start: jiff::Timestamp = appointment["start"]
        .as_str()
        .expect("start")
        .parse()
        .expect("start");
    assert_eq!(
        printed_start, expected_start,
        "guardado em UTC, o mesmo instante (NGS1.09.02)"
    );

    // agenda list --day: contains it, shown in the clinic's zone.
    let day = monday.to_string();
    let items = replica.json(&["agenda", "list", "--day", &day, "--json"]);
    let items = items.as_array().expect("lista");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["appointment_id"], appointment_id.as_str());
    assert_eq!(items[0]["patient_name"], "João da Silva");
    assert_eq!(items[0]["professional_name"], "Dra. Ana Lima");
    assert_eq!(items[0]["local_start"], "10:00");
    assert_eq!(items[0]["local_end"], "10:30");
    assert_eq!(items[0]["status_label"], "Agendado");
    // The DD/MM/AAAA form names the same day (NGS1.09.04).
    let br_day = monday.strftime("%d/%m/%Y").to_string();
    assert_eq!(
        replica.json(&["agenda", "list", "--day", &br_day, "--json"]),
        Value::Array(items.clone())
    );
    let tuesday = monday.tomorrow().expect("terça").to_string();
    assert_eq!(
        replica.json(&["agenda", "list", "--day", &tuesday, "--json"]),
        Value::Array(Vec::new())
    );
    // agenda status: confirm it.
    let confirmed = replica.json(&[
        "agenda",
        "status",
        "--appointment",
        &appointment_id,
        "--status",
        "confirmed",
    ]);
    assert_eq!(confirmed["status"], "confirmed");

    // note add: an evolution draft by the professional (the default session for the chart).
    let note = replica.json(&[
        "note",
        "add",
        "--patient",
        &joao_id,
        "--text",
        "Paciente refere cefaleia há 3 dias.",
    ]);
    assert_eq!(note["kind"], "evolution");
    assert_eq!(note["status"], "draft");
    assert_eq!(note["author"], professional_user.as_str());
    assert_eq!(note["professional"], professional_id.as_str());
    let note_id = note["id"].as_str().expect("entry id").to_owned();
    let signed = replica.json(&["note", "sign", "--patient", &joao_id, "--entry", &note_id]);
    assert_eq!(signed["status"], "signed");
    assert_eq!(signed["signed_by"], professional_user.as_str());
    let chart = replica.json(&["chart", "--patient", &joao_id]);
    assert_eq!(chart.as_array().map(Vec::len), Some(1));
    assert_eq!(chart[0]["current"]["id"], note_id.as_str());

    // export: registry, chart (with the note) and appointments.
    let export = replica.json(&["export", "--patient", &joao_id]);
    assert_eq!(export["format"], "atendebem.patient-export.v1");
    assert_eq!(export["registry"]["id"], joao_id.as_str());
    assert_eq!(export["registry"]["cpf"], "52998224725");
    let entries = export["chart"]
        .as_array()
        .expect("chart presente para o profissional");
    assert!(
        entries
            .iter()
            .any(|e| e["id"] == note_id.as_str() && e["text"] == "Paciente refere cefaleia há 3 dias."),
        "a nota está na exportação: {export}"
    );
    assert!(export["chart_omitted"].is_null());
    assert_eq!(
        export["appointments"][0]["appointment_id"],
        appointment_id.as_str()
    );
    // NGS1.09.03: exports carry RFC 3339 UTC timestamps.
    let exported_at = export["exported_at"].as_str().expect("exported_at");
    assert!(exported_at.ends_with('Z'), "exported_at em UTC: {exported_at}");
    exported_at
        .parse::<jiff::Timestamp>()
        .expect("exported_at RFC 3339");

    // status --json and check.
    let status = replica.status();
    assert_eq!(status["patients"], 2);
    assert_eq!(status["appointments"], 1);
    assert_eq!(status["users"], 2, "administrador local + profissional");
    assert_eq!(status["clinic_name"], "Clínica AtendeBem");
    assert_eq!(status["time_zone"], "America/Sao_Paulo");
    assert_eq!(status["key_source"]["kind"], "passphrase");
    assert!(status["schema_version"].as_i64().is_some_and(|v| v >= 1));
    let check = replica.ok(&["check"]);
    assert!(
        stdout(&check).contains("Réplica íntegra"),
        "check: {}",
        stdout(&check)
    );
    let check = replica.json(&["check", "--json"]);
    assert_eq!(check["ok"], true);
    assert_eq!(check["problems"], Value::Array(Vec::new()));
}

#[test]
fn demo_clinic_is_searchable() {
    let replica = Replica::init();
    let out = replica.ok(&["demo", "--patients", "30"]);
    let text = stdout(&out);
    assert!(
        text.contains("Clínica de demonstração criada: 30 pacientes"),
        "demo: {text}"
    );

    let status = replica.status();
    assert_eq!(status["patients"], 30);
    assert!(
        status["appointments"].as_i64().is_some_and(|n| n > 0),
        "demo com agenda: {status}"
    );

    // Every demo patient is found by its name and by its CPF.
    let all = replica.search("a");
    assert!(
        !all.is_empty(),
        "busca por prefixo 'a' encontra pacientes da demonstração"
    );
    for hit in all.iter().take(5) {
        let id = hit["patient_id"].as_str().expect("id");
        let name = hit["name"].as_str().expect("name");
        let first_word = name.split_whitespace().next().expect("nome");
        let folded = first_word.to_lowercase();
        let ids = replica.search_ids(&folded);
        assert!(ids.iter().any(|i| i == id), "{name} encontrado por {folded:?}");
        if let Some(cpf) = hit["cpf"].as_str() {
            assert_eq!(
                replica.search_ids(cpf),
                [id.to_owned()],
                "{name} encontrado pelo CPF"
            );
        }
    }
    // The demo's staff and professionals are real users of the replica.
    let users = replica.json(&["user", "list"]);
    let roles: Vec<&str> = users
        .as_array()
        .expect("usuários")
        .iter()
        .filter_map(|u| u["role"].as_str())
        .collect();
    assert!(
        roles.contains(&"PROFESSIONAL") && roles.contains(&"STAFF"),
        "papéis: {roles:?}"
    );
    replica.ok(&["check"]);
}

/// `reindex` rebuilds the search, agenda and chart indexes from the documents: wiping the
/// derived rows and reindexing gives the same answers as before.
#[test]
fn reindex_rebuilds_the_derived_indexes() {
    let replica = atendebem_e2e::Replica::init();
    let out = replica.run(&["demo", "--patients", "12", "--months", "2", "--json"]);
    assert!(out.status.success(), "{}", atendebem_e2e::stderr(&out));
    let before = atendebem_e2e::json(&replica.run(&["patient", "search", "a", "--limit", "50", "--json"]));
    let status_before = atendebem_e2e::json(&replica.run(&["status", "--json"]));
    {
        let conn = replica.open_direct(&replica.derive_key());
        conn.execute_batch(
            "DELETE FROM patient_search; DELETE FROM patient_index; DELETE FROM appointment_index; DELETE FROM chart_entry_index;",
        )
        .unwrap();
    }
    let wiped = atendebem_e2e::json(&replica.run(&["patient", "search", "a", "--json"]));
    assert_eq!(wiped.as_array().map(Vec::len), Some(0));
    let report = atendebem_e2e::json(&replica.run(&["reindex", "--json"]));
    assert_eq!(report["registries"], 12);
    assert!(report["agendas"].as_u64().unwrap() > 0);
    let after = atendebem_e2e::json(&replica.run(&["patient", "search", "a", "--limit", "50", "--json"]));
    assert_eq!(after, before);
    let status_after = atendebem_e2e::json(&replica.run(&["status", "--json"]));
    assert_eq!(status_after["appointments"], status_before["appointments"]);
    assert_eq!(status_after["patients"], status_before["patients"]);
}

/// `tiss hash FILE`: the epilogue hash of a TISS message in both encodings, checked against the
/// one in the file (an ISO-8859-1 lote that passes the official XSD); a broken file is refused
/// with a stable code.
#[test]
fn tiss_hash_of_a_message_file() {
    let dir = tempfile::tempdir().unwrap();
    let lote = dir.path().join("lote.xml");
    std::fs::write(
        &lote,
        include_bytes!("../../shared-model/src/billing/tiss/testdata/consulta.xml"),
    )
    .unwrap();
    let out = atendebem_e2e::command()
        .args(["--json", "tiss", "hash"])
        .arg(&lote)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", atendebem_e2e::stderr(&out));
    let h = atendebem_e2e::json(&out);
    assert_eq!(h["utf8"], "29fadbe0c1f249348aa49813e9d1a2f0");
    assert_eq!(h["iso_8859_1"], "283dfe334e502cb95414e6d496ea6345");
    assert_eq!(h["matches"], "utf8");
    let text = atendebem_e2e::command()
        .args(["tiss", "hash"])
        .arg(&lote)
        .output()
        .unwrap();
    assert!(stdout(&text).contains("confere (UTF-8)"), "{}", stdout(&text));

    let broken = dir.path().join("quebrado.xml");
    std::fs::write(&broken, b"<ans:mensagemTISS><ans:cabecalho>").unwrap();
    let failure = atendebem_e2e::command()
        .args(["--json", "tiss", "hash"])
        .arg(&broken)
        .output()
        .unwrap();
    assert_eq!(failure.status.code(), Some(1));
    assert_eq!(atendebem_e2e::failure(&failure).code, "tiss.malformed");
}
