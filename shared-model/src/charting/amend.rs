//! Amendments (retificações) and version chains.
//!
//! The versions of one record are its original entry plus every entry that transitively
//! `amends` it. They are ordered by depth (hops from the original), then `created_at`, then id,
//! so the order is the same on every replica even when two amendments of the same version were
//! written concurrently offline; the last one is the current version.

use std::collections::HashMap;

use jiff::Timestamp;

use super::{ChartError, ClinicalEntry, EntryStatus};
use crate::documents::codec::millis;
use crate::ids::{DeviceId, EntryId, UserId};
use crate::values::Cid10;

/// A correction of a signed entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Amendment {
    /// The version being corrected (must be the current version of its record).
    pub original: EntryId,
    /// The corrected text, in full.
    pub text: String,
    /// Why (at least [`Amendment::MIN_REASON_CHARS`] characters).
    pub reason: String,
    /// New CID-10 codes; `None` keeps the original's.
    pub cid10: Option<Vec<Cid10>>,
}

impl Amendment {
    pub const MIN_REASON_CHARS: usize = 5;

    /// Checks the reason's length and returns it trimmed.
    pub(crate) fn checked_reason(reason: &str) -> Result<String, ChartError> {
        let reason = reason.trim();
        if reason.chars().count() < Self::MIN_REASON_CHARS {
            return Err(ChartError::AmendmentReasonTooShort {
                min: Self::MIN_REASON_CHARS,
            });
        }
        Ok(reason.to_owned())
    }
}

/// Builds the amendment entry: a new, already signed version by `by`, of the same kind as the
/// original, pointing at it.
///
/// Refused when the original is missing, still a draft, not the current version of its record,
/// written by someone else (NGS1.12.01: only the author corrects a finalised record), or when the
/// reason is shorter than 5 characters or the text is empty.
pub fn new_amendment(
    entries: &[ClinicalEntry],
    amendment: Amendment,
    by: UserId,
    device: DeviceId,
    now: Timestamp,
) -> Result<ClinicalEntry, ChartError> {
    let original = entries
        .iter()
        .find(|e| e.id == amendment.original)
        .ok_or(ChartError::EntryNotFound {
            id: amendment.original,
        })?;
    if original.status != EntryStatus::Signed {
        return Err(ChartError::AmendmentOfDraft { id: original.id });
    }
    if original.author != by {
        return Err(ChartError::AmendmentNotByAuthor { id: original.id });
    }
    if let Some(current) = current_version(entries, original.id)
        && current.id != original.id
    {
        return Err(ChartError::NotCurrentVersion {
            id: original.id,
            current: current.id,
        });
    }
    let reason = Amendment::checked_reason(&amendment.reason)?;
    let now = millis(now);
    let entry = ClinicalEntry {
        id: EntryId::new(),
        kind: original.kind,
        status: EntryStatus::Signed,
        text: amendment.text,
        cid10: amendment.cid10.unwrap_or_else(|| original.cid10.clone()),
        author: by,
        professional: original.professional,
        device,
        created_at: now,
        updated_at: now,
        signed_at: Some(now),
        signed_by: Some(by),
        amends: Some(original.id),
        amendment_reason: Some(reason),
    };
    entry.check_signable_content()?;
    Ok(entry)
}

/// Every version of the record that contains `id`, original first, current last. Empty when
/// `id` is not in `entries`.
#[must_use]
pub fn amendment_chain(entries: &[ClinicalEntry], id: EntryId) -> Vec<&ClinicalEntry> {
    let index = Index::new(entries);
    let Some(root) = index.root(id) else {
        return Vec::new();
    };
    index.versions(root)
}

/// The current (latest) version of the record that contains `id`.
#[must_use]
pub fn current_version(entries: &[ClinicalEntry], id: EntryId) -> Option<&ClinicalEntry> {
    amendment_chain(entries, id).pop()
}

/// Entries by id, with the walk from any version back to its original.
pub(crate) struct Index<'a> {
    by_id: HashMap<EntryId, &'a ClinicalEntry>,
}

impl<'a> Index<'a> {
    pub(crate) fn new(entries: &'a [ClinicalEntry]) -> Self {
        Self {
            by_id: entries.iter().map(|e| (e.id, e)).collect(),
        }
    }

    /// The original of `id`'s record and `id`'s depth below it. A link to a missing entry ends
    /// the walk; the step bound guards against cycles in a corrupt document.
    fn root_and_depth(&self, id: EntryId) -> Option<(EntryId, usize)> {
        let mut current = *self.by_id.get(&id)?;
        let mut depth = 0;
        while let Some(parent) = current.amends.and_then(|p| self.by_id.get(&p)) {
            if depth > self.by_id.len() {
                break;
            }
            current = parent;
            depth += 1;
        }
        Some((current.id, depth))
    }

