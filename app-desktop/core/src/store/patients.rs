//! The patient index: a row per patient and an FTS5 table for search as you type.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::error::CoreError;

/// What the index keeps of a patient (derived from the registry document).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PatientRow {
    pub patient_id: String,
    pub name: String,
    pub social_name: Option<String>,
    /// 11 digits.
    pub cpf: Option<String>,
    /// 15 digits.
    pub cns: Option<String>,
    /// YYYY-MM-DD.
    pub birth_date: Option<String>,
}

/// A search result.
pub type SearchHit = PatientRow;

/// Inserts or replaces a patient's index rows.
pub fn upsert(conn: &Connection, row: &PatientRow, now_ms: i64) -> Result<(), CoreError> {
    conn.prepare_cached(
        "INSERT INTO patient_index (patient_id, name, social_name, cpf, cns, birth_date, sort_key, updated_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (patient_id) DO UPDATE SET name = excluded.name, social_name = excluded.social_name,
           cpf = excluded.cpf, cns = excluded.cns, birth_date = excluded.birth_date,
           sort_key = excluded.sort_key, updated_at_ms = excluded.updated_at_ms",
    )?
    .execute(params![
        row.patient_id,
        row.name,
        row.social_name,
        row.cpf,
        row.cns,
        row.birth_date,
        sort_key(row.social_name.as_deref().unwrap_or(&row.name)),
        now_ms
    ])?;
    let rowid: i64 = conn
        .prepare_cached("SELECT rowid FROM patient_index WHERE patient_id = ?1")?
        .query_row(params![row.patient_id], |r| r.get(0))?;
    conn.prepare_cached("DELETE FROM patient_search WHERE rowid = ?1")?
        .execute(params![rowid])?;
    conn.prepare_cached(
        "INSERT INTO patient_search (rowid, name, social_name, cpf, cns) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![rowid, row.name, row.social_name, row.cpf, row.cns])?;
    Ok(())
}

/// Removes a patient's index rows (their registry document holds no patient any more: a
/// registration the server refused, moved to the quarantine).
pub fn remove(conn: &Connection, patient_id: &str) -> Result<(), CoreError> {
    conn.prepare_cached(
        "DELETE FROM patient_search WHERE rowid = (SELECT rowid FROM patient_index WHERE patient_id = ?1)",
    )?
    .execute(params![patient_id])?;
    conn.prepare_cached("DELETE FROM patient_index WHERE patient_id = ?1")?
        .execute(params![patient_id])?;
    Ok(())
}

pub fn get(conn: &Connection, patient_id: &str) -> Result<Option<PatientRow>, CoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT patient_id, name, social_name, cpf, cns, birth_date FROM patient_index WHERE patient_id = ?1",
        )?
        .query_row(params![patient_id], read_row)
        .optional()?)
}

/// Id of a patient holding this CPF (11 digits), if any.
pub fn find_by_cpf(conn: &Connection, cpf_digits: &str) -> Result<Option<String>, CoreError> {
    Ok(conn
        .prepare_cached("SELECT patient_id FROM patient_index WHERE cpf = ?1 LIMIT 1")?
        .query_row(params![cpf_digits], |row| row.get(0))
        .optional()?)
}

/// Every CPF (11 digits) in the index.
pub fn all_cpfs(conn: &Connection) -> Result<std::collections::HashSet<String>, CoreError> {
    let mut stmt = conn.prepare("SELECT cpf FROM patient_index WHERE cpf IS NOT NULL")?;
    let rows = stmt.query_map([], |row| row.get::<_, String>(0))?;
    rows.collect::<Result<_, _>>().map_err(Into::into)
}

pub fn count(conn: &Connection) -> Result<i64, CoreError> {
    Ok(conn.query_row("SELECT count(*) FROM patient_index", [], |row| row.get(0))?)
}

