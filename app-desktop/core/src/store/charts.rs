//! The chart projection: clinical entries as JSON rows, per patient.

use rusqlite::{Connection, params};
use shared_model::charting::ClinicalEntry;

use crate::error::CoreError;

/// Inserts or replaces the rows of `entries` (each version is its own entry).
pub fn upsert(conn: &Connection, patient_id: &str, entries: &[ClinicalEntry]) -> Result<(), CoreError> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO chart_entry_index (entry_id, patient_id, data) VALUES (?1, ?2, ?3)
         ON CONFLICT (entry_id) DO UPDATE SET patient_id = excluded.patient_id, data = excluded.data",
    )?;
    for entry in entries {
        let json = serde_json::to_string(entry).map_err(|_| CoreError::Damaged)?;
        stmt.execute(params![entry.id.to_string(), patient_id, json])?;
    }
    Ok(())
}

/// Replaces every row of a patient (after a rebuild or a merge).
pub fn replace(conn: &Connection, patient_id: &str, entries: &[ClinicalEntry]) -> Result<(), CoreError> {
    conn.prepare_cached("DELETE FROM chart_entry_index WHERE patient_id = ?1")?
        .execute(params![patient_id])?;
    upsert(conn, patient_id, entries)
}

/// Every entry (every version) of a patient's chart.
pub fn entries(conn: &Connection, patient_id: &str) -> Result<Vec<ClinicalEntry>, CoreError> {
    let mut stmt = conn.prepare_cached("SELECT data FROM chart_entry_index WHERE patient_id = ?1")?;
    let rows = stmt.query_map(params![patient_id], |row| row.get::<_, String>(0))?;
    let mut entries = Vec::new();
    for json in rows {
        entries.push(serde_json::from_str(&json?).map_err(|_| CoreError::Damaged)?);
    }
    Ok(entries)
}
