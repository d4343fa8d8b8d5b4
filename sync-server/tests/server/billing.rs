//! Billing over the real server (issue 6): a completed health-plan appointment and a signed
//! chart procedure become billable items; lotes are numbered, stored and pass the official XSD;
//! the operator's returns attach glosas to the items; a recurso is built for them.

use jiff::Timestamp;
use serde_json::{Value, json};
use shared_model::billing::tiss::message_hashes;
use shared_model::billing::tiss::xsd::check_schema;
use shared_model::charting::{EntryKind, NewEntry};
use shared_model::documents::{ChartDoc, CrdtDocument, DirectoryDoc, ProfessionalRecord, RegistryDoc};
use shared_model::ids::{ProfessionalId, TenantId, UserId};
use shared_model::registry::{Cbo, NewHealthPlanCard, NewPatient, NewProfessional, Patient, Professional};
use shared_model::scheduling::{AppointmentKind, AppointmentStatus, Payer};
use shared_model::values::{ClinicTimeZone, CouncilRegistration};

use crate::support::{
    Server, SyncClient, TenantFixture, TestDb, agenda, appointment_at, device, relogin_device,
};
use crate::sync::doc_data;

const ANS: &str = "123456";
const CARD: &str = "0001234500012";
const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared-model/src/billing/tiss/testdata"
);

fn operator(registro_ans: &str, provider_code: &str) -> Value {
    json!({
        "registro_ans": registro_ans,
        "name": "Saúde Exemplo Operadora S.A.",
        "provider_code": provider_code,
        "clinic_name": "Clínica Exemplo Ltda",
        "cnes": "1234567",
        "hash_input": "utf8",
        "consultation_code": "10101012",
        "prices": [
            {"table": "22", "code": "10101012", "description": "Consulta em consultório", "centavos": 15000},
            {"table": "22", "code": "20103069", "description": "Sessão de fisioterapia", "centavos": 4000},
            {"table": "22", "code": "30101012", "description": "Procedimento cirúrgico (exemplo)", "centavos": 120000}
        ]
    })
}

async fn send(
    server: &Server,
    method: reqwest::Method,
    path: &str,
    t: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = server.http.request(method, server.url(path)).bearer_auth(t);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let resp = req.send().await.expect("send");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn download(server: &Server, path: &str, t: &str) -> (u16, String, Vec<u8>) {
    let resp = server
        .http
        .get(server.url(path))
        .bearer_auth(t)
        .send()
        .await
        .expect("send");
    let status = resp.status().as_u16();
    let kind = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, kind, resp.bytes().await.expect("body").to_vec())
}

