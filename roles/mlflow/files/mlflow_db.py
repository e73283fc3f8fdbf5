# Managed by presets.mlflow: report and migrate the MLflow backend store schema.
#
# Run with the Python of an MLflow virtualenv, as the service user:
#   mlflow_db.py status  --env-file /etc/mlflow/mlflow.env [--revisions FILE]
#   mlflow_db.py upgrade --env-file /etc/mlflow/mlflow.env --backup-dir DIR
#   mlflow_db.py revisions --output FILE
#   mlflow_db.py contents --env-file /etc/mlflow/mlflow.env [--auth-config FILE] --stores LIST
#   mlflow_db.py move --env-file /etc/mlflow/mlflow.env [--auth-config FILE] --backup-dir DIR < NEW
# The backend URI (and any password in it) is read from the environment file,
# so it never appears on a command line. Prints one JSON object.
#
# `contents` counts what the stores the server runs with now hold (backend,
# artifacts, auth), for the role's check that no store holding data is left
# behind when a setting changes. It runs as root and only reads.
#
# `move` copies the SQLite stores the server runs with now (backend, and the
# login's where it has one) into the databases named by a JSON object on stdin
# ({"backend": URI, "auth": URI}): the schema made at the same revision by MLflow
# itself, every row in one transaction per store, the counts compared, the
# sequences set past the copied ids. The SQLite files are backed up first and
# kept. A database that already holds exactly the store's rows is left as it is
# (a re-run); one that holds anything else is refused.
#
# With {"artifacts": {"root": "s3://...", "env": {...}, "proxied": bool}} too,
# `move` copies the local artifact files into the bucket with the same layout
# (each one's size and checksum compared) and points every full artifact URI of
# the store the server will run on at the bucket.
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
import urllib.parse


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


# What counts as data a user would miss: the Default experiment (id 0) is in
# every new store, the role makes the admin and the metrics user itself.
_BACKEND_COUNTS = {
    "experiments": "SELECT COUNT(*) FROM experiments WHERE experiment_id <> 0",
    "runs": "SELECT COUNT(*) FROM runs",
    "registered_models": "SELECT COUNT(*) FROM registered_models",
    "logged_models": "SELECT COUNT(*) FROM logged_models",
    "traces": "SELECT COUNT(*) FROM trace_info",
    "webhooks": "SELECT COUNT(*) FROM webhooks",
}
# Grants, each row a user's (the role's own users' are not counted).
_PERMISSION_TABLES = ("experiment_permissions", "registered_model_permissions",
                      "scorer_permissions", "gateway_secret_permissions",
                      "gateway_endpoint_permissions", "gateway_model_definition_permissions",
                      "workspace_permissions", "user_role_assignments")
# The table alembic keeps each store's schema revision in.
_VERSION_TABLE = {"backend": "alembic_version", "auth": "alembic_version_auth"}


def _count_rows(execute, tables, queries):
    """The queries' counts that are not 0: an empty store gives {}."""
    counts = {}
    for name, sql in queries.items():
        table = sql.split(" FROM ", 1)[1].split()[0]
        if table in tables:
            counts[name] = int(execute(sql))
    return {name: count for name, count in counts.items() if count}


def _auth_queries(managed_users):
    """Users, roles and grants, but those of the users the role makes itself (the admin, the
    metrics user: MLflow gives the admin a role of its own for what it creates)."""
    names = ", ".join("'" + name.replace("'", "''") + "'" for name in managed_users) or "''"
    managed = f"(SELECT id FROM users WHERE username IN ({names}))"
    theirs = f"(SELECT role_id FROM user_role_assignments WHERE user_id IN {managed})"
    queries = {"users": f"SELECT COUNT(*) FROM users WHERE username NOT IN ({names})",
               "roles": f"SELECT COUNT(*) FROM roles WHERE id NOT IN {theirs}",
               "role_permissions": f"SELECT COUNT(*) FROM role_permissions WHERE role_id NOT IN {theirs}"}
    for table in _PERMISSION_TABLES:
        queries[table] = f"SELECT COUNT(*) FROM {table} WHERE user_id NOT IN {managed}"
    return queries


def _count_sqlite(path, queries):
    """Count with the file opened read-only. Run as root, SQLite gives a -wal or -shm it makes
    the database file's owner (the service user), so the service can still open them."""
    if not os.path.exists(path):
        return {}
    conn = sqlite3.connect(f"file:{urllib.parse.quote(path)}?mode=ro", uri=True)
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        return _count_rows(lambda sql: conn.execute(sql).fetchone()[0], tables, queries)
    finally:
        conn.close()


