"""What moving a store costs: a SQLite store of N runs (10,000 by default, made
as the backup bench makes them: 5 params, 3 metrics of 10 steps, 2 tags and a
10 KiB artifact each) on a provisioned test host, moved into PostgreSQL on the
same host by the collection's playbook presets.mlflow.move_store. Prints the
playbook's time (PostgreSQL's install included) and the copy's alone (the
helper, with MLflow stopped: the outage), and checks the server answers with
every run afterwards.

    move.py --host CONTAINER --inventory INI [--runs 10000] [--results FILE]

The host must run the service with its defaults (SQLite); it runs on
PostgreSQL afterwards.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import results  # noqa: E402  (the table's helper beside this file)
from backup import generate, sh  # noqa: E402  (the same store as the backup bench)

PASSWORD = "bench-move-database-password"
SETTINGS = {
    "mlflow_service": True,
    "mlflow_postgresql_password": PASSWORD,
    "mlflow_backend_store_uri": f"postgresql://mlflow:{PASSWORD}@127.0.0.1:5432/mlflow",
    "mlflow_auth_database_uri": f"postgresql://mlflow:{PASSWORD}@127.0.0.1:5432/mlflow_auth",
}
COUNT = r'''
import json, os, sys
from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
from mlflow.entities import ViewType
store = SqlAlchemyStore(sys.argv[1], "mlflow-artifacts:/")
experiments = store.search_experiments(view_type=ViewType.ALL, max_results=50000)
runs = 0
for experiment in experiments:
    token = None
    while True:
        page = store.search_runs([experiment.experiment_id], "", ViewType.ALL, max_results=50000, page_token=token)
        runs += len(page)
        token = page.token
        if not token:
            break
print(json.dumps({"experiments": len(experiments), "runs": runs}))
'''


ROWS = r'''
import sqlite3
conn = sqlite3.connect("file:/var/lib/mlflow/mlflow.db?mode=ro", uri=True)
tables = [name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
print(sum(conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0] for name in tables))
'''


def count(host, uri):
    return json.loads(sh(host, f"/opt/mlflow/current/bin/python - '{uri}'", user="mlflow", stdin=COUNT))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", required=True)
    parser.add_argument("--inventory", required=True, help="an inventory with the host in group mlflow")
    parser.add_argument("--runs", type=int, default=10000)
    parser.add_argument("--results")
    args = parser.parse_args()
    host = args.host

    generate(host, args.runs)
    before = count(host, "sqlite:////var/lib/mlflow/mlflow.db")
    rows = int(sh(host, "/opt/mlflow/current/bin/python -", user="mlflow", stdin=ROWS))
    size = int(sh(host, "du -cb /var/lib/mlflow/mlflow.db* | tail -n 1").split()[0])

    with tempfile.TemporaryDirectory() as tmp:
        inventory = os.path.join(tmp, "hosts.ini")
        with open(args.inventory, encoding="utf-8") as src, open(inventory, "w", encoding="utf-8") as dst:
            dst.write(src.read() + f"\n[mlflow_db]\n{host}\n")
        settings = os.path.join(tmp, "settings.json")
        with open(settings, "w", encoding="utf-8") as handle:
            json.dump(SETTINGS, handle)
        env = dict(os.environ, ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks",
                   PROFILE_TASKS_SORT_ORDER="none", PROFILE_TASKS_TASK_OUTPUT_LIMIT="all")
        began = time.monotonic()
        play = subprocess.run(["ansible-playbook", "presets.mlflow.move_store", "-i", inventory, "-e", f"@{settings}"],
                              capture_output=True, text=True, env=env, check=False)
        total = time.monotonic() - began
    if play.returncode != 0:
        sys.exit(f"move_store failed:\n{play.stdout[-4000:]}")
    copy = re.search(r"Copy the stores into the new databases[^\n]*?-+ ([0-9.]+)s", play.stdout.replace("\n  ", " "))
    copy_s = float(copy.group(1)) if copy else float("nan")
    after = count(host, SETTINGS["mlflow_backend_store_uri"])
    if after != before:
        sys.exit(f"the store differs after the move: {before} before, {after} after")
    label = f"{before['runs']:,} runs, {rows:,} rows, {size / (1 << 20):.0f} MiB of SQLite"
    print(f"move of {label} to PostgreSQL: the copy (MLflow stopped) {copy_s:.1f} s; "
          f"the playbook {total:.1f} s (PostgreSQL's install, the release's driver, the start and checks included); "
          f"the same {before['runs']:,} runs read back", flush=True)
    if args.results:
        results.record(args.results, "move", f"move_store: copy of {label} into PostgreSQL (MLflow stopped)",
                       f"{copy_s:.1f} s", f"the whole playbook: {total:.1f} s", None, "")
    return 0


if __name__ == "__main__":
    sys.exit(main())