async fn import(server: &Server, t: &str, query: &str, bytes: Vec<u8>) -> (u16, Value) {
    let resp = server
        .http
        .post(server.url(&format!("/v1/billing/returns?{query}")))
        .bearer_auth(t)
        .header("content-type", "application/xml")
        .body(bytes)
        .send()
        .await
        .expect("send");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// The clinic's data, pushed by the people who write it: the directory (admin), a patient with
/// a card and a completed first visit (reception), a signed procedure (the doctor).
/// `first_login`: the users still have their initial passwords.
async fn clinic(
    server: &Server,
    t: &TenantFixture,
    first_login: bool,
) -> (shared_model::ids::EntryId, String, String, String) {
    let login = |role: &'static str| async move {
        if first_login {
            device(server, t, role).await
        } else {
            relogin_device(server, t, role).await
        }
    };
    let admin = login("ADMIN").await;
    let reception = login("STAFF").await;
    let doctor = login("PROFESSIONAL").await;

    let professional = Professional::new(NewProfessional {
        user_id: Some(UserId::from_uuid(t.user_id("PROFESSIONAL"))),
        name: "Dra. Inês Araújo".into(),
        registration: CouncilRegistration::parse("CRM/SP 123456").expect("registration"),
        specialties: vec![],
        cbo: Cbo::parse("225125").expect("cbo"),
    })
    .expect("professional");
    let professional_id: ProfessionalId = professional.id;
    let mut directory = DirectoryDoc::new(TenantId::from_uuid(t.id), admin.id).expect("directory");
    directory.set_author(admin.id, admin.user);
    directory
        .put(&ProfessionalRecord {
            professional,
            working_hours: Default::default(),
        })
        .expect("put");
    let mut c = SyncClient::connect(server, &admin.token, 0).await;
    let (_, refused) = c.push(1, doc_data(&mut directory)).await;
    assert!(refused.is_empty(), "{refused:?}");

    let mut input = NewPatient::named("João Araújo");
    input.health_plan_cards = vec![NewHealthPlanCard {
        operator_ans: ANS.into(),
        operator_name: "Saúde Exemplo".into(),
        card_number: CARD.into(),
        plan_name: Some("Enfermaria".into()),
        valid_until: Some(jiff::civil::date(2027, 12, 31)),
    }];
    let patient = Patient::new(input, jiff::civil::date(2026, 11, 29)).expect("patient");
    let mut registry = RegistryDoc::empty(patient.id, reception.id).expect("registry");
    registry.set_author(reception.id, reception.user);
    registry.update(&patient).expect("update");
    let mut month = agenda(professional_id, &reception);
    let mut visit = appointment_at(
        professional_id,
        patient.id,
        "2027-03-10T13:00:00Z".parse().expect("start"),
        reception.user,
    );
    visit.kind = AppointmentKind::FirstVisit;
    visit.payer = Payer::HealthPlan {
        operator_ans: ANS.parse().expect("ans"),
        card_number: CARD.parse().expect("card"),
    };
    month.book(&visit, &ClinicTimeZone::default()).expect("book");
    for next in [
        AppointmentStatus::CheckedIn,
        AppointmentStatus::InProgress,
        AppointmentStatus::Done,
    ] {
        month
            .set_status(visit.id, next, Timestamp::now())
            .expect("status");
    }
    let mut c = SyncClient::connect(server, &reception.token, 0).await;
    let mut docs = doc_data(&mut registry);
    docs.extend(doc_data(&mut month));
    let (_, refused) = c.push(1, docs).await;
    assert!(refused.is_empty(), "{refused:?}");

    let mut chart = ChartDoc::new(patient.id, doctor.id).expect("chart");
    chart.set_author(doctor.id, doctor.user);
    let entry = chart
        .add_draft(
            NewEntry {
                kind: EntryKind::Procedure,
                text: "Sessão de fisioterapia motora, 40 minutos.".into(),
                cid10: vec![],
                professional: Some(professional_id),
            },
            doctor.user,
            doctor.id,
            Timestamp::now(),
        )
        .expect("draft");
    chart.sign(entry, doctor.user, Timestamp::now()).expect("sign");
    let mut c = SyncClient::connect(server, &doctor.token, 0).await;
    let (_, refused) = c.push(1, doc_data(&mut chart)).await;
    assert!(refused.is_empty(), "{refused:?}");
    (entry, admin.token, reception.token, doctor.token)
}

/// The demonstrativo fixture trimmed to item 1 of guide 2 (what the SP/SADT lote below holds).
fn demonstrativo_for_item_1() -> Vec<u8> {
    let text: String = std::fs::read(format!("{FIXTURES}/retorno-demonstrativo.xml"))
        .expect("fixture")
        .iter()
        .map(|&b| char::from(b))
        .collect();
    let start = text
        .find("<ans:detalhesGuia>\n                <ans:sequencialItem>2")
        .expect("item 2");
    let end = start + text[start..].find("</ans:detalhesGuia>").expect("end") + "</ans:detalhesGuia>".len();
    let trimmed = format!("{}{}", &text[..start], &text[end..]).replace("OP-88050", "OP-88051");
    trimmed
        .chars()
        .map(|c| u8::try_from(u32::from(c)).expect("latin1"))
        .collect()
}

