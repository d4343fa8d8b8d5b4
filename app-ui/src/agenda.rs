//! The agenda: day and week views, of one professional or the whole clinic; appointments
//! coloured by status with the actions their status allows (confirm, check in, start, finish,
//! no-show, cancel); booking and rescheduling from a form; overlaps made offline on two
//! computers flagged with a way to resolve them (cancel one).
//!
//! Keyboard: ← / → change the day, `N` opens a new booking (outside text fields); every button
//! is reachable with Tab. `#agenda` carries `data-ms`: milliseconds from a day change to the
//! day painted (read by the performance script).

use atendebem_ipc::{
    AgendaDay, AgendaEntry, AgendaQuery, Book, BookInput, CommandError, GetAgendaDay, GetAgendaWeek,
    ListProfessionals, NoInput, PatientHit, ProfessionalOption, Reschedule, RescheduleInput, SearchInput,
    SearchPatients, SetStatus, StatusInput,
};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsValue;

use crate::login::{field_error, general_error};
use crate::{BookingDraft, Workspace, dom, ipc};

/// The label of the button that moves an appointment to `status`.
fn action_label(status: &str) -> &'static str {
    match status {
        "confirmed" => "Confirmar",
        "checked_in" => "Check-in",
        "in_progress" => "Iniciar atendimento",
        "done" => "Finalizar",
        "no_show" => "Faltou",
        "cancelled" => "Cancelar",
        _ => "?",
    }
}

/// The button's class (what tests and the style sheet know it by).
fn action_class(status: &str) -> &'static str {
    match status {
        "confirmed" => "confirmar",
        "checked_in" => "checkin",
        "in_progress" => "iniciar",
        "done" => "finalizar",
        "no_show" => "faltou",
        "cancelled" => "cancelar",
        _ => "acao",
    }
}

/// Whether a key press belongs to a text field (then it is typing, not a shortcut).
fn typing(ev: &leptos::ev::KeyboardEvent) -> bool {
    let target: JsValue = ev.target().map(Into::into).unwrap_or(JsValue::UNDEFINED);
    js_sys::Reflect::get(&target, &JsValue::from_str("tagName"))
        .ok()
        .and_then(|t| t.as_string())
        .is_some_and(|t| matches!(t.as_str(), "INPUT" | "TEXTAREA" | "SELECT"))
}

