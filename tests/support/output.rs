//! What a command printed: stdout, stderr, exit code, the `--json` error shape.

use std::process::Output;

use serde_json::Value;

pub fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout em UTF-8")
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("stderr em UTF-8")
}

/// Exit code (panics if the process was killed by a signal).
pub fn exit_code(out: &Output) -> i32 {
    out.status.code().expect("o processo terminou por sinal")
}

/// Stdout parsed as JSON.
pub fn json(out: &Output) -> Value {
    serde_json::from_str(&stdout(out)).unwrap_or_else(|e| {
        panic!(
            "stdout não é JSON ({e}):\n{}\nstderr:\n{}",
            stdout(out),
            stderr(out)
        )
    })
}

/// A refused command, as reported with `--json`: `{"error":{"code","message"}}` on stderr.
#[derive(Debug, Clone)]
pub struct Failure {
    pub exit: i32,
    pub code: String,
    pub message: String,
    /// Stdout, which should be empty.
    pub stdout: String,
}

/// Borrows a list of owned arguments.
pub fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

/// Parses the `--json` error of a failed command.
pub fn failure(out: &Output) -> Failure {
    assert!(
        !out.status.success(),
        "era esperado um erro, mas o comando teve sucesso:\n{}",
        stdout(out)
    );
    let text = stderr(out);
    let body: Value = serde_json::from_str(text.trim())
        .unwrap_or_else(|e| panic!("stderr não é o erro JSON esperado ({e}):\n{text}"));
    let error = &body["error"];
    Failure {
        exit: exit_code(out),
        code: error["code"]
            .as_str()
            .unwrap_or_else(|| panic!("erro sem code: {text}"))
            .to_owned(),
        message: error["message"]
            .as_str()
            .unwrap_or_else(|| panic!("erro sem message: {text}"))
            .to_owned(),
        stdout: stdout(out),
    }
}

/// Asserts that people would read `text` as Portuguese: at least one Portuguese marker and none
/// of the usual English words of error messages.
pub fn assert_portuguese(text: &str) {
    let lower = text.to_lowercase();
    let portuguese = [
        "ã",
        "ç",
        "é",
        "á",
        "ó",
        "ú",
        "ê",
        "í",
        " não ",
        " de ",
        " do ",
        " da ",
        "inválid",
        "obrigatório",
        "erro",
    ];
    assert!(
        portuguese.iter().any(|w| lower.contains(w)),
        "mensagem sem marca de português: {text:?}"
    );
    let english = [
        "invalid",
        "error:",
        "not found",
        "failed",
        "missing",
        "required",
        "denied",
        "cannot",
    ];
    for word in english {
        assert!(!lower.contains(word), "mensagem com inglês ({word:?}): {text:?}");
    }
}