#[tokio::test]
async fn from_completed_work_to_lote_return_and_recurso() {
    let db = TestDb::new().await;
    let t = db.tenant("faturamento");
    let server = Server::start(&db);
    let (entry, admin_token, staff, doctor) = clinic(&server, &t, true).await;

    // Only an administrator configures operators; bad settings are named.
    let (status, body) = send(
        &server,
        reqwest::Method::PUT,
        &format!("/v1/billing/operators/{ANS}"),
        &staff,
        Some(operator(ANS, ANS)),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let mut bad = operator(ANS, ANS);
    bad["prices"][1]["code"] = json!("2010306");
    let (status, body) = send(
        &server,
        reqwest::Method::PUT,
        &format!("/v1/billing/operators/{ANS}"),
        &admin_token,
        Some(bad),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("billing.invalid_operator")),
        "{body}"
    );
    assert!(
        body["message"].as_str().unwrap().contains("prices[2].code"),
        "{body}"
    );
    let (status, body) = send(
        &server,
        reqwest::Method::PUT,
        &format!("/v1/billing/operators/{ANS}"),
        &admin_token,
        Some(operator(ANS, ANS)),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    // The completed first visit is an open item.
    let (status, items) = server
        .get(&format!("/v1/billing/items?registro_ans={ANS}"), Some(&staff))
        .await;
    assert_eq!(status, 200, "{items}");
    let items = items.as_array().unwrap().clone();
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["guide_kind"], "consulta");
    assert_eq!(items[0]["code"], "10101012");
    assert_eq!(items[0]["performed_on"], "2027-03-10");

    // Lote 1: one Guia de Consulta, valid against the official schema, hash as declared.
    let (status, lote1) = server
        .post("/v1/billing/lotes", Some(&staff), json!({"registro_ans": ANS}))
        .await;
    assert_eq!(status, 201, "{lote1}");
    assert_eq!(
        (lote1["numero_lote"].as_i64(), lote1["guide_count"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(lote1["total_centavos"], 15000);
    let (status, kind, xml) = download(
        &server,
        &format!("/v1/billing/lotes/{}/xml", lote1["id"].as_str().unwrap()),
        &staff,
    )
    .await;
    assert_eq!(status, 200);
    assert!(kind.starts_with("application/xml"), "{kind}");
    check_schema(&xml).expect("lote passes the XSD");
    let hashes = message_hashes(&xml).unwrap();
    assert_eq!(hashes.matches, Some("utf8"));
    assert_eq!(hashes.declared.as_deref(), lote1["hash"].as_str());
    // Professionals bill but do not export files.
    let (status, _, _) = download(
        &server,
        &format!("/v1/billing/lotes/{}/xml", lote1["id"].as_str().unwrap()),
        &doctor,
    )
    .await;
    assert_eq!(status, 403);
    // Nothing left to bill: a clear refusal, no empty lote.
    let (status, body) = server
        .post("/v1/billing/lotes", Some(&staff), json!({"registro_ans": ANS}))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("billing.nothing_to_bill")),
        "{body}"
    );

    // The signed procedure is billed by its TUSS code; an unknown code is refused by name.
    let (status, body) = server
        .post(
            "/v1/billing/items",
            Some(&doctor),
            json!({"chart_entry_id": entry.as_uuid(), "registro_ans": ANS,
            "card_number": CARD, "code": "99999999", "quantity": 1}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("billing.unknown_tuss_code")),
        "{body}"
    );
    // A physician's procedure has no tooth (teeth and faces belong to a dentist's GTO).
    let (status, body) = server
        .post(
            "/v1/billing/items",
            Some(&doctor),
            json!({"chart_entry_id": entry.as_uuid(), "registro_ans": ANS,
            "card_number": CARD, "code": "20103069", "quantity": 1, "tooth": "36", "faces": "OM"}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("billing.tooth_not_dental")),
        "{body}"
    );
    let (status, item) = server
        .post(
            "/v1/billing/items",
            Some(&doctor),
            json!({"chart_entry_id": entry.as_uuid(), "registro_ans": ANS,
            "card_number": CARD, "code": "20103069", "quantity": 2}),
        )
        .await;
    assert_eq!(status, 201, "{item}");
    assert_eq!(item["guide_kind"], "sp_sadt");
    let (status, body) = server
        .post(
            "/v1/billing/items",
            Some(&doctor),
            json!({"chart_entry_id": entry.as_uuid(), "registro_ans": ANS,
            "card_number": CARD, "code": "20103069", "quantity": 2}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("billing.item_exists")),
        "{body}"
    );

    // Lote 2: the SP/SADT guide (guide number 2: numbers never repeat at this operator).
    let (status, lote2) = server
        .post(
            "/v1/billing/lotes",
            Some(&staff),
            json!({"registro_ans": ANS, "guide_kind": "sp_sadt"}),
        )
        .await;
    assert_eq!(status, 201, "{lote2}");
    assert_eq!(
        (
            lote2["numero_lote"].as_i64(),
            lote2["sequencial_transacao"].as_i64()
        ),
        (Some(2), Some(2))
    );
    assert_eq!(lote2["total_centavos"], 8000);
    let lote2_id = lote2["id"].as_str().unwrap().to_owned();
    let (_, _, xml) = download(&server, &format!("/v1/billing/lotes/{lote2_id}/xml"), &staff).await;
    check_schema(&xml).expect("SP/SADT lote passes the XSD");
    let (_, all) = server.get("/v1/billing/items?status=all", Some(&staff)).await;
    let sadt = all
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["guide_kind"] == "sp_sadt")
        .unwrap()
        .clone();
    assert_eq!(
        (sadt["guide_number"].as_str(), sadt["item_sequence"].as_i64()),
        (Some("2"), Some(1))
    );
    let (status, sent) = server
        .post(
            &format!("/v1/billing/lotes/{lote2_id}/sent"),
            Some(&staff),
            json!({}),
        )
        .await;
    assert_eq!((status, sent["status"].as_str()), (200, Some("sent")), "{sent}");

    // Returns: a file that names an item we never sent is refused, nothing stored.
    let full = std::fs::read(format!("{FIXTURES}/retorno-demonstrativo.xml")).unwrap();
    let (status, body) = import(&server, &staff, &format!("registro_ans={ANS}"), full).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("billing.return_unknown_item")),
        "{body}"
    );
    // A file not following the XSD is refused with the line and element, not the value.
    let broken: Vec<u8> = demonstrativo_for_item_1()
        .iter()
        .map(|&b| char::from(b))
        .collect::<String>()
        .replace("<ans:situacaoGuia>3</ans:situacaoGuia>", "")
        .chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap())
        .collect();
    let (status, body) = import(&server, &staff, &format!("registro_ans={ANS}"), broken).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("tiss.schema_invalid")),
        "{body}"
    );
    assert!(body["message"].as_str().unwrap().contains("(linha "), "{body}");
    // A return for another clinic (another operator's file) is refused.
    let (status, _) = send(
        &server,
        reqwest::Method::PUT,
        "/v1/billing/operators/654321",
        &admin_token,
        Some(operator("654321", ANS)),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = import(&server, &staff, "registro_ans=654321", demonstrativo_for_item_1()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("tiss.return_other_party")),
        "{body}"
    );

    // The demonstrativo for what was sent: the item glosa lands on the SP/SADT item.
    let (status, ret) = import(
        &server,
        &staff,
        &format!("registro_ans={ANS}"),
        demonstrativo_for_item_1(),
    )
    .await;
    assert_eq!(status, 201, "{ret}");
    let glosas = ret["glosas"].as_array().unwrap();
    assert_eq!(glosas.len(), 1, "{ret}");
    assert_eq!(glosas[0]["code"], "1705");
    assert_eq!(glosas[0]["centavos"], 2000);
    assert_eq!(glosas[0]["billing_item_id"], sadt["id"]);
    let (status, body) = import(
        &server,
        &staff,
        &format!("registro_ans={ANS}"),
        demonstrativo_for_item_1(),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("billing.return_duplicate")),
        "{body}"
    );

    // A lote refused on receipt: the file does not say which, the clerk does.
    let refused = std::fs::read(format!("{FIXTURES}/retorno-lote-recusado.xml")).unwrap();
    let (status, body) = import(&server, &staff, &format!("registro_ans={ANS}"), refused.clone()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("billing.return_needs_lote")),
        "{body}"
    );
    let (status, body) = import(
        &server,
        &staff,
        &format!("registro_ans={ANS}&lote_id={}", lote1["id"].as_str().unwrap()),
        refused,
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        (
            body["glosas"][0]["level"].as_str(),
            body["glosas"][0]["code"].as_str()
        ),
        (Some("lote"), Some("5014"))
    );

    // The recurso for the item glosa passes the schema and carries its own transaction number.
    let (status, recurso) = server
        .post(
            "/v1/billing/recursos",
            Some(&staff),
            json!({"lote_id": lote2_id, "contested": [
            {"glosa_id": glosas[0]["id"], "justification": "Valor conforme tabela contratada (anexo II)."}]}),
        )
        .await;
    assert_eq!(status, 201, "{recurso}");
    assert_eq!(
        (
            recurso["total_centavos"].as_i64(),
            recurso["sequencial_transacao"].as_i64()
        ),
        (Some(2000), Some(3))
    );
    let (status, _, xml) = download(
        &server,
        &format!("/v1/billing/recursos/{}/xml", recurso["id"].as_str().unwrap()),
        &staff,
    )
    .await;
    assert_eq!(status, 200);
    check_schema(&xml).expect("recurso passes the XSD");
    let text: String = xml.iter().map(|&b| char::from(b)).collect();
    assert!(text.contains("<ans:codGlosaItem>1705</ans:codGlosaItem>"));
    assert!(text.contains("<ans:numeroProtocolo>202405000123</ans:numeroProtocolo>"));

    let (status, list) = server
        .get(&format!("/v1/billing/glosas?lote_id={lote2_id}"), Some(&staff))
        .await;
    assert_eq!(status, 200);
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (_, lotes) = server.get("/v1/billing/lotes", Some(&staff)).await;
    assert_eq!(lotes.as_array().unwrap().len(), 2);

    // The doctor's fees in a hospitalisation: a Guia de Honorários, valid against the schema.
    let (status, body) = server
        .post(
            "/v1/billing/items",
            Some(&doctor),
            json!({"chart_entry_id": entry.as_uuid(), "registro_ans": ANS, "card_number": CARD,
                "code": "30101012", "quantity": 1, "service": "hospital_fees"}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("billing.hospital_missing")),
        "{body}"
    );
    let (status, fees) = server
        .post(
            "/v1/billing/items",
            Some(&doctor),
            json!({"chart_entry_id": entry.as_uuid(), "registro_ans": ANS, "card_number": CARD,
                "code": "30101012", "quantity": 1, "service": "hospital_fees", "hospital": {
                    "request_guide": "SOL-2027-000381", "authorized_on": "2027-03-09", "password": "A7X2-91",
                    "site_code": null, "site_cnpj": "11222333000181", "site_name": "Hospital Santa Efigênia",
                    "site_cnes": "2126494", "start": "2027-03-10T07:30:00", "end": "2027-03-10T18:00:00",
                    "participation": "00", "character": null, "kind": null, "regime": null,
                    "discharge_reason": null}}),
        )
        .await;
    assert_eq!(status, 201, "{fees}");
    assert_eq!(
        (fees["guide_kind"].as_str(), fees["performed_on"].as_str()),
        (Some("honorarios"), Some("2027-03-10"))
    );
    let (status, lote3) = server
        .post(
            "/v1/billing/lotes",
            Some(&staff),
            json!({"registro_ans": ANS, "guide_kind": "honorarios"}),
        )
        .await;
    assert_eq!(status, 201, "{lote3}");
    assert_eq!(lote3["total_centavos"], 120000);
    let (_, _, xml) = download(
        &server,
        &format!("/v1/billing/lotes/{}/xml", lote3["id"].as_str().unwrap()),
        &staff,
    )
    .await;
    check_schema(&xml).expect("Honorários lote passes the XSD");
    let text: String = xml.iter().map(|&b| char::from(b)).collect();
    assert!(text.contains("<ans:guiaSolicInternacao>SOL-2027-000381</ans:guiaSolicInternacao>"));
}

