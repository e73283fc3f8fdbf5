"""Check `mlflow gc` on a deployed server with the real MLflow client.

    gc_check.py log   STATE.json   two runs with a 16 MiB artifact each; deletes the first
    gc_check.py check STATE.json   the deleted run is gone for good, the other intact

Uses MLFLOW_TRACKING_URI, MLFLOW_TRACKING_SERVER_CERT_PATH and the login from the
environment. `log` prints the runs' artifact paths relative to the server's
artifact root (the caller looks for the files on the host). Exits 1 on any difference.
"""
import hashlib
import json
import os
import sys
import tempfile

import mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

EXPERIMENT = "gc-check"


def log(state_path):
    mlflow.set_experiment(EXPERIMENT)
    state = {"runs": []}
    for _round in range(2):
        with mlflow.start_run() as run, tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "blob.bin")
            data = os.urandom(16 << 20)
            with open(path, "wb") as out:
                out.write(data)
            mlflow.log_artifact(path)
            mlflow.log_metric("m", 1.0)
            state["runs"].append({"id": run.info.run_id, "experiment": run.info.experiment_id,
                                  "sha256": hashlib.sha256(data).hexdigest()})
    MlflowClient().delete_run(state["runs"][0]["id"])
    with open(state_path, "w", encoding="utf-8") as handle:
        json.dump(state, handle)
    json.dump({"deleted": state["runs"][0], "kept": state["runs"][1]}, sys.stdout)
    return 0


def check(state_path):
    with open(state_path, encoding="utf-8") as handle:
        state = json.load(handle)
    client = MlflowClient()
    deleted, kept = state["runs"]
    problems = []
    try:
        run = client.get_run(deleted["id"])
        problems.append(f"the deleted run {deleted['id']} is still there ({run.info.lifecycle_stage})")
    except MlflowException as error:
        if error.error_code != "RESOURCE_DOES_NOT_EXIST":
            problems.append(f"get_run of the deleted run: {error}")
    run = client.get_run(kept["id"])
    if run.info.lifecycle_stage != "active" or run.data.metrics.get("m") != 1.0:
        problems.append(f"the kept run changed: {run.info.lifecycle_stage} {run.data.metrics}")
    with tempfile.TemporaryDirectory() as tmp:
        path = client.download_artifacts(kept["id"], "blob.bin", tmp)
        with open(path, "rb") as handle:
            if hashlib.sha256(handle.read()).hexdigest() != kept["sha256"]:
                problems.append("the kept run's artifact differs")
    print(json.dumps({"problems": problems}))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit({"log": log, "check": check}[sys.argv[1]](sys.argv[2]))
