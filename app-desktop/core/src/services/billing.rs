//! TISS billing on a replica: operators and their price tables, and lotes of Guias de Consulta
//! built offline from the replica's completed health-plan appointments.
//!
//! A lote needs numbers unique at the operator. A standalone replica is the only writer, so its
//! own counters are unique; a replica connected to a server leaves numbering to the server
//! (`POST /v1/billing/lotes`) and here only writes previews.

use std::collections::BTreeMap;

use jiff::civil::Date;
use rusqlite::Connection;
use serde::Serialize;
use shared_model::access::{Action, Area, require};
use shared_model::billing::tiss::{
    ExpectedParties, GlosaLevel, Guide, LoteHeader, MAX_GUIDES, Message, ReturnBody, lote_message,
    parse_return,
};
use shared_model::billing::{
    BillableItem, ItemSource, LoadedLookup, OperatorSettings, Service, TussTable, build_guides,
};
use shared_model::documents::{AgendaDoc, DocumentKey, RegistryDoc};
use shared_model::ids::AppointmentId;
use shared_model::scheduling::{AppointmentKind, AppointmentStatus, Payer};

use super::documents;
use super::{Clinic, Session};
use crate::error::CoreError;
use crate::store::{billing, people};

/// An appointment a lote would bill.
#[derive(Debug, Clone, Serialize)]
pub struct BillableView {
    pub appointment_id: String,
    pub patient_id: String,
    pub professional_id: String,
    pub day: String,
    pub card_number: String,
    pub code: String,
    /// The contracted price (`None` when the operator's table lacks the code).
    pub centavos: Option<i64>,
}

fn operator_settings(conn: &Connection, registro_ans: &str) -> Result<OperatorSettings, CoreError> {
    match billing::operator(conn, registro_ans.trim())? {
        Some((json, _)) => serde_json::from_str(&json).map_err(|_| CoreError::Damaged),
        None => Err(domain(
            "billing.operator_unknown",
            "operadora não cadastrada no faturamento (atendebem tiss operator set)",
        )),
    }
}

fn domain(code: &'static str, message: impl Into<String>) -> CoreError {
    CoreError::Domain {
        code,
        message: message.into(),
    }
}

/// What lote to write.
#[derive(Debug, Clone)]
pub struct LoteRequest {
    pub registro_ans: String,
    /// First and last day (clinic's zone) of the appointments billed.
    pub from: Date,
    pub to: Date,
    /// Write without numbering or recording anything (allowed on a connected replica).
    pub preview: bool,
}

/// A lote written.
#[derive(Debug, Clone, Serialize)]
pub struct WrittenLote {
    pub numero_lote: u64,
    pub sequencial_transacao: u64,
    pub guide_count: usize,
    pub total_centavos: i64,
    pub hash: String,
    pub preview: bool,
    /// Appointments of the period left for a next lote (a lote carries at most 100 guides).
    pub remaining: usize,
    #[serde(skip)]
    pub xml: Vec<u8>,
}

impl Clinic {
    /// Creates or replaces an operator's settings and price table (administrators).
    pub fn set_billing_operator(
        &self,
        session: &Session,
        settings: &OperatorSettings,
    ) -> Result<(), CoreError> {
        require(session.role, Area::ClinicSettings, Action::Write)?;
        let json = serde_json::to_string(settings).map_err(|_| CoreError::Damaged)?;
        self.replica.write(|tx| {
            billing::put_operator(tx, settings.registro_ans.as_str(), &json)?;
            self.audit(
                tx,
                Some(session),
                "billing.operator.set",
                Some(settings.registro_ans.as_str()),
            )
        })
    }

    /// The operators this replica bills.
    pub fn billing_operators(&self, session: &Session) -> Result<Vec<OperatorSettings>, CoreError> {
        require(session.role, Area::Billing, Action::Read)?;
        billing::operators(self.replica.conn())?
            .iter()
            .map(|json| serde_json::from_str(json).map_err(|_| CoreError::Damaged))
            .collect()
    }

