# Managed by presets.mlflow: back up and restore an MLflow server's data.
#
#   mlflow_backup.py backup  --config /etc/mlflow/backup.json
#   mlflow_backup.py list    --config /etc/mlflow/backup.json
#   mlflow_backup.py restore --config /etc/mlflow/backup.json --backup NAME|latest [--check]
#
# Runs as root (systemd: mlflow-backup.service); backups are root's, 0600/0700.
# A backup is a directory DEST/YYYYmmddTHHMMSSZ holding the backend store (SQLite
# through its online backup API, never a copy of the live file, read as the
# service user so SQLite never makes files the server cannot open; PostgreSQL
# through pg_dump, its password in pg_dump's environment), the basic-auth store, the local artifacts, the service's secrets (MLflow's keys,
# the Flask secret key, the generated admin and metrics passwords, a generated
# TLS key and certificate: config `files`) and last its manifest.json: it
# is written as DEST/.partial-STAMP and renamed only when complete, so a failed
# backup (disk full, store unreachable) leaves no half backup behind and the
# earlier ones untouched. Artifact files are written once by MLflow: a file with
# the size and modification time of the previous backup's copy is hard-linked to
# it, so keeping N backups costs the new files only. The newest `keep` are kept.
#
# With a bucket in the configuration (`s3`: uri s3://BUCKET/PREFIX, endpoint_url,
# region, keys), each complete backup is then copied to PREFIX/NAME/ there,
# manifest.json last (a backup without it is incomplete: the next run deletes
# it); an artifact file hard-linked to the previous backup is copied inside the
# bucket instead of uploaded again; the newest `keep` complete ones are kept
# there too. A failed upload fails the run; the local backup stays. `list` and
# `restore` see the bucket's backups as well: one the host lacks (a fresh host)
# is downloaded into DEST first. Only this needs boto3 (MLflow's virtualenv).
#
# `restore` puts a backup's stores, files and artifacts in place of the host's
# (the service must be stopped, on every node sharing the store); what it
# replaces moves aside into the configuration's `aside` directory (a PostgreSQL
# database: a pg_dump of it), so nothing is lost. A PostgreSQL database is
# emptied of what MLflow's user owns and the dump loaded in one transaction. Secrets (URIs with
# passwords) stay in the root-only configuration file, never on a command line.
# Prints one JSON object.
import argparse
import datetime
import grp
import hashlib
import json
import os
import pwd
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
import urllib.parse

STAMP = re.compile(r"^[0-9]{8}T[0-9]{6}Z$")
MANIFEST = "manifest.json"


def sqlite_path(uri):
    """The file of a sqlite:/// URI, or None for other stores."""
    if not uri.startswith("sqlite:///"):
        return None
    return uri[len("sqlite:///"):].split("?", 1)[0]


def postgresql_env(uri):
    """libpq's environment for a postgresql[+driver]:// URI, or None for other stores."""
    parts = urllib.parse.urlsplit(uri)
    if parts.scheme.split("+", 1)[0] not in ("postgresql", "postgres"):
        return None
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    env.update({"PGHOST": parts.hostname or "localhost", "PGPORT": str(parts.port or 5432),
                "PGDATABASE": urllib.parse.unquote(parts.path.lstrip("/")), "PGCONNECT_TIMEOUT": "30",
                "PGAPPNAME": "mlflow-backup"})
    if parts.username:
        env["PGUSER"] = urllib.parse.unquote(parts.username)
    if parts.password:
        env["PGPASSWORD"] = urllib.parse.unquote(parts.password)
    known = {"sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT",
             "sslkey": "PGSSLKEY", "connect_timeout": "PGCONNECT_TIMEOUT", "options": "PGOPTIONS",
             "target_session_attrs": "PGTARGETSESSIONATTRS"}
    for key, value in urllib.parse.parse_qsl(parts.query):
        if key in known:
            env[known[key]] = value
    return env


def store_kind(uri):
    if sqlite_path(uri) is not None:
        return "sqlite"
    if postgresql_env(uri) is not None:
        return "postgresql"
    raise SystemExit(f"only SQLite and PostgreSQL stores can be backed up here, not {uri.split(':', 1)[0]}")


