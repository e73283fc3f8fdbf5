"""MLflow's own encryption keys on this fleet (installed by presets.mlflow).

MLflow 3.17 encrypts the AI gateway's provider keys under a key derived from
MLFLOW_CRYPTO_KEK_PASSPHRASE (and MLFLOW_CRYPTO_KEK_VERSION), and webhook
secrets under MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY. The role keeps all three in
one environment file (KEYS_FILE); this helper works on the backend store with
them. Secrets travel in files and the environment, never on a command line,
and are never printed.

  adopt   --env-file ENV --keys-file KEYS
      Re-wrap, under the fleet's passphrase, the provider keys a server stored
      under MLflow's published default passphrase (the one it uses when none is
      set: every installation before this fleet had its own). Idempotent: keys
      that do not open under the default are left alone.
  rotate  --env-file ENV --keys-file KEYS --next-file NEXT
      MLflow's own `mlflow crypto rotate-kek` from the passphrase and version in
      KEYS to the passphrase in NEXT (whose version must be KEYS' + 1), run with
      the servers stopped. Idempotent: nothing left at the old version, nothing
      to do.
  check   --env-file ENV --keys-file KEYS
      Try every stored provider key and webhook secret with the keys in KEYS:
      {"changed": false, "provider_keys": N, "webhook_secrets": M,
       "unreadable": [names...]}; exits 1 when any is unreadable.
  next    --keys-file KEYS --next-file NEXT [--passphrase-file FILE]
      Write NEXT (mode 0600) unless it exists: KEYS with the passphrase in FILE
      (its only line) or a generated one, and the version after KEYS'.

Each prints one JSON object: {"changed": bool, ...}.
"""

import argparse
import json
import os
import secrets
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mlflow_db import read_env  # noqa: E402

PASSPHRASE = "MLFLOW_CRYPTO_KEK_PASSPHRASE"
VERSION = "MLFLOW_CRYPTO_KEK_VERSION"
WEBHOOK_KEY = "MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY"


def write_keys(path, keys):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        for name in (WEBHOOK_KEY, PASSPHRASE, VERSION):
            handle.write(f"{name}={keys[name]}\n")


def store(env_file):
    from mlflow.tracking import _get_store

    return _get_store(read_env(env_file)["MLFLOW_BACKEND_STORE_URI"])


def store_session(env_file):
    return store(env_file).ManagedSessionMaker()


def check(args):
    import sqlalchemy
    from cryptography.fernet import Fernet, InvalidToken

    keys = read_env(args.keys_file)
    unreadable, provider_keys, webhook_secrets = [], 0, 0
    backend = store(args.env_file)
    try:
        from mlflow.store.tracking.dbmodels.models import SqlGatewaySecret
        from mlflow.utils.crypto import KEKManager, unwrap_dek
    except ImportError:
        SqlGatewaySecret = None
    if SqlGatewaySecret is not None:
        kek = KEKManager(passphrase=keys[PASSPHRASE], kek_version=int(keys[VERSION])).get_kek()
        with backend.ManagedSessionMaker() as session:
            for secret in session.query(SqlGatewaySecret):
                provider_keys += 1
                try:
                    unwrap_dek(secret.wrapped_dek, kek)
                except Exception:  # noqa: BLE001 (any failure means unreadable)
                    unreadable.append(f"provider key {secret.secret_name}")
    fernet = Fernet(keys[WEBHOOK_KEY])
    with backend.engine.connect() as connection:
        if sqlalchemy.inspect(connection).has_table("webhooks"):
            rows = connection.execute(sqlalchemy.text(
                "SELECT name, secret FROM webhooks WHERE secret IS NOT NULL AND deleted_timestamp IS NULL"))
            for name, secret in rows:
                webhook_secrets += 1
                try:
                    fernet.decrypt(secret.encode())
                except InvalidToken:
                    unreadable.append(f"webhook {name}")
    print(json.dumps({"changed": False, "provider_keys": provider_keys, "webhook_secrets": webhook_secrets,
                      "unreadable": unreadable}))
    sys.exit(1 if unreadable else 0)