/// Gives a tenant a row in every billing table (for the isolation tests), through the API:
/// operator and prices, items, two lotes, a return with a glosa and a recurso.
pub async fn seed(server: &Server, t: &TenantFixture) {
    let (entry, admin, staff, doctor) = clinic(server, t, false).await;
    let (status, body) = send(
        server,
        reqwest::Method::PUT,
        &format!("/v1/billing/operators/{ANS}"),
        &admin,
        Some(operator(ANS, ANS)),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = server
        .post("/v1/billing/lotes", Some(&staff), json!({"registro_ans": ANS}))
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = server
        .post(
            "/v1/billing/items",
            Some(&doctor),
            json!({"chart_entry_id": entry.as_uuid(), "registro_ans": ANS,
            "card_number": CARD, "code": "20103069", "quantity": 2}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, lote) = server
        .post(
            "/v1/billing/lotes",
            Some(&staff),
            json!({"registro_ans": ANS, "guide_kind": "sp_sadt"}),
        )
        .await;
    assert_eq!(status, 201, "{lote}");
    let (status, ret) = import(
        server,
        &staff,
        &format!("registro_ans={ANS}"),
        demonstrativo_for_item_1(),
    )
    .await;
    assert_eq!(status, 201, "{ret}");
    let (status, body) = server
        .post(
            "/v1/billing/recursos",
            Some(&staff),
            json!({"lote_id": lote["id"], "contested": [
            {"glosa_id": ret["glosas"][0]["id"], "justification": "Valor contratado."}]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}
