"""The value checks of the roles' preflight (plugins/module_utils/values.py, used by the check_values module
and the network test plugin): each kind refuses what what reads it would refuse, names the variable and never
shows a secret."""
import sys

import pytest


@pytest.fixture(scope="module")
def values(tmp_path_factory, root):
    tree = tmp_path_factory.mktemp("collections")
    (tree / "ansible_collections" / "presets").mkdir(parents=True)
    (tree / "ansible_collections" / "presets" / "mlflow").symlink_to(root)
    sys.path.insert(0, str(tree))
    from ansible_collections.presets.mlflow.plugins.module_utils import values as module  # noqa: E402
    from ansible_collections.presets.mlflow.plugins.test import network as plugin  # noqa: E402
    yield module, plugin
    sys.path.remove(str(tree))


GOOD = {
    "port": [1, 443, "8443", 65535],
    "duration": ["30d", "2s", "2d8h5m20s", "1.5h"],
    "size": ["20g", "512m", "1024", 64],
    "server_name": ["mlflow.example.com", "localhost", "a-b.c", "mlflow.example.com."],
    "networks": ["10.0.0.5", "10.0.0.0/8", "10.0.0.1/8", "::1", "fd00::/8", "0.0.0.0/0"],
    "path": ["/var/lib/mlflow", "/"],
    "version": ["3.17.2", "0.13.9", "10.2.0", "3.17", "3.17.2rc1"],
    "unix_name": ["mlflow", "_svc", "ml-flow_2"],
    "env": [{"A": "1", "B_2": "x y"}],
    "words": ["openid", "mlflow-admin"],
    "text": ["openid email profile"],
    "calendar": ["daily", "Mon..Fri 02:00"],
}
BAD = {
    "port": [0, 65536, "http", "80x", True, 1.5, [443]],
    "duration": ["30 days", "d", "", "-1d", "1w"],
    "size": ["20 GB", "1t", "-1", "g", True],
    "server_name": ["mlflow example", "-mlflow.com", "ml_flow.com", "a" * 64 + ".com", "*.example.com",
                    "https://mlflow.example.com", "mlflow..com"],
    "networks": ["10.0.0.0/33", "10.0.0.0/", "10.0.0.0/08", "localhost", "300.0.0.1", "fe80::1%eth0",
                 " 10.0.0.5", "10.0.0.5,10.0.0.6", "all", "unix:", 10, None],
    "path": ["var/lib/mlflow", "./x", "/a\nb", "~/x"],
    "version": ["latest", "v3.17.2", ">=3.17", "3.17.*", "3.17.2 "],
    "unix_name": ["MLflow", "1user", "a b", "a" * 33, "root:x"],
    "env": [{"1A": "x"}, {"A B": "x"}, {"A": "a\nb"}, ["A=1"]],
    "words": ["two words", "a\tb"],
    "text": ["one\ntwo", "cr\r"],
    "calendar": ["daily\nweekly"],
}


@pytest.mark.parametrize("kind,value", [(k, v) for k, vs in GOOD.items() for v in vs])
def test_good_values_pass(values, kind, value):
    module, _plugin = values
    assert module.check_one(kind, value, {}) is None


@pytest.mark.parametrize("kind,value", [(k, v) for k, vs in BAD.items() for v in vs])
def test_bad_values_fail(values, kind, value):
    module, _plugin = values
    assert module.check_one(kind, value, {}) is not None


def test_every_kind_has_good_and_bad_cases_here(values):
    module, _plugin = values
    assert set(module.KINDS) - {"int", "url"} == set(GOOD) == set(BAD)


def test_int_and_url_take_their_limits(values):
    module, _plugin = values
    assert module.check_one("int", 5, {"min": 1, "max": 10}) is None
    assert module.check_one("int", 0, {"min": 1}) is not None and module.check_one("int", 11, {"max": 10})
    assert module.check_one("url", "https://idp.example.com/.well-known/x", {"schemes": ["https"]}) is None
    assert module.check_one("url", "sqlite:////var/lib/mlflow/mlflow.db", {"host": False}) is None
    assert module.check_one("url", "sqlite:////var/lib/mlflow/mlflow.db", {}) is not None
    for bad in ("http://idp.example.com", "idp.example.com", "https://", "https://h:99999/", "https://a b/"):
        assert module.check_one("url", bad, {"schemes": ["https"]}) is not None, bad


def test_the_report_names_each_variable_shows_values_and_hides_secrets(values):
    module, _plugin = values
    calendars = []
    problems = module.problems_of([
        {"name": "mlflow_https_port", "value": 70000, "kind": "port"},
        {"name": "mlflow_backup_on_calendar", "value": "every day at three", "kind": "calendar"},
        {"name": "mlflow_server_aliases", "value": ["ok.example.com", "not ok"], "kind": "server_name", "list": True},
        {"name": "mlflow_tls_cert_path", "value": "", "kind": "path", "empty_ok": True},
        {"name": "mlflow_install_dir", "value": "", "kind": "path"},
        {"name": "mlflow_auth_admin_password", "value": "pw\nwith newline", "kind": "text", "secret": True},
    ], lambda spec: calendars.append(spec) or "is not a calendar spec systemd understands (refused)")
    text = "\n".join(problems)
    assert calendars == ["every day at three"]
    named = ["mlflow_https_port", "mlflow_backup_on_calendar", "mlflow_server_aliases", "mlflow_install_dir",
             "mlflow_auth_admin_password"]
    assert [p.split(":")[0] for p in problems] == named
    assert "70000" in text and '"every day at three"' in text and '"not ok"' in text
    assert "with newline" not in text and "(a secret, not shown)" in text
    assert "Expected a TCP port" in text


def test_a_secret_url_shows_without_its_password(values):
    module, _plugin = values
    problems = module.problems_of([{"name": "mlflow_backend_store_uri", "kind": "url", "schemes": ["postgresql"],
                                    "value": "mysql://mlflow:Pw-123@db:3306/mlflow", "secret": True}], None)
    assert problems and "Pw-123" not in problems[0] and '"mysql://mlflow:********@db:3306/mlflow"' in problems[0]


def test_the_network_test_plugin_is_the_same_check(values):
    module, plugin = values
    assert plugin.TestModule().tests()["network"] is module.network