def run(argv, env, what, **kwargs):
    """argv with libpq's environment; a failure says what failed and pg_dump's own words."""
    done = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, check=False, **kwargs)
    if done.returncode != 0:
        raise SystemExit(f"{what} failed: {done.stderr.decode(errors='replace').strip()}")
    return done


def pg_dump(uri, target):
    env = postgresql_env(uri)
    run(["pg_dump", "--no-password", "--format=custom", "--no-owner", "--no-privileges", "--file", target], env,
        f"pg_dump of database {env['PGDATABASE']} on {env['PGHOST']}:{env['PGPORT']}")
    return {"file": os.path.basename(target), "format": "pg_dump", "database": env["PGDATABASE"],
            "sha256": sha256(target), "bytes": os.path.getsize(target)}


# Empties the database of what MLflow's user owns in its schema (tables with
# their indexes, constraints, triggers and sequences; views; types; functions), so that a dump of an
# older schema does not meet tables a later migration made.
PG_EMPTY = """
SET client_min_messages = warning;
DO $$
DECLARE item record;
BEGIN
  -- tables and views first: a table takes its own (serial, identity) sequences with it
  FOR item IN SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = current_schema() AND c.relowner = current_user::regrole
        AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') ORDER BY c.relkind = 'S' LOOP
    EXECUTE format('DROP %s IF EXISTS %I CASCADE',
      CASE item.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'
                        WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, item.relname);
  END LOOP;
  FOR item IN SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = current_schema() AND t.typowner = current_user::regrole
        AND (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND t.typrelid = 0)) LOOP
    EXECUTE format('DROP TYPE IF EXISTS %I CASCADE', item.typname);
  END LOOP;
  FOR item IN SELECT p.oid::regprocedure AS routine FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = current_schema() AND p.proowner = current_user::regrole AND p.prokind IN ('f', 'p') LOOP
    EXECUTE format('DROP ROUTINE IF EXISTS %s CASCADE', item.routine);
  END LOOP;
END $$;
"""


