"""How presets.mlflow.move_store moves a server's local artifacts into a bucket (mlflow_db.py move):
the same layout, each file compared by size and checksum, a re-run copies nothing again, a
bucket prefix holding anything else is refused and left as it is (against a real S3-compatible
server, SeaweedFS, as in the scaleout scenario); and every full URI MLflow stored under the old
root then points at the bucket (a real MLflow store)."""
import hashlib
import importlib.util
import sqlite3
from pathlib import Path

import pytest
from test_backup_bucket import KEY, SECRET, s3  # noqa: F401 pylint: disable=unused-import

HELPER = Path(__file__).resolve().parent.parent / "roles" / "mlflow" / "files" / "mlflow_db.py"
spec = importlib.util.spec_from_file_location("mlflow_db", HELPER)
mlflow_db = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mlflow_db)
# The scaleout journey's own reading of a bucket after the move: it must agree, and see a difference.
CHECKER = HELPER.parents[3] / "molecule" / "scaleout" / "bucket_check.py"
spec = importlib.util.spec_from_file_location("bucket_check", CHECKER)
bucket_check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bucket_check)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def test_artifacts_move_into_the_bucket_with_their_layout(s3, tmp_path, monkeypatch):  # noqa: F811
    endpoint, client = s3
    monkeypatch.setattr(mlflow_db, "_PART", 5 * 1024 * 1024)  # S3's smallest part: multipart at 12 MiB
    client.create_bucket(Bucket="moved")
    root = tmp_path / "artifacts"
    files = {"1/r1/artifacts/model/model.pkl": b"m" * 1000, "1/r1/artifacts/a file.txt": b"text",
             "1/r1/artifacts/empty": b"", "2/r2/artifacts/big.bin": bytes(range(256)) * (12 * 4096 + 7),
             "0/traces/t/artifacts/traces.json": b"{}"}
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    env = {"MLFLOW_S3_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": SECRET,
           "AWS_DEFAULT_REGION": "us-east-1"}

    moved = mlflow_db.move_artifacts(f"file://{root}/", "s3://moved/mlflow/", env)
    assert moved == {"store": "artifacts", "files": 5, "bytes": sum(map(len, files.values())), "copied": 5,
                     "changed": True}
    there = {item["Key"]: sha256(client.get_object(Bucket="moved", Key=item["Key"])["Body"].read())
             for item in client.list_objects_v2(Bucket="moved")["Contents"]}
    assert there == {f"mlflow/{name}": sha256(data) for name, data in files.items()}
    assert client.head_object(Bucket="moved", Key="mlflow/2/r2/artifacts/big.bin")["ETag"].endswith('-3"')
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert bucket_check.main(str(root), "moved", "mlflow") == 0

    # the store check (when the root changes again) counts what the prefix holds, and only that
    assert mlflow_db.count_artifacts("s3://moved/mlflow", env) == {"files": 5, "bytes": moved["bytes"]}
    assert mlflow_db.count_artifacts("s3://moved/elsewhere", env) == {}
    assert mlflow_db.count_artifacts(f"file://{root}", env) == {"files": 5, "bytes": moved["bytes"]}

    # a re-run (after a failure further on) copies nothing again
    assert mlflow_db.move_artifacts(str(root), "s3://moved/mlflow", env)["copied"] == 0

    # a prefix that holds other contents is not this server's: refused, nothing written
    client.put_object(Bucket="moved", Key="mlflow/1/r1/artifacts/a file.txt", Body=b"TEXT")  # same size
    assert bucket_check.main(str(root), "moved", "mlflow") == 1
    with pytest.raises(SystemExit, match="other contents"):
        mlflow_db.move_artifacts(str(root), "s3://moved/mlflow", env)
    client.put_object(Bucket="moved", Key="mlflow/1/r1/artifacts/a file.txt", Body=b"text")
    client.put_object(Bucket="moved", Key="mlflow/9/someone-else.txt", Body=b"x")
    (root / "1/r1/artifacts/new.txt").write_text("new")
    assert bucket_check.main(str(root), "moved", "mlflow") == 1  # a file the bucket lacks
    with pytest.raises(SystemExit, match="1 objects that are not this server's artifacts"):
        mlflow_db.move_artifacts(str(root), "s3://moved/mlflow", env)
    assert "mlflow/1/r1/artifacts/new.txt" not in {
        item["Key"] for item in client.list_objects_v2(Bucket="moved")["Contents"]}