    /// Writes a lote of Guias de Consulta for the completed health-plan appointments of one
    /// operator in a period (oldest first, at most 100), not billed before. Numbering, the
    /// record of the lote and of what it billed happen in one write transaction.
    pub fn tiss_lote(&self, session: &Session, request: &LoteRequest) -> Result<WrittenLote, CoreError> {
        require(session.role, Area::Billing, Action::Export)?;
        if request.to < request.from {
            return Err(domain(
                "billing.invalid_period",
                "o fim do período vem antes do início",
            ));
        }
        let connected = people::get_meta(self.replica.conn(), crate::sync::meta::SERVER_URL)?.is_some();
        if connected && !request.preview {
            return Err(domain(
                "billing.numbering_needs_server",
                "esta réplica está ligada a um servidor: gere o lote pelo servidor (numeração única na \
                 operadora) ou escreva uma prévia (--preview)",
            ));
        }
        if request.preview {
            return self.write_lote(self.replica.conn(), session, request);
        }
        self.replica.write(|tx| self.write_lote(tx, session, request))
    }

    fn write_lote(
        &self,
        conn: &Connection,
        session: &Session,
        request: &LoteRequest,
    ) -> Result<WrittenLote, CoreError> {
        let operator = operator_settings(conn, &request.registro_ans)?;
        let [next_guide, next_lote, next_transaction] =
            billing::operator(conn, operator.registro_ans.as_str())?
                .map(|(_, counters)| counters)
                .ok_or(CoreError::Damaged)?;
        let items = self.billable_appointments(conn, &operator, request.from, request.to)?;
        if items.is_empty() {
            return Err(domain(
                "billing.nothing_to_bill",
                "não há atendimentos realizados desta operadora a faturar no período",
            ));
        }
        let remaining = items.len().saturating_sub(MAX_GUIDES);
        let items: Vec<BillableItem> = items.into_iter().take(MAX_GUIDES).collect();
        let lookup = self.lookup(conn, &items)?;
        let (first_guide, lote_number, transaction) = if request.preview {
            (1, 1, 1)
        } else {
            (next_guide, next_lote, next_transaction)
        };
        let mut next = first_guide;
        let built = build_guides(&operator, &items, &lookup, || {
            let n = next;
            next += 1;
            u64::try_from(n).unwrap_or(0)
        })
        .map_err(CoreError::domain)?;
        let now = self.clock.now();
        let header = LoteHeader {
            transaction: u64::try_from(transaction).unwrap_or(0),
            lote: u64::try_from(lote_number).unwrap_or(0),
            made_at: now
                .to_zoned(self.settings.time_zone.time_zone().clone())
                .datetime()
                .round(jiff::Unit::Second)
                .unwrap_or_default(),
            provider_code: operator.provider_code.clone(),
            registro_ans: operator.registro_ans.as_str().to_owned(),
            hash_input: operator.hash_input,
        };
        let guides: Vec<Guide> = built.iter().map(|b| b.guide.clone()).collect();
        let Message { bytes: xml, hash } = lote_message(&header, &guides).map_err(CoreError::domain)?;
        let total: i64 = guides
            .iter()
            .map(Guide::total_centavos)
            .fold(0, i64::saturating_add);
        if !request.preview {
            let billed: Vec<(String, String)> = built
                .iter()
                .flat_map(|b| {
                    b.items
                        .iter()
                        .map(move |(item, _)| (item.to_string(), b.guide.number().to_owned()))
                })
                .collect();
            billing::record_lote(
                conn,
                &billing::LoteRecord {
                    registro_ans: operator.registro_ans.as_str(),
                    numero_lote: lote_number,
                    transaction,
                    next_guide: next,
                    guide_count: i64::try_from(guides.len()).unwrap_or(0),
                    total_centavos: total,
                    hash: &hash,
                    xml: &xml,
                    created_at_ms: now.as_millisecond(),
                    billed: &billed,
                },
            )?;
            self.audit(
                conn,
                Some(session),
                "billing.lote.write",
                Some(&format!("{}/{lote_number}", operator.registro_ans)),
            )?;
        }
        Ok(WrittenLote {
            numero_lote: u64::try_from(lote_number).unwrap_or(0),
            sequencial_transacao: u64::try_from(transaction).unwrap_or(0),
            guide_count: guides.len(),
            total_centavos: total,
            hash,
            preview: request.preview,
            remaining,
            xml,
        })
    }

