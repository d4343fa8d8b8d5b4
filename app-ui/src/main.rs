//! AtendeBem's desktop interface (Leptos, client-side rendered, wasm32). Text is pt-BR; every
//! call to the shell goes through [`ipc::call`] with a typed command.

mod ipc;

use atendebem_ipc::{GetAppInfo, NoInput};
use leptos::prelude::*;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}

/// The window: header, the current screen, and the footer with the product's name and version
/// on every screen (NGS1.01.01).
#[component]
fn App() -> impl IntoView {
    let (footer, set_footer) = signal(String::from("AtendeBem"));
    leptos::task::spawn_local(async move {
        if let Ok(info) = ipc::call::<GetAppInfo>(&NoInput {}).await {
            set_footer.set(info.footer());
        }
    });
    view! {
        <header id="topo">"AtendeBem"</header>
        <main id="conteudo">
            <h1>"Bem-vindo ao AtendeBem"</h1>
            <p>"Agenda, pacientes e prontuário da clínica, funcionando mesmo sem internet."</p>
            <p>
                "A réplica local criptografada já pode ser usada pela linha de comando: "
                <code>"atendebem --help"</code>"."
            </p>
        </main>
        <footer id="versao">{footer}</footer>
    }
}
