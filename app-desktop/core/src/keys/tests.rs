use super::*;
use crate::ErrorCode;

#[test]
fn auto_prefers_a_given_passphrase_and_derives_the_same_key_again() {
    let keychain = MemoryKeychain::default();
    let pass = FixedPassphrase(Some("senha-forte-123"));
    let (key, meta) = create_key("r1", KeyPreference::Auto, &keychain, &pass).unwrap();
    assert!(matches!(meta.key_source, KeySource::Passphrase { .. }));
    let again = recover_key(&meta, &keychain, &pass).unwrap();
    assert_eq!(key.as_bytes(), again.as_bytes());
}

#[test]
fn auto_uses_the_keychain_without_a_passphrase() {
    let keychain = MemoryKeychain::default();
    let none = FixedPassphrase(None);
    let (key, meta) = create_key("r2", KeyPreference::Auto, &keychain, &none).unwrap();
    assert_eq!(meta.key_source, KeySource::Keychain);
    assert_eq!(
        recover_key(&meta, &keychain, &none).unwrap().as_bytes(),
        key.as_bytes()
    );
}

#[test]
fn no_keychain_and_no_passphrase_is_a_clear_error() {
    let keychain = MemoryKeychain::unavailable();
    let err = create_key("r3", KeyPreference::Auto, &keychain, &FixedPassphrase(None)).unwrap_err();
    assert_eq!(err.code(), "key.no_keychain");
}

#[test]
fn wrong_passphrase_is_detected_by_the_key_check() {
    let keychain = MemoryKeychain::default();
    let (_, meta) = create_key(
        "r4",
        KeyPreference::Passphrase,
        &keychain,
        &FixedPassphrase(Some("senha-forte-123")),
    )
    .unwrap();
    let err = recover_key(&meta, &keychain, &FixedPassphrase(Some("outra-senha-456"))).unwrap_err();
    assert_eq!(err.code(), "replica.wrong_key");
}

/// NGS1.02.03 quality rule applied to replica passphrases.
#[test]
fn weak_passphrases_are_refused() {
    let keychain = MemoryKeychain::default();
    for weak in ["abc1234", "abcdefgh", "12345678"] {
        let err = create_key(
            "r5",
            KeyPreference::Passphrase,
            &keychain,
            &FixedPassphrase(Some(weak)),
        )
        .unwrap_err();
        assert_eq!(err.code(), "key.weak_passphrase", "{weak}");
    }
}

#[test]
fn secrets_are_redacted_in_debug() {
    let key = KeyMaterial::random();
    assert_eq!(format!("{key:?}"), "KeyMaterial([REDACTED])");
    let pass = Passphrase::new("segredo-123".into());
    assert!(!format!("{pass:?}").contains("segredo"));
}

#[test]
fn kdf_meets_owasp_minimum() {
    let p = KdfParams::recommended();
    assert!(p.m_cost_kib >= 19 * 1024 && p.t_cost >= 2 && p.p_cost == 1);
    assert_eq!(p.salt_bytes().unwrap().len(), 16);
}
