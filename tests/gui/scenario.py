"""End-to-end scenario of the real AtendeBem window connected to a real sync server.

A clinic runs on ``atendebem-server`` over the local PostgreSQL (``fixture.py``). The desktop
app (ATENDEBEM_DESKTOP_BIN, ATENDEBEM_PASSPHRASE already in the environment) opens on an empty
data directory and, driven over WebDriver (tauri-driver on 127.0.0.1:4444):

1. connects to the server as the receptionist from the first-start screen and downloads the clinic;
2. finds "João da Silva" (and sees no chart button);
3. books him with Dra. Ana next Tuesday at 10:00 and checks him in;
4. cannot read his chart even by calling the IPC command directly (``access.denied``);
5. switches to Dra. Ana, who writes and signs a note in his chart;
6. switches back to the receptionist (again no chart button);
7. keeps booking while the server is down (offline, pending changes);
8. catches up once the server is back (up to date, nothing pending, both bookings on the server).

scripts/test-gui.sh runs it under Xvfb and a private D-Bus session, after window.py.
ATENDEBEM_SERVER_BIN and ATENDEBEM_CLI_BIN are the server and command-line binaries.
Screenshots go to ATENDEBEM_SCREENSHOTS when set; on failure, also to $HOME/falha.png.
"""

import datetime
import json
import os
import shutil
import sys
import tempfile
import time

from selenium import webdriver
from selenium.common.exceptions import (
    JavascriptException,
    NoSuchElementException,
    StaleElementReferenceException,
    TimeoutException,
    WebDriverException,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.common.options import ArgOptions
from selenium.webdriver.support.ui import Select, WebDriverWait

from fixture import SyncFixture

#: Exceptions a condition may hit while the UI re-renders: the wait just tries again.
TRANSIENT = (NoSuchElementException, StaleElementReferenceException, JavascriptException)

NOTE = "Paciente refere cefaleia há três dias. PA 12x8."
JOAO = "João da Silva"
ANA = "Dra. Ana Souza"
CARLA = "Carla Recepção"
CLINIC_ZONE = "America/Sao_Paulo"


# ------------------------------------------------------------------------------------ helpers


def connect(data_dir):
    """Opens the app under test on ``data_dir`` (retried while tauri-driver starts)."""
    options = ArgOptions()
    options.set_capability("browserName", "wry")
    options.set_capability(
        "tauri:options",
        {"application": os.environ["ATENDEBEM_DESKTOP_BIN"], "args": ["--data-dir", data_dir]},
    )
    last = None
    for _ in range(100):  # tauri-driver needs a moment to listen
        try:
            return webdriver.Remote(command_executor="http://127.0.0.1:4444", options=options)
        except Exception as e:  # noqa: BLE001 - retried until the driver listens
            last = e
            time.sleep(0.2)
    raise SystemExit(f"tauri-driver não respondeu: {last}")


def text_of(driver, element_id):
    """Visible text of the element with ``element_id``, or "" when it is not on screen."""
    try:
        found = driver.find_elements(By.ID, element_id)
        return found[0].text if found else ""
    except StaleElementReferenceException:
        return ""


def shot(driver, name):
    """Saves a screenshot into ATENDEBEM_SCREENSHOTS, when set."""
    folder = os.environ.get("ATENDEBEM_SCREENSHOTS")
    if folder:
        os.makedirs(folder, exist_ok=True)
        driver.save_screenshot(os.path.join(folder, name))


def check(condition, message):
    """Fails the scenario with ``message`` unless ``condition`` holds."""
    if not condition:
        raise AssertionError(message)


def wait_for(driver, condition, timeout, message, detail=None):
    """Waits until ``condition(driver)`` is truthy and returns its value.

    On timeout raises AssertionError with ``message`` and, when given, ``detail(driver)`` (what
    the screen showed instead)."""
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.25, ignored_exceptions=TRANSIENT).until(
            condition
        )
    except TimeoutException:
        seen = ""
        if detail is not None:
            try:
                seen = f" (na tela: {detail(driver)})"
            except WebDriverException as e:
                seen = f" (não foi possível ler a tela: {e.msg})"
        raise AssertionError(f"{message} — esperado em até {timeout} s{seen}") from None


def shown(driver, css):
    """The first displayed element matching ``css``, else None."""
    for element in driver.find_elements(By.CSS_SELECTOR, css):
        if element.is_displayed():
            return element
    return None


