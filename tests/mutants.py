"""Seeded faults: each a small, plausible regression of one promise, applied alone to a copy of the collection.

For each fault the runner copies the collection (the files git knows, committed or not), applies the fault (a
text that must occur exactly once in one file, replaced), runs the check that should catch it there (a unit
test, or the Molecule scenario that proves the promise), and calls the fault caught when that check fails.
A fault whose text is not found is an error of the list, not a catch. At the end: a table and the totals.

Run by scripts/mutants (not by the test suite: the scenarios take longer than CI allows). A scenario's hosts
have fixed names, so two faults of one scenario never run at once, and no fault runs beside the suite; faults
of different scenarios run side by side in lanes (--lanes, default 2, as the suite's own scenarios do).
"""
import argparse
import dataclasses
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from test_molecule import MINUTES, failures, plain  # the suite's own reading of a scenario's log, its timings

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(os.environ.get("PRESETS_MLFLOW_MUTANTS_DIR", "/var/tmp/presets-mlflow-mutants"))


@dataclasses.dataclass
class Fault:
    name: str
    promise: str
    path: str
    old: str
    new: str
    check: str  # "pytest:ARGS" or "molecule:SCENARIO"


FAULTS = [
    Fault("state-choices", "an unknown mlflow_state fails in preflight, naming it, before any change",
          "roles/mlflow/meta/argument_specs.yml",
          "        type: str\n        choices: [present, absent]\n        default: present\n",
          "        type: str\n        default: present\n", "molecule:preflight"),
    Fault("tracking-uri-scheme", "a tracking URI that is not http://HOST:PORT fails in preflight",
          "roles/mlflow/tasks/preflight.yml",
          "regex_search('^http://[A-Za-z0-9.-]+:([0-9]{1,5})/?$', '\\1')",
          "regex_search('^https?://[A-Za-z0-9.-]+:([0-9]{1,5})/?$', '\\1')", "molecule:preflight"),
    Fault("unit-protect-system", "the unit is hardened: ProtectSystem=strict, exposure 1.2",
          "roles/_common/templates/unit-hardening.conf.j2", "ProtectSystem=strict\n", "ProtectSystem=full\n",
          "molecule:default"),
    Fault("credential-cache", "the login's credential cache is on (mlflow_auth_cache_ttl, 60 s)",
          "roles/mlflow/templates/basic_auth.ini.j2", "auth_cache_ttl_seconds = {{ mlflow_auth_cache_ttl }}",
          "auth_cache_ttl_seconds = 0", "molecule:default"),
    Fault("starter-overwrites", "the starter never overwrites a file that exists",
          "playbooks/starter.yml",
          "        dest: \"{{ starter_dest | expanduser }}/{{ item.dest }}\"\n        mode: \"0644\"\n"
          "        force: false\n",
          "        dest: \"{{ starter_dest | expanduser }}/{{ item.dest }}\"\n        mode: \"0644\"\n"
          "        force: true\n", "molecule:default"),
    Fault("restore-store-checksum", "a damaged backup is refused before anything changes",
          "roles/mlflow/files/mlflow_backup.py",
          "if part in manifest and sha256(os.path.join(path, manifest[part][\"file\"])) != manifest[part][\"sha256\"]:",
          "if False:", "pytest:tests/test_backup_bucket.py -k damaged"),
    Fault("restore-files-checksum", "a backup whose kept secrets are damaged is refused",
          "roles/mlflow/files/mlflow_backup.py",
          "if sha256(os.path.join(path, \"files\", kept[\"path\"].lstrip(\"/\"))) != kept[\"sha256\"]:",
          "if False:", "pytest:tests/test_backup_bucket.py -k damaged"),
    Fault("files-validation", "a configuration that fails its validation never replaces the file",
          "plugins/modules/files.py", "            if entry.get(\"validate\"):\n                rc, out, err",
          "            if False:\n                rc, out, err", "pytest:tests/test_files_module.py"),
    Fault("files-check-mode", "check mode reports what would change and changes nothing",
          "plugins/modules/files.py", "        if self.check:\n            return self.attributes(entry, True), True\n",
          "", "pytest:tests/test_files_module.py"),
    Fault("installer-index", "uv installs from the index pip is configured with",
          "roles/mlflow/files/mlflow_install.py", "    \"index-url\": \"UV_INDEX_URL\",\n", "",
          "pytest:tests/test_install_helper.py"),
    Fault("permission-revoke", "a changed permission is revoked before the new one is granted",
          "plugins/modules/permission.py",
          "calls = [(\"POST\", PERMISSIONS + \"revoke\", body)] if current is not None else []", "calls = []",
          "pytest:tests/test_modules.py"),
    Fault("api-404", "a 404 that is not MLflow's is an error, never an absent object",
          "plugins/module_utils/mlflow_api.py", "(err.code == 404 and code is not None)", "err.code == 404",
          "pytest:tests/test_modules.py"),
    Fault("spec-drift", "every default is declared in argument_specs (the README's table)",
          "roles/mlflow/defaults/main.yml", "mlflow_auth_cache_ttl: 60\n",
          "mlflow_auth_cache_ttl: 60\nmlflow_undeclared_setting: 1\n", "pytest:tests/test_argument_specs.py"),
    Fault("fastapi-without-login", "every route is behind the login, the FastAPI ones included",
          "roles/mlflow/templates/gunicorn.conf.py.j2", "    if wsgi_uri == \"mlflow.server:app\":\n",
          "    if True:\n", "molecule:service"),
    Fault("tls-session-tickets", "no TLS session tickets", "roles/_common/templates/tls-policy.conf.j2",
          "ssl_session_tickets off;\n", "ssl_session_tickets on;\n", "molecule:service"),
    Fault("permissions-policy", "Permissions-Policy on every answer", "roles/_common/templates/nginx-site.conf.j2",
          "{{ indent }}    add_header Permissions-Policy \"camera=(), microphone=(), geolocation=()\" always;\n",
          "", "molecule:service"),
    Fault("webhook-key-per-start", "MLflow's keys are the host's own: webhook secrets readable after a restart",
          "roles/mlflow/templates/mlflow.service.j2", "EnvironmentFile={{ __mlflow_keys_file }}\n", "",
          "molecule:service"),
    Fault("model-reads-credentials", "the model units cannot read the tracking password",
          "roles/mlflow_model/templates/mlflow-model@.service.j2",
          "'inaccessible': [mlflow_model_data_dir ~ '/.mlflow']", "'inaccessible': []", "molecule:service"),
    Fault("backup-without-keys", "a backup holds MLflow's keys: a restore opens webhook secrets and provider keys",
          "roles/mlflow/templates/backup.json.j2", "'files': [__mlflow_keys_file, ", "'files': [",
          "molecule:lifecycle"),
    Fault("health-without-journal", "a service that does not come up fails the play with its journal",
          "roles/mlflow/tasks/health.yml", "argv: [journalctl, -u, mlflow, --no-pager, -n, \"40\", -o, cat]",
          "argv: [\"true\"]", "molecule:faults"),
    Fault("route-floor", "route parity lists every route of the release (a router that fails to import fails it)",
          "molecule/resources/route_parity.py", "    from mlflow.server.fastapi_app import app\n",
          "    app = type(\"NoRoutes\", (), {\"routes\": []})\n", "molecule:faults"),
    Fault("store-left-behind", "a server is not pointed at another store while the old one holds runs",
          "roles/mlflow/files/mlflow_db.py", '    "runs": "SELECT COUNT(*) FROM runs",\n', "",
          "molecule:lifecycle"),
    Fault("move-without-sequences", "after move_store the server on PostgreSQL takes new data",
          "roles/mlflow/files/mlflow_db.py", "                _reset_sequences(write, target_meta, tables)\n",
          "                pass\n", "molecule:scaleout"),
    Fault("fleet-secrets-per-node", "a node that joins the fleet takes the fleet's secrets (admin password, MLflow's keys)",
          "roles/mlflow/tasks/fleet_secrets.yml",
          "      {{ _mlflow_fleet_secrets_read.results | map(attribute='stdout')",
          "      {{ _mlflow_fleet_secrets_read.results | selectattr('item', 'eq', inventory_hostname)\n"
          "         | map(attribute='stdout')", "molecule:scaleout"),
    Fault("moved-uris-not-rewritten", "after the artifacts move, MLflow's stored URIs point at the bucket",
          "roles/mlflow/files/mlflow_db.py",
          '                ("logged_models", "artifact_location", None),\n', "",
          "pytest:tests/test_store_move.py"),
    Fault("moved-file-not-compared", "each moved artifact is compared by checksum, and a differing one refused",
          "roles/mlflow/files/mlflow_db.py", "            if there[key] == (size, etag):\n",
          "            if there[key][0] == size:\n", "pytest:tests/test_store_move.py"),
    Fault("audit-not-rotated", "nginx's logrotate rotates the audit trail",
          "roles/mlflow/vars/main.yml", "  - logrotate\n", "", "molecule:service"),
]


