#!/usr/bin/env python3
"""Users and permissions of MLflow's basic-auth app, kept as declared.

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

  mlflow_auth.py grants  {"url", "admin": [user, password], "users": [...],
                          "experiments": [...], "models": [...]}
      Through the REST API of the running server, as the admin: users
      (password, admin flag, absent), then experiment permissions (creating
      experiments that do not exist) and registered-model permissions.
"""

import base64
import inspect
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request


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


class Api:
    def __init__(self, url, user, password, dry=False):
        self.url = url.rstrip("/")
        self.auth = self._basic(user, password)
        self.dry = dry

    @staticmethod
    def _basic(user, password):
        return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    def call(self, method, path, body=None, query=None, auth=None):
        url = f"{self.url}/api/{path}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Authorization", auth or self.auth)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return resp.status, json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as err:
            payload = err.read()
            try:
                return err.code, json.loads(payload or b"{}")
            except ValueError:
                return err.code, {"message": payload.decode(errors="replace")[:300]}

    def must(self, method, path, body=None, query=None):
        if self.dry and method != "GET":
            return {"experiment_id": None}
        status, payload = self.call(method, path, body, query)
        if status != 200:
            raise SystemExit(
                f"{method} {path} answered {status}: {payload.get('message', payload)}"
            )
        return payload

    def logs_in(self, user, password):
        status, _ = self.call(
            "GET", USERS + "get", query={"username": user}, auth=self._basic(user, password)
        )
        return status == 200


USERS = "2.0/mlflow/users/"
PERMISSIONS = "3.0/mlflow/users/permissions/"


def grants(spec, dry):
    api = Api(spec["url"], *spec["admin"], dry=dry)
    changes = []

    for user in spec.get("users", []):
        name = user["name"]
        status, found = api.call("GET", USERS + "get", query={"username": name})
        if status not in (200, 404):
            raise SystemExit(f"users/get {name} answered {status}: {found.get('message', found)}")
        exists = status == 200
        if user.get("state", "present") == "absent":
            if exists:
                api.must("DELETE", USERS + "delete", {"username": name})
                changes.append(f"deleted user {name}")
            continue
        if not exists:
            api.must("POST", USERS + "create", {"username": name, "password": user["password"]})
            changes.append(f"created user {name}")
            is_admin = False
        else:
            is_admin = found["user"].get("is_admin", False)
            if not api.logs_in(name, user["password"]):
                api.must("PATCH", USERS + "update-password",
                         {"username": name, "password": user["password"]})
                changes.append(f"set the password of user {name}")
        if is_admin != user.get("admin", False):
            api.must("PATCH", USERS + "update-admin",
                     {"username": name, "is_admin": user.get("admin", False)})
            changes.append(f"set admin={user.get('admin', False)} for user {name}")

    wanted = []
    for grant in spec.get("experiments", []):
        exp = grant["experiment"]
        status, found = api.call("GET", "2.0/mlflow/experiments/get-by-name",
                                 query={"experiment_name": exp})
        if status == 200:
            exp_id = found["experiment"]["experiment_id"]
        elif status == 404:
            exp_id = api.must("POST", "2.0/mlflow/experiments/create", {"name": exp})["experiment_id"]
            changes.append(f"created experiment {exp}")
        else:
            raise SystemExit(f"experiments/get-by-name {exp} answered {status}: {found}")
        wanted.append((grant["user"], "experiment", exp_id, grant["permission"], f"experiment {exp}"))
    for grant in spec.get("models", []):
        wanted.append((grant["user"], "registered_model", grant["model"], grant["permission"],
                       f"registered model {grant['model']}"))

    held = {}
    for user, kind, resource, permission, what in wanted:
        if user not in held:
            status, found = api.call("GET", PERMISSIONS + "list", query={"username": user})
            if status == 404 and not dry:
                raise SystemExit(
                    f"{what}: there is no user {user}; declare it in mlflow_auth_users"
                )
            if status not in (200, 404):
                raise SystemExit(f"users/permissions/list {user} answered {status}: {found}")
            rows = found.get("permissions", []) if status == 200 else []
            # Direct grants live in the user's own synthetic role.
            held[user] = {
                (row["resource_type"], row["resource_pattern"]): row["permission"]
                for row in rows
                if row["role_name"].startswith("__user_")
            }
        current = held.get(user, {}).get((kind, resource))
        if current == permission:
            continue
        body = {"username": user, "resource_type": kind, "resource_id": resource}
        if current is not None:
            api.must("POST", PERMISSIONS + "revoke", body)
        api.must("POST", PERMISSIONS + "grant", dict(body, permission=permission))
        held.setdefault(user, {})[(kind, resource)] = permission
        changes.append(
            f"granted {permission} on {what} to {user}"
            + (f" (was {current})" if current else "")
        )
    return changes


def _mask(text, spec):
    """The message without any password of the spec or of a URI."""
    secrets = [spec.get("password"), *(spec.get("admin") or [None, None])[1:]]
    secrets += [u.get("password") for u in spec.get("users", [])]
    for secret in filter(None, secrets):
        text = text.replace(secret, "********")
    return re.sub(r"://([^:/@\s]+):[^@\s]*@", r"://\1:********@", text)


def main(argv):
    args = argv[1:]
    dry = "--check" in args
    args = [a for a in args if a != "--check"]
    if len(args) != 1 or args[0] not in ("admin", "grants"):
        raise SystemExit(__doc__)
    os.umask(0o027)
    spec = json.load(sys.stdin)
    try:
        changes = (admin if args[0] == "admin" else grants)(spec, dry)
    except (Exception, SystemExit) as err:  # noqa: BLE001 - reported, with secrets masked
        text = err.code if isinstance(err, SystemExit) else f"{type(err).__name__}: {err}"
        raise SystemExit(_mask(str(text), spec)) from None
    json.dump({"changed": bool(changes), "changes": changes}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
