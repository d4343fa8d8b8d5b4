//! TISS billing bookkeeping of a replica: operators (settings as JSON) with their counters, the
//! lotes written (kept byte for byte) and the appointments they billed.

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::CoreError;

/// Stores (or replaces) an operator's settings; its counters are kept.
pub fn put_operator(conn: &Connection, registro_ans: &str, json: &str) -> Result<(), CoreError> {
    conn.execute(
        "INSERT INTO billing_operators (registro_ans, data) VALUES (?1, ?2)
         ON CONFLICT (registro_ans) DO UPDATE SET data = excluded.data",
        params![registro_ans, json],
    )?;
    Ok(())
}

/// Every operator's settings (JSON), by registro ANS.
pub fn operators(conn: &Connection) -> Result<Vec<String>, CoreError> {
    let mut stmt = conn.prepare_cached("SELECT data FROM billing_operators ORDER BY registro_ans")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    rows.collect::<Result<_, _>>().map_err(Into::into)
}

/// One operator's settings (JSON) and its next (guide, lote, transaction) numbers.
pub fn operator(conn: &Connection, registro_ans: &str) -> Result<Option<(String, [i64; 3])>, CoreError> {
    conn.query_row(
        "SELECT data, next_guide, next_lote, next_transaction FROM billing_operators WHERE registro_ans = ?1",
        [registro_ans],
        |r| Ok((r.get(0)?, [r.get(1)?, r.get(2)?, r.get(3)?])),
    )
    .optional()
    .map_err(Into::into)
}

/// Completed appointments of a period (clinic days, inclusive) not billed yet, oldest first:
/// (appointment id, agenda document key, day).
pub fn unbilled_done(
    conn: &Connection,
    done: &str,
    from: &str,
    to: &str,
) -> Result<Vec<(String, String, String)>, CoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT a.appointment_id, a.doc_key, a.local_day FROM appointment_index a
         WHERE a.status = ?1 AND a.local_day BETWEEN ?2 AND ?3
           AND NOT EXISTS (SELECT 1 FROM billed_items b WHERE b.source_id = a.appointment_id)
         ORDER BY a.start_ms, a.appointment_id",
    )?;
    let rows = stmt.query_map(params![done, from, to], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    rows.collect::<Result<_, _>>().map_err(Into::into)
}

/// A lote written, as recorded.
#[derive(Debug)]
pub struct LoteRecord<'a> {
    pub registro_ans: &'a str,
    pub numero_lote: i64,
    pub transaction: i64,
    pub next_guide: i64,
    pub guide_count: i64,
    pub total_centavos: i64,
    pub hash: &'a str,
    pub xml: &'a [u8],
    pub created_at_ms: i64,
    /// (appointment id, guide number).
    pub billed: &'a [(String, String)],
}

/// Records a lote, the appointments it billed, and advances the operator's counters.
pub fn record_lote(conn: &Connection, lote: &LoteRecord<'_>) -> Result<(), CoreError> {
    conn.execute(
        "UPDATE billing_operators SET next_guide = ?2, next_lote = ?3 + 1, next_transaction = ?4 + 1
         WHERE registro_ans = ?1",
        params![
            lote.registro_ans,
            lote.next_guide,
            lote.numero_lote,
            lote.transaction
        ],
    )?;
    conn.execute(
        "INSERT INTO tiss_lotes (registro_ans, numero_lote, transaction_seq, guide_kind, guide_count,
           total_centavos, hash, xml, created_at_ms) VALUES (?1, ?2, ?3, 'consulta', ?4, ?5, ?6, ?7, ?8)",
        params![
            lote.registro_ans,
            lote.numero_lote,
            lote.transaction,
            lote.guide_count,
            lote.total_centavos,
            lote.hash,
            lote.xml,
            lote.created_at_ms
        ],
    )?;
    let mut stmt = conn.prepare_cached(
        "INSERT INTO billed_items (source_id, registro_ans, numero_lote, guide_number) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (source, guide) in lote.billed {
        stmt.execute(params![source, lote.registro_ans, lote.numero_lote, guide])?;
    }
    Ok(())
}

/// One lote as listed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LoteRow {
    pub registro_ans: String,
    pub numero_lote: i64,
    pub transaction_seq: i64,
    pub guide_count: i64,
    pub total_centavos: i64,
    pub hash: String,
    pub created_at_ms: i64,
    pub sent_at_ms: Option<i64>,
}