def pg_restore(dump, uri):
    """The dump in place of what the database holds, in one transaction."""
    env = postgresql_env(uri)
    with subprocess.Popen(["pg_restore", "--no-owner", "--no-privileges", "--file=-", dump],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as script, \
         subprocess.Popen(["psql", "--no-password", "--no-psqlrc", "--quiet", "--set", "ON_ERROR_STOP=1",
                           "--single-transaction", "--file=-"], env=env, stdin=subprocess.PIPE,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) as psql:
        try:
            psql.stdin.write(PG_EMPTY.encode())
            for chunk in iter(lambda: script.stdout.read(1 << 20), b""):
                psql.stdin.write(chunk)
            psql.stdin.close()
        except BrokenPipeError:  # psql stopped at an error: it says which
            script.kill()
        errors = psql.stderr.read().decode(errors="replace").strip()
        psql.wait()
        script.wait()
        problem = script.stderr.read().decode(errors="replace").strip()
    if psql.returncode != 0:
        raise SystemExit(f"loading {dump} into database {env['PGDATABASE']} on {env['PGHOST']} failed "
                         f"(nothing changed there): {errors}")
    if script.returncode != 0:
        raise SystemExit(f"pg_restore of {dump} failed: {problem}")


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sqlite_copy(path, target):
    """The online backup of the SQLite file path into target (run as the store's owner)."""
    # An absent store is no store: SQLite would make an empty one.
    if not os.path.exists(path):
        raise SystemExit(f"the store {path} does not exist")
    src = sqlite3.connect(path)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # a consistent copy, with what the WAL holds
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    except sqlite3.Error as error:
        raise SystemExit(f"mlflow_backup: copying {path} into {os.path.dirname(target)}: {error}") from error
    finally:
        dst.close()
        src.close()


def remove_tree(path):
    """rmtree, also of what the service user wrote: made root's first."""
    if not os.path.lexists(path):
        return
    os.lchown(path, 0, 0)
    for root, dirs, names in os.walk(path):
        for name in dirs + names:
            os.lchown(os.path.join(root, name), 0, 0)
    shutil.rmtree(path)


def backup_store(uri, partial, name, owner):
    """A consistent copy of the store at uri in partial: NAME.db (SQLite) or NAME.pgdump."""
    if store_kind(uri) == "postgresql":
        return pg_dump(uri, os.path.join(partial, name + ".pgdump"))
    return backup_sqlite(uri, os.path.join(partial, name + ".db"), owner)


def backup_sqlite(uri, target, owner):
    path = sqlite_path(uri)
    entry = pwd.getpwnam(owner)
    # The service user's own directory beside the backups (it may pass the
    # backup directory, 0710 root:OWNER, but not read any backup).
    partial = os.path.dirname(target)
    name = f".store-{os.path.basename(partial)}-{os.path.basename(target)}"
    work = os.path.join(os.path.dirname(partial), name)
    os.mkdir(work, 0o700)
    try:
        os.chown(work, entry.pw_uid, entry.pw_gid)
        copy = os.path.join(work, os.path.basename(target))
        copied = subprocess.run([sys.executable, os.path.abspath(__file__), "sqlite-copy", path, copy],
                                user=entry.pw_uid, group=entry.pw_gid, extra_groups=[], check=False)
        if copied.returncode != 0:  # it said why on stderr
            raise SystemExit(f"the copy of the store {path} failed")
        os.chown(work, 0, 0)
        os.chown(copy, 0, 0)
        os.chmod(copy, 0o600)
        os.rename(copy, target)
    finally:
        remove_tree(work)
    return {"file": os.path.basename(target), "sha256": sha256(target), "bytes": os.path.getsize(target)}


def backup_files(paths, target):
    """Copies of the service's secret files, with their owners and modes by name."""
    kept = []
    for path in paths:
        if not os.path.isfile(path):
            continue
        info = os.stat(path)
        copy = os.path.join(target, path.lstrip("/"))
        os.makedirs(os.path.dirname(copy), mode=0o700, exist_ok=True)
        shutil.copyfile(path, copy)
        os.chmod(copy, 0o600)
        kept.append({"path": path, "sha256": sha256(copy), "mode": f"{stat.S_IMODE(info.st_mode):04o}",
                     "owner": pwd.getpwuid(info.st_uid).pw_name, "group": grp.getgrgid(info.st_gid).gr_name})
    return kept


def copy_tree(src, dst, previous):
    """Copy src to dst; files unchanged since the previous backup are hard links to it."""
    files = size = linked = 0
    for root, dirs, names in os.walk(src):
        dirs.sort()
        rel = os.path.relpath(root, src)
        os.makedirs(os.path.join(dst, rel), mode=0o700, exist_ok=True)
        for name in sorted(names):
            source = os.path.join(root, name)
            info = os.lstat(source)
            if not stat.S_ISREG(info.st_mode):
                continue
            target = os.path.normpath(os.path.join(dst, rel, name))
            old = os.path.normpath(os.path.join(previous, rel, name)) if previous else None
            files += 1
            size += info.st_size
            if old and os.path.isfile(old):
                seen = os.lstat(old)
                if seen.st_size == info.st_size and int(seen.st_mtime) == int(info.st_mtime):
                    os.link(old, target)
                    linked += 1
                    continue
            shutil.copy2(source, target)
            os.chmod(target, 0o600)
    return {"dir": "artifacts", "files": files, "bytes": size, "linked": linked}


def backups(dest):
    """The complete backups in dest, oldest first."""
    if not os.path.isdir(dest):
        return []
    return sorted(name for name in os.listdir(dest)
                  if STAMP.match(name) and os.path.isfile(os.path.join(dest, name, MANIFEST)))


class Bucket:
    """The configuration's S3-compatible bucket: backups under PREFIX/NAME/."""

    def __init__(self, target):
        try:  # MLflow's virtualenv has it; only a bucket needs it
            import boto3  # pylint: disable=import-outside-toplevel
            from botocore.config import Config  # pylint: disable=import-outside-toplevel
        except ImportError as error:
            mlflow_python = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                         "current", "bin", "python")  # beside libexec/ in mlflow_install_dir
            raise SystemExit(f"a backup bucket ({target['uri']}) needs boto3: run this with the Python of "
                             f"MLflow's virtualenv ({mlflow_python}), not {sys.executable}") from error

        parts = urllib.parse.urlsplit(target["uri"])
        self.uri = target["uri"]
        self.bucket = parts.netloc
        self.prefix = parts.path.strip("/")
        self.client = boto3.client(
            "s3", endpoint_url=target.get("endpoint_url") or None, region_name=target.get("region") or None,
            aws_access_key_id=target.get("access_key_id") or None,
            aws_secret_access_key=target.get("secret_access_key") or None,
            config=Config(retries={"max_attempts": 5, "mode": "standard"}))

    def key(self, *parts):
        return "/".join(([self.prefix] if self.prefix else []) + list(parts))

    def _keys(self, start):
        """Every object key that begins with start."""
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=start):
            for item in page.get("Contents", []):
                yield item["Key"]

    def _names(self):
        """Every backup name under the prefix -> whether its manifest is there."""
        names = {}
        start = self.key("")
        for key in self._keys(start):
            name, _slash, rest = key[len(start):].partition("/")
            if STAMP.match(name):
                names[name] = names.get(name, False) or rest == MANIFEST
        return names

    def backups(self):
        """The complete backups in the bucket, oldest first."""
        return sorted(name for name, complete in self._names().items() if complete)

    def remove(self, name):
        keys = [{"Key": key} for key in self._keys(self.key(name, ""))]
        for first in range(0, len(keys), 1000):
            self.client.delete_objects(Bucket=self.bucket,
                                       Delete={"Objects": keys[first:first + 1000], "Quiet": True})

    def upload(self, dest, name, previous):
        """DEST/NAME into the bucket, manifest last; files linked to the previous backup copied there."""
        for old in [name for name, complete in self._names().items() if not complete]:
            self.remove(old)  # what an interrupted upload left
        local = os.path.join(dest, name)
        remote_previous = previous if previous and previous in self.backups() else None
        uploaded = copied = 0
        for root, dirs, names in os.walk(local):
            dirs.sort()
            for file in sorted(names):
                path = os.path.join(root, file)
                rel = os.path.relpath(path, local)
                if rel == MANIFEST:
                    continue
                old = os.path.join(dest, remote_previous, rel) if remote_previous else None
                if old and os.path.isfile(old) and os.path.samefile(old, path):
                    self.client.copy({"Bucket": self.bucket, "Key": self.key(remote_previous, *rel.split(os.sep))},
                                     self.bucket, self.key(name, *rel.split(os.sep)))
                    copied += 1
                else:
                    self.client.upload_file(path, self.bucket, self.key(name, *rel.split(os.sep)))
                    uploaded += 1
        self.client.upload_file(os.path.join(local, MANIFEST), self.bucket, self.key(name, MANIFEST))
        return {"uri": self.uri, "uploaded": uploaded + 1, "copied": copied}

    def download(self, dest, name):
        """The bucket's backup NAME into DEST/NAME (complete, or not at all)."""
        partial = os.path.join(dest, ".partial-" + name)
        remove_tree(partial)
        os.mkdir(partial, 0o700)
        try:
            start = self.key(name, "")
            for key in self._keys(start):
                target = os.path.normpath(os.path.join(partial, key[len(start):]))
                if not target.startswith(partial + os.sep):
                    raise SystemExit(f"the bucket's backup {name} holds an unsafe name: {key}")
                os.makedirs(os.path.dirname(target), mode=0o700, exist_ok=True)
                self.client.download_file(self.bucket, key, target)
            os.rename(partial, os.path.join(dest, name))
        except BaseException:
            remove_tree(partial)
            raise