def copy_collection(target):
    """The files git knows (committed or not) under target, the collection linked, the TLS scanner shared."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            capture_output=True, check=True).stdout.split(b"\0")
    for name in filter(None, listed):
        source = ROOT / name.decode()
        if source.is_file():
            (target / name.decode()).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name.decode())
    # Molecule finds the shared base config (.config/molecule) at the repository's root.
    subprocess.run(["git", "init", "-q", str(target)], check=True)
    namespace = target / ".cache" / "collections" / "ansible_collections" / "presets"
    namespace.mkdir(parents=True)
    (namespace / "mlflow").symlink_to("../../../..")
    if (ROOT / ".cache" / "sslyze-venv").exists():
        (target / ".cache" / "sslyze-venv").symlink_to(ROOT / ".cache" / "sslyze-venv")


def apply(fault, target):
    path = target / fault.path
    text = path.read_text()
    found = text.count(fault.old)
    if found != 1:
        raise SystemExit(f"{fault.name}: the fault's text occurs {found} times in {fault.path} (must be once)")
    path.write_text(text.replace(fault.old, fault.new))


def command(fault):
    kind, _sep, rest = fault.check.partition(":")
    if kind == "pytest":
        return ["pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=", "-x", *rest.split()]
    if kind == "molecule":
        return ["molecule", "test", "-s", rest]
    raise SystemExit(f"{fault.name}: unknown check {fault.check}")


def run(fault, logs):
    target = WORK / fault.name
    copy_collection(target)
    apply(fault, target)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(target / ".cache" / "collections"),
               ANSIBLE_HOME=str(target / ".cache" / "ansible"))
    began = time.monotonic()
    log = logs / f"{fault.name}.log"
    with log.open("w") as out:
        status = subprocess.run(command(fault), cwd=target, env=env, stdout=out, stderr=subprocess.STDOUT,
                                check=False).returncode
    return status != 0, time.monotonic() - began, log


def what_failed(log):
    """The failure that stopped the check, to read beside the verdict: a fault caught for another reason is not
    caught. For a scenario, the last failed task (earlier ones were failures a test provoked and rescued; molecule's
    own CRITICAL line only repeats the command); for pytest, the first failed assertion."""
    lines = [plain(line) for line in log.read_text(errors="replace").splitlines()]
    tasks = [found for found in failures(lines, after=6) if "CRITICAL " not in found]
    found = tasks[-1:] or [line for line in lines if line.startswith(("FAILED ", "E  "))][:1]
    return " ".join(found[0].split())[:400] if found else "(no failure found in the log)"


def run_in_lanes(faults, logs, lanes):
    """Each lane takes the next fault whose check is not running in another lane; {name: (caught, seconds)}."""
    # The longest checks first, so that no lane is left with a long one at the end.
    pending = sorted(faults, key=lambda f: -MINUTES.get(f.check.partition(":")[2], 0))
    running, results = set(), {}
    lock = threading.Condition()

    def lane():
        while True:
            with lock:
                fault = None
                while pending and fault is None:
                    fault = next((f for f in pending if f.check not in running), None)
                    if fault is None:
                        lock.wait()
                if fault is None:
                    return
                pending.remove(fault)
                running.add(fault.check)
                print(f"==> {fault.name}: {fault.path} ({fault.check})", flush=True)
            caught, seconds, log = False, 0.0, logs / f"{fault.name}.log"
            try:
                caught, seconds, log = run(fault, logs)
                verdict = f"caught in {seconds:.0f} s, by: {what_failed(log)}" if caught else \
                    f"MISSED in {seconds:.0f} s"
            except (Exception, SystemExit) as exc:  # noqa: BLE001 - a fault that cannot run is reported
                verdict = f"ERROR, not run: {exc}"
            finally:
                shutil.rmtree(WORK / fault.name, ignore_errors=True)
                with lock:
                    running.discard(fault.check)
                    lock.notify_all()
            with lock:
                results[fault.name] = (caught, seconds)
                print(f"<== {fault.name}: {verdict} (log: {log})", flush=True)

    threads = [threading.Thread(target=lane, name=f"lane-{number}") for number in range(1, max(1, lanes) + 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="faults to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the faults and their checks, run nothing")
    parser.add_argument("--checks", help="only faults whose check is one of these (comma-separated, e.g. "
                                         "pytest,molecule:preflight)")
    parser.add_argument("--lanes", type=int, default=int(os.environ.get("PRESETS_MLFLOW_LANES", "2")),
                        help="faults of different checks run side by side (default 2)")
    args = parser.parse_args()
    faults = [f for f in FAULTS if not args.names or f.name in args.names]
    if args.checks:
        wanted = args.checks.split(",")
        faults = [f for f in faults if any(f.check == w or f.check.startswith(w + ":") for w in wanted)]
    unknown = set(args.names) - {f.name for f in FAULTS}
    if unknown:
        raise SystemExit(f"no such fault: {', '.join(sorted(unknown))}")
    if args.list:
        for fault in faults:
            print(f"{fault.name:28s} {fault.check:45s} {fault.promise}")
        return 0
    logs = WORK / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    results = run_in_lanes(faults, logs, args.lanes)
    rows = [(fault, *results[fault.name]) for fault in faults]
    print("\n| fault | promise | check | result | s |\n|---|---|---|---|---|")
    for fault, caught, seconds in rows:
        print(f"| {fault.name} | {fault.promise} | {fault.check} | {'caught' if caught else 'MISSED'} | {seconds:.0f} |")
    missed = [fault.name for fault, caught, _s in rows if not caught]
    print(f"\n{len(rows) - len(missed)} of {len(rows)} faults caught" + (f"; missed: {', '.join(missed)}" if missed else ""))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
