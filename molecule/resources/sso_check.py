"""Single sign-on in a real browser, then the MLflow client with the API token it gives.

Against a server with the mlflow-oidc-auth plugin and the test provider of
oidc_provider.py (users alice: admin group, mallory: in no MLflow group), in
headless Chromium (Debian's chromium, driven by Selenium):
1. alice opens the UI; it sends her to the provider, she logs in there and
   comes back to MLflow; the experiments page then lists the experiments.
2. In her session the page asks for an API token (PATCH
   /api/2.0/mlflow/users/access-token); the MLflow client logs a run with
   MLFLOW_TRACKING_USERNAME=her e-mail and MLFLOW_TRACKING_PASSWORD=the token,
   and reads it back. The token is never printed.
3. mallory logs in at the provider and MLflow refuses her; the API answers
   her browser 401.
Screenshots of each step go to ARTIFACTS_DIR.

Usage: sso_check.py MLFLOW_URL ISSUER_URL ARTIFACTS_DIR
Prints one JSON line; exits 1 with the reason on a failure.
"""

import json
import os
import sys
import time
import uuid

from browser import chromium, page_text, until
from selenium.webdriver.common.by import By


def fail(message, driver=None, shot=None):
    if driver is not None and shot:
        driver.save_screenshot(shot)
    print(f"FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def wait(driver, condition, what, seconds=60):
    if not until(condition, seconds):
        fail(f"waited {seconds} s for {what}; at {driver.current_url}: {page_text(driver)[:500]!r}")


LOGIN = "//a[contains(@href, '/login')] | //button[contains(., 'Login') or contains(., 'Log in')]"


def at_provider(driver, issuer):
    """Whether the browser is at the provider; until it is, click the UI's login link.

    Tried again and again by wait(): the UI may render the link anew between
    finding and clicking it (a stale element), or not have rendered it yet.
    """
    if not driver.current_url.startswith(issuer):
        driver.find_element(By.XPATH, LOGIN).click()
    return driver.current_url.startswith(issuer)


def log_in_at_provider(driver, base, issuer, user):
    """Open MLflow's UI, follow it to the provider and pick the user there."""
    driver.get(base + "/")
    wait(driver, lambda: at_provider(driver, issuer), "the UI to send the browser to the provider")
    wait(driver, lambda: driver.find_element(By.CSS_SELECTOR, f"button[name='sub'][value='{user}']").click() or True,
         f"the provider to offer {user}")
    wait(driver, lambda: driver.current_url.startswith(base), "the provider to send the browser back to MLflow")


def api_status(driver, path):
    return driver.execute_script(
        "return fetch(arguments[0], {credentials: 'same-origin'}).then(r => r.status);", path)


def main():
    base, issuer, artifacts = sys.argv[1].rstrip("/"), sys.argv[2].rstrip("/"), sys.argv[3]
    seen = {}

    driver = chromium()
    try:
        log_in_at_provider(driver, base, issuer, "alice")
        seen["alice_back_at"] = driver.current_url
        driver.get(base + "/#/experiments")
        wait(driver, lambda: "Default" in page_text(driver) and "Experiments" in page_text(driver),
             "the experiments page to list the Default experiment")
        driver.save_screenshot(os.path.join(artifacts, "sso-alice-experiments.png"))
        seen["alice_experiments_page"] = True
        token = driver.execute_script(
            "return fetch('/api/2.0/mlflow/users/access-token', {method: 'PATCH', credentials: 'same-origin',"
            " headers: {'Content-Type': 'application/json'}, body: JSON.stringify({expiration: arguments[0]})})"
            ".then(r => r.ok ? r.json() : r.text().then(t => ({error: r.status + ' ' + t})));",
            time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600)))
        if not token.get("token"):
            fail(f"no API token for alice: {token.get('error', token)}")
    finally:
        driver.quit()

    # The MLflow client, with the plugin's documented credentials.
    import mlflow

    os.environ.update(MLFLOW_TRACKING_USERNAME="alice@example.test", MLFLOW_TRACKING_PASSWORD=token["token"])
    mlflow.set_tracking_uri(base)
    tag = uuid.uuid4().hex[:8]
    mlflow.set_experiment(f"sso-{tag}")
    with mlflow.start_run() as run:
        mlflow.log_metric("sso_metric", 0.42)
    read = mlflow.get_run(run.info.run_id).data.metrics.get("sso_metric")
    if read != 0.42:
        fail(f"the run logged with alice's token reads back {read!r}")
    seen["client_run"] = run.info.run_id

    # bob is in the user group only: in, but no administrator.
    driver = chromium()
    try:
        log_in_at_provider(driver, base, issuer, "bob")
        seen["bob_back_at"] = driver.current_url
        seen["bob_api_status"] = api_status(driver, "/api/2.0/mlflow/experiments/search?max_results=1")
        if seen["bob_api_status"] != 200:
            fail(f"the API answered bob's browser {seen['bob_api_status']}, not 200", driver, "sso-bob.png")
    finally:
        driver.quit()

    driver = chromium()
    try:
        log_in_at_provider(driver, base, issuer, "mallory")
        seen["mallory_back_at"] = driver.current_url
        wait(driver, lambda: "not allowed" in page_text(driver) or "not allowed" in driver.current_url,
             "MLflow to refuse mallory")
        driver.save_screenshot(os.path.join(artifacts, "sso-mallory-refused.png"))
        seen["mallory_api_status"] = api_status(driver, "/api/2.0/mlflow/experiments/search?max_results=1")
        if seen["mallory_api_status"] != 401:
            fail(f"the API answered mallory's browser {seen['mallory_api_status']}, not 401")
    finally:
        driver.quit()
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
