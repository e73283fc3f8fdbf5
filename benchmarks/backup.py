"""What a backup costs: a store of N runs (10,000 by default; each with 5
params, 3 metrics of 10 steps, 2 tags and a 10 KiB artifact) made on a
provisioned test host, then the role's backup service timed and measured
against a plain `cp -a` of the same files (which is no consistent copy of a
live SQLite store: the naive reference), a second backup with nothing new
(artifacts hard-linked), and a restore with the role's helper.

    backup.py --host CONTAINER [--runs 10000] [--results FILE]

The host must run the service with backups on (SQLite store, the defaults).
The runs are written with MLflow's own store classes on the host, as the
service user, beside the running server (minutes instead of an hour through
the REST API). Prints its figures; --results appends them to the benchmarks'
table (benchmarks/results.py).
"""
import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import results  # noqa: E402  (the table's helper beside this file)

GENERATE = r'''
import os, shlex, sys, time
from mlflow.entities import Metric, Param, RunTag
from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

env = {}
for line in open("/etc/mlflow/mlflow.env"):
    key, sep, value = line.strip().partition("=")
    if sep and not key.startswith("#"):
        env[key] = (shlex.split(value) or [""])[0]
store = SqlAlchemyStore(env["MLFLOW_BACKEND_STORE_URI"], "mlflow-artifacts:/")
root = env["MLFLOW_ARTIFACTS_DESTINATION"]
name = "bench-backup-%d" % time.time()
experiment = store.create_experiment(name, artifact_location="mlflow-artifacts:/" + name)
blob = os.urandom(10 * 1024)
runs = int(sys.argv[1])
now = int(time.time() * 1000)
for number in range(runs):
    run = store.create_run(experiment, "bench", now, [], "run-%d" % number)
    store.log_batch(run.info.run_id,
                    metrics=[Metric(key, 1.0 / (step + 1), now, step)
                             for key in ("loss", "accuracy", "lr") for step in range(10)],
                    params=[Param("p%d" % i, str(i * number)) for i in range(5)],
                    tags=[RunTag("team", "bench"), RunTag("seed", str(number))])
    target = os.path.join(root, name, run.info.run_id, "artifacts")
    os.makedirs(target, exist_ok=True)
    with open(os.path.join(target, "model.bin"), "wb") as handle:
        handle.write(blob)
print(experiment)
'''


def sh(host, command, user=None, stdin=None):
    argv = ["docker", "exec", "-i", host] + (["runuser", "-u", user, "--"] if user else []) + ["sh", "-c", command]
    return subprocess.run(argv, input=stdin, capture_output=True, text=True, check=True).stdout.strip()


def generate(host, runs):
    """Write the runs into the host's store beside the running server (GENERATE), saying how long it took."""
    print(f"writing {runs} runs into the store of {host} ...", flush=True)
    began = time.monotonic()
    sh(host, f"/opt/mlflow/current/bin/python - {runs}", user="mlflow", stdin=GENERATE)
    print(f"  {time.monotonic() - began:.0f} s", flush=True)


def timed(host, command, user=None):
    began = time.monotonic()
    sh(host, command, user)
    return time.monotonic() - began


def size(host, *paths):
    return int(sh(host, "du -scb " + " ".join(paths) + " | tail -n 1").split()[0])


def mib(count):
    return f"{count / (1 << 20):.1f} MiB"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", required=True)
    parser.add_argument("--runs", type=int, default=10000)
    parser.add_argument("--results")
    args = parser.parse_args()
    host = args.host

    generate(host, args.runs)
    sh(host, "systemctl reset-failed mlflow-backup.service 2>/dev/null; rm -rf /var/backups/mlflow/* /var/tmp/cp-a")
    data = size(host, "/var/lib/mlflow/mlflow.db", "/var/lib/mlflow/basic_auth.db", "/var/lib/mlflow/artifacts")
    files = int(sh(host, "find /var/lib/mlflow/artifacts -type f | wc -l"))

    first = timed(host, "systemctl start mlflow-backup.service")
    names = sh(host, "ls /var/backups/mlflow").split()
    first_size = size(host, f"/var/backups/mlflow/{names[-1]}")
    copy = timed(host, "cp -a /var/lib/mlflow /var/tmp/cp-a")
    sh(host, "rm -rf /var/tmp/cp-a")
    time.sleep(1.1)  # backups are named by the second
    second = timed(host, "systemctl start mlflow-backup.service")
    both = size(host, "/var/backups/mlflow")
    manifest = json.loads(sh(host, "cat /var/backups/mlflow/$(ls /var/backups/mlflow | tail -n 1)/manifest.json"))

    sh(host, "systemctl stop mlflow")
    restore = timed(host, "/usr/bin/python3 /opt/mlflow/libexec/mlflow_backup.py restore "
                          "--config /etc/mlflow/backup.json --backup latest")
    sh(host, "systemctl start mlflow && rm -rf /var/lib/mlflow/backups/before-restore-*")
    for _round in range(120):
        if subprocess.run(["docker", "exec", host, "curl", "-fsk", "-o", "/dev/null", "https://127.0.0.1/health"],
                          check=False).returncode == 0:
            break
        time.sleep(1)

    label = f"{args.runs:,} runs, {files:,} artifact files ({mib(data)})"
    print(f"{label}: backup {first:.1f} s, {mib(first_size)} (cp -a of the data directory: {copy:.1f} s); "
          f"again with nothing new {second:.1f} s, +{mib(both - first_size)} "
          f"({manifest['artifacts']['linked']} of {manifest['artifacts']['files']} files linked); "
          f"restore {restore:.1f} s")
    if args.results:
        results.record(args.results, "backup", f"backup of {label}", f"{first:.1f} s, {mib(first_size)}",
                       f"cp -a of the data: {copy:.1f} s, {mib(data)}", copy / first, "")
        results.record(args.results, "backup", "next backup, nothing new (artifacts hard-linked)",
                       f"{second:.1f} s, +{mib(both - first_size)}", f"first backup: {first:.1f} s, {mib(first_size)}",
                       (both - first_size) / first_size, "")
        results.record(args.results, "backup", "restore with the role's helper (service stopped)",
                       f"{restore:.1f} s", f"first backup: {first:.1f} s", first / restore, "")
    return 0


if __name__ == "__main__":
    sys.exit(main())
