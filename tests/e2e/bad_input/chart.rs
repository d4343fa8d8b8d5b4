//! Chart rules: signing and amending (NGS1.12.01).

use atendebem_e2e::{Replica, assert_portuguese, strs};

/// NGS1.12.01: a signed entry is corrected only by its author, with a justification, as a new
/// version; the old version is kept.
#[test]
fn signed_entries_are_amended_only_with_a_reason_and_by_their_author() {
    let replica = Replica::init();
    let patient = replica.add_patient("Elisa Martins", None);
    let (_, author) = replica.add_professional("Dra. Fernanda Luz", "CRM/SP 111222");
    let (_, colleague) = replica.add_professional("Dr. Gustavo Pires", "CRM/RJ 333444");

    let signed = replica.json(&[
        "--as",
        &author,
        "note",
        "add",
        "--patient",
        &patient,
        "--text",
        "Pressão 12x8, sem queixas.",
        "--sign",
    ]);
    assert_eq!(signed["status"], "signed");
    let entry = signed["id"].as_str().expect("id").to_owned();
    let amend = |user: &str, entry: &str, reason: &str| -> Vec<String> {
        [
            "--as",
            user,
            "note",
            "amend",
            "--patient",
            &patient,
            "--entry",
            entry,
            "--text",
            "Pressão 13x8.",
            "--reason",
            reason,
        ]
        .iter()
        .map(ToString::to_string)
        .collect()
    };

    for reason in ["x", "    ", "abcd"] {
        let failure = replica.fail(&strs(&amend(&author, &entry, reason)));
        assert_eq!(
            failure.code, "chart.amendment_reason_required",
            "motivo {reason:?}"
        );
        assert!(failure.message.contains("justificativa"), "{}", failure.message);
        assert_portuguese(&failure.message);
    }
    let failure = replica.fail(&strs(&amend(&colleague, &entry, "valor transcrito errado")));
    assert_eq!(failure.code, "chart.amendment_not_by_author");

    // A draft is edited, not amended; a colleague cannot sign someone else's draft.
    let draft = replica.json(&[
        "--as",
        &author,
        "note",
        "add",
        "--patient",
        &patient,
        "--text",
        "Rascunho.",
    ]);
    let draft_id = draft["id"].as_str().expect("id").to_owned();
    let failure = replica.fail(&strs(&amend(&author, &draft_id, "valor transcrito errado")));
    assert_eq!(failure.code, "chart.amendment_of_draft");
    let failure = replica.fail(&[
        "--as",
        &colleague,
        "note",
        "sign",
        "--patient",
        &patient,
        "--entry",
        &draft_id,
    ]);
    assert_eq!(failure.code, "chart.not_author");
    // A blank draft may exist, but not be signed: with --sign, the whole write is refused.
    let failure = replica.fail(&[
        "--as",
        &author,
        "note",
        "add",
        "--patient",
        &patient,
        "--text",
        "   ",
        "--sign",
    ]);
    assert_eq!(failure.code, "chart.text_empty");
    assert_portuguese(&failure.message);
    let failure = replica.fail(&[
        "--as",
        &author,
        "note",
        "add",
        "--patient",
        &patient,
        "--text",
        "x",
        "--kind",
        "diagnosis",
        "--sign",
    ]);
    assert_eq!(failure.code, "chart.diagnosis_without_cid10");

    // Nothing of the refused attempts was stored: two entries, both as written.
    let chart = replica.json(&["--as", &author, "chart", "--patient", &patient]);
    assert_eq!(chart.as_array().map(Vec::len), Some(2), "{chart}");

    // A valid amendment: a new signed version pointing at the original, which stays visible.
    let amended = replica.json(&strs(&amend(&author, &entry, "valor transcrito errado")));
    assert_eq!(amended["amends"], entry.as_str());
    assert_eq!(amended["amendment_reason"], "valor transcrito errado");
    assert_eq!(amended["status"], "signed");
    let chart = replica.json(&["--as", &author, "chart", "--patient", &patient]);
    let item = chart
        .as_array()
        .expect("linha do tempo")
        .iter()
        .find(|i| i["current"]["id"] == amended["id"])
        .expect("versão atual na linha do tempo");
    assert_eq!(item["superseded"][0], entry.as_str());
    // The original can no longer be amended: only the current version.
    let failure = replica.fail(&strs(&amend(&author, &entry, "outra justificativa")));
    assert_eq!(failure.code, "chart.not_current_version");
    let export = replica.json(&["--as", &author, "export", "--patient", &patient]);
    let texts: Vec<&str> = export["chart"]
        .as_array()
        .expect("chart")
        .iter()
        .filter_map(|e| e["text"].as_str())
        .collect();
    assert!(
        texts.contains(&"Pressão 12x8, sem queixas.") && texts.contains(&"Pressão 13x8."),
        "{texts:?}"
    );
}