def test_moved_artifacts_are_found_where_mlflow_stored_a_full_uri(tmp_path):
    """After the files move to a bucket, every full URI under the old root (a path or a file: URI,
    in experiments, runs, model versions, logged models and traces) points at the bucket, and
    nothing else changes: a sibling directory's, a run's relative mlflow-artifacts:/ URI (which the
    proxy resolves) unless the server gives up the proxy."""
    from mlflow.entities import LoggedModelStatus
    from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore as Registry
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    url = f"sqlite:///{tmp_path}/mlflow.db"
    root = f"{tmp_path}/artifacts"
    store = SqlAlchemyStore(url, root)
    experiment = store.create_experiment("e")
    sibling = store.create_experiment("s", artifact_location=f"{tmp_path}/artifacts-other/s")
    proxied = store.create_experiment("p", artifact_location="mlflow-artifacts:/p")
    run = store.create_run(experiment, "u", 0, [], "r")
    model = store.create_logged_model(experiment, name="m")
    store.finalize_logged_model(model.model_id, LoggedModelStatus.READY)
    registry = Registry(url)
    registry.create_registered_model("m")
    version = registry.create_model_version("m", f"{run.info.artifact_uri}/model", run_id=run.info.run_id)
    # a trace's artifact location, as MLflow's store tags it
    store.engine.dispose()
    conn = sqlite3.connect(tmp_path / "mlflow.db")
    conn.execute("insert into trace_info (request_id, experiment_id, timestamp_ms, execution_time_ms, status)"
                 " values ('t', ?, 0, 0, 'OK')", (experiment,))
    conn.execute("insert into trace_tags values ('mlflow.artifactLocation', ?, 't')",
                 (f"file://{root}/{experiment}/traces/t/artifacts",))
    conn.commit()

    def uris():
        return {
            "experiments": dict(conn.execute("select name, artifact_location from experiments")),
            "run": conn.execute("select artifact_uri from runs").fetchone()[0],
            "version": conn.execute("select source, storage_location from model_versions").fetchone(),
            "model": conn.execute("select artifact_location from logged_models").fetchone()[0],
            "trace": conn.execute("select value from trace_tags").fetchone()[0],
        }

    before = uris()
    assert before["run"].startswith((root, f"file://{root}")), before
    changed = mlflow_db.rewrite_uris(url, root, "s3://bucket/prefix/", direct=False,
                                     backup_dir=str(tmp_path / "backups"))
    after = uris()
    bucket = "s3://bucket/prefix"
    assert after["experiments"] == {"Default": f"{bucket}/0", "e": f"{bucket}/{experiment}",
                                    "s": f"{tmp_path}/artifacts-other/s", "p": "mlflow-artifacts:/p"}, after
    assert after["run"] == f"{bucket}/{experiment}/{run.info.run_id}/artifacts", after
    assert after["version"][0] == f"{bucket}/{experiment}/{run.info.run_id}/artifacts/model", after
    assert after["version"][1] is None or after["version"][1].startswith(f"{bucket}/"), after
    assert after["model"] == f"{bucket}/{experiment}/models/{model.model_id}/artifacts", after
    assert after["trace"] == f"{bucket}/{experiment}/traces/t/artifacts", after
    assert changed == 6 + (after["version"][1] is not None), (changed, before, after)
    assert len(list((tmp_path / "backups").iterdir())) == 1  # the SQLite file backed up first
    # a re-run finds nothing left to change; with the proxy given up, its relative URIs move too
    assert mlflow_db.rewrite_uris(url, root, bucket, direct=False) == 0
    assert mlflow_db.rewrite_uris(url, root, bucket, direct=True) == 1
    assert uris()["experiments"]["p"] == f"{bucket}/p"
    assert version.version == 1
    conn.close()
