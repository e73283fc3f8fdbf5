"""The auth helper's error path: what it prints must never carry a secret."""
import importlib.util
import io
import json
import os
from pathlib import Path

import pytest

HELPER = Path(__file__).resolve().parent.parent / "roles" / "mlflow" / "files" / "mlflow_auth.py"
spec = importlib.util.spec_from_file_location("mlflow_auth", HELPER)
mlflow_auth = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mlflow_auth)


def test_mask_hides_declared_passwords_and_uri_passwords():
    spec = {"password": "adm1n-secret-xyz", "username": "admin"}
    text = ("bad login adm1n-secret-xyz at "
            "postgresql://mlflow:pg-pass@db:5432/mlflow")
    masked = mlflow_auth._mask(text, spec)
    for secret in ("adm1n-secret-xyz", "pg-pass"):
        assert secret not in masked
    assert "postgresql://mlflow:********@db:5432/mlflow" in masked


def test_failure_exits_with_a_masked_message(monkeypatch):
    """A store that cannot be opened fails with a message, not the password."""
    uri = "postgresql://mlflow:pg-Secret-77@127.0.0.1:1/mlflow"
    stdin = {"database_uri": uri, "username": "admin", "password": "adm1n-secret-xyz"}
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(stdin)))

    def boom(spec, dry):
        raise RuntimeError(f"could not connect to {spec['database_uri']} as admin/{spec['password']}")

    monkeypatch.setattr(mlflow_auth, "admin", boom)
    umask = os.umask(0o022)  # main() sets the helper's own umask
    try:
        with pytest.raises(SystemExit) as exc:
            mlflow_auth.main(["mlflow_auth.py", "admin"])
    finally:
        os.umask(umask)
    message = str(exc.value.code)
    assert "could not connect" in message
    assert "pg-Secret-77" not in message and "adm1n-secret-xyz" not in message


def test_usage_without_a_known_action():
    with pytest.raises(SystemExit) as exc:
        mlflow_auth.main(["mlflow_auth.py", "everything"])
    assert "admin" in str(exc.value.code)
