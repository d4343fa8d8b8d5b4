//! AtendeBem's desktop interface (Leptos, client-side rendered, wasm32). Text is pt-BR; every
//! call to the shell goes through [`ipc::call`] with a typed command.
//!
//! The window shows one of four things, as the shell's [`AppStatus`] says: the first start
//! (connect to a server or open the demo), the login/lock screen, the workspace (agenda,
//! patients, chart) or an error that stops everything (a replica that cannot be opened).

mod agenda;
mod chart;
mod dom;
mod ipc;
mod login;
mod patients;
mod sync_indicator;

use atendebem_ipc::{AppStatus, GetAppInfo, GetStatus, Lock, NoInput, SwitchUser, WorkingSession};
use leptos::prelude::*;
use leptos::task::spawn_local;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}

/// What the window shows now; any screen may replace it (after login, lock, switch).
#[derive(Debug, Clone, Copy)]
pub struct Screen(pub RwSignal<Option<AppStatus>>);

impl Screen {
    pub fn show(self, status: AppStatus) {
        if let AppStatus::Working(w) = &status {
            dom::set_title(&w.title());
        } else {
            dom::set_title("AtendeBem");
        }
        self.0.set(Some(status));
    }
}

/// The workspace's pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Page {
    Agenda,
    Patients,
    /// A patient's chart: (id, name).
    Chart(String, String),
}

/// The booking form, opened from the agenda or from a patient: the chosen patient, if any, or
/// the appointment being moved.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BookingDraft {
    pub patient: Option<(String, String)>,
    pub moving: Option<atendebem_ipc::AgendaEntry>,
}

/// What every page of the workspace shares.
#[derive(Debug, Clone, Copy)]
pub struct Workspace {
    pub session: Signal<WorkingSession>,
    pub page: RwSignal<Page>,
    pub booking: RwSignal<Option<BookingDraft>>,
    /// Moves when synced documents arrive: pages reload.
    pub sync_version: RwSignal<u64>,
}

/// The window: the current screen, and the footer with the product's name and version on every
/// screen (NGS1.01.01).
#[component]
fn App() -> impl IntoView {
    let (footer, set_footer) = signal(String::from("AtendeBem"));
    let screen = Screen(RwSignal::new(None));
    provide_context(screen);
    spawn_local(async move {
        if let Ok(info) = ipc::call::<GetAppInfo>(&NoInput {}).await {
            set_footer.set(info.footer());
        }
    });
    spawn_local(async move {
        match ipc::call::<GetStatus>(&NoInput {}).await {
            Ok(status) => screen.show(status),
            Err(e) => screen.show(AppStatus::Failed {
                code: e.code,
                message: e.message,
            }),
        }
    });
    view! {
        {move || match screen.0.get() {
            None => view! { <main id="conteudo"><p id="abrindo">"Abrindo a clínica…"</p></main> }.into_any(),
            Some(AppStatus::FirstStart) => view! { <main id="conteudo"><login::FirstStart/></main> }.into_any(),
            Some(AppStatus::Login(login_screen)) => {
                view! { <main id="conteudo"><login::LoginForm screen=login_screen/></main> }.into_any()
            }
            Some(AppStatus::Failed { message, .. }) => {
                view! { <main id="conteudo"><p id="aviso" class="erro">{message}</p></main> }.into_any()
            }
            Some(AppStatus::Working(_)) => view! { <WorkspaceView/> }.into_any(),
        }}
        <footer id="versao">{footer}</footer>
    }
}

/// Header (clinic, user, sync indicator), menu and the current page.
#[component]
fn WorkspaceView() -> impl IntoView {
    let screen = expect_context::<Screen>();
    let session = Signal::derive(move || match screen.0.get() {
        Some(AppStatus::Working(w)) => w,
        _ => WorkingSession {
            clinic_name: String::new(),
            connected: false,
            user_id: String::new(),
            user_name: String::new(),
            role_label: String::new(),
            may_read_chart: false,
            may_write_agenda: false,
            may_write_registry: false,
            lock_after_minutes: 15,
        },
    });
    let ws = Workspace {
        session,
        page: RwSignal::new(Page::Agenda),
        booking: RwSignal::new(None),
        sync_version: RwSignal::new(0),
    };
    provide_context(ws);
    dom::lock_when_idle(session.get_untracked().lock_after_minutes, move || {
        spawn_local(async move {
            if let Ok(status) = ipc::call::<Lock>(&NoInput {}).await {
                screen.show(status);
            }
        });
    });
    let leave = move |_| {
        spawn_local(async move {
            if let Ok(status) = ipc::call::<SwitchUser>(&NoInput {}).await {
                screen.show(status);
            }
        });
    };
    let lock = move |_| {
        spawn_local(async move {
            if let Ok(status) = ipc::call::<Lock>(&NoInput {}).await {
                screen.show(status);
            }
        });
    };
    let go = move |page: Page| move |_| ws.page.set(page.clone());
    let current = move |p: Page| move || if ws.page.get() == p { "atual" } else { "" };
    view! {
        <header id="topo">
            <span class="marca">"AtendeBem"</span>
            <span id="usuario">{move || session.get().header()}</span>
            <sync_indicator::SyncIndicator/>
        </header>
        <nav id="menu">
            <button id="ir-agenda" class=current(Page::Agenda) on:click=go(Page::Agenda) accesskey="a">
                "Agenda"
            </button>
            <button id="ir-pacientes" class=current(Page::Patients) on:click=go(Page::Patients) accesskey="p">
                "Pacientes"
            </button>
            <span class="espaco"></span>
            <button id="trocar-usuario" on:click=leave accesskey="t">"Trocar usuário"</button>
            <button id="bloquear" on:click=lock accesskey="b">"Bloquear"</button>
        </nav>
        <main id="conteudo">
            {move || match ws.page.get() {
                Page::Agenda => view! { <agenda::AgendaPage/> }.into_any(),
                Page::Patients => view! { <patients::PatientsPage/> }.into_any(),
                Page::Chart(id, name) => view! { <chart::ChartPage patient_id=id patient_name=name/> }.into_any(),
            }}
        </main>
    }
}
