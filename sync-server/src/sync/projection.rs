//! Relational read models of the documents (patients, appointments, chart entry metadata),
//! written in the same transaction as the changes they come from, one statement per table per
//! push. Chart text never leaves the document: only ids, kind, status, author and times.

use shared_model::documents::DocumentKey;
use shared_model::scheduling::Payer;
use uuid::Uuid;

use super::doc::State;
use crate::db::{DbTime, TenantTx};

/// Rows to upsert, gathered over a whole push.
#[derive(Debug, Default)]
pub struct Rows {
    patients: Patients,
    appointments: Appointments,
    entries: Entries,
}

#[derive(Debug, Default)]
struct Patients {
    id: Vec<Uuid>,
    name: Vec<String>,
    social_name: Vec<Option<String>>,
    birth_date: Vec<Option<String>>,
    cpf: Vec<Option<String>>,
    cns: Vec<Option<String>>,
    seq: Vec<i64>,
}

#[derive(Debug, Default)]
struct Appointments {
    id: Vec<Uuid>,
    professional: Vec<Uuid>,
    patient: Vec<Uuid>,
    start: Vec<DbTime>,
    end: Vec<DbTime>,
    status: Vec<String>,
    key: Vec<String>,
    seq: Vec<i64>,
    kind: Vec<String>,
    payer_ans: Vec<Option<String>>,
    payer_card: Vec<Option<String>>,
}

#[derive(Debug, Default)]
struct Entries {
    id: Vec<Uuid>,
    patient: Vec<Uuid>,
    kind: Vec<String>,
    status: Vec<String>,
    author: Vec<Uuid>,
    created: Vec<DbTime>,
    signed: Vec<Option<DbTime>>,
    amends: Vec<Option<Uuid>>,
    seq: Vec<i64>,
}

impl Rows {
    /// Adds what changed between `before` and `after` of one document.
    pub fn add(&mut self, key: &DocumentKey, before: &State, after: &State, seq: i64) {
        match (before, after) {
            (State::Registry(old), State::Registry(Some(p))) if old.as_ref() != Some(p) => {
                let r = &mut self.patients;
                r.id.push(*p.id.as_uuid());
                r.name.push(p.name.as_str().to_string());
                r.social_name
                    .push(p.social_name.as_ref().map(|n| n.as_str().to_string()));
                r.birth_date
                    .push(p.birth_date.as_ref().map(|d| d.date().to_string()));
                r.cpf.push(p.cpf.as_ref().map(|c| c.as_str().to_string()));
                r.cns.push(p.cns.as_ref().map(|c| c.as_str().to_string()));
                r.seq.push(seq);
            }
            (State::Agenda(old), State::Agenda(new)) => {
                let r = &mut self.appointments;
                for a in new.iter().filter(|a| !old.contains(a)) {
                    r.id.push(*a.id.as_uuid());
                    r.professional.push(*a.professional.as_uuid());
                    r.patient.push(*a.patient.as_uuid());
                    r.start.push(DbTime::from_timestamp(a.start));
                    r.end.push(DbTime::from_timestamp(a.end));
                    r.status.push(a.status.as_str().to_string());
                    r.key.push(key.to_string());
                    r.seq.push(seq);
                    r.kind.push(a.kind.as_str().to_string());
                    let (ans, card) = match &a.payer {
                        Payer::Private => (None, None),
                        Payer::HealthPlan {
                            operator_ans,
                            card_number,
                        } => (
                            Some(operator_ans.as_str().to_string()),
                            Some(card_number.as_str().to_string()),
                        ),
                    };
                    r.payer_ans.push(ans);
                    r.payer_card.push(card);
                }
            }
            (State::Chart(old), State::Chart(new)) => {
                let DocumentKey::Chart(patient) = key else { return };
                let r = &mut self.entries;
                for e in new.iter().filter(|e| !old.contains(e)) {
                    r.id.push(*e.id.as_uuid());
                    r.patient.push(*patient.as_uuid());
                    r.kind.push(e.kind.as_str().to_string());
                    r.status.push(e.status.as_str().to_string());
                    r.author.push(*e.author.as_uuid());
                    r.created.push(DbTime::from_timestamp(e.created_at));
                    r.signed.push(e.signed_at.map(DbTime::from_timestamp));
                    r.amends.push(e.amends.map(|a| *a.as_uuid()));
                    r.seq.push(seq);
                }
            }
            _ => {}
        }
    }

