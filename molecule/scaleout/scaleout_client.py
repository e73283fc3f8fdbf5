"""Clients of the scale-out scenario, run on this machine (published ports).

Environment: MLFLOW_TRACKING_URI and MLFLOW_TRACKING_SERVER_CERT_PATH (the
server to talk to), S3_ENDPOINT / AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
(the object store, for the bucket commands and direct artifact access).

  bucket-create BUCKET             create the bucket (waits for the store)
  objects BUCKET PREFIX            print {"count", "objects"} under PREFIX
  log-run STATE                    the MLflow client logs params, metrics and a
                                   4 MiB artifact; saves ids and digests to STATE
  read-run STATE                   print what this server returns for that run
  load STATE READY STOP            raw REST calls, no retries: log-metric (and
                                   every tenth a get-run) until file STOP
                                   exists; READY is made after the first
                                   success; STATE gets the counts
  check-load STATE                 print {"count", "missing", "wrong"} for the
                                   load run's metric history on this server
  failover N                       N log-metric calls and N get-run calls, raw,
                                   no retries; print {"ok", "failed", "errors"}
  direct STATE                     log a run whose artifact the client writes
                                   to the bucket itself; print its artifact URI

Each attempt at a metric step has a timestamp of its own (the step's, plus
the attempt's number): a request sent again whose first copy did reach MLflow
leaves two rows for that step, which check-load reports as doubled.
"""
import hashlib
import json
import os
import sys
import tempfile
import time

import requests

METRIC = "load"


def _s3():
    import boto3

    return boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT"], region_name="us-east-1")


def bucket_create(bucket):
    deadline = time.time() + 120
    while True:
        try:
            client = _s3()
            if bucket not in [b["Name"] for b in client.list_buckets().get("Buckets", [])]:
                client.create_bucket(Bucket=bucket)
            return {"bucket": bucket}
        except Exception as exc:  # the store may still be starting
            if time.time() > deadline:
                raise SystemExit(f"cannot create bucket {bucket}: {exc}")
            time.sleep(2)


def objects(bucket, prefix):
    keys = []
    for page in _s3().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys += [o["Key"] for o in page.get("Contents", [])]
    return {"count": len(keys), "objects": sorted(keys)}


def _artifact_run(experiment, state_path):
    from mlflow import MlflowClient

    client = MlflowClient()
    exp = client.get_experiment_by_name(experiment)
    exp_id = exp.experiment_id if exp else client.create_experiment(experiment)
    run = client.create_run(exp_id)
    run_id = run.info.run_id
    client.log_param(run_id, "nodes", "2")
    for step in range(5):
        client.log_metric(run_id, "acc", 0.5 + step / 10, step=step, timestamp=2_000_000 + step)
    data = os.urandom(4 << 20)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.bin")
        with open(path, "wb") as f:
            f.write(data)
        client.log_artifact(run_id, path)
    client.set_terminated(run_id)
    state = {"run_id": run_id, "experiment_id": exp_id, "artifact_uri": run.info.artifact_uri,
             "sha256": hashlib.sha256(data).hexdigest()}
    with open(state_path, "w") as f:
        json.dump(state, f)
    return state


def read_run(state_path):
    from mlflow import MlflowClient

    with open(state_path) as f:
        state = json.load(f)
    client = MlflowClient()
    run = client.get_run(state["run_id"])
    history = client.get_metric_history(state["run_id"], "acc")
    with tempfile.TemporaryDirectory() as tmp:
        path = client.download_artifacts(state["run_id"], "model.bin", tmp)
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
    return {"status": run.info.status, "params": run.data.params, "acc_steps": len(history),
            "artifact_intact": digest == state["sha256"], "artifact_uri": run.info.artifact_uri}


