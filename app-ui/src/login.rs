//! First start (connect to a server, or open the demo clinic) and the login / lock screen.

use atendebem_ipc::{
    CommandError, ConnectInput, ConnectServer, LocalLoginInput, Login, LoginInput, LoginLocal, LoginScreen,
    NoInput, StartDemo,
};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::{Screen, ipc};

/// An error next to the field it names (`field` = the input's id).
pub fn field_error(error: RwSignal<Option<CommandError>>, field: &'static str) -> impl IntoView {
    move || {
        error
            .get()
            .filter(|e| e.field.as_deref() == Some(field))
            .map(|e| view! { <span class="erro campo" id=format!("erro-{field}")>{e.message}</span> })
    }
}

/// An error that belongs to no field, in the element `id`.
pub fn general_error(error: RwSignal<Option<CommandError>>, id: &'static str) -> impl IntoView {
    move || {
        error
            .get()
            .filter(|e| e.field.is_none())
            .map(|e| view! { <p class="erro" id=id role="alert">{e.message}</p> })
    }
}

/// First start: this computer joins a server's clinic, or opens the demo.
#[component]
pub fn FirstStart() -> impl IntoView {
    let screen = expect_context::<Screen>();
    let server = RwSignal::new(String::from("http://"));
    let tenant = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let new_password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<CommandError>);
    let busy = RwSignal::new(false);
    let connect = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let input = ConnectInput {
            server: server.get_untracked(),
            tenant: tenant.get_untracked(),
            email: email.get_untracked(),
            password: password.get_untracked(),
            new_password: Some(new_password.get_untracked()).filter(|p| !p.is_empty()),
        };
        spawn_local(async move {
            match ipc::call::<ConnectServer>(&input).await {
                Ok(status) => screen.show(status),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let demo = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match ipc::call::<StartDemo>(&NoInput {}).await {
                Ok(status) => screen.show(status),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <section id="primeiro-inicio" class="cartao">
            <h1>"Bem-vindo ao AtendeBem"</h1>
            <p>"Conecte este computador ao servidor da sua clínica ou conheça o sistema com a clínica de demonstração."</p>
            <form id="form-conectar" on:submit=connect>
                <h2>"Conectar a um servidor"</h2>
                <label for="servidor-url">"Endereço do servidor"</label>
                <input id="servidor-url" type="url" autocomplete="off" bind:value=server/>
                {field_error(error, "servidor-url")}
                <label for="servidor-clinica">"Clínica"</label>
                <input id="servidor-clinica" type="text" placeholder="ex.: clinica-sorriso" bind:value=tenant/>
                {field_error(error, "servidor-clinica")}
                <Credentials email password new_password error/>
                <button id="entrar" type="submit" disabled=move || busy.get()>
                    {move || if busy.get() { "Conectando…" } else { "Entrar" }}
                </button>
            </form>
            <div class="ou">
                <h2>"Sem servidor?"</h2>
                <button id="modo-demo" type="button" on:click=demo disabled=move || busy.get()>
                    "Abrir a clínica de demonstração"
                </button>
                <p class="dica">"Cria neste computador uma clínica fictícia com pacientes, agendas e prontuários."</p>
            </div>
            {general_error(error, "erro-login")}
        </section>
    }
}

/// E-mail, password and (first access only) the new password.
#[component]
fn Credentials(
    email: RwSignal<String>,
    password: RwSignal<String>,
    new_password: RwSignal<String>,
    error: RwSignal<Option<CommandError>>,
) -> impl IntoView {
    let need_new = move || {
        error
            .get()
            .is_some_and(|e| e.code == "auth.password_change_required")
            || !new_password.get().is_empty()
    };
    view! {
        <label for="login-email">"E-mail"</label>
        <input id="login-email" type="email" autocomplete="username" bind:value=email/>
        {field_error(error, "login-email")}
        <label for="login-senha">"Senha"</label>
        <input id="login-senha" type="password" autocomplete="current-password" bind:value=password/>
        {field_error(error, "login-senha")}
        <label for="login-nova-senha" class:oculto=move || !need_new()>"Nova senha (primeiro acesso)"</label>
        <input
            id="login-nova-senha"
            type="password"
            autocomplete="new-password"
            class:oculto=move || !need_new()
            bind:value=new_password
        />
        {field_error(error, "login-nova-senha")}
    }
}

/// Login on this computer (connected: e-mail and password, offline too for users known here;
/// standalone: choose a local user), and the lock screen.
#[component]
pub fn LoginForm(screen: LoginScreen) -> impl IntoView {
    let window = expect_context::<Screen>();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let new_password = RwSignal::new(String::new());
    let chosen = RwSignal::new(
        screen
            .local_users
            .first()
            .map(|u| u.id.clone())
            .unwrap_or_default(),
    );
    let error = RwSignal::new(None::<CommandError>);
    let busy = RwSignal::new(false);
    let connected = screen.connected;
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let answer = if connected {
                ipc::call::<Login>(&LoginInput {
                    email: email.get_untracked(),
                    password: password.get_untracked(),
                    new_password: Some(new_password.get_untracked()).filter(|p| !p.is_empty()),
                })
                .await
            } else {
                ipc::call::<LoginLocal>(&LocalLoginInput {
                    user_id: chosen.get_untracked(),
                })
                .await
            };
            match answer {
                Ok(status) => window.show(status),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let heading = match &screen.locked_by {
        Some(name) => format!("Tela bloqueada por {name}"),
        None => "Entrar".to_owned(),
    };
    let users = screen.local_users.clone();
    view! {
        <section id="tela-login" class="cartao" data-bloqueada=screen.locked_by.is_some().to_string()>
            <p class="clinica">{screen.clinic_name.clone()}</p>
            <h1 id="bloqueada">{heading}</h1>
            <form on:submit=submit>
                {if connected {
                    view! { <Credentials email password new_password error/> }.into_any()
                } else {
                    view! {
                        <label for="login-usuario">"Quem vai usar o computador?"</label>
                        <select id="login-usuario" on:change=move |ev| chosen.set(event_target_value(&ev))>
                            {users
                                .into_iter()
                                .map(|u| view! { <option value=u.id.clone()>{format!("{} — {}", u.name, u.role_label)}</option> })
                                .collect_view()}
                        </select>
                    }
                        .into_any()
                }}
                <button id="entrar" type="submit" disabled=move || busy.get()>
                    {move || if busy.get() { "Entrando…" } else { "Entrar" }}
                </button>
            </form>
            {general_error(error, "erro-login")}
            {connected.then(|| view! {
                <p class="dica">"Sem internet? Quem já entrou neste computador pode entrar com a mesma senha."</p>
            })}
        </section>
    }
}
