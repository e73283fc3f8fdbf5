"""The deployed UI in a real browser: a run and its metric on the experiment page.

Logs a run with a metric through the MLflow client, opens the experiment's
runs page over TLS in headless Chromium (Debian's chromium, driven by Selenium
and Debian's chromium-driver), waits until the page lists it and a decoy run
with another value, then types a search for the metric's exact value into the
page's search box and waits until the run is the one matching run and the
decoy is gone; keeps a screenshot. Credentials come from
MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD and reach the browser as
an Authorization header (never in a URL or on a command line); the server's
certificate from MLFLOW_TRACKING_SERVER_CERT_PATH.

Usage: ui_check.py BASE_URL SCREENSHOT_PNG
Prints one JSON line; exits 1 (keeping the screenshot) when the page does not
show the run.
"""

import base64
import json
import os
import sys
import uuid

from browser import chromium, page_text, until
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

# A value no default or other run shows.
METRIC_KEY, METRIC_VALUE = "ui_check_accuracy", 0.8731


def log_run(base):
    import mlflow

    mlflow.set_tracking_uri(base)
    tag = uuid.uuid4().hex[:8]
    experiment_id = mlflow.create_experiment(f"ui-check-{tag}")
    with mlflow.start_run(experiment_id=experiment_id, run_name=f"ui-decoy-{tag}") as decoy:
        mlflow.log_metric(METRIC_KEY, 0.5)
    with mlflow.start_run(experiment_id=experiment_id, run_name=f"ui-run-{tag}") as run:
        mlflow.log_metric(METRIC_KEY, METRIC_VALUE)
    return experiment_id, run.info.run_id, run.info.run_name, decoy.info.run_name


def main():
    base, screenshot = sys.argv[1].rstrip("/"), sys.argv[2]
    experiment_id, run_id, run_name, decoy_name = log_run(base)
    user = os.environ.get("MLFLOW_TRACKING_USERNAME")
    auth = None
    if user:
        auth = "Basic " + base64.b64encode(f"{user}:{os.environ['MLFLOW_TRACKING_PASSWORD']}".encode()).decode()
    driver = chromium(auth)
    shown = {}
    try:
        driver.get(f"{base}/#/experiments/{experiment_id}/runs")
        shown["both_runs_listed"] = wait_for_text(driver, [run_name, decoy_name, "2 matching runs"])
        search = driver.find_element(By.CSS_SELECTOR, "input[placeholder*='metrics.']")
        search.send_keys(f"metrics.{METRIC_KEY} = {METRIC_VALUE}", Keys.ENTER)
        shown["run_found_by_its_metric"] = wait_for_text(driver, [run_name, "1 matching run"], absent=[decoy_name])
        driver.save_screenshot(screenshot)
        title = driver.title
        text = page_text(driver)
    finally:
        driver.quit()
    print(json.dumps({"experiment_id": experiment_id, "run_id": run_id, "run_name": run_name,
                      "title": title, "shown": shown, "screenshot": screenshot}))
    if not all(shown.values()):
        print(f"FAILED: the experiment page did not show {[k for k, v in shown.items() if not v]}; "
              f"page text starts: {text[:800]!r}", file=sys.stderr)
        sys.exit(1)


def wait_for_text(driver, texts, absent=(), seconds=60):
    def shown():
        text = page_text(driver)
        return all(t in text for t in texts) and not any(t in text for t in absent)
    return until(shown, seconds)


if __name__ == "__main__":
    main()
