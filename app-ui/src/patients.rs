//! Patients: search as you type (by name with accents and case ignored, CPF or CNS); from a
//! patient, book an appointment, open the chart (professionals) or see their appointments.
//!
//! `#resultados` carries `data-ms`: milliseconds from the keystroke to the results painted
//! (read by the performance script).

use atendebem_ipc::{AgendaEntry, PatientAppointments, PatientHit, PatientRef, SearchInput, SearchPatients};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::{BookingDraft, Page, Workspace, dom, ipc};

/// Most patients a search shows (typing more refines it).
const SEARCH_LIMIT: u32 = 50;

#[component]
pub fn PatientsPage() -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let (hits, set_hits) = signal(Vec::<PatientHit>::new());
    let (searched, set_searched) = signal(false);
    let (error, set_error) = signal(None::<String>);
    let (paint_ms, set_paint_ms) = signal(String::new());
    let selected = RwSignal::new(None::<(String, Vec<AgendaEntry>)>);
    let latest = StoredValue::new(0_u64);
    let on_input = move |ev| {
        let typed_at = dom::now_ms();
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
                    dom::after_paint(move || set_paint_ms.set(format!("{:.1}", dom::now_ms() - typed_at)));
                }
                Err(e) => set_error.set(Some(e.message)),
            }
        });
    };
    let may_chart = move || ws.session.get().may_read_chart;
    let may_book = move || ws.session.get().may_write_agenda;
    let show_appointments = move |id: String| {
        spawn_local(async move {
            if let Ok(list) = ipc::call::<PatientAppointments>(&PatientRef {
                patient_id: id.clone(),
            })
            .await
            {
                selected.set(Some((id, list)));
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
            <ul id="resultados" data-ms=move || paint_ms.get()>
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
                        let shown = hit.social_name.clone().unwrap_or_else(|| hit.name.clone());
                        let (id_book, name_book) = (hit.id.clone(), shown.clone());
                        let (id_chart, name_chart) = (hit.id.clone(), shown.clone());
                        let id_list = hit.id.clone();
                        let id_here = hit.id.clone();
                        view! {
                            <li class="paciente" id=format!("paciente-{}", hit.id)>
                                <button class="nome link" type="button" on:click=move |_| show_appointments(id_list.clone())>
                                    {shown.clone()}
                                </button>
                                <span class="detalhe">{detail}</span>
                                <span class="acoes">
                                    {may_book().then(|| view! {
                                        <button class="agendar" type="button" on:click=move |_| {
                                            ws.booking.set(Some(BookingDraft {
                                                patient: Some((id_book.clone(), name_book.clone())),
                                                moving: None,
                                            }));
                                            ws.page.set(Page::Agenda);
                                        }>"Agendar"</button>
                                    })}
                                    {may_chart().then(|| view! {
                                        <button class="abrir-prontuario" type="button" on:click=move |_| {
                                            ws.page.set(Page::Chart(id_chart.clone(), name_chart.clone()));
                                        }>"Prontuário"</button>
                                    })}
                                </span>
                                {move || {
                                    selected
                                        .get()
                                        .filter(|(id, _)| *id == id_here)
                                        .map(|(_, list)| view! { <PatientAppointmentsView list/> })
                                }}
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

/// A patient's appointments, newest first.
#[component]
fn PatientAppointmentsView(list: Vec<AgendaEntry>) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="consultas-paciente vazio">"Nenhum agendamento."</p> }.into_any();
    }
    view! {
        <ul class="consultas-paciente">
            {list
                .into_iter()
                .rev()
                .map(|a| view! {
                    <li class=format!("status-{}", a.status)>
                        {format!("{} {}–{} · {} · {}", a.day_br, a.start, a.end, a.professional_name, a.status_label)}
                    </li>
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}