def _count_sql(url, queries):
    import sqlalchemy

    engine = sqlalchemy.create_engine(url, poolclass=sqlalchemy.pool.NullPool)
    try:
        with engine.connect() as conn:
            tables = set(sqlalchemy.inspect(conn).get_table_names())
            return _count_rows(lambda sql: conn.execute(sqlalchemy.text(sql)).scalar(), tables, queries)
    finally:
        engine.dispose()


def count_store(url, queries):
    path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else None
    try:
        return _count_sqlite(path, queries) if path is not None else _count_sql(url, queries)
    except Exception as exc:  # pylint: disable=broad-except
        return {"error": f"{type(exc).__name__}: {exc}"}


def count_artifacts(root, env):
    """Files and bytes under a local directory or an S3 prefix."""
    if not root:
        return {}
    if root.startswith("s3://"):
        try:
            bucket, _slash, prefix = root[len("s3://"):].partition("/")
            files = size = 0
            for page in _s3_client(env).get_paginator("list_objects_v2").paginate(
                    Bucket=bucket, Prefix=prefix.rstrip("/") + "/" if prefix else ""):
                for item in page.get("Contents", []):
                    files += 1
                    size += item["Size"]
            return {"files": files, "bytes": size} if files else {}
        except Exception as exc:  # pylint: disable=broad-except
            return {"error": f"{type(exc).__name__}: {exc}"}
    directory = local_root(root)
    if directory is None:
        return {"error": f"cannot look into {root.split(':', 1)[0]}: stores"}
    files = size = 0
    for parent, _dirs, names in os.walk(directory):
        for name in names:
            with contextlib.suppress(OSError):
                size += os.lstat(os.path.join(parent, name)).st_size
                files += 1
    return {"files": files, "bytes": size} if files else {}


def read_auth_uri(path):
    import configparser

    parser = configparser.ConfigParser()
    parser.read(path, encoding="utf-8")
    return parser.get("mlflow", "database_uri", fallback=None)


def contents(env_file, auth_config, stores, managed_users):
    env = read_env(env_file)
    result = {}
    if "backend" in stores:
        result["backend"] = count_store(env["MLFLOW_BACKEND_STORE_URI"], _BACKEND_COUNTS)
    if "artifacts" in stores:
        root = env.get("MLFLOW_ARTIFACTS_DESTINATION") or env.get("MLFLOW_DEFAULT_ARTIFACT_ROOT") or ""
        result["artifacts"] = count_artifacts(root, env)
    if "auth" in stores:
        uri = read_auth_uri(auth_config) if auth_config else None
        result["auth"] = count_store(uri, _auth_queries(managed_users)) if uri else {}
    return result


def _table_counts(conn, tables):
    import sqlalchemy

    return {name: conn.execute(sqlalchemy.text(f'SELECT COUNT(*) FROM "{name}"')).scalar() for name in tables}


def _make_schema(kind, engine):
    """The store's schema at head, made by MLflow itself (the tracking store adds the Default experiment)."""
    if kind == "backend":
        from mlflow.store.db.utils import _initialize_tables

        _initialize_tables(engine)
    else:
        from mlflow.server.auth.db.utils import migrate

        migrate(engine, "head")


def _new_store_rows(kind):
    """What MLflow itself puts in a new store (the Default experiment, the default workspace...)."""
    import sqlalchemy

    engine = sqlalchemy.create_engine("sqlite://")
    try:
        _make_schema(kind, engine)
        with engine.connect() as conn:
            tables = [name for name in sqlalchemy.inspect(conn).get_table_names() if name != _VERSION_TABLE[kind]]
            return {name: count for name, count in _table_counts(conn, tables).items() if count}
    finally:
        engine.dispose()


def _head(kind, url):
    known = known_revisions(url)
    return known["head"] if kind == "backend" else known["auth_head"]


