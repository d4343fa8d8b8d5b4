//! The directory document: the clinic's professionals (registry record, default weekly hours),
//! one per clinic, so every device can book and show names offline.
//!
//! Root: `{schema_version, kind: "directory", epoch, tenant_id, professionals: {<professional
//! id>: {professional: {...Professional}, working_hours: {...}}}}`. Only administrators write it
//! (area *configurações da clínica*); every role that works with the agenda reads it.

use automerge::AutoCommit;
use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use super::common::{GenesisField, commit, genesis, root_map, sealed};
use super::{CrdtDocument, DocumentError, DocumentKey, DocumentKind};
use crate::ids::{DeviceId, ProfessionalId, TenantId};
use crate::registry::Professional;
use crate::scheduling::WorkingHours;

/// A professional as every device keeps it: the registry record and their default weekly hours
/// (copied into each new month's agenda).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct ProfessionalRecord {
    pub professional: Professional,
    pub working_hours: WorkingHours,
}

/// The clinic's directory of professionals as a CRDT document.
#[derive(Debug)]
pub struct DirectoryDoc {
    doc: AutoCommit,
    tenant: TenantId,
}

impl DirectoryDoc {
    /// The clinic's empty directory (what every replica shares before the first write).
    pub fn new(tenant: TenantId, device: DeviceId) -> Result<Self, DocumentError> {
        let fields = [
            GenesisField::Str("tenant_id", tenant.to_string()),
            GenesisField::Map("professionals"),
        ];
        let doc = genesis(DocumentKey::Directory(tenant), &fields, device)?;
        Ok(Self { doc, tenant })
    }

    #[must_use]
    pub fn tenant(&self) -> TenantId {
        self.tenant
    }

    /// Every professional, by id.
    pub fn professionals(&self) -> Result<Vec<ProfessionalRecord>, DocumentError> {
        let map = root_map(&self.doc, "professionals")?;
        let mut list = Vec::new();
        for key in automerge::ReadDoc::keys(&self.doc, &map) {
            let record: ProfessionalRecord = autosurgeon::hydrate_prop(&self.doc, &map, key.as_str())?;
            if record.professional.id.to_string() != key {
                return Err(DocumentError::Malformed {
                    detail: "professional stored under another id".to_owned(),
                });
            }
            list.push(record);
        }
        Ok(list)
    }

    /// One professional, if present.
    pub fn professional(&self, id: ProfessionalId) -> Result<Option<ProfessionalRecord>, DocumentError> {
        let map = root_map(&self.doc, "professionals")?;
        let key = id.to_string();
        if automerge::ReadDoc::get(&self.doc, &map, key.as_str())?.is_none() {
            return Ok(None);
        }
        Ok(Some(autosurgeon::hydrate_prop(&self.doc, &map, key.as_str())?))
    }

    /// Adds or updates a professional (only changed fields are written).
    pub fn put(&mut self, record: &ProfessionalRecord) -> Result<(), DocumentError> {
        let map = root_map(&self.doc, "professionals")?;
        let key = record.professional.id.to_string();
        autosurgeon::reconcile_prop(&mut self.doc, &map, key.as_str(), record)?;
        commit(&mut self.doc, None);
        Ok(())
    }
}

impl sealed::Inner for DirectoryDoc {
    fn am(&self) -> &AutoCommit {
        &self.doc
    }
    fn am_mut(&mut self) -> &mut AutoCommit {
        &mut self.doc
    }
    fn wrap(doc: AutoCommit) -> Result<Self, DocumentError> {
        let tenant = autosurgeon::hydrate_prop(&doc, automerge::ROOT, "tenant_id")?;
        Ok(Self { doc, tenant })
    }
    fn rewrap(&self, doc: AutoCommit) -> Self {
        Self {
            doc,
            tenant: self.tenant,
        }
    }
}

impl CrdtDocument for DirectoryDoc {
    const KIND: DocumentKind = DocumentKind::Directory;
    fn key(&self) -> DocumentKey {
        DocumentKey::Directory(self.tenant)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{Cbo, NewProfessional};
    use crate::values::CouncilRegistration;

    fn record(name: &str, council: &str) -> ProfessionalRecord {
        let professional = Professional::new(NewProfessional {
            user_id: None,
            name: name.to_owned(),
            registration: CouncilRegistration::parse(council).unwrap(),
            specialties: vec!["Clínica médica".to_owned()],
            cbo: Cbo::parse("225125").unwrap(),
        })
        .unwrap();
        ProfessionalRecord {
            professional,
            working_hours: WorkingHours::default(),
        }
    }

    #[test]
    fn two_devices_add_professionals_offline_and_merge() {
        let tenant = TenantId::new();
        let mut a = DirectoryDoc::new(tenant, DeviceId::new()).unwrap();
        let mut b = DirectoryDoc::new(tenant, DeviceId::new()).unwrap();
        let ana = record("Ana Souza", "CRM/SP 123456");
        let bruno = record("Bruno Lima", "CRM/RJ 654321");
        a.put(&ana).unwrap();
        b.put(&bruno).unwrap();
        a.merge(&mut b).unwrap();
        let mut names: Vec<String> = a
            .professionals()
            .unwrap()
            .iter()
            .map(|r| r.professional.name.to_string())
            .collect();
        names.sort();
        assert_eq!(names, ["Ana Souza", "Bruno Lima"]);
        assert_eq!(a.professional(ana.professional.id).unwrap(), Some(ana));
        assert_eq!(a.key(), DocumentKey::Directory(tenant));
        let bytes = a.save();
        let loaded = DirectoryDoc::load(&bytes).unwrap();
        assert_eq!(loaded.professionals().unwrap().len(), 2);
        assert!(loaded.professional(ProfessionalId::new()).unwrap().is_none());
    }
}