    /// The completed appointments of an operator in a period that a lote would bill, with the
    /// contracted price.
    pub fn billable_items(
        &self,
        session: &Session,
        registro_ans: &str,
        from: Date,
        to: Date,
    ) -> Result<Vec<BillableView>, CoreError> {
        require(session.role, Area::Billing, Action::Read)?;
        let conn = self.replica.conn();
        let operator = operator_settings(conn, registro_ans)?;
        let items = self.billable_appointments(conn, &operator, from, to)?;
        Ok(items
            .into_iter()
            .map(|i| BillableView {
                appointment_id: i.id.to_string(),
                patient_id: i.patient.to_string(),
                professional_id: i.professional.to_string(),
                day: i.performed_on.to_string(),
                card_number: i.card.as_str().to_owned(),
                code: i.code.as_str().to_owned(),
                centavos: operator.price(i.table, &i.code).map(|p| p.centavos),
            })
            .collect())
    }

    /// Lotes written on this replica, newest first.
    pub fn tiss_lotes(
        &self,
        session: &Session,
        registro_ans: Option<&str>,
    ) -> Result<Vec<billing::LoteRow>, CoreError> {
        require(session.role, Area::Billing, Action::Read)?;
        billing::lotes(self.replica.conn(), registro_ans.map(str::trim))
    }

    /// The message of a lote written here, byte for byte (to write its file again).
    pub fn tiss_lote_xml(
        &self,
        session: &Session,
        registro_ans: &str,
        numero_lote: i64,
    ) -> Result<Vec<u8>, CoreError> {
        require(session.role, Area::Billing, Action::Export)?;
        billing::lote_xml(self.replica.conn(), registro_ans.trim(), numero_lote)?
            .ok_or_else(|| domain("billing.lote_unknown", "lote não encontrado nesta réplica"))
    }

    /// Records that a lote was sent to the operator (once).
    pub fn mark_lote_sent(
        &self,
        session: &Session,
        registro_ans: &str,
        numero_lote: i64,
    ) -> Result<(), CoreError> {
        require(session.role, Area::Billing, Action::Write)?;
        let now = self.clock.now().as_millisecond();
        self.replica.write(|tx| {
            if !billing::mark_sent(tx, registro_ans.trim(), numero_lote, now)? {
                return Err(domain(
                    "billing.lote_unknown_or_sent",
                    "lote não encontrado nesta réplica, ou já marcado como enviado",
                ));
            }
            self.audit(
                tx,
                Some(session),
                "billing.lote.sent",
                Some(&format!("{}/{numero_lote}", registro_ans.trim())),
            )
        })
    }