def move_store(kind, source, target, backup_dir):
    """Copy the SQLite store at source into the empty database at target."""
    import sqlalchemy

    path = sqlite_path(source)
    if path is None:
        raise SystemExit(f"the {kind} store is not SQLite: only a SQLite store is moved")
    head = _head(kind, source)
    version = _VERSION_TABLE[kind]
    src = sqlalchemy.create_engine(source, poolclass=sqlalchemy.pool.NullPool)
    dst = sqlalchemy.create_engine(target, poolclass=sqlalchemy.pool.NullPool)
    try:
        with src.connect() as conn:
            revision = conn.execute(sqlalchemy.text(f"SELECT version_num FROM {version}")).scalar()
        if revision != head:
            raise SystemExit(f"the {kind} store is at schema {revision}, this MLflow's is {head}: "
                             "apply the role first, which migrates it")
        source_meta = sqlalchemy.MetaData()
        source_meta.reflect(bind=src)
        with dst.connect() as conn:
            fresh = not sqlalchemy.inspect(conn).has_table(version)
        if fresh:
            _make_schema(kind, dst)
        target_meta = sqlalchemy.MetaData()
        target_meta.reflect(bind=dst)
        with dst.connect() as conn:
            target_revision = conn.execute(sqlalchemy.text(f"SELECT version_num FROM {version}")).scalar()
        if target_revision != revision:
            raise SystemExit(f"the new {kind} store is at schema {target_revision}, the old one at {revision}")
        tables = [t.name for t in target_meta.sorted_tables if t.name != version]
        missing = sorted(set(source_meta.tables) - set(target_meta.tables) - {version})
        if missing:
            raise SystemExit(f"the new {kind} store lacks the tables {', '.join(missing)}")
        with src.connect() as conn:
            want = _table_counts(conn, [t for t in tables if t in source_meta.tables])
        with dst.connect() as conn:
            have = _table_counts(conn, tables)
        result = {"store": kind, "revision": revision, "rows": sum(want.values()), "backup": None}
        if {t: n for t, n in have.items() if n} == {t: n for t, n in want.items() if n}:
            return dict(result, changed=False)  # moved before: the same rows are there
        extra = {t: n for t, n in have.items() if n and n != _new_store_rows(kind).get(t)}
        if extra:
            raise SystemExit(f"the new {kind} store is not empty ("
                             + ", ".join(f"{t} {n}" for t, n in sorted(extra.items()))
                             + "): it is left as it is")
        result["backup"] = backup_sqlite(path, backup_dir, revision)
        with src.connect() as read, dst.begin() as write:
            for name in reversed(tables):
                write.execute(target_meta.tables[name].delete())
            for name in tables:
                if name not in source_meta.tables:
                    continue
                table = target_meta.tables[name]
                columns = [c for c in source_meta.tables[name].columns if c.name in table.columns]
                rows = read.execution_options(yield_per=2000).execute(sqlalchemy.select(*columns))
                for chunk in rows.partitions():
                    write.execute(table.insert(), [dict(row._mapping) for row in chunk])
            copied = _table_counts(write, list(want))
            if copied != want:
                bad = {t: (want[t], copied[t]) for t in want if want[t] != copied[t]}
                raise SystemExit(f"the {kind} store's rows differ after the copy (old, new): {bad}")
            if dst.dialect.name == "postgresql":
                _reset_sequences(write, target_meta, tables)
        return dict(result, changed=True)
    finally:
        src.dispose()
        dst.dispose()


def _reset_sequences(conn, meta, tables):
    """Set each serial column's sequence past the copied ids, as if they had been made here."""
    import sqlalchemy

    for name in tables:
        for column in meta.tables[name].columns:
            sequence = conn.execute(sqlalchemy.text("SELECT pg_get_serial_sequence(:t, :c)"),
                                    {"t": f'"{name}"', "c": column.name}).scalar()
            if sequence:
                conn.execute(sqlalchemy.text(
                    f'SELECT setval(:s, COALESCE((SELECT MAX("{column.name}") FROM "{name}"), 0) + 1, false)'),
                    {"s": sequence})


# Where MLflow keeps a full artifact URI: each row's value is rewritten when the
# artifacts move (trace_tags: the key mlflow.artifactLocation only).
_URI_COLUMNS = (("experiments", "artifact_location", None), ("runs", "artifact_uri", None),
                ("model_versions", "source", None), ("model_versions", "storage_location", None),
                ("logged_models", "artifact_location", None),
                ("trace_tags", "value", ("key", "mlflow.artifactLocation")))
_PART = 64 * 1024 * 1024  # multipart above this size, in parts of it


def local_root(root):
    """The directory of a local artifact root (a path or a file: URI), or None."""
    if root.startswith("file:"):
        return urllib.parse.urlparse(root).path.rstrip("/") or "/"
    if "://" in root or root.startswith("mlflow-artifacts:"):
        return None
    return root.rstrip("/") or "/"


