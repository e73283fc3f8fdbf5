"""Headless Chromium for the browser checks (ui_check.py, sso_check.py).

Debian's chromium and chromium-driver, driven by Selenium, with the flags a
machine without a way out needs (no background networking), and without
verifying the test hosts' self-signed certificates (TLS all the same).
"""

import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service


def chromium(authorization=None):
    """A browser; with authorization, every request carries that header."""
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1600,1000", "--no-first-run", "--disable-quic",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--ignore-certificate-errors"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    if authorization:
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {"Authorization": authorization}})
    return driver


def page_text(driver):
    return driver.execute_script("return document.body ? document.body.innerText : ''")


def until(condition, seconds=60):
    """Whether condition() came true within seconds (a page changing under it counts as not yet)."""
    for _round in range(seconds * 2):
        try:
            if condition():
                return True
        except Exception:  # noqa: BLE001 - the page is being replaced
            pass
        time.sleep(0.5)
    return False
