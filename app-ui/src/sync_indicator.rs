//! The sync indicator on every screen: offline / syncing with progress / up to date / error,
//! the count of changes not yet sent, and — on click — the lists of conflicts and refused
//! (quarantined) changes. Polled once a second from the shell, which reads the sync loop's
//! state without waiting for it.

use std::time::Duration;

use atendebem_ipc::{GetSyncDetails, GetSyncState, NoInput, SyncDetails, SyncEstado, SyncView};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::{Workspace, ipc};

#[component]
pub fn SyncIndicator() -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let state = RwSignal::new(None::<SyncView>);
    let open = RwSignal::new(false);
    let details = RwSignal::new(None::<SyncDetails>);
    let refresh = move || {
        spawn_local(async move {
            if let Ok(view) = ipc::call::<GetSyncState>(&NoInput {}).await {
                if view.versao != ws.sync_version.get_untracked() {
                    ws.sync_version.set(view.versao);
                }
                if state.get_untracked().as_ref() != Some(&view) {
                    state.set(Some(view));
                }
            }
        });
    };
    refresh();
    if let Ok(handle) = set_interval_with_handle(refresh, Duration::from_secs(1)) {
        on_cleanup(move || handle.clear());
    }
    let toggle = move |_| {
        let now_open = !open.get_untracked();
        open.set(now_open);
        if now_open {
            spawn_local(async move {
                if let Ok(d) = ipc::call::<GetSyncDetails>(&NoInput {}).await {
                    details.set(Some(d));
                }
            });
        }
    };
    let estado = move || state.get().map_or("conectando", |s| s.estado.code());
    let number = move |f: fn(&SyncView) -> u64| move || state.get().map_or(0, |s| f(&s)).to_string();
    let label = move || {
        state
            .get()
            .map_or_else(|| "Verificando…".to_owned(), |s| s.label())
    };
    let last = move || {
        state
            .get()
            .and_then(|s| s.ultima.filter(|_| s.estado != SyncEstado::Local))
            .map(|u| format!("Última sincronização: {u}"))
    };
    let attention = move || {
        state
            .get()
            .map(|s| {
                let mut parts = Vec::new();
                if s.conflitos > 0 {
                    parts.push(format!("{} conflito(s)", s.conflitos));
                }
                if s.quarentena > 0 {
                    parts.push(format!("{} recusada(s)", s.quarentena));
                }
                parts.join(" · ")
            })
            .unwrap_or_default()
    };
    view! {
        <button
            id="indicador-sync"
            type="button"
            class=move || format!("sync {}", estado())
            data-estado=estado
            data-pendentes=number(|s| s.pendentes)
            data-conflitos=number(|s| s.conflitos)
            data-quarentena=number(|s| s.quarentena)
            title=last
            on:click=toggle
        >
            <span class="ponto"></span>
            <span class="texto">{label}</span>
            <span class="atencao">{attention}</span>
        </button>
        <Show when=move || open.get()>
            <div id="painel-sync" class="painel" role="dialog" aria-label="Sincronização">
                <p>{move || last().unwrap_or_else(|| "Ainda sem sincronização com o servidor.".to_owned())}</p>
                <h2>"Conflitos"</h2>
                <ul id="lista-conflitos">
                    {move || {
                        let list = details.get().map(|d| d.conflicts).unwrap_or_default();
                        if list.is_empty() {
                            view! { <li class="vazio">"Nenhum conflito."</li> }.into_any()
                        } else {
                            list.into_iter()
                                .map(|c| view! { <li class="conflito" id=format!("conflito-{}", c.id)>{c.description}</li> })
                                .collect_view()
                                .into_any()
                        }
                    }}
                </ul>
                <h2>"Alterações recusadas pelo servidor"</h2>
                <ul id="lista-quarentena">
                    {move || {
                        let list = details.get().map(|d| d.quarantine).unwrap_or_default();
                        if list.is_empty() {
                            view! { <li class="vazio">"Nenhuma alteração recusada."</li> }.into_any()
                        } else {
                            list.into_iter()
                                .map(|q| view! {
                                    <li class="recusada" id=format!("recusada-{}", q.id)>
                                        <strong>{q.what}</strong>" — "{q.reason}" ("{q.at}")"
                                    </li>
                                })
                                .collect_view()
                                .into_any()
                        }
                    }}
                </ul>
                <p class="dica">"Alterações recusadas ficam guardadas; nada é apagado."</p>
            </div>
        </Show>
    }
}