def click(driver, css, timeout=20, what=None):
    """Clicks the element ``css`` once it is displayed and enabled (re-found if re-rendered)."""

    def attempt(d):
        element = shown(d, css)
        if element is None or not element.is_enabled():
            return False
        element.click()
        return True

    wait_for(driver, attempt, timeout, f"não foi possível clicar em {what or css}")


def click_where(driver, css, predicate, timeout, what):
    """Clicks the first displayed element matching ``css`` for which ``predicate(element)``."""

    def attempt(d):
        for element in d.find_elements(By.CSS_SELECTOR, css):
            if element.is_displayed() and predicate(element):
                element.click()
                return True
        return False

    wait_for(driver, attempt, timeout, f"não foi possível clicar em {what}")


SET_VALUE_JS = """
const [el, value] = arguments;
el.focus();
Object.getOwnPropertyDescriptor(Object.getPrototypeOf(el), 'value').set.call(el, value);
el.dispatchEvent(new Event('input', {bubbles: true}));
el.dispatchEvent(new Event('change', {bubbles: true}));
"""


def type_into(driver, element_id, text, timeout=20):
    """Clears the input ``#element_id`` and types ``text`` (select-all + delete if clear()
    left something behind).

    Accented text the virtual keyboard could not type (Xvfb's keymap has no "á") is set as the
    field's value with an ``input`` event instead, which is what the page would receive."""

    def attempt(d):
        element = d.find_element(By.ID, element_id)
        if not element.is_displayed():
            return False
        element.clear()
        if element.get_attribute("value"):
            element.send_keys(Keys.CONTROL, "a")
            element.send_keys(Keys.DELETE)
        element.send_keys(text)
        if element.get_attribute("value") != text and not text.isascii():
            print(f"aviso: #{element_id}: teclado virtual sem acentos; valor posto via evento input", file=sys.stderr)
            d.execute_script(SET_VALUE_JS, element, text)
        return element.get_attribute("value") == text

    def current(d):
        return repr(d.find_element(By.ID, element_id).get_attribute("value"))

    wait_for(driver, attempt, timeout, f"#{element_id} com o texto {text!r}", current)


SYNC_JS = """
const e = document.getElementById('indicador-sync');
if (!e) return null;
return {estado: e.getAttribute('data-estado'), pendentes: e.getAttribute('data-pendentes'),
        conflitos: e.getAttribute('data-conflitos'), quarentena: e.getAttribute('data-quarentena')};
"""


def sync_state(driver):
    """The sync indicator's attributes ({estado, pendentes, conflitos, quarentena}) or None."""
    return driver.execute_script(SYNC_JS)


def wait_sync(driver, estado, timeout, pendentes=None):
    """Waits for ``#indicador-sync`` in ``estado`` (and ``data-pendentes`` == pendentes)."""

    def reached(d):
        s = sync_state(d)
        return bool(s) and s["estado"] == estado and (pendentes is None or s["pendentes"] == str(pendentes))

    want = f'data-estado="{estado}"' + (f' e data-pendentes="{pendentes}"' if pendentes is not None else "")
    wait_for(driver, reached, timeout, f"indicador de sincronização com {want}", sync_state)
    return sync_state(driver)


CONSULTAS_JS = """
return Array.from(document.querySelectorAll('li.consulta')).map(li => {
  const t = s => { const x = li.querySelector(s); return x ? x.innerText.trim() : null; };
  return {id: li.id, status: li.getAttribute('data-status'), paciente: li.getAttribute('data-paciente'),
          nome: t('.paciente-nome'), horario: t('.horario'),
          acoes: ['confirmar', 'checkin', 'faltou', 'cancelar'].filter(c => li.querySelector('.' + c))};
});
"""


def consultas(driver):
    """Every ``li.consulta`` on screen as a dict (id, status, paciente, nome, horario, acoes)."""
    return driver.execute_script(CONSULTAS_JS) or []


def consulta(driver, nome, inicio, status=None):
    """The appointment of patient ``nome`` starting at ``inicio`` (HH:MM), optionally in
    ``status``; None when not on screen."""
    for c in consultas(driver):
        if c["nome"] == nome and (c["horario"] or "").startswith(inicio):
            if status is None or c["status"] == status:
                return c
    return None


REGISTROS_JS = """
return Array.from(document.querySelectorAll('#linha-do-tempo li.registro')).map(li => {
  const x = li.querySelector('.texto');
  return {id: li.id, status: li.getAttribute('data-status'), texto: x ? x.innerText.trim() : null,
          somente_leitura: !!li.querySelector('.somente-leitura'), assinar: !!li.querySelector('.assinar')};
});
"""