def bucket(config):
    target = config.get("s3") or {}
    return Bucket(target) if target.get("uri") else None


def make_dest(config):
    dest = config["dest"]
    os.makedirs(dest, mode=0o710, exist_ok=True)
    os.chown(dest, 0, pwd.getpwnam(config["owner"]).pw_gid)
    os.chmod(dest, 0o710)
    return dest


def backup(config):
    dest = make_dest(config)
    for name in os.listdir(dest):  # what an interrupted run left
        if name.startswith((".partial-", ".store-")):
            remove_tree(os.path.join(dest, name))
    now = datetime.datetime.now(datetime.timezone.utc)
    name = now.strftime("%Y%m%dT%H%M%SZ")
    if name in backups(dest):
        raise SystemExit(f"a backup named {name} exists already")
    previous = backups(dest)[-1:]
    partial = os.path.join(dest, ".partial-" + name)
    os.mkdir(partial, 0o700)
    try:
        owner = config["owner"]
        manifest = {"created": now.isoformat(), "mlflow_version": config.get("mlflow_version"),
                    "store": backup_store(config["store"], partial, "mlflow", owner)}
        if config.get("auth_store") and config["auth_store"] != config["store"]:
            manifest["auth_store"] = backup_store(config["auth_store"], partial, "basic_auth", owner)
        manifest["files"] = backup_files(config.get("files", []), os.path.join(partial, "files"))
        if config.get("artifacts"):
            old = os.path.join(dest, previous[0], "artifacts") if previous else None
            manifest["artifacts"] = copy_tree(config["artifacts"], os.path.join(partial, "artifacts"), old)
        with open(os.path.join(partial, MANIFEST), "w", encoding="utf-8") as handle:
            json.dump(manifest, handle, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        os.rename(partial, os.path.join(dest, name))
    except BaseException:
        for name in os.listdir(dest):
            if name.startswith(".store-"):
                remove_tree(os.path.join(dest, name))
        remove_tree(partial)
        raise
    result = {"changed": True, "backup": name, "manifest": manifest}
    target = bucket(config)
    if target:
        try:
            result["s3"] = target.upload(dest, name, previous[0] if previous else None)
            result["s3"]["removed"] = []
            for old in target.backups()[:-max(int(config["keep"]), 1)]:
                target.remove(old)
                result["s3"]["removed"].append(old)
        except Exception as error:  # pylint: disable=broad-exception-caught
            if not bucket_error(error):
                raise
            # The run fails; the local backup stays.
            raise SystemExit(f"backup {name} is complete in {dest}, but copying it to {target.uri} "
                             f"failed: {error}") from error
    result["removed"] = []
    for old in backups(dest)[:-max(int(config["keep"]), 1)]:
        shutil.rmtree(os.path.join(dest, old))
        result["removed"].append(old)
    return result


def chown_tree(path, user):
    entry = pwd.getpwnam(user)
    os.chown(path, entry.pw_uid, entry.pw_gid)
    for root, dirs, names in os.walk(path):
        for name in dirs + names:
            os.lchown(os.path.join(root, name), entry.pw_uid, entry.pw_gid)


def find_backup(config, wanted):
    local = backups(config["dest"])
    target = bucket(config)
    remote = target.backups() if target else []
    found = sorted(set(local) | set(remote))
    where = config["dest"] + (f" or {target.uri}" if target else "")
    if not found:
        raise SystemExit(f"there is no complete backup in {where}")
    name = found[-1] if wanted == "latest" else wanted
    if name not in found:
        raise SystemExit(f"there is no complete backup {name} in {where}; there are: {', '.join(found)}")
    if name not in local:
        target.download(make_dest(config), name)
    path = os.path.join(config["dest"], name)
    with open(os.path.join(path, MANIFEST), encoding="utf-8") as handle:
        manifest = json.load(handle)
    for part in ("store", "auth_store"):
        if part in manifest and sha256(os.path.join(path, manifest[part]["file"])) != manifest[part]["sha256"]:
            raise SystemExit(f"backup {name} is damaged: {manifest[part]['file']} does not match its manifest")
    for kept in manifest.get("files", []):
        if sha256(os.path.join(path, "files", kept["path"].lstrip("/"))) != kept["sha256"]:
            raise SystemExit(f"backup {name} is damaged: its copy of {kept['path']} does not match its manifest")
    return name, path, manifest


def move_aside(path, aside):
    if os.path.lexists(path):
        os.makedirs(aside, mode=0o700, exist_ok=True)
        shutil.move(path, os.path.join(aside, os.path.basename(path)))  # /etc may be another file system


def restore_file(source, target, owner, group, mode, aside):
    for suffix in ("", "-wal", "-shm", "-journal"):
        move_aside(target + suffix, aside)
    os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
    temporary = target + ".restoring"
    shutil.copyfile(source, temporary)
    os.chown(temporary, pwd.getpwnam(owner).pw_uid, grp.getgrnam(group).gr_gid)
    os.chmod(temporary, mode)
    os.rename(temporary, target)


def backup_kind(part):
    return "postgresql" if part.get("format") == "pg_dump" else "sqlite"


def restore_store(part, path, uri, owner, aside):
    source = os.path.join(path, part["file"])
    if store_kind(uri) == "postgresql":
        os.makedirs(aside, mode=0o700, exist_ok=True)
        pg_dump(uri, os.path.join(aside, part["file"]))  # what the database held
        pg_restore(source, uri)
    else:
        restore_file(source, sqlite_path(uri), owner, owner, 0o640, aside)


def restore(config, wanted, check):
    name, path, manifest = find_backup(config, wanted)
    stores = [("store", config["store"])]
    if config.get("auth_store") and config["auth_store"] != config["store"]:
        stores.append(("auth_store", config["auth_store"]))
    for part, uri in stores:
        if part in manifest and backup_kind(manifest[part]) != store_kind(uri):
            raise SystemExit(f"backup {name} holds a {backup_kind(manifest[part])} {part}; this host's is "
                             f"{store_kind(uri)}")
    result = {"changed": not check, "backup": name, "created": manifest["created"],
              "mlflow_version": manifest.get("mlflow_version"), "aside": None}
    if check:
        return result
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    aside = os.path.join(config["aside"], "before-restore-" + stamp)
    user = config["owner"]
    for part, uri in stores:
        if part in manifest:
            restore_store(manifest[part], path, uri, user, aside)
    for kept in manifest.get("files", []):
        # Owners by name: a fresh host's service user has its own uid.
        restore_file(os.path.join(path, "files", kept["path"].lstrip("/")), kept["path"], kept["owner"],
                     kept["group"], int(kept["mode"], 8), os.path.join(aside, "files"))
    if "artifacts" in manifest and config.get("artifacts"):
        move_aside(config["artifacts"], aside)
        shutil.copytree(os.path.join(path, manifest["artifacts"]["dir"]), config["artifacts"])
        os.chmod(config["artifacts"], 0o750)
        chown_tree(config["artifacts"], user)
    result["aside"] = aside if os.path.exists(aside) else None
    return result


def main(argv):
    os.umask(0o077)
    parser = argparse.ArgumentParser(description="Back up and restore an MLflow server's data.")
    parser.add_argument("action", choices=["backup", "list", "restore", "sqlite-copy"])
    parser.add_argument("paths", nargs="*", help="sqlite-copy: SOURCE TARGET")
    parser.add_argument("--config")
    parser.add_argument("--backup", default="latest", help="restore: a backup's name, or latest")
    parser.add_argument("--check", action="store_true", help="restore: only check the backup")
    args = parser.parse_args(argv)
    if args.action == "sqlite-copy":
        sqlite_copy(*args.paths)
        return 0
    if not args.config:
        parser.error("--config is needed")
    with open(args.config, encoding="utf-8") as handle:
        config = json.load(handle)
    if args.action == "backup":
        result = backup(config)
    elif args.action == "list":
        target = bucket(config)
        result = {"changed": False, "backups": backups(config["dest"])}
        if target:
            result["s3"] = target.backups()
    else:
        result = restore(config, args.backup, args.check)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


def bucket_error(error):
    """An error of boto3 (the bucket: unreachable, refused, missing), not of this script."""
    return type(error).__module__.split(".", 1)[0] in ("botocore", "boto3", "s3transfer")


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except OSError as error:
        sys.exit(f"mlflow_backup: {error}")
    except Exception as error:  # pylint: disable=broad-exception-caught
        if not bucket_error(error):
            raise
        sys.exit(f"mlflow_backup: the backup bucket: {error}")
