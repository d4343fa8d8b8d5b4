"""GUI tests of the real AtendeBem window (Tauri + WebKitGTK) driven over WebDriver.

tauri-driver (port 4444) fronts Debian's WebKitWebDriver; scripts/test-gui.sh runs this under
Xvfb and a private D-Bus session, after creating a standalone replica with the command line
(ATENDEBEM_STANDALONE_DIR, ATENDEBEM_PASSPHRASE) that holds "João da Silva" among other
patients. ATENDEBEM_DESKTOP_BIN is the desktop binary to open, on that replica (--data-dir). Screenshots go to ATENDEBEM_SCREENSHOTS
when set.
"""

import os
import sys
import time

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.options import ArgOptions
from selenium.webdriver.support.ui import WebDriverWait


def connect():
    options = ArgOptions()
    options.set_capability("browserName", "wry")
    options.set_capability(
        "tauri:options",
        {
            "application": os.environ["ATENDEBEM_DESKTOP_BIN"],
            "args": ["--data-dir", os.environ["ATENDEBEM_STANDALONE_DIR"]],
        },
    )
    for _ in range(100):  # tauri-driver needs a moment to listen
        try:
            return webdriver.Remote(command_executor="http://127.0.0.1:4444", options=options)
        except Exception:  # noqa: BLE001 - retried until the driver listens
            time.sleep(0.2)
    raise SystemExit("tauri-driver não respondeu")


def text_of(driver, element_id):
    found = driver.find_elements(By.ID, element_id)
    return found[0].text if found else ""


def shot(driver, name):
    folder = os.environ.get("ATENDEBEM_SCREENSHOTS")
    if folder:
        os.makedirs(folder, exist_ok=True)
        driver.save_screenshot(os.path.join(folder, name))


def press(driver, element_id):
    """Clicks a button after scrolling it to the middle of its scrolling area."""
    button = driver.find_element(By.ID, element_id)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    button.click()


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def main() -> int:
    driver = connect()
    wait = WebDriverWait(driver, 20)
    try:
        # Every screen shows the product's name and version (NGS1.01.01).
        expected = "AtendeBem versão " + os.environ.get("ATENDEBEM_VERSION", "0.1.0")
        wait.until(lambda d: text_of(d, "versao") == expected)
        # A standalone clinic: the login screen lists its local users; the administrator enters
        # and the agenda opens, with the clinic and the user in the header and the window title.
        wait.until(lambda d: d.find_elements(By.ID, "tela-login"))
        check("Clínica Teste da Interface" in text_of(driver, "tela-login"), "a clínica aparece no login")
        driver.find_element(By.ID, "entrar").click()
        wait.until(lambda d: d.find_elements(By.ID, "agenda"))
        wait.until(lambda d: "Clínica Teste da Interface" in text_of(d, "usuario"))
        check(driver.title == "AtendeBem — Administrador local", f"título da janela: {driver.title!r}")
        wait.until(lambda d: d.find_element(By.ID, "indicador-sync").get_attribute("data-estado") == "local")
        driver.find_element(By.ID, "ir-pacientes").click()

        # The receptionist types "joao" and finds "João da Silva" (accents ignored), and only
        # the patients that match.
        search = wait.until(lambda d: d.find_element(By.ID, "busca-paciente"))
        search.send_keys("joao")
        wait.until(lambda d: "João da Silva" in text_of(d, "resultados"))
        names = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#resultados .paciente .nome")]
        check(names == ["João da Silva"], f"resultados para 'joao': {names}")
        check("CPF 529.982.247-25" in text_of(driver, "resultados"), "o CPF aparece formatado")
        shot(driver, "pacientes-busca.png")

        # By CPF digits, and a search with no match says so.
        search.clear()
        search.send_keys("52998")
        wait.until(lambda d: "João da Silva" in text_of(d, "resultados"))
        search.clear()
        search.send_keys("xyzw")
        wait.until(lambda d: text_of(d, "nenhum") == "Nenhum paciente encontrado.")
        print(f"ok: {expected}; busca por 'joao', por CPF e sem resultado")

        # Registration: a wrong CPF is refused next to its field, without repeating it; once
        # corrected the patient is registered (with the LGPD decisions) and shown.
        driver.find_element(By.ID, "novo-paciente").click()
        wait.until(lambda d: d.find_elements(By.ID, "form-cadastro"))
        driver.find_element(By.ID, "cadastro-nome").send_keys("Teresa Cristina Almeida")
        driver.find_element(By.ID, "cadastro-nascimento").send_keys("12/03/1975")
        driver.find_element(By.ID, "cadastro-cpf").send_keys("123.456.789-00")
        press(driver, "consentimento-lembretes")
        press(driver, "cadastro-salvar")
        wait.until(lambda d: text_of(d, "erro-cadastro-cpf") != "")
        check("123" not in text_of(driver, "erro-cadastro-cpf"), "o erro não repete o CPF digitado")
        shot(driver, "cadastro-erro.png")
        cpf = driver.find_element(By.ID, "cadastro-cpf")
        cpf.clear()
        cpf.send_keys("111.444.777-35")
        press(driver, "cadastro-salvar")
        wait.until(lambda d: "Teresa Cristina Almeida" in text_of(d, "resultados"))
        check(not driver.find_elements(By.ID, "form-cadastro"), "o formulário fecha depois de cadastrar")
        check("CPF 111.444.777-35" in text_of(driver, "resultados"), "o novo paciente aparece com o CPF")
        search.clear()
        search.send_keys("teresa")
        wait.until(lambda d: "Teresa Cristina Almeida" in text_of(d, "resultados"))
        print("ok: cadastro com CPF inválido recusado no campo; corrigido, paciente cadastrado e encontrado")

        # Editing: the form opens with what is stored; a bad phone is refused on its field; the
        # correction is kept.
        driver.find_element(By.CSS_SELECTOR, "#resultados .paciente .editar").click()
        wait.until(lambda d: d.find_element(By.ID, "cadastro-cpf").get_attribute("value") == "111.444.777-35")
        phone = driver.find_element(By.ID, "cadastro-telefone")
        phone.send_keys("123")
        press(driver, "cadastro-salvar")
        wait.until(lambda d: text_of(d, "erro-cadastro-telefone") != "")
        phone.clear()
        phone.send_keys("(11) 98765-4321")
        press(driver, "cadastro-salvar")
        wait.until(lambda d: not d.find_elements(By.ID, "form-cadastro"))
        driver.find_element(By.CSS_SELECTOR, "#resultados .paciente .editar").click()
        wait.until(lambda d: "98765-4321" in (d.find_element(By.ID, "cadastro-telefone").get_attribute("value") or ""))
        check(
            driver.find_element(By.ID, "consentimento-lembretes").is_selected(),
            "o consentimento dado no cadastro aparece na edição",
        )
        press(driver, "cadastro-fechar")
        print("ok: edição do cadastro: telefone inválido recusado no campo, correção gravada")
        return 0
    except BaseException:
        shot(driver, "falha-janela.png")
        print(text_of(driver, "conteudo"), file=sys.stderr)
        raise
    finally:
        driver.quit()


if __name__ == "__main__":
    sys.exit(main())
