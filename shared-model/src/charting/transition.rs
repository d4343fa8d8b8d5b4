//! The chart rules applied to a pair of states (what the sync server checks on upload).

use std::collections::HashMap;

use super::{Amendment, ChartError, ClinicalEntry};
use crate::ids::{EntryId, UserId};

/// Checks that `after` is a legal successor of `before` for a change written by `by`:
///
/// - no entry removed (NGS1.12.03);
/// - signed entries unchanged (any difference is [`ChartError::SignedEntryImmutable`]);
/// - drafts changed only by their author, without touching id, kind, author, device,
///   creation time or amendment link, and signed (if they were) consistently;
/// - new entries written by `by`, consistent, and, when they amend, pointing at a signed entry of
///   the same kind and author with a reason (NGS1.12.01).
pub fn validate_chart_transition(
    before: &[ClinicalEntry],
    after: &[ClinicalEntry],
    by: UserId,
) -> Result<(), ChartError> {
    let after_by_id: HashMap<EntryId, &ClinicalEntry> = after.iter().map(|e| (e.id, e)).collect();
    for old in before {
        let new = after_by_id
            .get(&old.id)
            .ok_or(ChartError::EntryRemoved { id: old.id })?;
        if *new == old {
            continue;
        }
        if old.is_signed() {
            return Err(ChartError::SignedEntryImmutable { id: old.id });
        }
        if by != old.author {
            return Err(ChartError::NotAuthor { id: old.id });
        }
        check_same_identity(old, new)?;
        new.check_consistent()?;
    }
    let before_ids: HashMap<EntryId, ()> = before.iter().map(|e| (e.id, ())).collect();
    for new in after.iter().filter(|e| !before_ids.contains_key(&e.id)) {
        if new.author != by {
            return Err(ChartError::NotAuthor { id: new.id });
        }
        new.check_consistent()?;
        if let Some(original) = new.amends {
            check_amendment(new, original, &after_by_id)?;
        }
    }
    Ok(())
}

fn check_same_identity(old: &ClinicalEntry, new: &ClinicalEntry) -> Result<(), ChartError> {
    let changed = [
        ("id", old.id != new.id),
        ("tipo", old.kind != new.kind),
        ("autor", old.author != new.author),
        ("dispositivo", old.device != new.device),
        ("criado em", old.created_at != new.created_at),
        ("retifica", old.amends != new.amends),
        ("justificativa", old.amendment_reason != new.amendment_reason),
    ];
    match changed.iter().find(|(_, changed)| *changed) {
        Some((field, _)) => Err(ChartError::IdentityChanged { id: old.id, field }),
        None => Ok(()),
    }
}

