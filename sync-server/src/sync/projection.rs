//! Relational read models of the documents (patients, appointments, chart entry metadata),
//! written in the same transaction as the change they come from. Chart text never leaves the
//! document: only ids, kind, status, author and times.

use shared_model::documents::DocumentKey;
use uuid::Uuid;

use super::doc::State;
use crate::db::{DbTime, TenantTx};

pub async fn update(
    tx: &mut TenantTx,
    tenant: Uuid,
    key: &DocumentKey,
    before: &State,
    after: &State,
    seq: i64,
) -> Result<(), sqlx::Error> {
    match (before, after) {
        (State::Registry(old), State::Registry(Some(p))) if old.as_ref() != Some(p) => {
            sqlx::query(
                "INSERT INTO patients (tenant_id, id, name, social_name, birth_date, cpf, cns, updated_seq) \
                 VALUES ($1, $2, $3, $4, $5::date, $6, $7, $8) \
                 ON CONFLICT (tenant_id, id) DO UPDATE SET name = EXCLUDED.name, social_name = EXCLUDED.social_name, \
                 birth_date = EXCLUDED.birth_date, cpf = EXCLUDED.cpf, cns = EXCLUDED.cns, updated_seq = EXCLUDED.updated_seq",
            )
            .bind(tenant)
            .bind(p.id.as_uuid())
            .bind(p.name.as_str())
            .bind(p.social_name.as_ref().map(|n| n.as_str()))
            .bind(p.birth_date.as_ref().map(|d| d.date().to_string()))
            .bind(p.cpf.as_ref().map(|c| c.as_str()))
            .bind(p.cns.as_ref().map(|c| c.as_str()))
            .bind(seq)
            .execute(&mut **tx)
            .await?;
        }
        (State::Agenda(old), State::Agenda(new)) => {
            for a in new.iter().filter(|a| !old.contains(a)) {
                sqlx::query(
                    "INSERT INTO appointments (tenant_id, id, professional_id, patient_id, starts_at, ends_at, status, doc_key, updated_seq) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                     ON CONFLICT (tenant_id, id) DO UPDATE SET professional_id = EXCLUDED.professional_id, \
                     patient_id = EXCLUDED.patient_id, starts_at = EXCLUDED.starts_at, ends_at = EXCLUDED.ends_at, \
                     status = EXCLUDED.status, doc_key = EXCLUDED.doc_key, updated_seq = EXCLUDED.updated_seq",
                )
                .bind(tenant)
                .bind(a.id.as_uuid())
                .bind(a.professional.as_uuid())
                .bind(a.patient.as_uuid())
                .bind(DbTime::from_timestamp(a.start))
                .bind(DbTime::from_timestamp(a.end))
                .bind(a.status.as_str())
                .bind(key.to_string())
                .bind(seq)
                .execute(&mut **tx)
                .await?;
            }
        }
        (State::Chart(old), State::Chart(new)) => {
            let DocumentKey::Chart(patient) = key else {
                return Ok(());
            };
            for e in new.iter().filter(|e| !old.contains(e)) {
                sqlx::query(
                    "INSERT INTO chart_entries (tenant_id, id, patient_id, kind, status, author_id, created_at, signed_at, amends, updated_seq) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                     ON CONFLICT (tenant_id, id) DO UPDATE SET status = EXCLUDED.status, signed_at = EXCLUDED.signed_at, \
                     updated_seq = EXCLUDED.updated_seq",
                )
                .bind(tenant)
                .bind(e.id.as_uuid())
                .bind(patient.as_uuid())
                .bind(e.kind.as_str())
                .bind(e.status.as_str())
                .bind(e.author.as_uuid())
                .bind(DbTime::from_timestamp(e.created_at))
                .bind(e.signed_at.map(DbTime::from_timestamp))
                .bind(e.amends.map(|a| *a.as_uuid()))
                .bind(seq)
                .execute(&mut **tx)
                .await?;
            }
        }
        _ => {}
    }
    Ok(())
}
