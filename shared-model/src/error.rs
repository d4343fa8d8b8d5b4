//! Conventions shared by every domain error.

/// A stable, machine-readable code for an error (`"cpf.check_digit"`, `"agenda.overlap"`).
///
/// Programs (the CLI's `--json` output, the server's API errors, the UI) match on the code; people
/// read the error's `Display`, which is Brazilian Portuguese. Codes never change once released.
pub trait ErrorCode {
    fn code(&self) -> &'static str;
}
