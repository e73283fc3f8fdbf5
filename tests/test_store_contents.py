"""What the role's store check counts (mlflow_db.py contents): what a user would miss, never
what every new store holds or what the role makes itself, and a store it cannot read is not empty."""
import importlib.util
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

HELPER = Path(__file__).resolve().parent.parent / "roles" / "mlflow" / "files" / "mlflow_db.py"
spec = importlib.util.spec_from_file_location("mlflow_db", HELPER)
mlflow_db = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mlflow_db)

BACKEND = """
create table alembic_version(version_num text);
create table experiments(experiment_id integer primary key, name text);
create table runs(run_uuid text primary key);
create table registered_models(name text primary key);
create table webhooks(webhook_id text primary key);
insert into alembic_version values ('x');
insert into experiments values (0, 'Default');
"""
AUTH = """
create table users(id integer primary key, username text);
create table roles(id integer primary key, name text);
create table role_permissions(id integer primary key, role_id int);
create table user_role_assignments(id integer primary key, user_id int, role_id int);
create table experiment_permissions(id integer primary key, user_id int);
insert into users values (1, 'admin'), (2, 'prometheus');
insert into roles values (1, '__user_1__');
insert into role_permissions values (1, 1);
insert into user_role_assignments values (1, 1, 1);
insert into experiment_permissions values (1, 1);
"""


def make(tmp_path, backend_sql="", auth_sql="", files=0):
    for name, schema, extra in (("mlflow.db", BACKEND, backend_sql), ("basic_auth.db", AUTH, auth_sql)):
        conn = sqlite3.connect(tmp_path / name)
        conn.executescript(schema + extra)
        conn.commit()
        conn.close()
    artifacts = tmp_path / "artifacts"
    for number in range(files):
        (artifacts / "1" / str(number)).mkdir(parents=True)
        (artifacts / "1" / str(number) / "model.bin").write_bytes(b"x" * 10)
    env = tmp_path / "mlflow.env"
    env.write_text(f"MLFLOW_BACKEND_STORE_URI='sqlite:///{tmp_path}/mlflow.db'\n"
                   f"MLFLOW_ARTIFACTS_DESTINATION='{artifacts}'\n")
    ini = tmp_path / "basic_auth.ini"
    ini.write_text(f"[mlflow]\ndatabase_uri = sqlite:///{tmp_path}/basic_auth.db\n")
    return str(env), str(ini)


def contents(env, ini):
    """As the role runs it: a process of its own, the role's users named."""
    out = subprocess.run([sys.executable, str(HELPER), "contents", "--env-file", env, "--auth-config", ini,
                          "--stores", "backend,artifacts,auth", "--managed-user", "admin",
                          "--managed-user", "prometheus"], capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def test_a_new_store_holds_nothing_to_keep(tmp_path):
    """The Default experiment, the admin's own role and grants, the metrics user: not data."""
    assert contents(*make(tmp_path)) == {"backend": {}, "artifacts": {}, "auth": {}}


def test_runs_models_users_grants_and_files_are_counted(tmp_path):
    env, ini = make(tmp_path,
                    "insert into experiments values (1, 'e'); insert into runs values ('r1'), ('r2');"
                    "insert into registered_models values ('m'); insert into webhooks values ('w');",
                    "insert into users values (3, 'carol'); insert into roles values (2, 'team');"
                    "insert into role_permissions values (2, 2); insert into user_role_assignments values (2, 3, 2);"
                    "insert into experiment_permissions values (2, 3);", files=3)
    assert contents(env, ini) == {
        "backend": {"experiments": 1, "runs": 2, "registered_models": 1, "webhooks": 1},
        "artifacts": {"files": 3, "bytes": 30},
        "auth": {"users": 1, "roles": 1, "role_permissions": 1, "experiment_permissions": 1,
                 "user_role_assignments": 1},
    }


def test_a_store_that_cannot_be_read_is_not_taken_for_empty(tmp_path):
    env, ini = make(tmp_path)
    (tmp_path / "mlflow.db").write_bytes(b"not a database" * 100)
    counted = contents(env, ini)
    assert list(counted["backend"]) == ["error"], counted


@pytest.mark.skipif(os.geteuid() != 0, reason="the role runs it as root; files of another owner need root")
def test_reading_a_sqlite_store_leaves_its_files_to_its_owner():
    """A store in WAL mode read by root must not get a -shm or -wal of root's beside it, which the
    service (its owner) could then not open."""
    store = Path(tempfile.mkdtemp(prefix="presets-mlflow-store-"))  # a path the owner can reach
    try:
        check_owner(store)
    finally:
        shutil.rmtree(store)


def check_owner(store):
    env, ini = make(store, "insert into runs values ('r1');")
    conn = sqlite3.connect(store / "mlflow.db")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    for path in [store, *store.iterdir()]:
        os.chown(path, 65534, 65534)
    assert contents(env, ini)["backend"] == {"runs": 1}
    owners = {path.name: path.stat().st_uid for path in store.iterdir()}
    assert set(owners.values()) == {65534}, owners