pub fn lotes(conn: &Connection, registro_ans: Option<&str>) -> Result<Vec<LoteRow>, CoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT registro_ans, numero_lote, transaction_seq, guide_count, total_centavos, hash, created_at_ms,
           sent_at_ms FROM tiss_lotes WHERE ?1 IS NULL OR registro_ans = ?1 ORDER BY created_at_ms DESC",
    )?;
    let rows = stmt.query_map([registro_ans], |r| {
        Ok(LoteRow {
            registro_ans: r.get(0)?,
            numero_lote: r.get(1)?,
            transaction_seq: r.get(2)?,
            guide_count: r.get(3)?,
            total_centavos: r.get(4)?,
            hash: r.get(5)?,
            created_at_ms: r.get(6)?,
            sent_at_ms: r.get(7)?,
        })
    })?;
    rows.collect::<Result<_, _>>().map_err(Into::into)
}

/// Marks a lote sent; `false` when there is no such lote or it was already sent.
pub fn mark_sent(
    conn: &Connection,
    registro_ans: &str,
    numero_lote: i64,
    now_ms: i64,
) -> Result<bool, CoreError> {
    let changed = conn.execute(
        "UPDATE tiss_lotes SET sent_at_ms = ?3 WHERE registro_ans = ?1 AND numero_lote = ?2 AND sent_at_ms IS NULL",
        params![registro_ans, numero_lote, now_ms],
    )?;
    Ok(changed == 1)
}

/// Whether this operator has a lote with this number.
pub fn has_lote(conn: &Connection, registro_ans: &str, numero_lote: i64) -> Result<bool, CoreError> {
    let found: Option<i64> = conn
        .query_row(
            "SELECT 1 FROM tiss_lotes WHERE registro_ans = ?1 AND numero_lote = ?2",
            params![registro_ans, numero_lote],
            |r| r.get(0),
        )
        .optional()?;
    Ok(found.is_some())
}

/// The appointment billed as item 1 of `guide_number` in a lote (a consulta has one item).
pub fn billed_source(
    conn: &Connection,
    registro_ans: &str,
    numero_lote: i64,
    guide_number: &str,
) -> Result<Option<String>, CoreError> {
    conn.query_row(
        "SELECT source_id FROM billed_items WHERE registro_ans = ?1 AND numero_lote = ?2 AND guide_number = ?3",
        params![registro_ans, numero_lote, guide_number],
        |r| r.get(0),
    )
    .optional()
    .map_err(Into::into)
}

/// Stores a return file; `None` when the same file was imported before.
pub fn insert_return(
    conn: &Connection,
    registro_ans: &str,
    kind: &str,
    sha256: &str,
    xml: &[u8],
    now_ms: i64,
) -> Result<Option<i64>, CoreError> {
    let inserted = conn.execute(
        "INSERT INTO tiss_returns (registro_ans, kind, sha256, xml, received_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (sha256) DO NOTHING",
        params![registro_ans, kind, sha256, xml, now_ms],
    )?;
    Ok((inserted == 1).then(|| conn.last_insert_rowid()))
}

/// One glosa as stored and listed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct GlosaRow {
    pub registro_ans: String,
    pub numero_lote: i64,
    pub level: String,
    pub guide_number: Option<String>,
    pub item_sequence: Option<i64>,
    /// The appointment the denied item billed.
    pub appointment_id: Option<String>,
    pub code: String,
    pub description: Option<String>,
    pub centavos: Option<i64>,
}

pub fn insert_glosa(conn: &Connection, return_seq: i64, g: &GlosaRow) -> Result<(), CoreError> {
    conn.execute(
        "INSERT INTO tiss_glosas (return_seq, registro_ans, numero_lote, level, guide_number, item_sequence,
           source_id, code, description, centavos) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            return_seq,
            g.registro_ans,
            g.numero_lote,
            g.level,
            g.guide_number,
            g.item_sequence,
            g.appointment_id,
            g.code,
            g.description,
            g.centavos
        ],
    )?;
    Ok(())
}

/// A stored lote's message, as written.
pub fn lote_xml(
    conn: &Connection,
    registro_ans: &str,
    numero_lote: i64,
) -> Result<Option<Vec<u8>>, CoreError> {
    conn.query_row(
        "SELECT xml FROM tiss_lotes WHERE registro_ans = ?1 AND numero_lote = ?2",
        params![registro_ans, numero_lote],
        |r| r.get(0),
    )
    .optional()
    .map_err(Into::into)
}
