//! TISS billing on a replica: operators and their price tables, and lotes of Guias de Consulta
//! built offline from the replica's completed health-plan appointments.
//!
//! A lote needs numbers unique at the operator. A standalone replica is the only writer, so its
//! own counters are unique; a replica connected to a server leaves numbering to the server
//! (`POST /v1/billing/lotes`) and here only writes previews.

use std::collections::BTreeMap;

use jiff::civil::Date;
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use shared_model::access::{Action, Area, require};
use shared_model::billing::tiss::{Guide, LoteHeader, lote, message_hashes};
use shared_model::billing::{
    BillableItem, ItemSource, Lookup, OperatorSettings, Service, TussTable, build_guides,
};
use shared_model::documents::{AgendaDoc, DocumentKey, RegistryDoc};
use shared_model::ids::{AppointmentId, PatientId, ProfessionalId};
use shared_model::registry::{AnsCode, CardNumber, HealthPlanCard, Professional};
use shared_model::scheduling::{AppointmentKind, AppointmentStatus, Payer};

use super::documents;
use super::{Clinic, Session};
use crate::error::CoreError;
use crate::store::people;

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

struct ReplicaLookup {
    professionals: BTreeMap<ProfessionalId, Professional>,
    cards: BTreeMap<PatientId, Vec<HealthPlanCard>>,
}

impl Lookup for ReplicaLookup {
    fn professional(&self, id: ProfessionalId) -> Option<Professional> {
        self.professionals.get(&id).cloned()
    }

