//! Refused input: a non-zero exit, a Portuguese message for people, a stable `code` with
//! `--json`, and nothing stored.
mod agenda;
mod chart;

use atendebem_e2e::{
    Replica, assert_portuguese, command, dir_names, exit_code, failure, sha256_file, stderr, stdout,
};

/// Invalid registry data is refused before anything is written (NGS1.06.03: input validation).
#[test]
fn invalid_documents_and_dates_are_refused_and_nothing_is_stored() {
    let replica = Replica::init();
    let kept = replica.add_patient("Ana Beatriz Costa", Some("529.982.247-25"));
    let before = replica.status();

    let cases: &[(&[&str], &str, &str)] = &[
        (
            &["--cpf", "529.982.247-24"],
            "cpf.check_digit",
            "dígito verificador do CPF",
        ),
        (
            &["--cpf", "111.111.111-11"],
            "cpf.repeated_digits",
            "todos os dígitos iguais",
        ),
        (&["--cpf", "1234"], "cpf.length", "CPF deve ter 11 dígitos"),
        (
            &["--cpf", "529.982.247-2a"],
            "cpf.invalid_character",
            "caractere inválido",
        ),
        (
            &["--cns", "123456789012345"],
            "cns.check_digit",
            "dígito verificador do CNS",
        ),
        (&["--cns", "12345"], "cns.length", "CNS deve ter 15 dígitos"),
        (&["--birth", "2026-02-30"], "date.invalid", "data inexistente"),
        (&["--birth", "31/04/1990"], "date.invalid", "data inexistente"),
        (&["--birth", "2199-01-01"], "birth_date.future", "futur"),
        (
            &["--email", "sem-arroba"],
            "email.at",
            "e-mail deve conter um único @",
        ),
        (&["--sex", "x"], "patient.sex_invalid", "sexo inválido"),
        // The CPF is already Ana's: NGS1.03.09 applies the same uniqueness to people.
        (
            &["--cpf", "52998224725"],
            "patient.duplicate_cpf",
            "já existe um paciente cadastrado com este CPF",
        ),
    ];
    for (extra, code, text) in cases {
        let mut args = vec!["patient", "add", "--name", "Zacarias Recusado"];
        args.extend_from_slice(extra);

        // Without --json: exit 1 and "erro: <Portuguese message>" on stderr, nothing on stdout.
        let out = replica.run(&args);
        assert_eq!(exit_code(&out), 1, "{extra:?}: {}", stderr(&out));
        assert!(stdout(&out).is_empty(), "{extra:?} não imprime resultado");
        let message = stderr(&out);
        assert!(message.starts_with("erro: "), "{extra:?}: {message}");
        assert!(
            message.contains(text),
            "{extra:?}: esperava {text:?} em {message:?}"
        );
        assert_portuguese(&message);

        // With --json: {"error":{"code","message"}} on stderr.
        let failure = replica.fail(&args);
        assert_eq!(failure.code, *code, "{extra:?}");
        assert!(failure.message.contains(text), "{extra:?}: {}", failure.message);
        assert_portuguese(&failure.message);
    }

    // Nothing stored: the counts did not move and the refused name is not found.
    assert_eq!(replica.status(), before);
    assert!(replica.search_ids("zacarias").is_empty());
    assert_eq!(replica.search_ids("52998224725"), [kept]);
    assert!(replica.search_ids("52998224724").is_empty());
}

#[test]
fn usage_errors_exit_2_in_portuguese() {
    let replica = Replica::init();
    let cases: &[(&[&str], &str)] = &[
        (&["patient", "add"], "argumento obrigatório ausente: --name"),
        (
            &["patient", "add", "--cpf", "52998224725"],
            "argumento obrigatório ausente: --name",
        ),
        (
            &["agenda", "book", "--patient", "x"],
            "argumento obrigatório ausente",
        ),
        (&["frobnicate"], "comando desconhecido"),
        (
            &["patient", "add", "--name", "A", "--nome", "B"],
            "argumento desconhecido: --nome",
        ),
        (
            &["demo", "--patients", "muitos"],
            "valor inválido para --patients",
        ),
    ];
    for (args, text) in cases {
        let out = replica.run(args);
        assert_eq!(exit_code(&out), 2, "{args:?}: {}", stderr(&out));
        let message = stderr(&out);
        assert!(message.starts_with("erro: "), "{args:?}: {message}");
        assert!(
            message.contains(text),
            "{args:?}: esperava {text:?} em {message:?}"
        );
        assert!(message.contains("Use 'atendebem --help'"), "{message}");
        assert_portuguese(&message);

        let mut with_json = args.to_vec();
        with_json.push("--json");
        let failure = failure(&replica.run(&with_json));
        assert_eq!(failure.exit, 2);
        assert_eq!(failure.code, "usage");
        assert!(failure.message.contains(text), "{}", failure.message);
    }
    // Without a subcommand clap prints the help (exit 0), in Portuguese.
    let out = command().arg("--help").output().expect("--help");
    assert_eq!(exit_code(&out), 0);
    assert!(stdout(&out).contains("réplica"), "{}", stdout(&out));
    assert_eq!(replica.status()["patients"], 0);
}

