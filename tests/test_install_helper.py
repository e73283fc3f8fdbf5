"""The installer helper: uv gets the host's pip configuration, pip stands in when it cannot.

The end-to-end tests run the helper as the role does, against a package index
served here that asks for a password and holds a package no other index has:
the install only succeeds through the settings pip was given.
"""
import base64
import hashlib
import http.server
import importlib.util
import io
import json
import os
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest

HELPER = Path(__file__).resolve().parent.parent / "roles" / "mlflow" / "files" / "mlflow_install.py"
spec = importlib.util.spec_from_file_location("mlflow_install", HELPER)
mlflow_install = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mlflow_install)

UV_VERSION = "0.13.9"  # roles/mlflow/defaults/main.yml
SECRET = "pr0be-S3cret"


def test_pip_settings_become_uv_variables():
    env, reason = mlflow_install.uv_environment({
        "index-url": "https://ci:tok@pypi.example/simple/",
        "extra-index-url": "https://a.example/simple/\nhttps://b.example/simple/",
        "trusted-host": "a.example b.example",
        "cert": "/etc/ssl/corp.pem",
        "client-cert": "/etc/ssl/me.pem",
        "proxy": "http://proxy.example:3128",
        "find-links": "/opt/wheels\n/srv/wheels",
        "constraint": "/etc/pip/constraints.txt",
        "no-index": "false",
        "timeout": "60",
        "retries": "9",
    }, sys.executable)
    assert reason is None
    assert env["UV_INDEX_URL"] == "https://ci:tok@pypi.example/simple/"
    assert env["UV_EXTRA_INDEX_URL"] == "https://a.example/simple/ https://b.example/simple/"
    # pip takes the best version across its indexes; uv only when told
    assert env["UV_INDEX_STRATEGY"] == "unsafe-best-match"
    assert env["UV_INSECURE_HOST"] == "a.example b.example"
    assert env["SSL_CERT_FILE"] == "/etc/ssl/corp.pem"
    assert env["SSL_CLIENT_CERT"] == "/etc/ssl/me.pem"
    assert env["HTTPS_PROXY"] == env["HTTP_PROXY"] == "http://proxy.example:3128"
    assert env["UV_FIND_LINKS"] == "/opt/wheels,/srv/wheels"
    assert env["UV_CONSTRAINT"] == "/etc/pip/constraints.txt"
    assert env["UV_HTTP_TIMEOUT"] == "60"
    assert "UV_NO_INDEX" not in env
    assert env["UV_NO_CONFIG"] == "1"  # pip's configuration, not a uv.toml, decides


def test_a_setting_uv_cannot_follow_names_itself_not_its_value():
    env, reason = mlflow_install.uv_environment({"only-binary": ":all:", "timeout": "5"}, sys.executable)
    assert env is None
    assert "only-binary" in reason and ":all:" not in reason


def test_pip_precedence_variables_over_install_over_global(tmp_path, monkeypatch):
    conf = tmp_path / "pip.conf"
    conf.write_text("[global]\nretries = 1\nprogress-bar = on\n[install]\nretries = 2\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(conf))
    monkeypatch.setenv("PIP_PROGRESS_BAR", "off")
    settings = mlflow_install.pip_settings(str(Path(sys.executable).parent / "pip"))
    assert settings["retries"] == "2"
    assert settings["progress-bar"] == "off"


def _wheel(directory):
    """A one-module wheel of a project no public index has."""
    name = "presets_probe-1.0-py3-none-any.whl"
    files = {
        "presets_probe/__init__.py": b"ANSWER = 42\n",
        "presets_probe-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: presets-probe\nVersion: 1.0\n",
        "presets_probe-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = io.StringIO()
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.write(f"{path},sha256={digest},{len(data)}\n")
    record.write("presets_probe-1.0.dist-info/RECORD,,\n")
    files["presets_probe-1.0.dist-info/RECORD"] = record.getvalue().encode()
    path = directory / name
    with zipfile.ZipFile(path, "w") as archive:
        for member, data in files.items():
            archive.writestr(member, data)
    return path


@pytest.fixture(name="index")
def fixture_index(tmp_path):
    """A simple index on loopback behind basic auth; records who asked."""
    wheel = _wheel(tmp_path)
    data = wheel.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    expected = "Basic " + base64.b64encode(f"ci:{SECRET}".encode()).decode()
    seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            self._answer(send_body=True)

        def do_HEAD(self):  # noqa: N802 (uv asks for a file's size first)
            self._answer(send_body=False)

        def _answer(self, send_body):
            seen.append((self.path, self.headers.get("Authorization") == expected))
            if self.headers.get("Authorization") != expected:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="probe"')
                self.end_headers()
                return
            if self.path.rstrip("/") == "/simple/presets-probe":
                body = f'<a href="/files/{wheel.name}#sha256={sha}">{wheel.name}</a>'.encode()
                kind = "text/html"
            elif self.path == f"/files/{wheel.name}":
                body, kind = data, "application/octet-stream"
            else:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if send_body:
                self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://ci:{SECRET}@127.0.0.1:{server.server_address[1]}/simple/", seen
    server.shutdown()


@pytest.fixture(name="uv_dir", scope="module")
def fixture_uv_dir(tmp_path_factory):
    """uv installed by the helper's own step, through this machine's pip configuration."""
    uv_dir = tmp_path_factory.mktemp("installer")
    mlflow_install.ensure_uv(str(uv_dir), UV_VERSION)
    return uv_dir


def _install(tmp_path, uv_dir, index_url, installer, **extra_env):
    # Only the variables below configure pip: no file of this machine's
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_INDEX_URL=index_url, UV_CACHE_DIR=str(tmp_path / "uv-cache"),
               PIP_NO_CACHE_DIR="1", **extra_env)
    venv = tmp_path / "venv"
    result = subprocess.run(
        [sys.executable, str(HELPER), "--venv", str(venv), "--installer", installer, "--uv-dir", str(uv_dir),
         "--uv-version", UV_VERSION, "presets-probe==1.0"],
        env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert SECRET not in result.stdout + result.stderr
    probe = subprocess.run([str(venv / "bin" / "python"), "-c", "import presets_probe; print(presets_probe.ANSWER)"],
                           capture_output=True, text=True, check=True)
    assert probe.stdout.strip() == "42"
    assert (venv / "bin" / "pip").exists()  # a virtualenv users can still run pip in
    writable = [str(p) for p in venv.rglob("*") if not p.is_symlink() and p.stat().st_mode & 0o002]
    assert not writable, f"world-writable in the virtualenv: {writable}"
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_uv_installs_from_the_index_pip_is_configured_with(tmp_path, uv_dir, index):
    url, seen = index
    assert _install(tmp_path, uv_dir, url, "uv") == {"installer": "uv"}
    assert any(path.startswith("/files/") and authorized for path, authorized in seen)


def test_pip_installs_when_uv_cannot_follow_the_configuration(tmp_path, uv_dir, index):
    url, seen = index
    outcome = _install(tmp_path, uv_dir, url, "uv", PIP_ONLY_BINARY=":all:")
    assert outcome["installer"] == "pip"
    assert "only-binary" in outcome["reason"]
    assert any(path.startswith("/files/") and authorized for path, authorized in seen)