    fn card(&self, patient: PatientId, registro_ans: &AnsCode, card: &CardNumber) -> Option<HealthPlanCard> {
        self.cards
            .get(&patient)?
            .iter()
            .find(|c| c.operator_ans == *registro_ans && c.card_number == *card)
            .cloned()
    }
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
            tx.execute(
                "INSERT INTO billing_operators (registro_ans, data) VALUES (?1, ?2)
                 ON CONFLICT (registro_ans) DO UPDATE SET data = excluded.data",
                params![settings.registro_ans.as_str(), json],
            )?;
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
        let mut stmt = self
            .replica
            .conn()
            .prepare("SELECT data FROM billing_operators ORDER BY registro_ans")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        rows.map(|r| {
            let json = r?;
            serde_json::from_str(&json).map_err(|_| CoreError::Damaged)
        })
        .collect()
    }

    /// Writes a lote of Guias de Consulta for the completed health-plan appointments of one
    /// operator in a period (oldest first, at most 100), not billed before.
    pub fn tiss_lote(&self, session: &Session, request: &LoteRequest) -> Result<WrittenLote, CoreError> {
        require(session.role, Area::Billing, Action::Export)?;
        if request.to < request.from {
            return Err(domain(
                "billing.invalid_period",
                "o fim do período vem antes do início",
            ));
        }
        let conn = self.replica.conn();
        let connected = people::get_meta(conn, crate::sync::meta::SERVER_URL)?.is_some();
        if connected && !request.preview {
            return Err(domain(
                "billing.numbering_needs_server",
                "esta réplica está ligada a um servidor: gere o lote pelo servidor (numeração única na \
                 operadora) ou escreva uma prévia (--preview)",
            ));
        }
        let stored: Option<String> = conn
            .query_row(
                "SELECT data FROM billing_operators WHERE registro_ans = ?1",
                [request.registro_ans.trim()],
                |r| r.get(0),
            )
            .optional()?;
        let operator: OperatorSettings = match stored {
            Some(json) => serde_json::from_str(&json).map_err(|_| CoreError::Damaged)?,
            None => {
                return Err(domain(
                    "billing.operator_unknown",
                    "operadora não cadastrada no faturamento (atendebem tiss operator set)",
                ));
            }
        };
        let items = self.billable_appointments(&operator, request.from, request.to)?;
        if items.is_empty() {
            return Err(domain(
                "billing.nothing_to_bill",
                "não há atendimentos realizados desta operadora a faturar no período",
            ));
        }
        let remaining = items
            .len()
            .saturating_sub(shared_model::billing::tiss::MAX_GUIDES);
        let items: Vec<BillableItem> = items
            .into_iter()
            .take(shared_model::billing::tiss::MAX_GUIDES)
            .collect();
        let lookup = self.lookup(&items)?;
        let (mut next_guide, lote_number, transaction) = if request.preview {
            (1, 1, 1)
        } else {
            conn.query_row(
                "SELECT next_guide, next_lote, next_transaction FROM billing_operators WHERE registro_ans = ?1",
                [operator.registro_ans.as_str()],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)),
            )?
        };
        let first_guide = next_guide;
        let built = build_guides(&operator, &items, &lookup, || {
            let n = next_guide;
            next_guide += 1;
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
        let xml = lote(&header, &guides).map_err(CoreError::domain)?;
        let hash = message_hashes(&xml)
            .map_err(CoreError::domain)?
            .declared
            .unwrap_or_default();
        let total: i64 = guides.iter().map(Guide::total_centavos).sum();
        if !request.preview {
            self.replica.write(|tx| {
                tx.execute(
                    "UPDATE billing_operators SET next_guide = ?2, next_lote = next_lote + 1,
                       next_transaction = next_transaction + 1 WHERE registro_ans = ?1",
                    params![operator.registro_ans.as_str(), first_guide + i64::try_from(guides.len()).unwrap_or(0)],
                )?;
                tx.execute(
                    "INSERT INTO tiss_lotes (registro_ans, numero_lote, transaction_seq, guide_kind, guide_count,
                       total_centavos, hash, xml, created_at_ms) VALUES (?1, ?2, ?3, 'consulta', ?4, ?5, ?6, ?7, ?8)",
                    params![
                        operator.registro_ans.as_str(),
                        lote_number,
                        transaction,
                        i64::try_from(guides.len()).unwrap_or(0),
                        total,
                        hash,
                        xml,
                        now.as_millisecond()
                    ],
                )?;
                for b in &built {
                    for (item, _) in &b.items {
                        if let Some(source) = items.iter().find(|i| i.id == *item) {
                            let ItemSource::Appointment(id) = source.source else { continue };
                            tx.execute(
                                "INSERT INTO billed_items (source_id, registro_ans, numero_lote, guide_number)
                                 VALUES (?1, ?2, ?3, ?4)",
                                params![id.to_string(), operator.registro_ans.as_str(), lote_number, b.guide.number()],
                            )?;
                        }
                    }
                }
                self.audit(tx, Some(session), "billing.lote.write", Some(&format!("{}/{lote_number}", operator.registro_ans)))
            })?;
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

    /// Completed first visits, follow-ups and teleconsultations paid by `operator` in the
    /// period, not billed yet, oldest first.
    fn billable_appointments(
        &self,
        operator: &OperatorSettings,
        from: Date,
        to: Date,
    ) -> Result<Vec<BillableItem>, CoreError> {
        let conn = self.replica.conn();
        let mut stmt = conn.prepare(
            "SELECT a.appointment_id, a.doc_key, a.local_day FROM appointment_index a
             WHERE a.status = ?1 AND a.local_day BETWEEN ?2 AND ?3
               AND NOT EXISTS (SELECT 1 FROM billed_items b WHERE b.source_id = a.appointment_id)
             ORDER BY a.start_ms, a.appointment_id",
        )?;
        let rows: Vec<(String, String, String)> = stmt
            .query_map(
                params![AppointmentStatus::Done.as_str(), from.to_string(), to.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?
            .collect::<Result<_, _>>()?;
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
            });
        }
        Ok(out)
    }

    fn lookup(&self, items: &[BillableItem]) -> Result<ReplicaLookup, CoreError> {
        let conn = self.replica.conn();
        let mut lookup = ReplicaLookup {
            professionals: BTreeMap::new(),
            cards: BTreeMap::new(),
        };
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
