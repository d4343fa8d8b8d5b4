//! Patients: search as you type (by name with accents and case ignored, CPF or CNS); from a
//! patient, book an appointment, open the chart (professionals) or see their appointments.
//!
//! `#resultados` carries `data-ms`: milliseconds from the keystroke to the results painted
//! (read by the performance script).

use atendebem_ipc::{
    AgendaEntry, CommandError, GetPatientForm, PatientAppointments, PatientHit, PatientRef, RegisterInput,
    RegisterPatient, SearchInput, SearchPatients, UpdatePatient, UpdatePatientInput,
};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::login::{field_error, general_error};
use crate::{BookingDraft, Page, Workspace, dom, ipc};

/// Most patients a search shows (typing more refines it).
const SEARCH_LIMIT: u32 = 20;

#[component]
pub fn PatientsPage() -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let (hits, set_hits) = signal(Vec::<PatientHit>::new());
    let (searched, set_searched) = signal(false);
    let (error, set_error) = signal(None::<String>);
    let (paint_ms, set_paint_ms) = signal(String::new());
    // Counts measurements, so a reader sees a new one even when its figure repeats.
    let (paint_n, set_paint_n) = signal(0_u32);
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
                    dom::after_paint(move || {
                        set_paint_ms.set(format!("{:.1}", dom::now_ms() - typed_at));
                        set_paint_n.update(|n| *n += 1);
                    });
                }
                Err(e) => set_error.set(Some(e.message)),
            }
        });
    };
    let may_chart = move || ws.session.get().may_read_chart;
    let may_book = move || ws.session.get().may_write_agenda;
    // `Some(None)`: a new patient; `Some(Some(id))`: editing that patient.
    let registering = RwSignal::new(None::<Option<String>>);
    let may_register = move || ws.session.get().may_write_registry;
    let registered = move |hit: PatientHit| {
        registering.set(None);
        set_hits.set(vec![hit]);
        set_searched.set(true);
    };
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
            <div class="barra">
                <h1>"Pacientes"</h1>
                {move || may_register().then(|| view! {
                    <button id="novo-paciente" type="button" class="principal" on:click=move |_| registering.set(Some(None))>
                        "Novo paciente"
                    </button>
                })}
            </div>
            {move || registering.get().map(|editing| view! {
                <RegistrationForm editing on_saved=registered on_close=move || registering.set(None)/>
            })}
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
            <ul id="resultados" data-ms=move || paint_ms.get() data-n=move || paint_n.get()>
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
                        let id_edit = hit.id.clone();
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
                                    {may_register().then(|| view! {
                                        <button class="editar" type="button" on:click=move |_| {
                                            registering.set(Some(Some(id_edit.clone())));
                                        }>"Editar"</button>
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

/// Registration: each field checked by the shell with the shared rules (CPF and CNS check
/// digits, phone, e-mail, CEP, UF), the refusal shown next to its field; the LGPD decisions
/// recorded with the patient.
#[component]
fn RegistrationForm(
    /// The patient being corrected (`None`: a new one).
    editing: Option<String>,
    on_saved: impl Fn(PatientHit) + Copy + 'static,
    on_close: impl Fn() + Copy + 'static,
) -> impl IntoView {
    let form = RwSignal::new(RegisterInput {
        sex: "unknown".to_owned(),
        consent_treatment: true,
        ..RegisterInput::default()
    });
    let error = RwSignal::new(None::<CommandError>);
    let busy = RwSignal::new(false);
    if let Some(id) = editing.clone() {
        spawn_local(async move {
            match ipc::call::<GetPatientForm>(&PatientRef { patient_id: id }).await {
                Ok(current) => form.set(current),
                Err(e) => error.set(Some(e)),
            }
        });
    }
    let is_edit = editing.is_some();
    let editing = StoredValue::new(editing);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let input = form.get_untracked();
        let editing = editing.get_value();
        spawn_local(async move {
            let answer = match editing {
                Some(patient_id) => {
                    ipc::call::<UpdatePatient>(&UpdatePatientInput {
                        patient_id,
                        form: input,
                    })
                    .await
                }
                None => ipc::call::<RegisterPatient>(&input).await,
            };
            match answer {
                Ok(hit) => on_saved(hit),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let text = move |id: &'static str,
                     label: &'static str,
                     get: fn(&RegisterInput) -> &String,
                     set: fn(&mut RegisterInput, String)| {
        view! {
            <span class="campo">
                <label for=id>{label}</label>
                <input id=id type="text" autocomplete="off"
                    prop:value=move || form.with(|f| get(f).clone())
                    on:input=move |ev| { let v = event_target_value(&ev); form.update(|f| set(f, v)); }/>
                {field_error(error, id)}
            </span>
        }
    };
    let check = move |id: &'static str,
                      label: &'static str,
                      get: fn(&RegisterInput) -> bool,
                      set: fn(&mut RegisterInput, bool)| {
        view! {
            <label class="marcar" for=id>
                <input id=id type="checkbox" prop:checked=move || get(&form.get())
                    on:change=move |ev| { let v = event_target_checked(&ev); form.update(|f| set(f, v)); }/>
                {label}
            </label>
        }
    };
    view! {
        <form id="form-cadastro" class="cartao" on:submit=save>
            <h2>{if is_edit { "Corrigir cadastro" } else { "Novo paciente" }}</h2>
            <div class="grade">
                {text("cadastro-nome", "Nome civil", |f| &f.name, |f, v| f.name = v)}
                {text("cadastro-nome-social", "Nome social (opcional)", |f| &f.social_name, |f, v| f.social_name = v)}
                {text("cadastro-nascimento", "Nascimento (dd/mm/aaaa)", |f| &f.birth_date, |f, v| f.birth_date = v)}
                <span class="campo">
                    <label for="cadastro-sexo">"Sexo"</label>
                    <select id="cadastro-sexo" prop:value=move || form.with(|f| f.sex.clone())
                        on:change=move |ev| { let v = event_target_value(&ev); form.update(|f| f.sex = v); }>
                        <option value="unknown">"Não informado"</option>
                        <option value="female">"Feminino"</option>
                        <option value="male">"Masculino"</option>
                        <option value="intersex">"Intersexo"</option>
                    </select>
                </span>
                {text("cadastro-cpf", "CPF", |f| &f.cpf, |f, v| f.cpf = v)}
                {text("cadastro-cns", "CNS (cartão SUS)", |f| &f.cns, |f, v| f.cns = v)}
                {text("cadastro-telefone", "Telefone", |f| &f.phone, |f, v| f.phone = v)}
                {text("cadastro-email", "E-mail", |f| &f.email, |f, v| f.email = v)}
                {text("cadastro-cep", "CEP", |f| &f.cep, |f, v| f.cep = v)}
                {text("cadastro-logradouro", "Logradouro", |f| &f.street, |f, v| f.street = v)}
                {text("cadastro-numero", "Número", |f| &f.number, |f, v| f.number = v)}
                {text("cadastro-bairro", "Bairro", |f| &f.district, |f, v| f.district = v)}
                {text("cadastro-cidade", "Cidade", |f| &f.city, |f, v| f.city = v)}
                {text("cadastro-uf", "UF", |f| &f.uf, |f, v| f.uf = v)}
            </div>
            <fieldset id="consentimentos">
                <legend>"Consentimentos (LGPD) — pergunte ao paciente"</legend>
                {check("consentimento-tratamento", "Uso dos dados de saúde no próprio atendimento", |f| f.consent_treatment, |f, v| f.consent_treatment = v)}
                {check("consentimento-operadoras", "Compartilhar dados com o convênio (faturamento TISS, autorizações)", |f| f.consent_operators, |f, v| f.consent_operators = v)}
                {check("consentimento-lembretes", "Receber lembretes de consulta (SMS, WhatsApp, e-mail)", |f| f.consent_reminders, |f, v| f.consent_reminders = v)}
                {check("consentimento-teleconsulta", "Atendimento por teleconsulta", |f| f.consent_teleconsultation, |f, v| f.consent_teleconsultation = v)}
                <p class="dica">"Cada decisão fica registrada com data e responsável; mudanças futuras são novos registros."</p>
            </fieldset>
            {general_error(error, "erro-cadastro")}
            <div class="botoes">
                <button id="cadastro-salvar" type="submit" class="principal" disabled=move || busy.get()>
                    {if is_edit { "Salvar correção" } else { "Cadastrar" }}
                </button>
                <button id="cadastro-fechar" type="button" on:click=move |_| on_close()>"Fechar"</button>
            </div>
        </form>
    }
}
