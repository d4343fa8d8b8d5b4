//! The chart as people read it: one line per record, its current version on top of its history.

use jiff::Timestamp;

use super::amend::Index;
use super::{ClinicalEntry, EntryKind};
use crate::ids::EntryId;

/// One record of the chart: its current version and the versions it superseded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineItem {
    /// The latest version.
    pub current: ClinicalEntry,
    /// When the original version was written (the record's place in the timeline).
    pub recorded_at: Timestamp,
    /// Ids of the superseded versions, original first. They stay readable (shown struck
    /// through, NGS1.12.03); nothing is ever deleted.
    pub superseded: Vec<EntryId>,
}

impl TimelineItem {
    /// How many earlier versions the record has.
    #[must_use]
    pub fn earlier_versions(&self) -> usize {
        self.superseded.len()
    }
}

/// The chart's records, newest first (by when each record's original was written, then by id),
/// optionally only those of one kind.
#[must_use]
pub fn timeline(entries: &[ClinicalEntry], filter: Option<EntryKind>) -> Vec<TimelineItem> {
    let mut items: Vec<TimelineItem> = Index::new(entries)
        .records()
        .into_values()
        .filter_map(|versions| {
            let (current, earlier) = versions.split_last()?;
            let original = earlier.first().copied().unwrap_or(*current);
            Some(TimelineItem {
                current: (*current).clone(),
                recorded_at: original.created_at,
                superseded: earlier.iter().map(|e| e.id).collect(),
            })
        })
        .filter(|item| filter.is_none_or(|kind| item.current.kind == kind))
        .collect();
    items.sort_by(|a, b| {
        let key = |item: &TimelineItem| (item.recorded_at, item.superseded.first().copied());
        key(b).cmp(&key(a)).then_with(|| b.current.id.cmp(&a.current.id))
    });
    items
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charting::entry::tests::{at, new_entry};
    use crate::charting::{Amendment, new_amendment};
    use crate::ids::{DeviceId, UserId};

    #[test]
    fn shows_current_versions_with_history_counts_newest_first() {
        let author = UserId::new();
        let device = DeviceId::new();
        let mut anamnesis =
            ClinicalEntry::draft(new_entry(EntryKind::Anamnesis, "Queixa"), author, device, at(0));
        anamnesis.sign(author, at(1)).unwrap();
        let mut evolution = ClinicalEntry::draft(
            new_entry(EntryKind::Evolution, "Melhora"),
            author,
            device,
            at(100),
        );
        evolution.sign(author, at(101)).unwrap();
        let draft = ClinicalEntry::draft(new_entry(EntryKind::Evolution, "..."), author, device, at(200));
        let mut entries = vec![anamnesis.clone(), evolution.clone(), draft.clone()];
        for (n, reason) in ["primeira correção", "segunda correção"].iter().enumerate() {
            let current = crate::charting::current_version(&entries, anamnesis.id)
                .unwrap()
                .id;
            let amendment = Amendment {
                original: current,
                text: format!("Queixa v{}", n + 2),
                reason: (*reason).to_owned(),
                cid10: None,
            };
            let at = at(300 + i64::try_from(n).unwrap());
            entries.push(new_amendment(&entries, amendment, author, device, at).unwrap());
        }

        let all = timeline(&entries, None);
        let summary: Vec<_> = all
            .iter()
            .map(|i| (i.current.text.as_str(), i.earlier_versions()))
            .collect();
        assert_eq!(summary, vec![("...", 0), ("Melhora", 0), ("Queixa v3", 2)]);
        assert_eq!(all[2].superseded[0], anamnesis.id);
        assert_eq!(all[2].recorded_at, at(0));

        let evolutions = timeline(&entries, Some(EntryKind::Evolution));
        assert_eq!(evolutions.len(), 2);
        let anamneses = timeline(&entries, Some(EntryKind::Anamnesis));
        assert_eq!(anamneses.len(), 1);
        assert_eq!(anamneses[0].current.text, "Queixa v3");
        assert_eq!(anamneses[0].earlier_versions(), 2);
        assert!(timeline(&entries, Some(EntryKind::Referral)).is_empty());
    }
}