def registros(driver):
    """Every chart entry of ``#linha-do-tempo`` as a dict."""
    return driver.execute_script(REGISTROS_JS) or []


def registro(driver, texto, status):
    for r in registros(driver):
        if r["texto"] == texto and r["status"] == status:
            return r
    return None


def patient_names(driver):
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#resultados li.paciente .nome")]


def next_tuesday():
    """The first Tuesday strictly after today, in the clinic's zone (as the Rust tests do)."""
    try:
        from zoneinfo import ZoneInfo

        today = datetime.datetime.now(ZoneInfo(CLINIC_ZONE)).date()
    except Exception:  # noqa: BLE001 - no tz database: the machine's day is close enough
        today = datetime.date.today()
    days = (1 - today.weekday()) % 7 or 7  # Monday = 0, Tuesday = 1
    return today + datetime.timedelta(days=days)


# ---------------------------------------------------------------------------- screen actions


def log_in(driver, screen_id, email, password, who):
    """Fills email and password on ``#screen_id`` and presses ``#entrar``; waits for the
    title "AtendeBem — <who>"."""
    wait_for(driver, lambda d: shown(d, f"#{screen_id}"), 30, f"tela #{screen_id}", lambda d: text_of(d, "conteudo"))
    type_into(driver, "login-email", email)
    type_into(driver, "login-senha", password)
    click(driver, "#entrar")
    wait_for(
        driver,
        lambda d: d.title == f"AtendeBem — {who}",
        90,
        f'título "AtendeBem — {who}" após entrar como {email}',
        lambda d: f"título {d.title!r}; erro {text_of(d, 'erro-login')!r}",
    )
    wait_for(driver, lambda d: shown(d, "#agenda"), 30, f"a agenda após entrar como {who}")


def switch_user(driver, email, password, who):
    """``#trocar-usuario`` → ``#tela-login`` → logged in as ``who``."""
    click(driver, "#trocar-usuario")
    wait_for(driver, lambda d: shown(d, "#tela-login"), 30, "tela de login")
    shot(driver, "login.png")
    log_in(driver, "tela-login", email, password, who)


def search_patients(driver, query, expected):
    """Patients screen, types ``query``, waits for exactly ``expected`` names."""
    click(driver, "#ir-pacientes")
    wait_for(driver, lambda d: shown(d, "#busca-paciente"), 20, "campo #busca-paciente")
    type_into(driver, "busca-paciente", query)
    wait_for(
        driver,
        lambda d: patient_names(d) == expected,
        30,
        f"resultados para {query!r} = {expected}",
        patient_names,
    )


def by_id(element_id):
    """A CSS selector for ``element_id`` that works even if the id starts with a digit."""
    return f'[id="{element_id}"]'


def patient_item_css(driver, name):
    """CSS of the ``li.paciente`` (``[id="paciente-<id>"]``) showing ``name``."""

    def find(d):
        for li in d.find_elements(By.CSS_SELECTOR, "#resultados li.paciente"):
            if li.find_element(By.CSS_SELECTOR, ".nome").text == name and li.get_attribute("id"):
                return by_id(li.get_attribute("id"))
        return None

    return wait_for(driver, find, 20, f"{name} nos resultados (li.paciente com id)", patient_names)


def book(driver, date_br, hour, professional_id):
    """Fills the open ``#form-agendar`` (date, hour, Dra. Ana) and saves it."""
    type_into(driver, "agendar-data", date_br)
    type_into(driver, "agendar-hora", hour)

    def ana_option(d):
        select = Select(d.find_element(By.ID, "agendar-profissional"))
        return ANA in [o.text.strip() for o in select.options]

    wait_for(driver, ana_option, 20, f"{ANA} entre os profissionais do agendamento")
    select = Select(driver.find_element(By.ID, "agendar-profissional"))
    select.select_by_visible_text(ANA)
    chosen = Select(driver.find_element(By.ID, "agendar-profissional")).first_selected_option
    check(
        chosen.get_attribute("value") == professional_id,
        f"a opção {ANA} deveria valer {professional_id}, vale {chosen.get_attribute('value')!r}",
    )
    duration = driver.find_element(By.ID, "agendar-duracao").get_attribute("value")
    check(duration == "30", f"duração padrão deveria ser 30 minutos, é {duration!r}")
    click(driver, "#agendar-salvar")


