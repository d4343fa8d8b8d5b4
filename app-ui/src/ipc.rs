//! The one way pages reach the shell: `call::<C>(input)` for a typed [`Command`]. Tauri's
//! `window.__TAURI_INTERNALS__.invoke` is looked up through `js_sys::Reflect` (no `extern`
//! block, so the crate keeps `forbid(unsafe_code)`).

use atendebem_ipc::{Command, CommandError};
use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

fn shell_missing() -> CommandError {
    CommandError::new(
        "ui.shell_missing",
        "A interface precisa do aplicativo AtendeBem para funcionar.",
    )
}

fn invoke_fn() -> Result<(JsValue, Function), CommandError> {
    let internals = Reflect::get(&js_sys::global(), &JsValue::from_str("__TAURI_INTERNALS__"))
        .ok()
        .filter(|v| !v.is_undefined())
        .ok_or_else(shell_missing)?;
    let invoke = Reflect::get(&internals, &JsValue::from_str("invoke"))
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
        .ok_or_else(shell_missing)?;
    Ok((internals, invoke))
}

/// Runs command `C` in the shell.
pub async fn call<C: Command>(input: &C::Input) -> Result<C::Output, CommandError> {
    let (internals, invoke) = invoke_fn()?;
    let args = js_sys::Object::new();
    let input = serde_wasm_bindgen::to_value(input).map_err(|_| shell_missing())?;
    Reflect::set(&args, &JsValue::from_str("input"), &input).map_err(|_| shell_missing())?;
    let promise: Promise = invoke
        .call2(&internals, &JsValue::from_str(C::NAME), &args)
        .ok()
        .and_then(|p| p.dyn_into().ok())
        .ok_or_else(shell_missing)?;
    match JsFuture::from(promise).await {
        Ok(value) => serde_wasm_bindgen::from_value(value)
            .map_err(|_| CommandError::new("ui.bad_answer", "Resposta inesperada do aplicativo.")),
        Err(error) => Err(serde_wasm_bindgen::from_value(error)
            .unwrap_or_else(|_| CommandError::new("ui.command_failed", "A operação falhou no aplicativo."))),
    }
}
