# Managed by presets.mlflow: report and migrate the MLflow backend store schema.
#
# Run with the Python of an MLflow virtualenv, as the service user:
#   mlflow_db.py status  --env-file /etc/mlflow/mlflow.env [--revisions FILE]
#   mlflow_db.py upgrade --env-file /etc/mlflow/mlflow.env --backup-dir DIR
#   mlflow_db.py revisions --output FILE
# The backend URI (and any password in it) is read from the environment file,
# so it never appears on a command line. Prints one JSON object.
#
# `revisions` writes the schema revisions the release knows (its migration
# scripts never change): `status` with that file reads only the store, without
# importing MLflow (seconds of start-up on every run otherwise).
import argparse
import contextlib
import json
import os
import shlex
import sqlite3
import sys
import time


def read_env(path):
    env = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            key, _sep, value = line.partition("=")
            parts = shlex.split(value)
            env[key.strip()] = parts[0] if parts else ""
    return env


def sqlite_path(url):
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return parsed.database if parsed.get_backend_name() == "sqlite" else None


def known_revisions(url="sqlite://"):
    """The head revision of this release's schema and every revision it knows."""
    from alembic.script import ScriptDirectory
    from mlflow.store.db.utils import _get_alembic_config

    scripts = ScriptDirectory.from_config(_get_alembic_config(url))
    known = {"head": scripts.get_current_head(),
             "revisions": sorted(script.revision for script in scripts.walk_revisions())}
    try:  # the basic-auth app's store has migrations of its own
        from mlflow.server.auth.db.utils import _get_alembic_config as auth_alembic_config

        known["auth_head"] = ScriptDirectory.from_config(auth_alembic_config(url)).get_current_head()
    except ImportError:
        known["auth_head"] = None
    return known


def read_revisions(path):
    if path:
        try:
            with open(path, encoding="utf-8") as handle:
                return json.load(handle)
        except (OSError, ValueError):
            pass  # not written yet (or damaged): ask the release itself
    return None


def inspect(url, revisions=None):
    """Current and head alembic revisions, and SQLite's journal mode."""
    import sqlalchemy

    revisions = revisions or known_revisions(url)
    head = revisions["head"]
    path = sqlite_path(url)
    state = {"backend": "sqlite" if path else url.split(":", 1)[0], "head": head,
             "current": None, "known": True, "journal_mode": None}
    if path is not None and not os.path.exists(path):
        return state  # a new store: nothing to read, and nothing to create here
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as conn:
            if sqlalchemy.inspect(conn).has_table("alembic_version"):
                state["current"] = conn.execute(
                    sqlalchemy.text("SELECT version_num FROM alembic_version")).scalar()
            if path is not None:
                state["journal_mode"] = conn.execute(sqlalchemy.text("PRAGMA journal_mode")).scalar()
    finally:
        engine.dispose()
    if state["current"] is not None:
        state["known"] = state["current"] in revisions["revisions"]  # else a newer MLflow's: no way down
    return state


def backup_sqlite(path, backup_dir, revision):
    os.makedirs(backup_dir, mode=0o700, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    target = os.path.join(backup_dir, f"{os.path.basename(path)}.{revision}.{stamp}")
    src = sqlite3.connect(path)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # consistent copy, WAL included
    finally:
        dst.close()
        src.close()
    os.chmod(target, 0o600)
    return target


# Take and release a lock the servers of one store agree on. pg_advisory_lock
# waits for ever; GET_LOCK gives up after an hour and then returns 0.
_LOCKS = {
    "postgresql": ("SELECT pg_advisory_lock(120312342278007)",  # "mlflow" as a number
                   "SELECT pg_advisory_unlock(120312342278007)"),
    "mysql": ("SELECT GET_LOCK('mlflow_db_upgrade', 3600)", "SELECT RELEASE_LOCK('mlflow_db_upgrade')"),
}


@contextlib.contextmanager
def store_lock(url):
    """Hold a lock in the store itself while migrating it.

    Several servers share one PostgreSQL or MySQL store: the first to get here
    migrates, the others wait and then find the schema at head. SQLite stores
    belong to one host and the service is stopped, so nothing is needed there.
    """
    import sqlalchemy

    backend = sqlalchemy.engine.make_url(url).get_backend_name()
    if backend not in _LOCKS:
        yield
        return
    take, release = (sqlalchemy.text(sql) for sql in _LOCKS[backend])
    engine = sqlalchemy.create_engine(url, poolclass=sqlalchemy.pool.NullPool)
    try:
        with engine.connect() as conn:
            if conn.execute(take).scalar() == 0:
                raise SystemExit("timed out waiting for another server's schema migration")
            conn.commit()
            try:
                yield
            finally:
                conn.execute(release)
                conn.commit()
    finally:
        engine.dispose()


def upgrade(url, backup_dir):
    with store_lock(url):
        return _upgrade_locked(url, backup_dir)


def _upgrade_locked(url, backup_dir):
    from mlflow.store.db.utils import _initialize_tables, _upgrade_db, create_sqlalchemy_engine

    before = inspect(url)
    if not before["known"]:
        raise SystemExit(f"the store's schema {before['current']} is newer than this MLflow knows")
    result = dict(before, changed=False, backup=None, before=before["current"])
    path = sqlite_path(url)
    if before["current"] != before["head"]:
        if path is not None and before["current"] is not None:
            result["backup"] = backup_sqlite(path, backup_dir, before["current"])
        engine = create_sqlalchemy_engine(url)
        try:
            if before["current"] is None:
                _initialize_tables(engine)  # a new store: create the schema at head
            else:
                _upgrade_db(engine)
        finally:
            engine.dispose()
        result["changed"] = True
    if path is not None and inspect(url)["journal_mode"] != "wal":
        # WAL lets readers work while a run logs; persistent in the file.
        conn = sqlite3.connect(path)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
        finally:
            conn.close()
        result["changed"] = True
    after = inspect(url)
    result.update(current=after["current"], journal_mode=after["journal_mode"])
    if after["current"] != after["head"]:
        raise SystemExit(f"schema is at {after['current']} after the upgrade, expected {after['head']}")
    return result


def main(argv):
    os.umask(0o027)  # like the service (UMask=0027): new store files are not world-readable
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("action", choices=["status", "upgrade", "revisions"])
    parser.add_argument("--env-file")
    parser.add_argument("--backup-dir", default=None)
    parser.add_argument("--revisions", default=None, help="file written by the action revisions")
    parser.add_argument("--output", default=None)
    args = parser.parse_args(argv)
    if args.action == "revisions":
        if not args.output:
            raise SystemExit("revisions needs --output")
        revisions = known_revisions()
        fd = os.open(args.output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.fchmod(fd, 0o644)  # read by the service user's `status`, whatever the umask
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(revisions, handle)
        json.dump({"changed": True}, sys.stdout)
        sys.stdout.write("\n")
        return 0
    if not args.env_file:
        raise SystemExit(f"{args.action} needs --env-file")
    url = read_env(args.env_file).get("MLFLOW_BACKEND_STORE_URI")
    if not url:
        raise SystemExit(f"MLFLOW_BACKEND_STORE_URI is not set in {args.env_file}")
    if args.action == "status":
        result = inspect(url, read_revisions(args.revisions))
    else:
        if not args.backup_dir:
            raise SystemExit("upgrade needs --backup-dir")
        result = upgrade(url, args.backup_dir)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