/// Search as you type: accent- and case-insensitive prefix match on every word of the name or
/// social name ("joao silva" finds "João da Silva"), or by CPF/CNS digits with or without
/// punctuation. Results are in alphabetical order (accents ignored). An empty query returns
/// nothing.
///
/// Cost stays flat whatever the query: the matching row ids come from FTS5 without ranking; when
/// there are few (the usual case once a person has typed a few letters) those rows are read and
/// sorted; when there are very many (one or two common letters) the name-ordered index is walked
/// and stops at `limit` matches.
pub fn search(conn: &Connection, query: &str, limit: u32) -> Result<Vec<SearchHit>, CoreError> {
    const FEW: u32 = 500;
    let Some(fts_query) = build_fts_query(query) else {
        return Ok(Vec::new());
    };
    let mut stmt =
        conn.prepare_cached("SELECT rowid FROM patient_search WHERE patient_search MATCH ?1 LIMIT ?2")?;
    let rowids: Vec<i64> = stmt
        .query_map(params![fts_query, FEW + 1], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    if rowids.len() > FEW as usize {
        let mut stmt = conn.prepare_cached(
            "SELECT patient_id, name, social_name, cpf, cns, birth_date FROM patient_index INDEXED BY patient_index_by_sort
             WHERE rowid IN (SELECT rowid FROM patient_search WHERE patient_search MATCH ?1)
             ORDER BY sort_key LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![fts_query, limit], read_row)?;
        return rows.collect::<Result<_, _>>().map_err(Into::into);
    }
    let mut stmt = conn.prepare_cached(
        "SELECT patient_id, name, social_name, cpf, cns, birth_date, sort_key FROM patient_index WHERE rowid = ?1",
    )?;
    let mut hits = Vec::with_capacity(rowids.len());
    for rowid in rowids {
        let hit = stmt.query_row(params![rowid], |row| {
            Ok((row.get::<_, String>(6)?, read_row(row)?))
        })?;
        hits.push(hit);
    }
    hits.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(hits
        .into_iter()
        .take(limit as usize)
        .map(|(_, hit)| hit)
        .collect())
}

/// The ordering key of a name: lower case with the accents of Portuguese (and other Latin
/// languages) removed, so "Álvaro" sorts with "Alberto", not after "Zélia".
pub fn sort_key(name: &str) -> String {
    name.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ã' | 'ä' | 'å' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'õ' | 'ö' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            'ñ' => 'n',
            'ý' | 'ÿ' => 'y',
            c => c,
        })
        .collect()
}

/// Turns what a person typed into an FTS5 query, or `None` if there is nothing to search.
///
/// Input made only of digits and CPF/CNS punctuation (`.`, `-`, `/`, spaces) with at least three
/// digits searches the CPF and CNS columns by digit prefix; anything else searches name and social
/// name, every word as a prefix, all words required. Each term is quoted, so FTS5 syntax typed by
/// a user is taken literally.
pub(crate) fn build_fts_query(query: &str) -> Option<String> {
    let trimmed = query.trim();
    let is_document_number = !trimmed.is_empty()
        && trimmed
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '/' | ' '));
    if is_document_number {
        let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
        if digits.len() >= 3 {
            return Some(format!("{{cpf cns}} : \"{digits}\"*"));
        }
    }
    let terms: Vec<String> = trimmed
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{w}\"*"))
        .collect();
    if terms.is_empty() {
        return None;
    }
    Some(format!("{{name social_name}} : ({})", terms.join(" AND ")))
}

fn read_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<PatientRow> {
    Ok(PatientRow {
        patient_id: row.get(0)?,
        name: row.get(1)?,
        social_name: row.get(2)?,
        cpf: row.get(3)?,
        cns: row.get(4)?,
        birth_date: row.get(5)?,
    })
}

#[cfg(test)]
mod tests {
    use super::build_fts_query;

    #[test]
    fn queries() {
        assert_eq!(
            build_fts_query("joao silva").as_deref(),
            Some("{name social_name} : (\"joao\"* AND \"silva\"*)")
        );
        assert_eq!(
            build_fts_query("529.982.247-25").as_deref(),
            Some("{cpf cns} : \"52998224725\"*")
        );
        assert_eq!(build_fts_query("  ").as_deref(), None);
        assert_eq!(
            build_fts_query("\"; DROP").as_deref(),
            Some("{name social_name} : (\"DROP\"*)")
        );
        // Two digits are not enough to search documents: treated as a name word.
        assert_eq!(
            build_fts_query("12").as_deref(),
            Some("{name social_name} : (\"12\"*)")
        );
    }
}
