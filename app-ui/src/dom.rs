//! The few browser facilities the pages need, reached through `js_sys::Reflect` (no `extern`
//! block, so the crate keeps `forbid(unsafe_code)`): the clock for performance stamps, the
//! document's title, and the inactivity lock.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use js_sys::{Function, Reflect};
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

fn global(name: &str) -> Option<JsValue> {
    Reflect::get(&js_sys::global(), &JsValue::from_str(name))
        .ok()
        .filter(|v| !v.is_undefined())
}

/// Milliseconds since the page started (`performance.now()`).
pub fn now_ms() -> f64 {
    let Some(performance) = global("performance") else {
        return 0.0;
    };
    Reflect::get(&performance, &JsValue::from_str("now"))
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
        .and_then(|f| f.call0(&performance).ok())
        .and_then(|v| v.as_f64())
        .unwrap_or(0.0)
}

/// The document's title (the window shows who is logged in).
pub fn set_title(title: &str) {
    if let Some(document) = global("document") {
        let _ = Reflect::set(&document, &JsValue::from_str("title"), &JsValue::from_str(title));
    }
}

/// Runs `then` right after the next paint: an animation frame runs just before the frame is
/// painted, and a task queued from it runs once that frame is done.
pub fn after_paint(then: impl FnOnce() + 'static) {
    request_animation_frame(move || set_timeout(then, std::time::Duration::ZERO));
}

/// Locks the screen after `minutes` without keyboard or mouse use (shared terminals). The
/// shell enforces the same limit on its side.
pub fn lock_when_idle(minutes: u32, lock: impl Fn() + 'static) {
    let last = Rc::new(Cell::new(now_ms()));
    for event in ["keydown", "mousedown", "mousemove"] {
        let last = Rc::clone(&last);
        let handle = window_event_listener_untyped(event, move |_| last.set(now_ms()));
        on_cleanup(move || handle.remove());
    }
    let limit = f64::from(minutes.max(1)) * 60_000.0;
    let locked = Rc::new(Cell::new(false));
    if let Ok(handle) = set_interval_with_handle(
        move || {
            if !locked.get() && now_ms() - last.get() > limit {
                locked.set(true);
                lock();
            }
        },
        Duration::from_secs(15),
    ) {
        on_cleanup(move || handle.clear());
    }
}