def _s3_client(env):
    """A client for the new store, with the settings the server gets (the role's S3 variables,
    mlflow_env) before this process's own."""
    import boto3
    from botocore.config import Config

    env = {**os.environ, **{k: v for k, v in env.items() if v}}
    insecure = env.get("MLFLOW_S3_IGNORE_TLS", "").lower() == "true"
    return boto3.client("s3", endpoint_url=env.get("MLFLOW_S3_ENDPOINT_URL") or None,
                        aws_access_key_id=env.get("AWS_ACCESS_KEY_ID") or None,
                        aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY") or None,
                        region_name=env.get("AWS_DEFAULT_REGION") or env.get("AWS_REGION") or None,
                        verify=False if insecure else env.get("AWS_CA_BUNDLE") or None,
                        config=Config(retries={"max_attempts": 5, "mode": "standard"}))


def _checksums(path, size):
    """The file's MD5 per part (base64, for Content-MD5), and the ETag S3 gives the object."""
    import base64
    import hashlib

    digests = []
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_PART), b""):
            digests.append(hashlib.md5(chunk, usedforsecurity=False).digest())
    digests = digests or [hashlib.md5(b"", usedforsecurity=False).digest()]
    md5s = [base64.b64encode(digest).decode() for digest in digests]
    if size <= _PART:
        return md5s, digests[0].hex()
    return md5s, hashlib.md5(b"".join(digests), usedforsecurity=False).hexdigest() + f"-{len(digests)}"


def _put(client, bucket, key, path, size, md5s):
    if size <= _PART:
        with open(path, "rb") as handle:
            client.put_object(Bucket=bucket, Key=key, Body=handle, ContentLength=size, ContentMD5=md5s[0])
        return
    upload = client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    try:
        done = []
        with open(path, "rb") as handle:
            for number, md5 in enumerate(md5s, start=1):
                chunk = handle.read(_PART)
                etag = client.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=number,
                                          Body=chunk, ContentMD5=md5)["ETag"]
                done.append({"ETag": etag, "PartNumber": number})
        client.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload,
                                         MultipartUpload={"Parts": done})
    except BaseException:
        with contextlib.suppress(Exception):
            client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload)
        raise


def move_artifacts(source, target, env):
    """Copy the files under the local artifact root source to the S3 prefix target, same layout.

    Each file is sent with its MD5 (the store refuses a body that does not match) and then
    compared by size and ETag; a file already there with the same size and checksum is left
    (a re-run). Objects under the prefix that are not the server's files are refused.
    """
    from concurrent.futures import ThreadPoolExecutor

    root = local_root(source)
    if root is None:
        raise SystemExit(f"the artifacts are not on this host ({source}): only local artifacts are moved")
    if not target.startswith("s3://"):
        raise SystemExit("artifacts move to an s3:// root only")
    bucket, _slash, prefix = target[len("s3://"):].partition("/")
    prefix = prefix.strip("/")
    files = {}
    for directory, _dirs, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            if os.path.isfile(path) and not os.path.islink(path):
                rel = os.path.relpath(path, root).replace(os.sep, "/")
                files[f"{prefix}/{rel}" if prefix else rel] = path
    client = _s3_client(env)
    there = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket,
                                                                 Prefix=f"{prefix}/" if prefix else ""):
        for item in page.get("Contents", []):
            there[item["Key"]] = (item["Size"], item["ETag"].strip('"'))
    foreign = sorted(set(there) - set(files))
    if foreign:
        raise SystemExit(f"{target} holds {len(foreign)} objects that are not this server's artifacts "
                         f"(for example {foreign[0]}): it is left as it is")

    def one(key):
        path = files[key]
        size = os.path.getsize(path)
        md5s, etag = _checksums(path, size)
        if key in there:
            if there[key] == (size, etag):
                return size, False
            raise SystemExit(f"{target} holds {key} with other contents than {path}: it is left as it is")
        _put(client, bucket, key, path, size, md5s)
        head = client.head_object(Bucket=bucket, Key=key)
        if (head["ContentLength"], head["ETag"].strip('"')) != (size, etag):
            raise SystemExit(f"{key} differs in the bucket from {path} after the copy "
                             f"(size {head['ContentLength']} against {size})")
        return size, True

    with ThreadPoolExecutor(max_workers=8) as pool:
        done = list(pool.map(one, sorted(files)))
    return {"store": "artifacts", "files": len(done), "bytes": sum(size for size, _new in done),
            "copied": sum(1 for _size, new in done if new), "changed": any(new for _size, new in done)}


