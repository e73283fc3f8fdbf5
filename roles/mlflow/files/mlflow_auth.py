"""The administrator of MLflow's basic-auth app, kept as declared in its store.

Run with the MLflow virtualenv's Python as the service user (--check: change
nothing, report what would change). Secrets come on
stdin as JSON (never on a command line); the output is JSON without them:
{"changed": bool, "changes": ["what", ...]}.

  mlflow_auth.py admin   {"database_uri", "username", "password", "revisions"}
      In the auth store itself (so no old password is needed): create the
      admin, or set its password when the declared one does not log in.
      The schema is migrated to this MLflow release first. With "revisions"
      (the file mlflow_db.py revisions writes), a store already at this
      release's schema whose admin logs in is only read.

The admin is set in the auth store directly, on the host, so that a rotation
needs no old password and the first admin exists before the server answers.
Other users and permissions go through the REST API with the collection's
modules (presets.mlflow.user, presets.mlflow.permission).
"""

import inspect
import json
import os
import re
import sys


def admin_as_declared(uri, name, password, revisions_file):
    """Whether the admin already logs in with the declared password in a store
    at this release's schema, read with SQLAlchemy and werkzeug alone (MLflow's
    auth store takes seconds to import on every run). Anything else -- no
    store, an older schema, another password -- takes the full path."""
    import sqlalchemy
    from werkzeug.security import check_password_hash

    try:
        with open(revisions_file, encoding="utf-8") as handle:
            auth_head = json.load(handle)["auth_head"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    if not auth_head or (uri.startswith("sqlite:///") and not os.path.exists(uri[len("sqlite:///"):])):
        return False
    engine = sqlalchemy.create_engine(uri, poolclass=sqlalchemy.pool.NullPool)
    try:
        with engine.connect() as conn:
            tables = sqlalchemy.inspect(conn)
            if not (tables.has_table("alembic_version_auth") and tables.has_table("users")):
                return False
            if conn.execute(sqlalchemy.text("SELECT version_num FROM alembic_version_auth")).scalar() != auth_head:
                return False
            row = conn.execute(sqlalchemy.text("SELECT password_hash, is_admin FROM users WHERE username = :name"),
                               {"name": name}).first()
    except sqlalchemy.exc.SQLAlchemyError:
        return False
    finally:
        engine.dispose()
    return row is not None and bool(row[1]) and check_password_hash(row[0], password)


def admin(spec, dry):
    uri, name, password = spec["database_uri"], spec["username"], spec["password"]
    if spec.get("revisions") and admin_as_declared(uri, name, password, spec["revisions"]):
        return []

    from mlflow.server.auth.sqlalchemy_store import SqlAlchemyStore

    if dry and uri.startswith("sqlite:///") and not os.path.exists(uri[len("sqlite:///"):]):
        return [f"create the auth database and admin user {name}"]
    store = SqlAlchemyStore()
    store.init_db(uri)
    # Newer releases read replicas unless told otherwise; older ones have one DB.
    primary = (
        {"use_primary": True}
        if "use_primary" in inspect.signature(store.has_user).parameters
        else {}
    )
    changes = []
    if not store.has_user(name, **primary):
        dry or store.create_user(name, password, is_admin=True)
        changes.append(f"created admin user {name}")
    else:
        if not store.authenticate_user(name, password, **primary):
            dry or store.update_user(name, password=password)
            changes.append(f"set the password of admin user {name}")
        if not store.get_user(name).is_admin:
            dry or store.update_user(name, is_admin=True)
            changes.append(f"made {name} an admin")
    return changes


def _mask(text, spec):
    """The message without any password of the spec or of a URI."""
    secrets = [spec.get("password")]
    for secret in filter(None, secrets):
        text = text.replace(secret, "********")
    return re.sub(r"://([^:/@\s]+):[^@\s]*@", r"://\1:********@", text)


def main(argv):
    args = argv[1:]
    dry = "--check" in args
    args = [a for a in args if a != "--check"]
    if len(args) != 1 or args[0] != "admin":
        raise SystemExit(__doc__)
    os.umask(0o027)
    spec = json.load(sys.stdin)
    try:
        changes = admin(spec, dry)
    except (Exception, SystemExit) as err:  # noqa: BLE001 - reported, with secrets masked
        text = err.code if isinstance(err, SystemExit) else f"{type(err).__name__}: {err}"
        raise SystemExit(_mask(str(text), spec)) from None
    json.dump({"changed": bool(changes), "changes": changes}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
