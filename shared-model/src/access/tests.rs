use super::*;
use crate::ErrorCode;

/// The whole table, one line per (role, area): the allowed actions as letters R W S E.
/// Keep in step with docs/access-policy.md.
const TABLE: &[(Role, Area, &str)] = &[
    (Role::SuperAdmin, Area::PatientRegistry, ""),
    (Role::SuperAdmin, Area::ClinicalChart, ""),
    (Role::SuperAdmin, Area::Agenda, ""),
    (Role::SuperAdmin, Area::Billing, ""),
    (Role::SuperAdmin, Area::Reports, ""),
    (Role::SuperAdmin, Area::Users, "RW"),
    (Role::SuperAdmin, Area::ClinicSettings, ""),
    (Role::SuperAdmin, Area::Audit, "RE"),
    (Role::SuperAdmin, Area::Tenants, "RW"),
    (Role::Admin, Area::PatientRegistry, "RWE"),
    (Role::Admin, Area::ClinicalChart, ""),
    (Role::Admin, Area::Agenda, "RWE"),
    (Role::Admin, Area::Billing, "RWE"),
    (Role::Admin, Area::Reports, "RE"),
    (Role::Admin, Area::Users, "RW"),
    (Role::Admin, Area::ClinicSettings, "RW"),
    (Role::Admin, Area::Audit, "RE"),
    (Role::Admin, Area::Tenants, ""),
    (Role::Professional, Area::PatientRegistry, "RWE"),
    (Role::Professional, Area::ClinicalChart, "RWSE"),
    (Role::Professional, Area::Agenda, "RWE"),
    (Role::Professional, Area::Billing, "RW"),
    (Role::Professional, Area::Reports, "R"),
    (Role::Professional, Area::Users, ""),
    (Role::Professional, Area::ClinicSettings, "R"),
    (Role::Professional, Area::Audit, ""),
    (Role::Professional, Area::Tenants, ""),
    (Role::Staff, Area::PatientRegistry, "RWE"),
    (Role::Staff, Area::ClinicalChart, ""),
    (Role::Staff, Area::Agenda, "RWE"),
    (Role::Staff, Area::Billing, "RWE"),
    (Role::Staff, Area::Reports, ""),
    (Role::Staff, Area::Users, ""),
    (Role::Staff, Area::ClinicSettings, "R"),
    (Role::Staff, Area::Audit, ""),
    (Role::Staff, Area::Tenants, ""),
    (Role::Viewer, Area::PatientRegistry, ""),
    (Role::Viewer, Area::ClinicalChart, ""),
    (Role::Viewer, Area::Agenda, ""),
    (Role::Viewer, Area::Billing, ""),
    (Role::Viewer, Area::Reports, "RE"),
    (Role::Viewer, Area::Users, ""),
    (Role::Viewer, Area::ClinicSettings, ""),
    (Role::Viewer, Area::Audit, ""),
    (Role::Viewer, Area::Tenants, ""),
];

fn letter(action: Action) -> char {
    match action {
        Action::Read => 'R',
        Action::Write => 'W',
        Action::Sign => 'S',
        Action::Export => 'E',
    }
}

#[test]
fn table_covers_every_role_and_area_exactly_once() {
    assert_eq!(TABLE.len(), Role::ALL.len() * Area::ALL.len());
    for role in Role::ALL {
        for area in Area::ALL {
            assert_eq!(
                TABLE.iter().filter(|(r, a, _)| *r == role && *a == area).count(),
                1,
                "{role:?} × {area:?}"
            );
        }
    }
}

#[test]
fn policy_matches_the_documented_table() {
    for &(role, area, allowed) in TABLE {
        for action in Action::ALL {
            let expected = allowed.contains(letter(action));
            assert_eq!(
                decide(role, area, action).is_allowed(),
                expected,
                "{role:?} × {area:?} × {action:?}"
            );
        }
    }
}

/// NGS1.03.01/02/03: administrative staff never reach clinical data.
#[test]
fn only_professionals_touch_clinical_content() {
    for role in Role::ALL {
        for action in Action::ALL {
            let allowed = decide(role, Area::ClinicalChart, action).is_allowed();
            assert_eq!(allowed, role == Role::Professional, "{role:?} {action:?}");
        }
    }
    assert!(!may_sync(Role::Staff, DocumentKind::Chart));
    assert!(may_sync(Role::Staff, DocumentKind::Registry));
    assert!(may_sync(Role::Staff, DocumentKind::Agenda));
    assert!(may_sync(Role::Professional, DocumentKind::Chart));
}

#[test]
fn viewer_reads_reports_only() {
    for area in Area::ALL {
        for action in Action::ALL {
            let allowed = decide(Role::Viewer, area, action).is_allowed();
            assert_eq!(
                allowed,
                area == Area::Reports && matches!(action, Action::Read | Action::Export)
            );
        }
    }
}

#[test]
fn refusal_is_portuguese_with_stable_code() {
    let err = require(Role::Staff, Area::ClinicalChart, Action::Read).unwrap_err();
    assert_eq!(err.code(), "access.denied");
    assert_eq!(
        err.to_string(),
        "acesso negado: o perfil Recepção não pode realizar esta ação em prontuário clínico"
    );
}
