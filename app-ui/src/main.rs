//! AtendeBem's desktop interface (Leptos, client-side rendered, wasm32). Text is pt-BR; every
//! call to the shell goes through [`ipc::call`] with a typed command.

mod ipc;

use atendebem_ipc::{
    ClinicInfo, CommandError, GetAppInfo, GetClinicInfo, NoInput, PatientHit, SearchInput, SearchPatients,
};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Most patients a search shows (typing more refines it).
const SEARCH_LIMIT: u32 = 50;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}

/// The window: header (who works here), the current screen, and the footer with the product's
/// name and version on every screen (NGS1.01.01).
#[component]
fn App() -> impl IntoView {
    let (footer, set_footer) = signal(String::from("AtendeBem"));
    let (clinic, set_clinic) = signal(None::<Result<ClinicInfo, CommandError>>);
    spawn_local(async move {
        if let Ok(info) = ipc::call::<GetAppInfo>(&NoInput {}).await {
            set_footer.set(info.footer());
        }
    });
    spawn_local(async move {
        set_clinic.set(Some(ipc::call::<GetClinicInfo>(&NoInput {}).await));
    });
    let who = move || {
        clinic
            .get()
            .and_then(Result::ok)
            .map(|c| format!("{} — {} ({})", c.clinic_name, c.user_name, c.role))
    };
    view! {
        <header id="topo">
            <span class="marca">"AtendeBem"</span>
            <span id="usuario">{who}</span>
        </header>
        <main id="conteudo">
            {move || match clinic.get() {
                None => view! { <p id="abrindo">"Abrindo a clínica…"</p> }.into_any(),
                Some(Err(error)) => view! { <p id="aviso" class="erro">{error.message}</p> }.into_any(),
                Some(Ok(_)) => view! { <Patients/> }.into_any(),
            }}
        </main>
        <footer id="versao">{footer}</footer>
    }
}

/// Patient search as you type: by name (accents and case ignored), CPF or CNS. Only the
/// answer to the latest keystroke is shown.
#[component]
fn Patients() -> impl IntoView {
    let (hits, set_hits) = signal(Vec::<PatientHit>::new());
    let (searched, set_searched) = signal(false);
    let (error, set_error) = signal(None::<String>);
    let latest = StoredValue::new(0_u64);
    let on_input = move |ev| {
        let query = event_target_value(&ev);
        let ticket = latest.get_value() + 1;
        latest.set_value(ticket);
        if query.trim().is_empty() {
            set_hits.set(Vec::new());
            set_searched.set(false);
            set_error.set(None);
            return;
        }
        spawn_local(async move {
            let answer = ipc::call::<SearchPatients>(&SearchInput {
                query,
                limit: SEARCH_LIMIT,
            })
            .await;
            if latest.get_value() != ticket {
                return;
            }
            match answer {
                Ok(found) => {
                    set_hits.set(found);
                    set_error.set(None);
                    set_searched.set(true);
                }
                Err(e) => set_error.set(Some(e.message)),
            }
        });
    };
    view! {
        <section id="pacientes">
            <h1>"Pacientes"</h1>
            <label for="busca-paciente">"Buscar por nome, CPF ou CNS"</label>
            <input
                id="busca-paciente"
                type="search"
                autocomplete="off"
                autofocus=true
                placeholder="ex.: joao, 529.982.247-25"
                on:input=on_input
            />
            {move || error.get().map(|message| view! { <p id="erro-busca" class="erro">{message}</p> })}
            <ul id="resultados">
                <For
                    each=move || hits.get()
                    key=|hit| hit.id.clone()
                    children=move |hit: PatientHit| {
                        let detail = [
                            hit.cpf.clone().map(|c| format!("CPF {c}")),
                            hit.birth_date.clone().map(|d| format!("nascimento {d}")),
                        ]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" · ");
                        view! {
                            <li class="paciente" id=format!("paciente-{}", hit.id)>
                                <span class="nome">{hit.name.clone()}</span>
                                <span class="detalhe">{detail}</span>
                            </li>
                        }
                    }
                />
            </ul>
            {move || {
                (searched.get() && hits.get().is_empty())
                    .then(|| view! { <p id="nenhum">"Nenhum paciente encontrado."</p> })
            }}
        </section>
    }
}
