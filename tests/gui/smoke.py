"""GUI smoke test: the real AtendeBem window (Tauri + WebKitGTK) driven over WebDriver.

tauri-driver (port 4444) fronts Debian's WebKitWebDriver; run under Xvfb and a D-Bus session
(scripts/test-gui.sh). ATENDEBEM_DESKTOP_BIN is the desktop binary to open.
"""

import os
import sys
import time

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.options import ArgOptions
from selenium.webdriver.support.ui import WebDriverWait


def main() -> int:
    options = ArgOptions()
    options.set_capability("browserName", "wry")
    options.set_capability("tauri:options", {"application": os.environ["ATENDEBEM_DESKTOP_BIN"]})
    driver = None
    for _ in range(50):  # tauri-driver needs a moment to listen
        try:
            driver = webdriver.Remote(command_executor="http://127.0.0.1:4444", options=options)
            break
        except Exception:  # noqa: BLE001 - retried until the driver listens
            time.sleep(0.2)
    if driver is None:
        print("tauri-driver não respondeu", file=sys.stderr)
        return 1
    try:
        footer = WebDriverWait(driver, 20).until(
            lambda d: d.find_element(By.ID, "versao") if "versão" in d.find_element(By.ID, "versao").text else None
        )
        text = footer.text
        expected = "AtendeBem versão " + os.environ.get("ATENDEBEM_VERSION", "0.1.0")
        if text != expected:
            print(f"rodapé: {text!r}, esperado {expected!r}", file=sys.stderr)
            return 1
        shots = os.environ.get("ATENDEBEM_SCREENSHOTS")
        if shots:
            os.makedirs(shots, exist_ok=True)
            driver.save_screenshot(os.path.join(shots, "inicio.png"))
        print(f"ok: {text}")
        return 0
    finally:
        driver.quit()


if __name__ == "__main__":
    sys.exit(main())
