"""The real MLflow client against the deployed server (MLFLOW_TRACKING_URI).

  metrics_client.py log N READY   log N metric steps to a new run, timing each
                                  call, creating file READY after the first;
                                  print {"run_id", "start", "end", "slowest_call_s"}
  metrics_client.py check RUN N   print {"count", "distinct_steps", "wrong_values"}
                                  for the run's metric history
  metrics_client.py fill          on a nearly full artifact disk: log an 8 MiB
                                  artifact, then a 64 MiB one that cannot fit;
                                  print {"run_id", "small_intact", "big_error", "listed"}
  metrics_client.py refill RUN    once space returned: log the 64 MiB one again;
                                  print {"small_intact", "big_intact", "listed"}

`log` runs with MLflow's own retries off (MLFLOW_HTTP_REQUEST_MAX_RETRIES=0,
set here): a failed call is retried by this client, every attempt with a
timestamp of its own (the step's plus the attempt's number), and each failure
is reported with its time. Had a failed attempt reached the store after all,
its step would be there twice and `check` counts more rows than steps.
"""
import json
import os
import random
import sys
import tempfile
import time

os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"

from mlflow import MlflowClient  # noqa: E402 - after the retries are off


def log(n, ready):
    client = MlflowClient()
    exp = client.get_experiment_by_name("faults")
    exp_id = exp.experiment_id if exp else client.create_experiment("faults")
    run_id = client.create_run(exp_id).info.run_id
    start = time.time()
    slowest = 0.0
    failures = []
    for step in range(n):
        began = time.time()
        for attempt in range(60):
            try:
                client.log_metric(run_id, "loss", step * 0.5, step=step, timestamp=1_000_000 + 100 * step + attempt)
                break
            except Exception as err:  # noqa: BLE001 - each failure is reported with its time
                failures.append({"time": time.time(), "step": step, "error": f"{type(err).__name__}: {err}"[:200]})
                time.sleep(0.5)
        else:
            raise SystemExit(f"step {step} failed 60 times: {failures[-1]}")
        slowest = max(slowest, time.time() - began)
        if step == 0:
            open(ready, "w").close()
        time.sleep(0.02)
    end = time.time()
    client.set_terminated(run_id)
    return {"run_id": run_id, "start": start, "end": end, "slowest_call_s": round(slowest, 2),
            "failed_attempts": len(failures), "first_failure": failures[0]["time"] if failures else None,
            "last_failure": failures[-1]["time"] if failures else None, "failures": failures[:5]}


def check(run_id, n):
    history = MlflowClient().get_metric_history(run_id, "loss")
    steps = {m.step for m in history}
    wrong = [m.step for m in history if m.value != m.step * 0.5]
    return {"count": len(history), "distinct_steps": len(steps & set(range(n))),
            "wrong_values": len(wrong)}


SIZES = {"small.bin": 8 << 20, "big.bin": 64 << 20}


def _content(name):
    # The same bytes every time, so a later step can check them.
    return random.Random(name).randbytes(SIZES[name])


def _upload(client, run_id, name):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, name)
        with open(path, "wb") as f:
            f.write(_content(name))
        client.log_artifact(run_id, path)


def _intact(client, run_id, name):
    with tempfile.TemporaryDirectory() as tmp:
        path = client.download_artifacts(run_id, name, tmp)
        with open(path, "rb") as f:
            return f.read() == _content(name)


def _listed(client, run_id):
    return sorted(f.path for f in client.list_artifacts(run_id))


def fill():
    client = MlflowClient()
    exp = client.get_experiment_by_name("faults")
    exp_id = exp.experiment_id if exp else client.create_experiment("faults")
    run_id = client.create_run(exp_id).info.run_id
    _upload(client, run_id, "small.bin")
    try:
        _upload(client, run_id, "big.bin")
        error = None
    except Exception as err:  # noqa: BLE001 - the error is the result
        error = f"{type(err).__name__}: {err}"[:400]
    return {"run_id": run_id, "small_intact": _intact(client, run_id, "small.bin"),
            "big_error": error, "listed": _listed(client, run_id)}


def refill(run_id):
    client = MlflowClient()
    _upload(client, run_id, "big.bin")
    return {"small_intact": _intact(client, run_id, "small.bin"),
            "big_intact": _intact(client, run_id, "big.bin"), "listed": _listed(client, run_id)}


def main(argv):
    if argv[1:2] == ["log"] and len(argv) == 4:
        result = log(int(argv[2]), argv[3])
    elif argv[1:2] == ["check"] and len(argv) == 4:
        result = check(argv[2], int(argv[3]))
    elif argv[1:] == ["fill"]:
        result = fill()
    elif argv[1:2] == ["refill"] and len(argv) == 3:
        result = refill(argv[2])
    else:
        raise SystemExit(__doc__)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
