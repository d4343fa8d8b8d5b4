//! The appointment index: appointments by day (clinic zone) and professional, by patient.

use rusqlite::{Connection, params};
use serde::Serialize;

use crate::error::CoreError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppointmentRow {
    pub appointment_id: String,
    pub doc_key: String,
    pub professional_id: String,
    pub patient_id: String,
    /// YYYY-MM-DD in the clinic's time zone.
    pub local_day: String,
    pub start_ms: i64,
    pub end_ms: i64,
    pub status: String,
}

/// Replaces the index rows of one agenda document by `rows`.
pub fn replace_for_document(
    conn: &Connection,
    doc_key: &str,
    rows: &[AppointmentRow],
) -> Result<(), CoreError> {
    conn.prepare_cached("DELETE FROM appointment_index WHERE doc_key = ?1")?
        .execute(params![doc_key])?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO appointment_index
           (appointment_id, doc_key, professional_id, patient_id, local_day, start_ms, end_ms, status)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for r in rows {
        insert.execute(params![
            r.appointment_id,
            r.doc_key,
            r.professional_id,
            r.patient_id,
            r.local_day,
            r.start_ms,
            r.end_ms,
            r.status
        ])?;
    }
    Ok(())
}

/// Appointments of a day, optionally of one professional, by start time.
pub fn by_day(
    conn: &Connection,
    local_day: &str,
    professional_id: Option<&str>,
) -> Result<Vec<AppointmentRow>, CoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT appointment_id, doc_key, professional_id, patient_id, local_day, start_ms, end_ms, status
         FROM appointment_index
         WHERE local_day = ?1 AND (?2 IS NULL OR professional_id = ?2)
         ORDER BY start_ms, professional_id",
    )?;
    let rows = stmt.query_map(params![local_day, professional_id], read_row)?;
    rows.collect::<Result<_, _>>().map_err(Into::into)
}

/// A patient's appointments, by start time.
pub fn by_patient(conn: &Connection, patient_id: &str) -> Result<Vec<AppointmentRow>, CoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT appointment_id, doc_key, professional_id, patient_id, local_day, start_ms, end_ms, status
         FROM appointment_index WHERE patient_id = ?1 ORDER BY start_ms",
    )?;
    let rows = stmt.query_map(params![patient_id], read_row)?;
    rows.collect::<Result<_, _>>().map_err(Into::into)
}

fn read_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<AppointmentRow> {
    Ok(AppointmentRow {
        appointment_id: row.get(0)?,
        doc_key: row.get(1)?,
        professional_id: row.get(2)?,
        patient_id: row.get(3)?,
        local_day: row.get(4)?,
        start_ms: row.get(5)?,
        end_ms: row.get(6)?,
        status: row.get(7)?,
    })
}
