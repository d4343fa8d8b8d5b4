"""Performance figures of the real AtendeBem window (issue 5), measured through WebDriver.

scripts/perf-gui.sh prepares a standalone replica with 100,000 demo patients and two busy days
(200 appointments each, ATENDEBEM_PERF_DAY and the day after) and runs this under Xvfb with
tauri-driver on 127.0.0.1:4444. Figures:

1. Cold start: from asking tauri-driver for a session (the app's process starts, opens the
   encrypted replica — Argon2id for a passphrase — and loads the wasm interface) to the login
   screen painted; then from pressing "Entrar" to today's agenda painted. Five launches.
2. Keystroke in the patient search to results painted: the page stamps `performance.now()` in
   the input handler and again after the next paint (`#resultados[data-ms]`). Queries typed a
   character at a time.
3. Switching day in the agenda between the two busy days: click to day painted
   (`#agenda[data-ms]`), 20 switches each way. `data-n` counts measurements: the script waits
   for it to move, so a repeated figure is not missed.

Prints a Markdown table (p50, p95, max) for docs/PERFORMANCE.md.
"""

import os
import statistics
import sys
import time

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.options import ArgOptions
from selenium.webdriver.support.ui import WebDriverWait

DATA_DIR = os.environ["ATENDEBEM_PERF_DIR"]
DAY = os.environ["ATENDEBEM_PERF_DAY"]  # YYYY-MM-DD, a weekday with 200 appointments
LAUNCHES = int(os.environ.get("ATENDEBEM_PERF_LAUNCHES", "5"))
QUERIES = ["joao", "maria", "silva", "ana sou", "conceicao", "529"]
SWITCHES = 20


def session():
    options = ArgOptions()
    options.set_capability("browserName", "wry")
    options.set_capability(
        "tauri:options",
        {"application": os.environ["ATENDEBEM_DESKTOP_BIN"], "args": ["--data-dir", DATA_DIR]},
    )
    return webdriver.Remote(command_executor="http://127.0.0.1:4444", options=options)


def wait_driver():
    for _ in range(100):
        try:
            session().quit()
            return
        except Exception:  # noqa: BLE001 - retried until tauri-driver listens
            time.sleep(0.2)
    raise SystemExit("tauri-driver não respondeu")


def poll(condition, timeout=60.0, step=0.005):
    """Polls `condition` every `step` seconds; returns its value and the monotonic time."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            value = condition()
        except Exception:  # noqa: BLE001 - the page re-renders under us
            value = None
        if value:
            return value, time.monotonic()
        time.sleep(step)
    raise AssertionError("tempo esgotado")


def stats(samples):
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95, ordered[-1]


def row(name, samples, unit="ms"):
    p50, p95, top = stats(samples)
    return f"| {name} | {len(samples)} | {p50:.1f} {unit} | {p95:.1f} {unit} | {top:.1f} {unit} |"


def cold_starts():
    to_login, to_agenda = [], []
    driver = None
    for _ in range(LAUNCHES):
        t0 = time.monotonic()
        driver = session()
        _, t1 = poll(lambda: driver.find_elements(By.ID, "entrar"))
        driver.find_element(By.ID, "entrar").click()
        t2 = time.monotonic()
        _, t3 = poll(lambda: driver.find_elements(By.CSS_SELECTOR, "#agenda #agenda-titulo") and
                     driver.find_element(By.ID, "agenda-titulo").text.strip())
        to_login.append((t1 - t0) * 1000)
        to_agenda.append((t3 - t2) * 1000)
        driver.quit()
    return to_login, to_agenda


def read_ms(driver, element_id):
    value = driver.find_element(By.ID, element_id).get_attribute("data-ms")
    return float(value) if value else None


def measurement(driver, element_id):
    """The element's measurement counter (`data-n`): it moves with every new `data-ms`."""
    return driver.find_element(By.ID, element_id).get_attribute("data-n") or "0"


def next_ms(driver, element_id, before):
    """Waits for a measurement after `before` and returns its milliseconds."""
    poll(lambda: measurement(driver, element_id) != before, timeout=20)
    return read_ms(driver, element_id)


def searches(driver):
    driver.find_element(By.ID, "ir-pacientes").click()
    field = WebDriverWait(driver, 20).until(lambda d: d.find_element(By.ID, "busca-paciente"))
    samples = []
    for query in QUERIES:
        field.clear()
        time.sleep(0.2)
        for char in query:
            before = measurement(driver, "resultados")
            field.send_keys(char)
            samples.append(next_ms(driver, "resultados", before))
        count = len(driver.find_elements(By.CSS_SELECTOR, "#resultados .paciente"))
        if count == 0 and query != "529":
            raise AssertionError(f"a busca {query!r} não achou ninguém")
    return samples


def day_switches(driver):
    driver.find_element(By.ID, "ir-agenda").click()
    y, m, d = DAY.split("-")
    wanted = f"{d}/{m}/{y}"
    for _ in range(14):
        title = WebDriverWait(driver, 20).until(lambda dr: dr.find_element(By.ID, "agenda-titulo").text)
        if wanted in title:
            break
        driver.find_element(By.ID, "dia-seguinte").click()
        WebDriverWait(driver, 20).until(lambda dr: dr.find_element(By.ID, "agenda-titulo").text != title)
    count = len(driver.find_elements(By.CSS_SELECTOR, "#consultas .consulta"))
    if count < 200:
        raise AssertionError(f"o dia {wanted} deveria ter 200 agendamentos, tem {count}")
    samples = []
    for i in range(2 * SWITCHES):
        button = "dia-seguinte" if i % 2 == 0 else "dia-anterior"
        before = measurement(driver, "agenda")
        driver.find_element(By.ID, button).click()
        samples.append(next_ms(driver, "agenda", before))
    return samples, count


def main() -> int:
    wait_driver()
    to_login, to_agenda = cold_starts()
    driver = session()
    try:
        WebDriverWait(driver, 60).until(lambda d: d.find_elements(By.ID, "entrar"))
        driver.find_element(By.ID, "entrar").click()
        WebDriverWait(driver, 60).until(lambda d: d.find_elements(By.ID, "agenda"))
        search = searches(driver)
        switch, count = day_switches(driver)
    except BaseException:
        folder = os.environ.get("ATENDEBEM_SCREENSHOTS") or os.environ.get("HOME", "/tmp")
        driver.save_screenshot(os.path.join(folder, "falha-desempenho.png"))
        print(driver.find_element(By.ID, "conteudo").text[:2000], file=sys.stderr)
        raise
    finally:
        driver.quit()
    total = [a + b for a, b in zip(to_login, to_agenda)]
    print("| figure | samples | p50 | p95 | max |")
    print("|---|---|---|---|---|")
    print(row("launch → login screen painted", to_login))
    print(row("“Entrar” → today's agenda painted", to_agenda))
    print(row("cold start to agenda (sum, without the person's click)", total))
    print(row(f"keystroke → results painted (100,000 patients; {', '.join(QUERIES)})", search))
    print(row(f"day switch → day painted ({count} appointments a day)", switch))
    return 0


if __name__ == "__main__":
    sys.exit(main())
