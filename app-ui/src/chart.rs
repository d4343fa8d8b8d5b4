//! The chart (professionals only; the menu never offers it to others and the shell refuses
//! them): the timeline of records with a filter by kind, a new evolution note saved as a draft
//! and then signed, signed records marked read-only, and corrections of a signed record with a
//! mandatory reason, the earlier versions shown struck through (nothing is ever deleted).

use atendebem_ipc::{
    AddNote, AmendEntry, AmendInput, ChartEntry, ChartTimeline, ChartView, CommandError, EntryRef, NoteInput,
    PatientRef, SignEntry,
};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::login::{field_error, general_error};
use crate::{Workspace, ipc};

#[component]
pub fn ChartPage(patient_id: String, patient_name: String) -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let chart = RwSignal::new(None::<ChartView>);
    let error = RwSignal::new(None::<CommandError>);
    let filter = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let reload = RwSignal::new(0_u32);
    let busy = RwSignal::new(false);
    let patient = StoredValue::new(patient_id);
    Effect::new(move |_| {
        reload.track();
        ws.sync_version.track();
        let input = PatientRef {
            patient_id: patient.get_value(),
        };
        spawn_local(async move {
            match ipc::call::<ChartTimeline>(&input).await {
                Ok(view) => chart.set(Some(view)),
                Err(e) => error.set(Some(e)),
            }
        });
    });
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let input = NoteInput {
            patient_id: patient.get_value(),
            text: note.get_untracked(),
        };
        spawn_local(async move {
            match ipc::call::<AddNote>(&input).await {
                Ok(_) => {
                    note.set(String::new());
                    reload.update(|r| *r += 1);
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let entries = move || {
        let wanted = filter.get();
        chart
            .get()
            .map(|c| c.entries)
            .unwrap_or_default()
            .into_iter()
            .filter(|e| wanted.is_empty() || e.kind == wanted)
            .collect::<Vec<_>>()
    };
    view! {
        <section id="prontuario">
            <h1>"Prontuário — " <span id="prontuario-paciente">{patient_name}</span></h1>
            <form id="form-evolucao" class="cartao" on:submit=save>
                <label for="nova-evolucao">"Nova evolução"</label>
                <textarea id="nova-evolucao" rows="5" placeholder="Queixa, exame, conduta…" bind:value=note></textarea>
                {field_error(error, "nova-evolucao")}
                <button id="salvar-rascunho" type="submit" disabled=move || busy.get()>"Salvar rascunho"</button>
                <p class="dica">"O rascunho só vale depois de assinado; depois de assinado, não muda mais: correções viram uma nova versão com o motivo."</p>
            </form>
            {general_error(error, "erro-prontuario")}
            <div class="barra">
                <h2>"Linha do tempo"</h2>
                <label for="filtro-tipo" class="inline">"Tipo"</label>
                <select id="filtro-tipo" on:change=move |ev| filter.set(event_target_value(&ev))>
                    <option value="">"Todos"</option>
                    {move || chart.get().map(|c| c.kinds).unwrap_or_default().into_iter().map(|(code, label)| {
                        view! { <option value=code>{label}</option> }
                    }).collect_view()}
                </select>
            </div>
            <ol id="linha-do-tempo">
                {move || {
                    let list = entries();
                    if list.is_empty() {
                        view! { <li class="vazio">"Nenhum registro."</li> }.into_any()
                    } else {
                        list.into_iter()
                            .map(|e| view! { <EntryView entry=e patient=patient.get_value() reload/> })
                            .collect_view()
                            .into_any()
                    }
                }}
            </ol>
        </section>
    }
}

/// One record: a draft (editable only by its author, to be signed) or a signed, read-only
/// record with its corrections.
#[component]
fn EntryView(entry: ChartEntry, patient: String, reload: RwSignal<u32>) -> impl IntoView {
    let error = RwSignal::new(None::<CommandError>);
    let amending = RwSignal::new(false);
    let text = RwSignal::new(entry.text.clone());
    let reason = RwSignal::new(String::new());
    let signed = entry.status == "signed";
    let (id_sign, patient_sign) = (entry.id.clone(), patient.clone());
    let sign = move |_| {
        let input = EntryRef {
            patient_id: patient_sign.clone(),
            entry_id: id_sign.clone(),
        };
        spawn_local(async move {
            match ipc::call::<SignEntry>(&input).await {
                Ok(_) => reload.update(|r| *r += 1),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let (id_amend, patient_amend) = (entry.id.clone(), patient);
    let amend = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = AmendInput {
            patient_id: patient_amend.clone(),
            entry_id: id_amend.clone(),
            text: text.get_untracked(),
            reason: reason.get_untracked(),
        };
        spawn_local(async move {
            match ipc::call::<AmendEntry>(&input).await {
                Ok(_) => {
                    amending.set(false);
                    reload.update(|r| *r += 1);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let meta = format!(
        "{} · {} · {}",
        entry.kind_label,
        entry.author_name,
        entry.signed_at.as_ref().map_or_else(
            || format!("rascunho de {}", entry.written_at),
            |s| format!("assinado em {s}")
        )
    );
    view! {
        <li class=format!("registro {}", entry.status) id=format!("registro-{}", entry.id) data-status=entry.status.clone()>
            <p class="meta">{meta}</p>
            {signed.then(|| view! { <span class="somente-leitura" title="Registros assinados não mudam">"Assinado — somente leitura"</span> })}
            <p class="texto">{entry.text.clone()}</p>
            {entry.amendment_reason.clone().map(|r| view! { <p class="motivo">"Correção: " {r}</p> })}
            {(!entry.history.is_empty()).then(|| view! {
                <details class="historico">
                    <summary>{format!("{} versão(ões) anterior(es)", entry.history.len())}</summary>
                    <ul>
                        {entry.history.iter().map(|v| view! {
                            <li><s>{v.text.clone()}</s>" "<span class="meta">{v.written_at.clone()}</span></li>
                        }).collect_view()}
                    </ul>
                </details>
            })}
            {(entry.mine && !signed).then(|| view! {
                <button type="button" class="assinar principal" on:click=sign>"Assinar"</button>
            })}
            {(entry.mine && signed).then(|| view! {
                <button type="button" class="corrigir" on:click=move |_| amending.set(true)>"Corrigir"</button>
            })}
            <Show when=move || amending.get()>
                <form class="form-corrigir" on:submit=amend.clone()>
                    <label for="corrigir-texto">"Texto corrigido"</label>
                    <textarea id="corrigir-texto" rows="4" bind:value=text></textarea>
                    <label for="corrigir-motivo">"Motivo da correção (obrigatório)"</label>
                    <input id="corrigir-motivo" type="text" bind:value=reason/>
                    {field_error(error, "corrigir-motivo")}
                    <button id="corrigir-salvar" type="submit" class="principal">"Salvar correção"</button>
                </form>
            </Show>
            {general_error(error, "erro-registro")}
        </li>
    }
}