def rewrite_uris(url, source, target, direct, backup_dir=None):
    """Point every full artifact URI under the old root (a path, file: URI, or with direct
    access, mlflow-artifacts:/) at the same place under the new one. Returns the rows changed."""
    import sqlalchemy

    root = local_root(source)
    target = target.rstrip("/")
    olds = [root, f"file://{root}", f"file:{root}"] + (["mlflow-artifacts:"] if direct else [])
    engine = sqlalchemy.create_engine(url, poolclass=sqlalchemy.pool.NullPool)
    try:
        meta = sqlalchemy.MetaData()
        meta.reflect(bind=engine, only=lambda name, _meta: name in {t for t, _c, _w in _URI_COLUMNS})
        clauses = []
        for table_name, column_name, where in _URI_COLUMNS:
            table = meta.tables.get(table_name)
            if table is None or column_name not in table.columns:
                continue
            column = table.columns[column_name]
            for old in olds:
                match = sqlalchemy.or_(column == old, column.startswith(old.rstrip("/") + "/", autoescape=True))
                if where:
                    match = sqlalchemy.and_(table.columns[where[0]] == where[1], match)
                tail = sqlalchemy.func.substr(column, len(old.rstrip("/")) + 1)
                if old == "mlflow-artifacts:":  # mlflow-artifacts:/1/... -> s3://bucket/prefix/1/...
                    match = sqlalchemy.and_(match, column.startswith("mlflow-artifacts:/"),
                                            sqlalchemy.not_(column.startswith("mlflow-artifacts://")))
                clauses.append((table, column, match, tail))
        with engine.connect() as conn:
            pending = sum(conn.execute(sqlalchemy.select(sqlalchemy.func.count()).select_from(table)
                                       .where(match)).scalar() for table, _c, match, _t in clauses)
        if not pending:
            return 0
        path = sqlite_path(url)
        if path is not None and backup_dir:
            with engine.connect() as conn:
                revision = conn.execute(sqlalchemy.text("SELECT version_num FROM alembic_version")).scalar()
            backup_sqlite(path, backup_dir, revision)
        changed = 0
        with engine.begin() as conn:
            for table, column, match, tail in clauses:
                changed += conn.execute(table.update().where(match).values(
                    {column.name: sqlalchemy.literal(target, sqlalchemy.String) + tail})).rowcount
        return changed
    finally:
        engine.dispose()


def move(env_file, auth_config, backup_dir, new):
    env = read_env(env_file)
    results = []
    old = {"backend": env.get("MLFLOW_BACKEND_STORE_URI"),
           "auth": read_auth_uri(auth_config) if auth_config and os.path.exists(auth_config) else None,
           "artifacts": env.get("MLFLOW_ARTIFACTS_DESTINATION") or env.get("MLFLOW_DEFAULT_ARTIFACT_ROOT")}
    artifacts = new.get("artifacts") or {}
    try:
        for kind in ("backend", "auth"):
            if new.get(kind) and old[kind] and new[kind] != old[kind]:
                results.append(move_store(kind, old[kind], new[kind], backup_dir))
        if artifacts.get("root") and old["artifacts"]:
            result = move_artifacts(old["artifacts"], artifacts["root"], artifacts.get("env") or {})
            # the store the server will run on: the new one where it moved
            url = new.get("backend") or old["backend"]
            result["uris"] = rewrite_uris(url, old["artifacts"], artifacts["root"],
                                          not artifacts.get("proxied", True), backup_dir)
            result["changed"] = result["changed"] or result["uris"] > 0
            results.append(result)
    except SystemExit:
        raise
    except Exception as exc:  # pylint: disable=broad-except
        # one line the role shows; sqlalchemy's and botocore's messages hold no password
        raise SystemExit(f"the move failed: {type(exc).__name__}: " + str(exc).strip().splitlines()[0]) from exc
    return {"changed": any(r["changed"] for r in results), "stores": results}


def main(argv):
    os.umask(0o027)  # like the service (UMask=0027): new store files are not world-readable
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("action", choices=["status", "upgrade", "revisions", "contents", "move"])
    parser.add_argument("--env-file")
    parser.add_argument("--backup-dir", default=None)
    parser.add_argument("--revisions", default=None, help="file written by the action revisions")
    parser.add_argument("--output", default=None)
    parser.add_argument("--auth-config", default=None)
    parser.add_argument("--stores", default="", help="contents: backend,artifacts,auth")
    parser.add_argument("--managed-user", action="append", default=[],
                        help="contents: a user the role makes itself (not counted)")
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
    if args.action == "contents":
        json.dump(contents(args.env_file, args.auth_config, args.stores.split(","), args.managed_user),
                  sys.stdout)
        sys.stdout.write("\n")
        return 0
    if args.action == "move":
        if not args.backup_dir:
            raise SystemExit("move needs --backup-dir")
        json.dump(move(args.env_file, args.auth_config, args.backup_dir, json.load(sys.stdin)), sys.stdout)
        sys.stdout.write("\n")
        return 0
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