class Api:
    """MLflow's REST API without any retry: every failure counts.

    One exception, which every HTTP client makes: a balancer that reloads
    closes its idle keep-alive connections, and a request sent on one at that
    instant gets no answer at all (RemoteDisconnected). It is sent once more on
    a new connection and counted in `resent`. The caller gives each attempt a
    body of its own (`body(attempt)`): a log-metric sent again carries another
    timestamp, so had the first copy reached MLflow, check-load would find the
    step twice.
    """

    def __init__(self):
        self.base = os.environ["MLFLOW_TRACKING_URI"].rstrip("/")
        self.session = requests.Session()
        if os.environ.get("MLFLOW_TRACKING_USERNAME"):
            self.session.auth = (os.environ["MLFLOW_TRACKING_USERNAME"], os.environ["MLFLOW_TRACKING_PASSWORD"])
        # Per request: a session's verify loses to REQUESTS_CA_BUNDLE.
        self.verify = os.environ["MLFLOW_TRACKING_SERVER_CERT_PATH"]
        self.resent = []

    def call(self, method, path, body=None, **kwargs):
        def send(attempt):
            if body:
                kwargs["json"] = body(attempt)
            return self.session.request(method, self.base + path, timeout=30, verify=self.verify, **kwargs)

        try:
            resp = send(0)
        except requests.exceptions.ConnectionError as exc:
            if "RemoteDisconnected" not in repr(exc):
                raise
            self.resent.append(f"{time.strftime('%H:%M:%S')} {method} {path}")
            resp = send(1)
        if resp.status_code != 200:
            raise RuntimeError(f"{method} {path}: HTTP {resp.status_code} {resp.text[:200]}")
        return resp.json()

    def new_run(self, experiment):
        found = self.session.get(self.base + "/api/2.0/mlflow/experiments/get-by-name",
                                 params={"experiment_name": experiment}, timeout=30, verify=self.verify)
        if found.status_code == 200:
            exp_id = found.json()["experiment"]["experiment_id"]
        else:
            exp_id = self.call("POST", "/api/2.0/mlflow/experiments/create", json={"name": experiment})["experiment_id"]
        return self.call("POST", "/api/2.0/mlflow/runs/create",
                         json={"experiment_id": exp_id, "start_time": int(time.time() * 1000)})["run"]["info"]["run_id"]

    def log_metric(self, run_id, step):
        self.call("POST", "/api/2.0/mlflow/runs/log-metric",
                  body=lambda attempt: {"run_id": run_id, "key": METRIC, "value": step * 0.5, "step": step,
                                        "timestamp": 1_000_000 + 10 * step + attempt})

    def get_run(self, run_id):
        self.call("GET", "/api/2.0/mlflow/runs/get", params={"run_id": run_id})


def load(state_path, ready, stop):
    api = Api()
    run_id = api.new_run("scaleout-load")
    ok, failed, gets, errors, logged = 0, 0, 0, [], []
    slowest = 0.0
    start = time.time()
    step = 0
    while not os.path.exists(stop) and time.time() - start < 1800:
        began = time.time()
        try:
            api.log_metric(run_id, step)
            logged.append(step)
            ok += 1
            if step % 10 == 0:
                api.get_run(run_id)
                gets += 1
        except Exception as exc:  # counted, never retried
            failed += 1
            errors.append(f"{time.strftime('%H:%M:%S')} step {step}: {exc}"[:300])
        slowest = max(slowest, time.time() - began)
        if ok == 1 and not os.path.exists(ready):
            open(ready, "w").close()
        step += 1
        time.sleep(0.02)
    duration = time.time() - start
    state = {"run_id": run_id, "sent": step, "ok": ok, "gets": gets, "failed": failed,
             "errors": errors[:20], "resent_count": len(api.resent), "resent": api.resent[:20],
             "logged": logged, "duration_s": round(duration, 1),
             "calls_per_s": round((step + gets) / duration, 1), "slowest_call_s": round(slowest, 2)}
    with open(state_path, "w") as f:
        json.dump(state, f)
    return {k: v for k, v in state.items() if k != "logged"}


def check_load(state_path):
    from mlflow import MlflowClient

    with open(state_path) as f:
        state = json.load(f)
    history = MlflowClient().get_metric_history(state["run_id"], METRIC)
    seen = {}
    for m in history:
        seen[m.step] = seen.get(m.step, 0) + 1
    wrong = [m.step for m in history if m.value != m.step * 0.5]
    return {"count": len(history), "missing": sorted(set(state["logged"]) - set(seen))[:20],
            "doubled": sorted(s for s, n in seen.items() if n > 1)[:20], "wrong": wrong[:20],
            "expected": len(state["logged"])}


def failover(n):
    api = Api()
    run_id = api.new_run("scaleout-failover")
    ok, failed, errors = 0, 0, []
    for step in range(n):
        for call in (lambda: api.log_metric(run_id, step), lambda: api.get_run(run_id)):
            try:
                call()
                ok += 1
            except Exception as exc:
                failed += 1
                errors.append(str(exc)[:300])
    return {"ok": ok, "failed": failed, "errors": errors[:10], "resent": api.resent[:10]}


def direct(state_path):
    state = _artifact_run("scaleout-direct", state_path)
    return dict(state, read_back=read_run(state_path)["artifact_intact"])


def main(argv):
    # MLflow prints notes ("View run ...") to stdout: keep it for the JSON.
    out_stream, sys.stdout = sys.stdout, sys.stderr
    cmd, args = argv[0], argv[1:]
    if cmd == "bucket-create":
        out = bucket_create(*args)
    elif cmd == "objects":
        out = objects(*args)
    elif cmd == "log-run":
        out = _artifact_run("scaleout", *args)
    elif cmd == "read-run":
        out = read_run(*args)
    elif cmd == "load":
        out = load(*args)
    elif cmd == "check-load":
        out = check_load(*args)
    elif cmd == "failover":
        out = failover(int(args[0]))
    elif cmd == "direct":
        out = direct(*args)
    else:
        raise SystemExit(__doc__)
    print(json.dumps(out), file=out_stream)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