    /// Imports an operator's return (checked against the schema by the caller): addressed to
    /// this clinic, each glosa matched to the lote and guide this replica wrote. A lote refused
    /// on receipt does not say which: `refused_lote` names it. Nothing is stored when anything
    /// does not match.
    pub fn import_tiss_return(
        &self,
        session: &Session,
        registro_ans: &str,
        bytes: &[u8],
        refused_lote: Option<i64>,
    ) -> Result<Vec<billing::GlosaRow>, CoreError> {
        use sha2::{Digest, Sha256};
        require(session.role, Area::Billing, Action::Write)?;
        let now = self.clock.now().as_millisecond();
        self.replica.write(|tx| {
            let operator = operator_settings(tx, registro_ans)?;
            let ans = operator.registro_ans.as_str();
            let parsed = parse_return(
                bytes,
                &ExpectedParties {
                    registro_ans: ans.to_owned(),
                    provider_code: operator.provider_code.clone(),
                    provider_document: None,
                },
            )
            .map_err(CoreError::domain)?;
            let refused = match (&parsed.body, refused_lote) {
                (ReturnBody::LoteRefused { .. }, None) => {
                    return Err(domain(
                        "billing.return_needs_lote",
                        "a operadora recusou um lote sem dizer qual: informe o número do lote (--lote)",
                    ));
                }
                (_, Some(n)) => n.to_string(),
                (_, None) => String::new(),
            };
            let sha256: String = Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect();
            let Some(seq) = billing::insert_return(tx, ans, &parsed.header.kind, &sha256, bytes, now)? else {
                return Err(domain(
                    "billing.return_duplicate",
                    "este arquivo de retorno já foi importado",
                ));
            };
            let mut out = Vec::new();
            for g in parsed.glosas(&refused) {
                let numero_lote: i64 = g.lote.trim().parse().unwrap_or(0);
                if !billing::has_lote(tx, ans, numero_lote)? {
                    return Err(domain(
                        "billing.return_unknown_lote",
                        "o retorno cita um número de lote que esta réplica não gerou para esta operadora",
                    ));
                }
                let appointment_id = match (&g.guide, g.level) {
                    (Some(guide), GlosaLevel::Guide | GlosaLevel::Item) => {
                        let found = billing::billed_source(tx, ans, numero_lote, guide)?;
                        if found.is_none() || g.item.is_some_and(|i| i != 1) {
                            return Err(domain(
                                "billing.return_unknown_item",
                                "o retorno cita uma guia (ou um item dela) que não foi enviada neste lote",
                            ));
                        }
                        found
                    }
                    _ => None,
                };
                let row = billing::GlosaRow {
                    registro_ans: ans.to_owned(),
                    numero_lote,
                    level: g.level.code().to_owned(),
                    guide_number: g.guide.clone(),
                    item_sequence: g.item.map(i64::from),
                    appointment_id,
                    code: g.code.clone(),
                    description: g.description.clone(),
                    centavos: g.centavos,
                };
                billing::insert_glosa(tx, seq, &row)?;
                out.push(row);
            }
            self.audit(tx, Some(session), "billing.return.import", Some(&seq.to_string()))?;
            Ok(out)
        })
    }

    /// Completed first visits, follow-ups and teleconsultations paid by `operator` in the
    /// period, not billed yet, oldest first.
    fn billable_appointments(
        &self,
        conn: &Connection,
        operator: &OperatorSettings,
        from: Date,
        to: Date,
    ) -> Result<Vec<BillableItem>, CoreError> {
        let rows = billing::unbilled_done(
            conn,
            AppointmentStatus::Done.as_str(),
            &from.to_string(),
            &to.to_string(),
        )?;
        let mut agendas: BTreeMap<String, Option<AgendaDoc>> = BTreeMap::new();
        let mut out = Vec::new();
        for (id, doc_key, day) in rows {
            if !agendas.contains_key(&doc_key) {
                let key: DocumentKey = doc_key.parse().map_err(|_| CoreError::Damaged)?;
                agendas.insert(doc_key.clone(), documents::read::<AgendaDoc>(conn, &key)?);
            }
            let Some(Some(agenda)) = agendas.get(&doc_key) else {
                continue;
            };
            let appointment_id: AppointmentId = id.parse().map_err(|_| CoreError::Damaged)?;
            let Ok(a) = agenda.appointment(appointment_id) else {
                continue;
            };
            let Payer::HealthPlan {
                operator_ans,
                card_number,
            } = &a.payer
            else {
                continue;
            };
            if *operator_ans != operator.registro_ans {
                continue;
            }
            let service = match a.kind {
                AppointmentKind::FirstVisit => Service::FirstVisit,
                AppointmentKind::FollowUp => Service::FollowUp,
                AppointmentKind::Teleconsultation => Service::Teleconsultation,
                AppointmentKind::Exam | AppointmentKind::Procedure => continue,
            };
            out.push(BillableItem {
                id: *a.id.as_uuid(),
                source: ItemSource::Appointment(*a.id.as_uuid()),
                patient: a.patient,
                professional: a.professional,
                performed_on: day.parse().map_err(|_| CoreError::Damaged)?,
                registro_ans: operator_ans.clone(),
                card: card_number.clone(),
                service,
                table: TussTable::Procedures,
                code: operator.consultation_code.clone(),
                quantity: 1,
                tooth: None,
                faces: None,
                hospital: None,
            });
        }
        Ok(out)
    }