def invoke_ipc(driver, command, args):
    """Calls a Tauri command from the page; returns {"ok": bool, "value"|"error": ...}."""
    driver.set_script_timeout(30)
    return driver.execute_async_script(
        """
        const [command, args, done] = arguments;
        window.__TAURI_INTERNALS__.invoke(command, args).then(
          value => done({ok: true, value: value === undefined ? null : value}),
          error => done({ok: false, error: error === undefined ? null : error}));
        """,
        command,
        args,
    )


def report_failure(driver, fixture):
    """Screenshot to $HOME/falha.png (and ATENDEBEM_SCREENSHOTS) and what the screen says."""
    try:
        home = os.environ.get("HOME") or tempfile.gettempdir()
        driver.save_screenshot(os.path.join(home, "falha.png"))
        shot(driver, "falha.png")
        print(f"captura da falha: {os.path.join(home, 'falha.png')}", file=sys.stderr)
    except WebDriverException as e:
        print(f"sem captura da falha: {e.msg}", file=sys.stderr)
    try:
        print(f"título: {driver.title!r}; sincronização: {sync_state(driver)}", file=sys.stderr)
        print("---- #conteudo ----\n" + text_of(driver, "conteudo") + "\n-------------------", file=sys.stderr)
    except WebDriverException as e:
        print(f"não foi possível ler a tela: {e.msg}", file=sys.stderr)
    if fixture is not None:
        print(f"servidor {'no ar' if fixture.running else 'parado'}; últimas linhas:\n{fixture.server_output()}", file=sys.stderr)


# ----------------------------------------------------------------------------------- scenario