    pub async fn write(self, tx: &mut TenantTx, tenant: Uuid) -> Result<(), sqlx::Error> {
        let p = self.patients;
        if !p.id.is_empty() {
            sqlx::query(
                "INSERT INTO patients (tenant_id, id, name, social_name, birth_date, cpf, cns, updated_seq) \
                 SELECT $1, u.id, u.name, u.social_name, u.birth_date::date, u.cpf, u.cns, u.seq \
                 FROM UNNEST($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int8[]) \
                   AS u(id, name, social_name, birth_date, cpf, cns, seq) \
                 ON CONFLICT (tenant_id, id) DO UPDATE SET name = EXCLUDED.name, social_name = EXCLUDED.social_name, \
                 birth_date = EXCLUDED.birth_date, cpf = EXCLUDED.cpf, cns = EXCLUDED.cns, updated_seq = EXCLUDED.updated_seq",
            )
            .bind(tenant)
            .bind(p.id)
            .bind(p.name)
            .bind(p.social_name)
            .bind(p.birth_date)
            .bind(p.cpf)
            .bind(p.cns)
            .bind(p.seq)
            .execute(&mut **tx)
            .await?;
        }
        let a = self.appointments;
        if !a.id.is_empty() {
            sqlx::query(
                "INSERT INTO appointments (tenant_id, id, professional_id, patient_id, starts_at, ends_at, status, doc_key, \
                   updated_seq, kind, payer_ans, payer_card) \
                 SELECT $1, u.* FROM UNNEST($2::uuid[], $3::uuid[], $4::uuid[], $5::timestamptz[], $6::timestamptz[], $7::text[], \
                   $8::text[], $9::int8[], $10::text[], $11::text[], $12::text[]) \
                   AS u(id, professional_id, patient_id, starts_at, ends_at, status, doc_key, updated_seq, kind, payer_ans, payer_card) \
                 ON CONFLICT (tenant_id, id) DO UPDATE SET professional_id = EXCLUDED.professional_id, \
                 patient_id = EXCLUDED.patient_id, starts_at = EXCLUDED.starts_at, ends_at = EXCLUDED.ends_at, \
                 status = EXCLUDED.status, doc_key = EXCLUDED.doc_key, updated_seq = EXCLUDED.updated_seq, \
                 kind = EXCLUDED.kind, payer_ans = EXCLUDED.payer_ans, payer_card = EXCLUDED.payer_card",
            )
            .bind(tenant)
            .bind(a.id)
            .bind(a.professional)
            .bind(a.patient)
            .bind(a.start)
            .bind(a.end)
            .bind(a.status)
            .bind(a.key)
            .bind(a.seq)
            .bind(a.kind)
            .bind(a.payer_ans)
            .bind(a.payer_card)
            .execute(&mut **tx)
            .await?;
        }
        let e = self.entries;
        if !e.id.is_empty() {
            sqlx::query(
                "INSERT INTO chart_entries (tenant_id, id, patient_id, kind, status, author_id, created_at, signed_at, amends, updated_seq) \
                 SELECT $1, u.* FROM UNNEST($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::uuid[], $7::timestamptz[], \
                   $8::timestamptz[], $9::uuid[], $10::int8[]) \
                   AS u(id, patient_id, kind, status, author_id, created_at, signed_at, amends, updated_seq) \
                 ON CONFLICT (tenant_id, id) DO UPDATE SET status = EXCLUDED.status, signed_at = EXCLUDED.signed_at, \
                 updated_seq = EXCLUDED.updated_seq",
            )
            .bind(tenant)
            .bind(e.id)
            .bind(e.patient)
            .bind(e.kind)
            .bind(e.status)
            .bind(e.author)
            .bind(e.created)
            .bind(e.signed)
            .bind(e.amends)
            .bind(e.seq)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }
}