/// A wrong passphrase is told apart from damage and leaves the file byte for byte as it was.
#[test]
fn wrong_passphrase_and_missing_replica() {
    let replica = Replica::init();
    replica.add_patient("Helena Duarte", None);
    let hash = sha256_file(&replica.db_path());
    let files = dir_names(replica.data_dir());

    for pass in ["senha-errada-1", "Senha-de-teste-1"] {
        let out = replica.run_env(
            &["patient", "add", "--name", "Invasor", "--json"],
            &[("ATENDEBEM_PASSPHRASE", pass)],
        );
        let failure = failure(&out);
        assert_eq!(failure.exit, 1);
        assert_eq!(failure.code, "replica.wrong_key");
        assert!(failure.message.contains("chave incorreta"), "{}", failure.message);
        assert_portuguese(&failure.message);
        let out = replica.run_env(&["status"], &[("ATENDEBEM_PASSPHRASE", pass)]);
        assert!(
            stderr(&out).starts_with("erro: chave incorreta"),
            "{}",
            stderr(&out)
        );
    }
    // No passphrase at all and no terminal to ask on.
    let out = replica
        .command(&["status", "--json"])
        .env_remove("ATENDEBEM_PASSPHRASE")
        .output()
        .expect("status");
    assert_eq!(failure(&out).code, "key.passphrase_required");

    assert_eq!(sha256_file(&replica.db_path()), hash, "replica.db não pode mudar");
    assert_eq!(
        dir_names(replica.data_dir()),
        files,
        "nenhum arquivo novo (WAL, journal)"
    );
    assert_eq!(replica.patient_count(), 1, "a senha certa ainda abre");

    // A directory with no replica, existing or not: replica.not_initialized, nothing created.
    let empty = Replica::uninitialized();
    std::fs::create_dir_all(empty.data_dir()).expect("mkdir");
    for args in [
        &["status"][..],
        &["patient", "search", "ana"],
        &["check"],
        &["backup", "--out", "x.bak"],
    ] {
        let failure = empty.fail(args);
        assert_eq!(failure.code, "replica.not_initialized", "{args:?}");
        assert!(failure.message.contains("atendebem init"), "{}", failure.message);
        assert_portuguese(&failure.message);
    }
    assert!(
        dir_names(empty.data_dir()).is_empty(),
        "nada criado: {:?}",
        dir_names(empty.data_dir())
    );
    let missing = Replica::uninitialized();
    assert_eq!(missing.fail(&["status"]).code, "replica.not_initialized");
    assert!(
        !missing.data_dir().exists(),
        "o diretório não é criado por status"
    );

    // init twice.
    assert_eq!(replica.fail(&["init"]).code, "replica.already_initialized");
    assert_eq!(sha256_file(&replica.db_path()), hash);
}

/// `init` refuses a weak passphrase (NGS1.02.03 quality rule applied to the replica key).
#[test]
fn init_refuses_a_weak_passphrase() {
    let replica = Replica::uninitialized();
    for weak in ["abc1234", "abcdefgh", "12345678"] {
        let out = replica.run_env(&["init", "--json"], &[("ATENDEBEM_PASSPHRASE", weak)]);
        let failure = failure(&out);
        assert_eq!(failure.code, "key.weak_passphrase", "{weak}");
        assert_portuguese(&failure.message);
        assert!(!replica.db_path().exists(), "{weak}: nenhuma réplica criada");
    }
}