fn check_amendment(
    amendment: &ClinicalEntry,
    original: EntryId,
    entries: &HashMap<EntryId, &ClinicalEntry>,
) -> Result<(), ChartError> {
    let original = entries
        .get(&original)
        .ok_or(ChartError::EntryNotFound { id: original })?;
    if !original.is_signed() {
        return Err(ChartError::AmendmentOfDraft { id: original.id });
    }
    if original.author != amendment.author {
        return Err(ChartError::AmendmentNotByAuthor { id: original.id });
    }
    if original.kind != amendment.kind {
        return Err(ChartError::AmendmentKindMismatch { id: amendment.id });
    }
    Amendment::checked_reason(amendment.amendment_reason.as_deref().unwrap_or_default())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;
    use crate::charting::entry::tests::{at, new_entry};
    use crate::charting::{EntryKind, new_amendment};
    use crate::ids::DeviceId;
    use rstest::rstest;

    struct Chart {
        author: UserId,
        signed: ClinicalEntry,
        draft: ClinicalEntry,
    }

    fn chart() -> Chart {
        let author = UserId::new();
        let device = DeviceId::new();
        let mut signed =
            ClinicalEntry::draft(new_entry(EntryKind::Evolution, "Estável"), author, device, at(0));
        signed.sign(author, at(1)).unwrap();
        let draft = ClinicalEntry::draft(new_entry(EntryKind::Evolution, "Rascunho"), author, device, at(2));
        Chart {
            author,
            signed,
            draft,
        }
    }

    #[derive(Debug, Clone, Copy)]
    enum Change {
        Nothing,
        AuthorEditsDraft,
        AuthorSignsDraft,
        OtherEditsDraft,
        DeleteSigned,
        DeleteDraft,
        EditSigned,
        RetypeDraft,
        AddOwnAmendment,
        AddAmendmentWithoutReason,
        AddEntryForSomeoneElse,
        AddSignedByOther,
    }

    #[rstest]
    #[case(Change::Nothing, None)]
    #[case(Change::AuthorEditsDraft, None)]
    #[case(Change::AuthorSignsDraft, None)]
    #[case(Change::AddOwnAmendment, None)]
    #[case(Change::OtherEditsDraft, Some("chart.not_author"))]
    #[case(Change::DeleteSigned, Some("chart.entry_removed"))]
    #[case(Change::DeleteDraft, Some("chart.entry_removed"))]
    #[case(Change::EditSigned, Some("chart.signed_entry_immutable"))]
    #[case(Change::RetypeDraft, Some("chart.identity_changed"))]
    #[case(Change::AddAmendmentWithoutReason, Some("chart.inconsistent_signature"))]
    #[case(Change::AddEntryForSomeoneElse, Some("chart.not_author"))]
    #[case(Change::AddSignedByOther, Some("chart.inconsistent_signature"))]
    fn validates(#[case] change: Change, #[case] expected: Option<&str>) {
        let Chart {
            author,
            signed,
            draft,
        } = chart();
        let before = vec![signed.clone(), draft.clone()];
        let mut after = before.clone();
        let mut by = author;
        let device = DeviceId::new();
        match change {
            Change::Nothing => {}
            Change::AuthorEditsDraft => after[1].edit_draft("Novo", author, at(9)).unwrap(),
            Change::AuthorSignsDraft => after[1].sign(author, at(9)).unwrap(),
            Change::OtherEditsDraft => {
                by = UserId::new();
                after[1].text = "invasão".into();
            }
            Change::DeleteSigned => {
                after.remove(0);
            }
            Change::DeleteDraft => {
                after.remove(1);
            }
            Change::EditSigned => after[0].text = "reescrito".into(),
            Change::RetypeDraft => after[1].kind = EntryKind::Referral,
            Change::AddOwnAmendment | Change::AddAmendmentWithoutReason => {
                let amendment = Amendment {
                    original: signed.id,
                    text: "Corrigido".into(),
                    reason: "digitação errada".into(),
                    cid10: None,
                };
                let mut entry = new_amendment(&before, amendment, author, device, at(9)).unwrap();
                if matches!(change, Change::AddAmendmentWithoutReason) {
                    entry.amendment_reason = None;
                }
                after.push(entry);
            }
            Change::AddEntryForSomeoneElse => {
                let other = UserId::new();
                after.push(ClinicalEntry::draft(
                    new_entry(EntryKind::Evolution, "x"),
                    other,
                    device,
                    at(9),
                ));
            }
            Change::AddSignedByOther => {
                let mut entry =
                    ClinicalEntry::draft(new_entry(EntryKind::Evolution, "x"), author, device, at(9));
                entry.sign(author, at(9)).unwrap();
                entry.signed_by = Some(UserId::new());
                after.push(entry);
            }
        }
        let result = validate_chart_transition(&before, &after, by);
        assert_eq!(result.map_err(|e| e.code()).err(), expected, "{change:?}");
    }

    #[test]
    fn amendment_by_another_user_is_refused() {
        // NGS1.12.01: only the author corrects a finalised record.
        let Chart { signed, .. } = chart();
        let intruder = UserId::new();
        let mut forged = signed.clone();
        forged.id = EntryId::new();
        forged.author = intruder;
        forged.signed_by = Some(intruder);
        forged.amends = Some(signed.id);
        forged.amendment_reason = Some("quero mudar".into());
        let err =
            validate_chart_transition(std::slice::from_ref(&signed), &[signed.clone(), forged], intruder);
        assert_eq!(err.unwrap_err().code(), "chart.amendment_not_by_author");
    }
}