    fn lookup(&self, conn: &Connection, items: &[BillableItem]) -> Result<LoadedLookup, CoreError> {
        let mut lookup = LoadedLookup::default();
        for item in items {
            if let std::collections::btree_map::Entry::Vacant(slot) =
                lookup.professionals.entry(item.professional)
            {
                match self.professional(&item.professional.to_string()) {
                    Ok(record) => {
                        slot.insert(record.professional);
                    }
                    Err(CoreError::ProfessionalNotFound) => {}
                    Err(e) => return Err(e),
                }
            }
            if !lookup.cards.contains_key(&item.patient)
                && let Some(registry) =
                    documents::read::<RegistryDoc>(conn, &DocumentKey::Registry(item.patient))?
            {
                let patient = registry.patient().map_err(CoreError::domain)?;
                lookup.cards.insert(item.patient, patient.health_plan_cards);
            }
        }
        Ok(lookup)
    }
}

#[cfg(test)]
mod tests {
    use shared_model::billing::tiss::HashInput;
    use shared_model::billing::{CONSULTATION_CODE, PriceEntry, TussCode};
    use shared_model::registry::AnsCode;

    use super::*;
    use crate::ErrorCode;
    use crate::services::tests::fixture;

    fn operator() -> OperatorSettings {
        OperatorSettings {
            registro_ans: AnsCode::parse("312345").unwrap(),
            name: "Saúde Brasil".into(),
            provider_code: "AB1".into(),
            clinic_name: "Clínica Teste".into(),
            cnes: "1234567".into(),
            hash_input: HashInput::Utf8,
            consultation_code: TussCode::parse(CONSULTATION_CODE).unwrap(),
            prices: vec![PriceEntry {
                table: TussTable::Procedures,
                code: TussCode::parse(CONSULTATION_CODE).unwrap(),
                description: "Consulta em consultório".into(),
                centavos: 15_000,
            }],
        }
    }

    #[test]
    fn roles_and_a_connected_replica_are_respected() {
        let f = fixture();
        let request = LoteRequest {
            registro_ans: "312345".into(),
            from: jiff::civil::date(2026, 11, 1),
            to: jiff::civil::date(2026, 11, 30),
            preview: false,
        };
        // Reception bills but does not configure operators.
        let err = f.clinic.set_billing_operator(&f.staff, &operator()).unwrap_err();
        assert_eq!(err.code(), "access.denied");
        f.clinic.set_billing_operator(&f.admin, &operator()).unwrap();
        assert_eq!(f.clinic.billing_operators(&f.staff).unwrap(), vec![operator()]);
        assert_eq!(
            f.clinic.tiss_lote(&f.staff, &request).unwrap_err().code(),
            "billing.nothing_to_bill"
        );
        let backwards = LoteRequest {
            to: jiff::civil::date(2026, 10, 1),
            ..request.clone()
        };
        assert_eq!(
            f.clinic.tiss_lote(&f.staff, &backwards).unwrap_err().code(),
            "billing.invalid_period"
        );
        // Once connected to a server, numbering is the server's: only previews here.
        f.clinic
            .replica
            .write(|tx| people::set_meta(tx, crate::sync::meta::SERVER_URL, "http://127.0.0.1:9"))
            .unwrap();
        assert_eq!(
            f.clinic.tiss_lote(&f.staff, &request).unwrap_err().code(),
            "billing.numbering_needs_server"
        );
        let preview = LoteRequest {
            preview: true,
            ..request
        };
        assert_eq!(
            f.clinic.tiss_lote(&f.staff, &preview).unwrap_err().code(),
            "billing.nothing_to_bill"
        );
    }
}
