"""Log tracking data to a deployed MLflow server with the real client, and check it later.

    mlflow_client.py log   STATE.json [--artifact-mib 64]
    mlflow_client.py check STATE.json

Uses MLFLOW_TRACKING_URI and MLFLOW_TRACKING_SERVER_CERT_PATH from the
environment. `log` records what it wrote (run id, params, a metric history of 1,000
steps, the artifact's sha256, two registered models with the version behind
each one's alias) in STATE.json; `check`
reads everything back through the server and exits 1 on any difference.
`log` also makes a registry webhook with a secret (MLflow encrypts it with
the host's webhook key); `check` lists the webhooks 20 times: each answer must
be 200 and hold it (a server without a steady key answers 500).
"""
import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
import uuid

import mlflow
import requests
from mlflow import MlflowClient
from mlflow.entities import Metric

# the scaleout scenario's journey keeps its own, beside the ones its later steps make
EXPERIMENT = os.environ.get("LIFECYCLE_EXPERIMENT", "lifecycle")
MODEL = os.environ.get("LIFECYCLE_MODEL", "lifecycle-model")
# two registered models, each with a version behind an alias
MODELS = {MODEL: "champion", f"{MODEL}-baseline": "fallback"}
PARAMS = {"alpha": "0.5", "layers": "3", "optimizer": "adam"}
STEPS = 1000  # one log_batch call (MLflow's limit per call)


def rest(method, path, body=None):
    """MLflow's REST API at MLFLOW_TRACKING_URI, logged in as the client is."""
    return requests.request(
        method, os.environ["MLFLOW_TRACKING_URI"] + path, json=body, timeout=60,
        auth=(os.environ["MLFLOW_TRACKING_USERNAME"], os.environ["MLFLOW_TRACKING_PASSWORD"]),
        verify=os.environ.get("MLFLOW_TRACKING_SERVER_CERT_PATH", True))


def log(state_path, artifact_mib):
    mlflow.set_experiment(EXPERIMENT)
    digest = hashlib.sha256()
    with mlflow.start_run() as run, tempfile.TemporaryDirectory() as tmp:
        mlflow.log_params(PARAMS)
        now = int(time.time() * 1000)
        MlflowClient().log_batch(run.info.run_id, metrics=[
            Metric("loss", 1.0 / (step + 1), now, step) for step in range(STEPS)])
        path = os.path.join(tmp, "weights.bin")
        with open(path, "wb") as out:
            for _round in range(artifact_mib):
                chunk = os.urandom(1 << 20)
                digest.update(chunk)
                out.write(chunk)
        mlflow.log_artifact(path, artifact_path="model")
    client = MlflowClient()
    versions = {}
    for model, alias in MODELS.items():
        if not client.search_registered_models(filter_string=f"name = '{model}'"):
            client.create_registered_model(model)
        version = client.create_model_version(
            model, source=f"{run.info.artifact_uri}/model", run_id=run.info.run_id)
        client.set_registered_model_alias(model, alias, version.version)
        versions[model] = version.version
    state = {
        "run_id": run.info.run_id,
        "params": PARAMS,
        "loss": [1.0 / (step + 1) for step in range(STEPS)],
        "artifact_sha256": digest.hexdigest(),
        "artifact_bytes": artifact_mib << 20,
        "model_versions": versions,
    }
    # Made after the model version: nothing is delivered (nor could be: port 9 of the host).
    hook = rest("POST", "/api/2.0/mlflow/webhooks", {
        "name": "lifecycle-hook", "url": "https://127.0.0.1:9/lifecycle-hook",
        "events": [{"entity": "MODEL_VERSION", "action": "CREATED"}], "secret": uuid.uuid4().hex})
    hook.raise_for_status()
    state["webhook_id"] = hook.json()["webhook"]["webhook_id"]
    with open(state_path, "w", encoding="utf-8") as out:
        json.dump(state, out)
    print(f"logged run {run.info.run_id}, {STEPS} metric steps, {artifact_mib} MiB artifact, "
          + ", ".join(f"{model} v{versions[model]} @{alias}" for model, alias in MODELS.items()))


def check(state_path):
    with open(state_path, encoding="utf-8") as handle:
        state = json.load(handle)
    client = MlflowClient()
    problems = []
    run = client.get_run(state["run_id"])
    if run.data.params != state["params"]:
        problems.append(f"params {run.data.params} != {state['params']}")
    history = sorted(client.get_metric_history(state["run_id"], "loss"), key=lambda m: m.step)
    if [m.value for m in history] != state["loss"]:
        problems.append(f"loss history has {len(history)} points, expected {len(state['loss'])} equal ones")
    with tempfile.TemporaryDirectory() as tmp:
        local = client.download_artifacts(state["run_id"], "model/weights.bin", tmp)
        digest = hashlib.sha256()
        with open(local, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        size = os.path.getsize(local)
    if (digest.hexdigest(), size) != (state["artifact_sha256"], state["artifact_bytes"]):
        problems.append(f"artifact differs: {size} bytes, sha256 {digest.hexdigest()}")
    for model, alias in MODELS.items():
        version = client.get_model_version_by_alias(model, alias)
        if (version.version, version.run_id) != (state["model_versions"][model], state["run_id"]):
            problems.append(f"{model} alias {alias} -> v{version.version} of run {version.run_id}")
    lists = [rest("GET", "/api/2.0/mlflow/webhooks") for _round in range(20)]
    bad = [r.status_code for r in lists
           if r.status_code != 200 or state["webhook_id"] not in [w["webhook_id"] for w in r.json()["webhooks"]]]
    if bad:
        problems.append(f"{len(bad)} of 20 webhook lists failed or lacked the webhook: {bad}")
    if problems:
        print("data NOT intact:\n  " + "\n  ".join(problems))
        return 1
    print(f"intact: run {state['run_id']}, {len(history)} metric points, "
          f"{size >> 20} MiB artifact, "
          + ", ".join(f"{model} v{state['model_versions'][model]} @{alias}" for model, alias in MODELS.items())
          + ", webhook with a secret listed 20/20")
    return 0


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("action", choices=["log", "check"])
    parser.add_argument("state")
    parser.add_argument("--artifact-mib", type=int, default=64)
    args = parser.parse_args(argv)
    if args.action == "log":
        log(args.state, args.artifact_mib)
        return 0
    return check(args.state)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