    pub(crate) fn root(&self, id: EntryId) -> Option<EntryId> {
        self.root_and_depth(id).map(|(root, _)| root)
    }

    /// All versions per original, each list ordered original → current.
    pub(crate) fn records(&self) -> HashMap<EntryId, Vec<&'a ClinicalEntry>> {
        let mut records: HashMap<EntryId, Vec<(usize, &'a ClinicalEntry)>> = HashMap::new();
        for entry in self.by_id.values() {
            if let Some((root, depth)) = self.root_and_depth(entry.id) {
                records.entry(root).or_default().push((depth, entry));
            }
        }
        records
            .into_iter()
            .map(|(root, mut versions)| {
                versions.sort_by_key(|(depth, e)| (*depth, e.created_at, e.id));
                (root, versions.into_iter().map(|(_, e)| e).collect())
            })
            .collect()
    }

    fn versions(&self, root: EntryId) -> Vec<&'a ClinicalEntry> {
        self.records().remove(&root).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;
    use crate::charting::EntryKind;
    use crate::charting::entry::tests::{at, new_entry};
    use rstest::rstest;

    fn signed(author: UserId, text: &str) -> ClinicalEntry {
        let mut entry = ClinicalEntry::draft(
            new_entry(EntryKind::Evolution, text),
            author,
            DeviceId::new(),
            at(0),
        );
        entry.sign(author, at(1)).unwrap();
        entry
    }

    fn amendment(original: EntryId, reason: &str) -> Amendment {
        Amendment {
            original,
            text: "Texto corrigido.".into(),
            reason: reason.into(),
            cid10: None,
        }
    }

    #[test]
    fn chain_goes_from_original_to_latest() {
        let author = UserId::new();
        let original = signed(author, "PA 12x8");
        let mut entries = vec![original.clone()];
        let first = new_amendment(
            &entries,
            amendment(original.id, "erro de digitação"),
            author,
            DeviceId::new(),
            at(10),
        )
        .unwrap();
        assert!(first.is_signed());
        assert_eq!(first.kind, original.kind);
        entries.push(first.clone());
        let second = new_amendment(
            &entries,
            amendment(first.id, "valor revisto"),
            author,
            DeviceId::new(),
            at(20),
        )
        .unwrap();
        entries.push(second.clone());
        let ids: Vec<_> = amendment_chain(&entries, first.id).iter().map(|e| e.id).collect();
        assert_eq!(ids, vec![original.id, first.id, second.id]);
        assert_eq!(
            current_version(&entries, original.id).map(|e| e.id),
            Some(second.id)
        );
        // Amending a superseded version would fork the record.
        let err = new_amendment(
            &entries,
            amendment(original.id, "de novo"),
            author,
            DeviceId::new(),
            at(30),
        )
        .unwrap_err();
        assert_eq!(err.code(), "chart.not_current_version");
    }

    // NGS1.12.01: only the author corrects a finalised record, with a justification.
    #[rstest]
    #[case::no_reason(true, true, "", "chart.amendment_reason_required")]
    #[case::short_reason(true, true, " erro ", "chart.amendment_reason_required")]
    #[case::another_user(false, true, "erro de digitação", "chart.amendment_not_by_author")]
    #[case::draft_original(true, false, "erro de digitação", "chart.amendment_of_draft")]
    fn refuses(
        #[case] by_author: bool,
        #[case] original_signed: bool,
        #[case] reason: &str,
        #[case] code: &str,
    ) {
        let author = UserId::new();
        let original = if original_signed {
            signed(author, "texto")
        } else {
            ClinicalEntry::draft(
                new_entry(EntryKind::Evolution, "texto"),
                author,
                DeviceId::new(),
                at(0),
            )
        };
        let by = if by_author { author } else { UserId::new() };
        let entries = [original.clone()];
        let err = new_amendment(
            &entries,
            amendment(original.id, reason),
            by,
            DeviceId::new(),
            at(5),
        )
        .unwrap_err();
        assert_eq!(err.code(), code);
    }

    #[test]
    fn unknown_original_is_not_found() {
        let err = new_amendment(
            &[],
            amendment(EntryId::new(), "motivo longo"),
            UserId::new(),
            DeviceId::new(),
            at(0),
        )
        .unwrap_err();
        assert_eq!(err.code(), "chart.entry_not_found");
        assert!(amendment_chain(&[], EntryId::new()).is_empty());
    }
}