#[component]
pub fn AgendaPage() -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let day = RwSignal::new(None::<String>);
    let professional = RwSignal::new(String::new());
    let week = RwSignal::new(false);
    let reload = RwSignal::new(0_u32);
    let shown = RwSignal::new(None::<AgendaDay>);
    let shown_week = RwSignal::new(Vec::<AgendaDay>::new());
    let error = RwSignal::new(None::<CommandError>);
    let professionals = RwSignal::new(Vec::<ProfessionalOption>::new());
    let paint_ms = RwSignal::new(String::new());
    // Counts measurements, so a reader sees a new one even when its figure repeats.
    let paint_n = RwSignal::new(0_u32);
    let changed_at = StoredValue::new(0.0_f64);
    let latest = StoredValue::new(0_u64);

    spawn_local(async move {
        if let Ok(list) = ipc::call::<ListProfessionals>(&NoInput {}).await {
            professionals.set(list);
        }
    });

    Effect::new(move |_| {
        let query = AgendaQuery {
            day: day.get(),
            professional_id: Some(professional.get()).filter(|p| !p.is_empty()),
        };
        let as_week = week.get();
        reload.track();
        ws.sync_version.track();
        let ticket = latest.get_value() + 1;
        latest.set_value(ticket);
        spawn_local(async move {
            if as_week {
                let answer = ipc::call::<GetAgendaWeek>(&query).await;
                if latest.get_value() != ticket {
                    return;
                }
                match answer {
                    Ok(days) => {
                        shown_week.set(days);
                        error.set(None);
                    }
                    Err(e) => error.set(Some(e)),
                }
            } else {
                let answer = ipc::call::<GetAgendaDay>(&query).await;
                if latest.get_value() != ticket {
                    return;
                }
                match answer {
                    Ok(d) => {
                        shown.set(Some(d));
                        error.set(None);
                        let started = changed_at.get_value();
                        dom::after_paint(move || {
                            if started > 0.0 {
                                paint_ms.set(format!("{:.1}", dom::now_ms() - started));
                                paint_n.update(|n| *n += 1);
                            }
                        });
                    }
                    Err(e) => error.set(Some(e)),
                }
            }
        });
    });

    let go_to = move |target: Option<String>| {
        changed_at.set_value(dom::now_ms());
        day.set(target);
    };
    let step = move |forward: bool| {
        let target = shown
            .get_untracked()
            .map(|d| if forward { d.next } else { d.previous });
        if target.is_some() {
            go_to(target);
        }
    };
    let new_booking = move || {
        if ws.session.get_untracked().may_write_agenda {
            ws.booking.set(Some(BookingDraft::default()));
        }
    };
    let keys = window_event_listener(leptos::ev::keydown, move |ev| {
        if typing(&ev) || ev.alt_key() || ev.ctrl_key() || ev.meta_key() {
            return;
        }
        match ev.key().as_str() {
            "ArrowLeft" => step(false),
            "ArrowRight" => step(true),
            "n" | "N" => {
                ev.prevent_default();
                new_booking();
            }
            _ => {}
        }
    });
    on_cleanup(move || keys.remove());

    let title = move || {
        if week.get() {
            let days = shown_week.get();
            match (days.first(), days.last()) {
                (Some(a), Some(b)) => format!("Semana de {} a {}", a.short_title, b.short_title),
                _ => "Semana".to_owned(),
            }
        } else {
            shown.get().map(|d| d.title).unwrap_or_default()
        }
    };
    let on_saved = move |entry: AgendaEntry| {
        ws.booking.set(None);
        changed_at.set_value(dom::now_ms());
        if day.get_untracked().as_deref() == Some(entry.day.as_str()) {
            reload.update(|r| *r += 1);
        } else {
            day.set(Some(entry.day));
        }
    };
    let changed = move || reload.update(|r| *r += 1);

    view! {
        <section id="agenda" data-ms=move || paint_ms.get() data-n=move || paint_n.get()>
            <div class="barra">
                <button id="dia-anterior" type="button" title="Dia anterior (←)" on:click=move |_| step(false)>"‹"</button>
                <button id="hoje" type="button" on:click=move |_| go_to(None)>"Hoje"</button>
                <button id="dia-seguinte" type="button" title="Dia seguinte (→)" on:click=move |_| step(true)>"›"</button>
                <h1 id="agenda-titulo">{title}</h1>
                <label for="agenda-profissional" class="inline">"Profissional"</label>
                <select id="agenda-profissional" on:change=move |ev| professional.set(event_target_value(&ev))>
                    <option value="">"Todos"</option>
                    {move || professionals
                        .get()
                        .into_iter()
                        .map(|p| view! { <option value=p.id.clone()>{p.name.clone()}</option> })
                        .collect_view()}
                </select>
                <span class="alternar">
                    <button id="visao-dia" type="button" class:atual=move || !week.get() on:click=move |_| week.set(false)>"Dia"</button>
                    <button id="visao-semana" type="button" class:atual=move || week.get() on:click=move |_| week.set(true)>"Semana"</button>
                </span>
                {move || ws.session.get().may_write_agenda.then(|| view! {
                    <button id="novo-agendamento" type="button" class="principal" title="Novo agendamento (N)"
                        on:click=move |_| new_booking()>"Novo agendamento"</button>
                })}
            </div>
            {general_error(error, "erro-agenda")}
            {move || ws.booking.get().map(|draft| view! {
                <BookingForm draft professionals=professionals.get() default_day=shown.get().map(|d| d.day) on_saved/>
            })}
            {move || {
                let conflicts = shown.get().map(|d| d.conflicts).unwrap_or_default();
                (!conflicts.is_empty() && !week.get()).then(|| view! {
                    <div id="conflitos-agenda" class="alerta" role="alert">
                        <strong>"Horários em conflito (marcados em dois computadores sem conexão):"</strong>
                        <ul>
                            {conflicts.into_iter().map(|c| view! {
                                <li class="conflito-agenda">
                                    {c.description}
                                    " — cancele um dos dois ou remarque-o."
                                </li>
                            }).collect_view()}
                        </ul>
                    </div>
                })
            }}
            {move || if week.get() {
                view! { <WeekView days=shown_week.get() open_day=move |d: String| { week.set(false); go_to(Some(d)); }/> }.into_any()
            } else {
                let entries = shown.get().map(|d| d.entries).unwrap_or_default();
                let conflicted: Vec<String> = shown
                    .get()
                    .map(|d| d.conflicts.iter().flat_map(|c| [c.first.clone(), c.second.clone()]).collect())
                    .unwrap_or_default();
                if entries.is_empty() {
                    view! { <p id="agenda-vazia" class="vazio">"Nenhum agendamento neste dia."</p> }.into_any()
                } else {
                    view! {
                        <ul id="consultas">
                            {entries.into_iter().map(|e| {
                                let flagged = conflicted.contains(&e.id);
                                view! { <AppointmentRow entry=e flagged changed/> }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }
            }}
        </section>
    }
}

/// One appointment with the actions its status allows.
#[component]
fn AppointmentRow(entry: AgendaEntry, flagged: bool, changed: impl Fn() + Copy + 'static) -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let error = RwSignal::new(None::<CommandError>);
    let may_write = ws.session.get_untracked().may_write_agenda;
    let id = entry.id.clone();
    let actions = entry
        .next
        .iter()
        .filter(|_| may_write)
        .filter(|n| {
            n.as_str() != "in_progress" && n.as_str() != "done" || ws.session.get_untracked().may_read_chart
        })
        .map(|next| {
            let (id, next) = (id.clone(), next.clone());
            let label = action_label(&next);
            let class = action_class(&next);
            view! {
                <button type="button" class=class on:click=move |_| {
                    let input = StatusInput { appointment_id: id.clone(), status: next.clone() };
                    spawn_local(async move {
                        match ipc::call::<SetStatus>(&input).await {
                            Ok(_) => changed(),
                            Err(e) => error.set(Some(e)),
                        }
                    });
                }>{label}</button>
            }
        })
        .collect_view();
    let movable = may_write && matches!(entry.status.as_str(), "booked" | "confirmed");
    let moving = entry.clone();
    view! {
        <li
            class=format!("consulta status-{}{}", entry.status, if flagged { " em-conflito" } else { "" })
            id=format!("consulta-{}", entry.id)
            data-status=entry.status.clone()
            data-paciente=entry.patient_id.clone()
        >
            <span class="horario">{format!("{}–{}", entry.start, entry.end)}</span>
            <span class="paciente-nome">{entry.patient_name.clone()}</span>
            <span class="profissional">{entry.professional_name.clone()}</span>
            <span class="situacao">{entry.status_label.clone()}</span>
            <span class="acoes">
                {actions}
                {movable.then(|| view! {
                    <button type="button" class="remarcar" on:click=move |_| {
                        ws.booking.set(Some(BookingDraft {
                            patient: Some((moving.patient_id.clone(), moving.patient_name.clone())),
                            moving: Some(moving.clone()),
                        }));
                    }>"Remarcar"</button>
                })}
            </span>
            {general_error(error, "erro-consulta")}
        </li>
    }
}

/// Seven columns, Monday to Sunday; a click on a day opens it.
#[component]
fn WeekView(days: Vec<AgendaDay>, open_day: impl Fn(String) + Copy + 'static) -> impl IntoView {
    view! {
        <div id="semana" class="semana">
            {days.into_iter().map(|d| {
                let target = d.day.clone();
                view! {
                    <div class="dia-semana" class:hoje=d.today data-dia=d.day.clone()>
                        <button type="button" class="abrir-dia" on:click=move |_| open_day(target.clone())>{d.short_title.clone()}</button>
                        <ul>
                            {d.entries.into_iter().map(|e| view! {
                                <li class=format!("consulta-curta status-{}", e.status) data-status=e.status.clone()>
                                    {format!("{} {}", e.start, e.patient_name)}
                                </li>
                            }).collect_view()}
                        </ul>
                    </div>
                }
            }).collect_view()}
        </div>
    }
}

/// Booking (or moving) an appointment: patient, professional, date, time, duration and kind.
/// Each refusal appears next to its field.
#[component]
fn BookingForm(
    draft: BookingDraft,
    professionals: Vec<ProfessionalOption>,
    default_day: Option<String>,
    on_saved: impl Fn(AgendaEntry) + Copy + 'static,
) -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let moving = draft.moving.clone();
    let patient = RwSignal::new(draft.patient.clone());
    let query = RwSignal::new(String::new());
    let suggestions = RwSignal::new(Vec::<PatientHit>::new());
    let first_professional = professionals.first().map(|p| p.id.clone()).unwrap_or_default();
    let professional = RwSignal::new(
        moving
            .as_ref()
            .map(|m| m.professional_id.clone())
            .unwrap_or(first_professional),
    );
    let date_br = |iso: &str| {
        let parts: Vec<&str> = iso.split('-').collect();
        match parts.as_slice() {
            [y, m, d] => format!("{d}/{m}/{y}"),
            _ => String::new(),
        }
    };
    let date = RwSignal::new(
        moving
            .as_ref()
            .map(|m| m.day_br.clone())
            .or_else(|| default_day.as_deref().map(date_br))
            .unwrap_or_default(),
    );
    let time = RwSignal::new(moving.as_ref().map(|m| m.start.clone()).unwrap_or_default());
    let minutes = RwSignal::new(
        moving
            .as_ref()
            .map_or_else(|| "30".to_owned(), |m| m.minutes.to_string()),
    );
    let kind = RwSignal::new(String::from("first_visit"));
    let error = RwSignal::new(None::<CommandError>);
    let busy = RwSignal::new(false);
    let latest = StoredValue::new(0_u64);

    let search = move |ev| {
        let text = event_target_value(&ev);
        query.set(text.clone());
        let ticket = latest.get_value() + 1;
        latest.set_value(ticket);
        if text.trim().is_empty() {
            suggestions.set(Vec::new());
            return;
        }
        spawn_local(async move {
            let found = ipc::call::<SearchPatients>(&SearchInput {
                query: text,
                limit: 8,
            })
            .await;
            if latest.get_value() == ticket {
                suggestions.set(found.unwrap_or_default());
            }
        });
    };
    let moving_id = moving.as_ref().map(|m| m.id.clone());
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let moving_id = moving_id.clone();
        spawn_local(async move {
            let answer = match moving_id {
                Some(appointment_id) => {
                    ipc::call::<Reschedule>(&RescheduleInput {
                        appointment_id,
                        professional_id: professional.get_untracked(),
                        date: date.get_untracked(),
                        time: time.get_untracked(),
                        minutes: minutes.get_untracked(),
                    })
                    .await
                }
                None => {
                    ipc::call::<Book>(&BookInput {
                        patient_id: patient.get_untracked().map(|(id, _)| id).unwrap_or_default(),
                        professional_id: professional.get_untracked(),
                        date: date.get_untracked(),
                        time: time.get_untracked(),
                        minutes: minutes.get_untracked(),
                        kind: Some(kind.get_untracked()),
                    })
                    .await
                }
            };
            busy.set(false);
            match answer {
                Ok(entry) => on_saved(entry),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let is_move = moving.is_some();
    view! {
        <form id="form-agendar" class="cartao" on:submit=save>
            <h2>{if is_move { "Remarcar agendamento" } else { "Novo agendamento" }}</h2>
            <label for="agendar-paciente-busca">"Paciente"</label>
            {move || match patient.get() {
                Some((_, name)) => view! {
                    <p class="escolhido">
                        <span id="agendar-paciente-escolhido">{name}</span>
                        {(!is_move).then(|| view! {
                            <button type="button" class="link" id="trocar-paciente" on:click=move |_| patient.set(None)>"trocar"</button>
                        })}
                    </p>
                }.into_any(),
                None => view! {
                    <input id="agendar-paciente-busca" type="search" autocomplete="off" placeholder="nome, CPF ou CNS"
                        prop:value=move || query.get() on:input=search/>
                    <ul id="sugestoes">
                        {move || suggestions.get().into_iter().map(|hit| {
                            let chosen = (hit.id.clone(), hit.name.clone());
                            let detail = hit.birth_date.clone().map(|d| format!(" · {d}")).unwrap_or_default();
                            view! {
                                <li class="sugestao" id=format!("sugestao-{}", hit.id) tabindex="0"
                                    on:click=move |_| patient.set(Some(chosen.clone()))>
                                    {format!("{}{}", hit.name, detail)}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            }}
            {field_error(error, "agendar-paciente-busca")}
            <label for="agendar-profissional">"Profissional"</label>
            <select id="agendar-profissional" on:change=move |ev| professional.set(event_target_value(&ev))>
                {professionals.into_iter().map(|p| {
                    let selected = p.id == professional.get_untracked();
                    view! { <option value=p.id.clone() selected=selected title=p.council.clone()>{p.name.clone()}</option> }
                }).collect_view()}
            </select>
            {field_error(error, "agendar-profissional")}
            <div class="linha">
                <span>
                    <label for="agendar-data">"Data"</label>
                    <input id="agendar-data" type="text" inputmode="numeric" placeholder="dd/mm/aaaa" bind:value=date/>
                    {field_error(error, "agendar-data")}
                </span>
                <span>
                    <label for="agendar-hora">"Horário"</label>
                    <input id="agendar-hora" type="text" inputmode="numeric" placeholder="HH:MM" bind:value=time/>
                    {field_error(error, "agendar-hora")}
                </span>
                <span>
                    <label for="agendar-duracao">"Duração (min)"</label>
                    <input id="agendar-duracao" type="number" min="5" max="480" step="5" bind:value=minutes/>
                    {field_error(error, "agendar-duracao")}
                </span>
            </div>
            {(!is_move).then(|| view! {
                <label for="agendar-tipo">"Tipo"</label>
                <select id="agendar-tipo" on:change=move |ev| kind.set(event_target_value(&ev))>
                    <option value="first_visit">"Primeira consulta"</option>
                    <option value="follow_up">"Retorno"</option>
                    <option value="exam">"Exame"</option>
                    <option value="procedure">"Procedimento"</option>
                    <option value="teleconsultation">"Teleconsulta"</option>
                </select>
            })}
            {general_error(error, "erro-agendar")}
            <div class="botoes">
                <button id="agendar-salvar" type="submit" class="principal" disabled=move || busy.get()>
                    {if is_move { "Remarcar" } else { "Agendar" }}
                </button>
                <button id="agendar-fechar" type="button" on:click=move |_| ws.booking.set(None)>"Fechar"</button>
            </div>
        </form>
    }
}