def stored_provider_keys(env_file, version):
    """How many provider keys the store holds at this KEK version, read with
    SQLAlchemy alone (importing MLflow costs seconds on every run)."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(read_env(env_file)["MLFLOW_BACKEND_STORE_URI"],
                                      poolclass=sqlalchemy.pool.NullPool)
    try:
        with engine.connect() as connection:
            if not sqlalchemy.inspect(connection).has_table("secrets"):
                return 0
            return connection.execute(sqlalchemy.text("SELECT COUNT(*) FROM secrets WHERE kek_version = :version"),
                                      {"version": version}).scalar()
    finally:
        engine.dispose()


def adopt(args):
    keys = read_env(args.keys_file)
    version = int(keys[VERSION])
    if stored_provider_keys(args.env_file, version) == 0:
        print(json.dumps({"changed": False, "adopted": []}))
        return

    from mlflow.exceptions import MlflowException

    try:
        from mlflow.store.tracking.dbmodels.models import SqlGatewaySecret
        from mlflow.utils.crypto import DEFAULT_KEK_PASSPHRASE, KEKManager, rotate_secret_encryption
    except ImportError:  # a release without the gateway's stored keys
        print(json.dumps({"changed": False, "adopted": []}))
        return

    default = KEKManager(passphrase=DEFAULT_KEK_PASSPHRASE, kek_version=version)
    fleet = KEKManager(passphrase=keys[PASSPHRASE], kek_version=version)
    adopted = []
    with store_session(args.env_file) as session:
        for secret in session.query(SqlGatewaySecret).filter(SqlGatewaySecret.kek_version == version):
            try:
                rotated = rotate_secret_encryption(secret.encrypted_value, secret.wrapped_dek, default, fleet)
            except MlflowException:
                continue  # not under the default: the fleet's already
            secret.wrapped_dek = rotated.wrapped_dek
            adopted.append(secret.secret_name)
    print(json.dumps({"changed": bool(adopted), "adopted": adopted}))


def rotate(args):
    from mlflow.cli.crypto import commands

    old, new = read_env(args.keys_file), read_env(args.next_file)
    if int(new[VERSION]) != int(old[VERSION]) + 1 or new[WEBHOOK_KEY] != old[WEBHOOK_KEY]:
        sys.exit(f"{args.next_file} must hold the version after {args.keys_file}'s and the same webhook key")
    os.environ.update({
        PASSPHRASE: old[PASSPHRASE],
        VERSION: old[VERSION],
        "MLFLOW_BACKEND_STORE_URI": read_env(args.env_file)["MLFLOW_BACKEND_STORE_URI"],
        # click reads the option --new-passphrase of `rotate-kek` from here.
        "MLFLOW_CRYPTO_ROTATE_KEK_NEW_PASSPHRASE": new[PASSPHRASE],
    })
    real_stdout, sys.stdout = sys.stdout, sys.stderr  # MLflow's report goes to stderr
    try:
        commands.main(["rotate-kek", "--yes"], prog_name="mlflow crypto", auto_envvar_prefix="MLFLOW_CRYPTO",
                      standalone_mode=False)
    finally:
        sys.stdout = real_stdout
    print(json.dumps({"changed": True, "from_version": int(old[VERSION]), "to_version": int(new[VERSION])}))


def next_keys(args):
    if os.path.exists(args.next_file):
        print(json.dumps({"changed": False}))
        return
    keys = read_env(args.keys_file)
    passphrase = secrets.token_urlsafe(48)
    if args.passphrase_file and os.path.exists(args.passphrase_file):
        with open(args.passphrase_file, encoding="utf-8") as handle:
            passphrase = handle.read().strip()
    if passphrase == keys[PASSPHRASE]:
        sys.exit("the new KEK passphrase is the one in use")
    write_keys(args.next_file, {**keys, PASSPHRASE: passphrase, VERSION: int(keys[VERSION]) + 1})
    print(json.dumps({"changed": True}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, func in (("adopt", adopt), ("check", check), ("rotate", rotate), ("next", next_keys)):
        command = sub.add_parser(name)
        command.set_defaults(func=func)
        command.add_argument("--keys-file", required=True)
        if name != "next":
            command.add_argument("--env-file", required=True)
        if name in ("rotate", "next"):
            command.add_argument("--next-file", required=True)
        if name == "next":
            command.add_argument("--passphrase-file")
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