def scenario(driver, fx, tuesday):
    date_br = tuesday.strftime("%d/%m/%Y")
    carla, ana = fx.emails["carla"], fx.emails["ana"]

    # 1. First start: connect to the clinic's server as the receptionist.
    wait_for(driver, lambda d: shown(d, "#primeiro-inicio"), 60, "tela de primeiro início", lambda d: text_of(d, "conteudo"))
    version = "AtendeBem versão " + os.environ.get("ATENDEBEM_VERSION", "0.1.0")
    wait_for(driver, lambda d: text_of(d, "versao") == version, 20, f"rodapé #versao {version!r}", lambda d: text_of(d, "versao"))
    shot(driver, "primeiro-inicio.png")
    type_into(driver, "servidor-url", fx.url)
    type_into(driver, "servidor-clinica", fx.tenant)
    type_into(driver, "login-email", carla)
    type_into(driver, "login-senha", fx.passwords["carla"])
    click(driver, "#entrar")
    wait_for(
        driver,
        lambda d: shown(d, "#agenda"),
        120,
        "a agenda após conectar ao servidor",
        lambda d: f"erro {text_of(d, 'erro-login')!r}",
    )
    wait_for(driver, lambda d: d.title == f"AtendeBem — {CARLA}", 30, f'título "AtendeBem — {CARLA}"', lambda d: d.title)
    header = text_of(driver, "usuario")
    check(
        header.startswith(f"{fx.clinic_name} — {CARLA} ("),
        f"cabeçalho #usuario deveria ser '{fx.clinic_name} — {CARLA} (…)', é {header!r}",
    )
    wait_sync(driver, "em-dia", 60)
    print(f"ok: primeiro início conectado a {fx.url} como {CARLA}; clínica baixada (em dia)")

    # 2. The receptionist finds João; no chart for reception.
    search_patients(driver, "joao", [JOAO])
    joao_css = patient_item_css(driver, JOAO)
    check(joao_css == by_id(f"paciente-{fx.patient_id}"), f"João deveria ser #paciente-{fx.patient_id}, é {joao_css}")
    check(
        not driver.find_elements(By.CSS_SELECTOR, "#resultados .abrir-prontuario"),
        "a recepção não deveria ver o botão de prontuário",
    )
    shot(driver, "pacientes-busca.png")
    print("ok: busca 'joao' mostra só João da Silva, sem botão de prontuário para a recepção")

    # 3. Book João with Dra. Ana next Tuesday at 10:00, then check him in.
    click(driver, f"{joao_css} .agendar", what="agendar João")
    wait_for(driver, lambda d: shown(d, "#form-agendar"), 20, "formulário de agendamento")
    wait_for(
        driver,
        lambda d: JOAO in text_of(d, "agendar-paciente-escolhido"),
        20,
        f"{JOAO} escolhido no formulário",
        lambda d: text_of(d, "agendar-paciente-escolhido"),
    )
    book(driver, date_br, "10:00", fx.professional_id)
    first = wait_for(
        driver,
        lambda d: consulta(d, JOAO, "10:00", "booked"),
        30,
        f"consulta de {JOAO} às 10:00 (booked) na agenda",
        lambda d: f"{consultas(d)}; erro {text_of(d, 'erro-agendar') or text_of(d, 'erro-agenda')!r}",
    )
    check(
        first["horario"].replace("-", "–") == "10:00–10:30",
        f"horário deveria ser 10:00–10:30, é {first['horario']!r}",
    )
    check(first["paciente"] == fx.patient_id, f"data-paciente {first['paciente']!r} ≠ {fx.patient_id}")
    title = text_of(driver, "agenda-titulo")
    check(date_br in title and title.startswith("terça-feira"), f"a agenda deveria mostrar terça-feira, {date_br}: {title!r}")
    shot(driver, "agenda-dia.png")
    click(driver, "#visao-semana")
    wait_for(driver, lambda d: shown(d, "#semana"), 20, "a visão da semana")
    shot(driver, "agenda-semana.png")
    click(driver, "#visao-dia")
    wait_for(driver, lambda d: consulta(d, JOAO, "10:00", "booked"), 20, "de volta à visão do dia")
    click(driver, f"{by_id(first['id'])} .checkin", what="chegada de João")
    wait_for(
        driver,
        lambda d: any(c["id"] == first["id"] and c["status"] == "checked_in" for c in consultas(d)),
        30,
        "consulta de João com data-status checked_in",
        lambda d: f"{consultas(d)}; erro {text_of(d, 'erro-agenda')!r}",
    )
    print(f"ok: João agendado com {ANA} em {date_br} 10:00–10:30 e chegada registrada")

    # 4. Reception cannot read the chart, not even through the IPC command.
    outcome = invoke_ipc(driver, "chart_timeline", {"input": {"patient_id": first["paciente"]}})
    check(not outcome.get("ok"), f"chart_timeline deveria ser recusado para a recepção: {outcome}")
    error = outcome.get("error")
    if isinstance(error, str):
        try:
            error = json.loads(error)
        except ValueError:
            pass
    code = error.get("code") if isinstance(error, dict) else None
    check(code == "access.denied", f"chart_timeline recusado com código {code!r}, esperado access.denied: {error}")
    print("ok: chart_timeline recusado para a recepção (access.denied)")

    # 5. Dra. Ana writes and signs a note in João's chart.
    switch_user(driver, ana, fx.passwords["ana"], ANA)
    wait_sync(driver, "em-dia", 60)
    search_patients(driver, "joao", [JOAO])
    click(driver, f"{patient_item_css(driver, JOAO)} .abrir-prontuario", what="abrir prontuário de João")
    wait_for(driver, lambda d: shown(d, "#prontuario"), 30, "prontuário de João")
    wait_for(
        driver,
        lambda d: JOAO in text_of(d, "prontuario-paciente"),
        20,
        f"#prontuario-paciente com {JOAO}",
        lambda d: text_of(d, "prontuario-paciente"),
    )
    type_into(driver, "nova-evolucao", NOTE)
    click(driver, "#salvar-rascunho")
    draft = wait_for(
        driver,
        lambda d: registro(d, NOTE, "draft"),
        30,
        "rascunho da evolução na linha do tempo",
        lambda d: f"{registros(d)}; erro {text_of(d, 'erro-prontuario')!r}",
    )
    check(draft["assinar"], f"o rascunho da própria médica deveria ter o botão assinar: {draft}")
    check(not draft["somente_leitura"], f"um rascunho não é somente leitura: {draft}")
    click(driver, f"{by_id(draft['id'])} .assinar", what="assinar a evolução")
    signed = wait_for(
        driver,
        lambda d: registro(d, NOTE, "signed"),
        30,
        "evolução assinada (data-status signed)",
        lambda d: f"{registros(d)}; erro {text_of(d, 'erro-prontuario')!r}",
    )
    check(signed["somente_leitura"], f"o registro assinado deveria estar marcado somente leitura: {signed}")
    check(not signed["assinar"], f"o registro assinado não deveria ter o botão assinar: {signed}")
    check(registro(driver, NOTE, "draft") is None, f"o rascunho deveria ter virado assinado: {registros(driver)}")
    shot(driver, "prontuario.png")
    print(f"ok: {ANA} escreveu e assinou a evolução de João (somente leitura)")

    # 6. Back to the receptionist, online: still no chart button.
    switch_user(driver, carla, fx.passwords["carla"], CARLA)
    wait_sync(driver, "em-dia", 60)
    search_patients(driver, "joao", [JOAO])
    check(
        not driver.find_elements(By.CSS_SELECTOR, "#resultados .abrir-prontuario"),
        "de volta à recepção, o botão de prontuário não deveria aparecer",
    )
    print(f"ok: troca de usuário para {CARLA} (online), sem botão de prontuário")

    # 7. The server goes down: the receptionist keeps booking.
    fx.kill()
    before = int(wait_sync(driver, "offline", 60)["pendentes"] or 0)
    click(driver, "#ir-agenda")
    wait_for(driver, lambda d: shown(d, "#agenda"), 20, "a agenda")
    click(driver, "#novo-agendamento")
    wait_for(driver, lambda d: shown(d, "#form-agendar"), 20, "formulário de agendamento")
    type_into(driver, "agendar-paciente-busca", "joao")

    click_where(driver, "li.sugestao", lambda li: JOAO in li.text, 20, f"sugestão {JOAO} ao digitar 'joao'")
    wait_for(
        driver,
        lambda d: JOAO in text_of(d, "agendar-paciente-escolhido"),
        20,
        f"{JOAO} escolhido no formulário",
        lambda d: text_of(d, "agendar-paciente-escolhido"),
    )
    book(driver, date_br, "11:00", fx.professional_id)
    second = wait_for(
        driver,
        lambda d: consulta(d, JOAO, "11:00", "booked"),
        10,
        f"consulta de {JOAO} às 11:00 na agenda, sem servidor",
        lambda d: f"{consultas(d)}; erro {text_of(d, 'erro-agendar') or text_of(d, 'erro-agenda')!r}",
    )
    check(second["id"] != first["id"], "o segundo agendamento deveria ser outra consulta")

    def pending(d):
        # The server is down: whatever the indicator shows, the booking waits to be sent.
        s = sync_state(d)
        return s if s and int(s["pendentes"] or 0) >= 1 else None

    state = wait_for(
        driver,
        pending,
        15,
        f"data-pendentes ≥ 1 após agendar sem servidor (antes: {before})",
        sync_state,
    )
    shot(driver, "sync-offline.png")
    check(state["estado"] != "em-dia", f"sem servidor o indicador não pode estar em dia: {state}")
    print(f"ok: servidor parado; agendamento das 11:00 feito offline ({state['pendentes']} pendente(s), antes {before})")

    # 8. The server comes back: everything is sent.
    fx.restart()
    state = wait_sync(driver, "em-dia", 90, pendentes=0)
    check(state["conflitos"] == "0", f"nenhum conflito esperado (data-conflitos): {state}")
    check(state["quarentena"] == "0", f"nada em quarentena esperado (data-quarentena): {state}")
    click(driver, "#indicador-sync")
    wait_for(
        driver,
        lambda d: shown(d, "#painel-sync") and d.find_elements(By.ID, "lista-conflitos") and d.find_elements(By.ID, "lista-quarentena"),
        20,
        "#painel-sync com #lista-conflitos e #lista-quarentena",
    )
    click(driver, "#indicador-sync")
    wait_for(driver, lambda d: not shown(d, "#painel-sync"), 20, "#painel-sync fechado ao clicar de novo")
    on_server = {
        (item["local_start"], item["status"])
        for item in fx.server_agenda(tuesday.isoformat())
        if item["patient_id"] == fx.patient_id
    }
    check(
        {("10:00", "checked_in"), ("11:00", "booked")} <= on_server,
        f"o servidor deveria ter as duas consultas de João em {date_br}: {on_server}",
    )
    print("ok: servidor de volta; em dia, nada pendente e as duas consultas no servidor")


def main() -> int:
    fixture = SyncFixture()
    driver = None
    # The window's replica: a fresh, empty directory, so it opens on the first-start screen.
    data_root = tempfile.mkdtemp(prefix="atendebem-gui-app-")
    data_dir = os.path.join(data_root, "dados")
    os.makedirs(data_dir)
    try:
        fixture.start()
        print(f"ok: servidor {fixture.url}, clínica {fixture.tenant}, usuários com senha trocada")
        driver = connect(data_dir)
        try:
            scenario(driver, fixture, next_tuesday())
        except BaseException:
            report_failure(driver, fixture)
            raise
        return 0
    finally:
        if driver is not None:
            try:
                driver.quit()
            except WebDriverException:
                pass
        fixture.close()
        shutil.rmtree(data_root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
