"""A host running the service: hardened unit, private files, nginx in front, MLflow on loopback only."""
import re

import pytest
from hoststate import SITE, UNIT, owner_mode, unit_properties

HARDENING = {
    "User": "mlflow",
    "Restart": "always",
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "RestrictSUIDSGID": "yes",
    "MemoryDenyWriteExecute": "yes",
    "LockPersonality": "yes",
    "CapabilityBoundingSet": "",
}


@pytest.mark.parametrize("name", ["mlflow", "nginx"])
def test_service_is_enabled_and_running(host, name):
    service = host.service(name)
    assert service.is_enabled
    assert service.is_running


def test_unit_runs_as_mlflow_and_is_hardened(host):
    assert unit_properties(host, HARDENING) == HARDENING


def test_unit_exposure_is_low(host):
    report = host.check_output("systemd-analyze security --no-pager mlflow.service")
    score = re.search(r"exposure level for mlflow\.service: ([0-9.]+)", report)
    # The README says 1.2 on Debian 12 and 13.
    assert score and float(score.group(1)) <= 1.2, report.splitlines()[-1]


def test_service_user_has_no_login_shell_and_no_home_state(host):
    user = host.user("mlflow")
    assert user.shell in ("/usr/sbin/nologin", "/sbin/nologin", "/bin/false")
    assert user.home == "/var/lib/mlflow"
    found = host.run("find /var/lib/mlflow /root -maxdepth 2 -name .gunicorn -print")
    assert found.stdout == ""


@pytest.mark.parametrize("path, expected", [
    (UNIT, ("root", "root", "0644")),
    (SITE, ("root", "root", "0644")),
    # the TLS policy every site of the collection includes (roles/_common)
    ("/etc/nginx/snippets/presets-mlflow-tls.conf", ("root", "root", "0644")),
    ("/etc/mlflow/mlflow.env", ("mlflow", "mlflow", "0600")),
    ("/etc/mlflow/secret.env", ("mlflow", "mlflow", "0600")),
    ("/etc/mlflow/basic_auth.ini", ("mlflow", "mlflow", "0600")),
    # the settings the role applied, for the collection's later playbooks (it holds secrets)
    ("/etc/mlflow/settings.json", ("root", "root", "0600")),
    ("/etc/mlflow/tls/mlflow.key", ("root", "root", "0600")),
    ("/var/lib/mlflow", ("mlflow", "mlflow", "0750")),
])
def test_file_owner_and_mode(host, path, expected):
    assert owner_mode(host, path) == expected


@pytest.mark.parametrize("path", ["/var/lib/mlflow/mlflow.db", "/var/lib/mlflow/basic_auth.db"])
def test_stores_are_private_to_mlflow(host, path):
    user, _group, mode = owner_mode(host, path)
    assert (user, mode) in (("mlflow", "0600"), ("mlflow", "0640"))


def test_the_site_uses_the_collections_tls_policy(host):
    assert "include /etc/nginx/snippets/presets-mlflow-tls.conf;" in host.file(SITE).content_string
    assert "ssl_session_tickets off;" in host.file("/etc/nginx/snippets/presets-mlflow-tls.conf").content_string


def test_nginx_listens_on_80_and_443(host):
    for port in (80, 443):
        assert host.socket(f"tcp://0.0.0.0:{port}").is_listening


def test_mlflow_listens_on_loopback_only(host):
    assert host.socket("tcp://127.0.0.1:5000").is_listening
    # every TCP socket listening in the unit's cgroup: gunicorn, the ASGI server, the metrics exporter
    held = [line.split()[3] for line in host.check_output("ss -Htlne").splitlines()
            if "/system.slice/mlflow.service " in line]
    assert "127.0.0.1:5000" in held
    assert [address for address in held if not address.startswith(("127.0.0.1:", "[::1]:"))] == []


def test_gunicorn_serves_the_auth_app(host):
    args = host.check_output("ps -u mlflow -o args")
    assert re.search(r"-m gunicorn .*-w [0-9]+ mlflow\.server\.auth:create_app", args), args


def test_the_login_caches_good_credentials(host):
    # Without MLflow's credential cache every request pays a scrypt check
    # (about 0.15 s of CPU): the stack answered 4 requests a second, not 130.
    ini = host.file("/etc/mlflow/basic_auth.ini").content_string
    ttl = re.search(r"^auth_cache_ttl_seconds = ([0-9]+)$", ini, re.M)
    assert ttl and int(ttl.group(1)) > 0, "no credential cache in basic_auth.ini"
