"""Unit tests of the modules' REST client and of what each module decides to do, without a server."""
import io
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def plugins(tmp_path_factory):
    """The collection importable as ansible_collections.presets.mlflow (a link in a temporary tree)."""
    tree = tmp_path_factory.mktemp("collections")
    (tree / "ansible_collections" / "presets").mkdir(parents=True)
    (tree / "ansible_collections" / "presets" / "mlflow").symlink_to(ROOT)
    sys.path.insert(0, str(tree))
    from ansible_collections.presets.mlflow.plugins.module_utils import mlflow_api
    from ansible_collections.presets.mlflow.plugins.modules import (
        experiment,
        permission,
        registered_model,
        user,
    )

    yield {"api": mlflow_api, "experiment": experiment, "registered_model": registered_model,
           "user": user, "permission": permission}
    sys.path.remove(str(tree))


class FakeResponse:
    def __init__(self, status, body):
        self.status, self.body = status, body

    def getcode(self):
        return self.status

    def read(self):
        return self.body


def opener_answering(*answers):
    """An open_url stand-in: each call takes the next answer (a response or an exception to raise)."""
    calls = []

    def opener(url, **kwargs):
        calls.append(dict(kwargs, url=url))
        answer = answers[len(calls) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    opener.calls = calls
    return opener


def http_error(plugins, status, body):
    from ansible.module_utils.six.moves.urllib.error import HTTPError

    return HTTPError("https://mlflow.test/api/x", status, "error", {}, io.BytesIO(body))


def client(plugins, *answers, **kwargs):
    api = plugins["api"].MlflowApi("https://mlflow.test/", "admin", "pw", opener=opener_answering(*answers),
                                   **kwargs)
    return api


# The client ------------------------------------------------------------------

def test_a_json_answer_is_returned_and_the_request_carries_the_login(plugins):
    api = client(plugins, FakeResponse(200, b'{"experiment": {"name": "e"}}'))
    assert api.get("2.0/mlflow/experiments/get-by-name", {"experiment_name": "a b"}) == {"experiment": {"name": "e"}}
    call = api.opener.calls[0]
    assert call["url"] == "https://mlflow.test/api/2.0/mlflow/experiments/get-by-name?experiment_name=a+b"
    assert call["method"] == "GET" and call["data"] is None
    assert call["url_username"] == "admin" and call["url_password"] == "pw" and call["force_basic_auth"]


def test_a_body_goes_as_json(plugins):
    api = client(plugins, FakeResponse(200, b"{}"))
    api.post("2.0/mlflow/experiments/create", {"name": "e"})
    call = api.opener.calls[0]
    assert json.loads(call["data"]) == {"name": "e"}
    assert call["headers"]["Content-Type"] == "application/json"


def test_a_missing_object_is_none_when_asked_for(plugins):
    body = b'{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "No experiment named x"}'
    api = client(plugins, http_error(plugins, 404, body), http_error(plugins, 404, body))
    assert api.get("2.0/mlflow/experiments/get-by-name", missing_ok=True) is None
    with pytest.raises(plugins["api"].MlflowApiError) as err:
        api.get("2.0/mlflow/experiments/get-by-name")
    assert str(err.value) == "RESOURCE_DOES_NOT_EXIST: No experiment named x"
    assert err.value.status == 404


@pytest.mark.parametrize("status, body, expected", [
    (401, b"You are not authenticated. Please see ...", "the server refused the login (401)"),
    (403, b'{"message": "Permission denied"}', "PERMISSION_DENIED: Permission denied"),
    (404, b"<html><body>Not Found</body></html>", "HTTP 404 from https://mlflow.test/api/x, not an answer of "
                                                  "MLflow's REST API: <html><body>Not Found</body></html>"),
    (400, b'{"error_code": "INVALID_PARAMETER_VALUE", "message": "bad"}', "INVALID_PARAMETER_VALUE: bad"),
])
def test_error_answers_become_messages(plugins, status, body, expected):
    api = client(plugins, http_error(plugins, status, body))
    with pytest.raises(plugins["api"].MlflowApiError) as err:
        api.get("x", missing_ok=True)
    assert expected in str(err.value)
    assert err.value.status == status


def test_a_404_that_is_not_mlflows_is_an_error_even_when_missing_is_ok(plugins):
    api = client(plugins, http_error(plugins, 404, b"<html>nginx</html>"))
    with pytest.raises(plugins["api"].MlflowApiError) as err:
        api.get("2.0/mlflow/experiments/get-by-name", missing_ok=True)
    assert "not an answer of MLflow's REST API" in str(err.value)


def test_a_success_that_is_not_json_is_not_mlflow(plugins):
    api = client(plugins, FakeResponse(200, b"<!doctype html><title>Welcome to nginx</title>"))
    with pytest.raises(plugins["api"].MlflowApiError) as err:
        api.get("2.0/mlflow/experiments/get-by-name")
    assert "is not an answer of MLflow's REST API: <!doctype html>" in str(err.value)


def test_unreachable_and_bad_certificates_are_clear(plugins):
    from ansible.module_utils.six.moves.urllib.error import URLError
    from ansible.module_utils.urls import SSLValidationError

    api = client(plugins, URLError(ConnectionRefusedError(111, "Connection refused")),
                 SSLValidationError("certificate verify failed"),
                 URLError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate"))
    for expected in ("cannot reach https://mlflow.test: [Errno 111] Connection refused",
                     "the TLS certificate of https://mlflow.test could not be verified",
                     "the TLS certificate of https://mlflow.test could not be verified"):
        with pytest.raises(plugins["api"].MlflowApiError) as err:
            api.get("x")
        assert expected in str(err.value)


@pytest.mark.parametrize("args, message", [
    ((None,), "tracking_uri is not set"),
    (("ftp://x",), "must be an http:// or https:// URL"),
    (("https://x", "admin", None), "username and password go together"),
    (("https://x", None, None, "/nonexistent/ca.crt"), "ca_path /nonexistent/ca.crt: there is no such file"),
])
def test_bad_connection_settings_fail_before_any_call(plugins, args, message):
    with pytest.raises(plugins["api"].MlflowApiError) as err:
        plugins["api"].MlflowApi(*args)
    assert message in str(err.value)


@pytest.mark.parametrize("given, env, expected", [
    (None, {}, True), (None, {"MLFLOW_TRACKING_INSECURE_TLS": "true"}, False),
    (True, {"MLFLOW_TRACKING_INSECURE_TLS": "true"}, True), (False, {}, False),
])
def test_validate_certs_falls_back_to_mlflows_variable(plugins, given, env, expected):
    assert plugins["api"].resolve_validate_certs(given, env) is expected


def test_tag_changes_never_purge_mlflows_own_tags(plugins):
    to_set, to_delete = plugins["api"].tag_changes({"a": "1", "b": "2", "mlflow.note.content": "x"},
                                                   {"a": "1", "c": "3"}, purge=True)
    assert to_set == {"c": "3"} and to_delete == ["b"]
    assert plugins["api"].tag_changes({"b": "2"}, {}, purge=False) == ({}, [])


# What the modules decide ----------------------------------------------------

def experiment_params(**kwargs):
    return dict({"name": "e", "state": "present", "tags": None, "purge_tags": False, "artifact_location": None},
                **kwargs)


EXISTING = {"experiment_id": "3", "name": "e", "artifact_location": "mlflow-artifacts:/3",
            "lifecycle_stage": "active", "tags": {"team": "a"}}


def test_experiment_created_with_its_tags_and_location(plugins):
    changes, calls, after = plugins["experiment"].plan(
        None, experiment_params(tags={"team": "a"}, artifact_location="s3://b/e"))
    assert changes == ["created experiment e"]
    assert calls == [("POST", "2.0/mlflow/experiments/create",
                      {"name": "e", "artifact_location": "s3://b/e", "tags": [{"key": "team", "value": "a"}]})]
    assert after["tags"] == {"team": "a"}


def test_experiment_as_declared_needs_no_call(plugins):
    assert plugins["experiment"].plan(EXISTING, experiment_params(tags={"team": "a"}))[:2] == ([], [])
    assert plugins["experiment"].plan(dict(EXISTING, lifecycle_stage="deleted"),
                                      experiment_params(state="absent"))[:2] == ([], [])


def test_deleted_experiment_is_restored_then_tagged(plugins):
    changes, calls, after = plugins["experiment"].plan(dict(EXISTING, lifecycle_stage="deleted"),
                                                       experiment_params(tags={"team": 7}))
    assert [call[1].rsplit("/", 1)[1] for call in calls] == ["restore", "set-experiment-tag"]
    assert calls[1][2] == {"experiment_id": "3", "key": "team", "value": "7"}
    assert after["lifecycle_stage"] == "active" and after["tags"] == {"team": "7"}


def test_another_artifact_location_is_refused(plugins):
    with pytest.raises(plugins["api"].MlflowApiError) as err:
        plugins["experiment"].plan(EXISTING, experiment_params(artifact_location="s3://other"))
    assert "cannot move it to s3://other" in str(err.value)
    assert plugins["experiment"].plan(EXISTING, experiment_params(artifact_location="mlflow-artifacts:/3/"))[1] == []


def model_params(**kwargs):
    return dict({"name": "m", "state": "present", "description": None, "tags": None, "purge_tags": False,
                 "aliases": None, "purge_aliases": False}, **kwargs)


MODEL = {"name": "m", "description": "d", "tags": {}, "aliases": {"champion": "1", "old": "1"}}


def test_aliases_are_set_moved_and_removed(plugins):
    asked = []

    def exists(version):
        asked.append(version)
        return True

    changes, calls, after = plugins["registered_model"].plan(
        MODEL, model_params(aliases={"champion": 2, "challenger": "3", "old": None}), exists)
    assert sorted(asked) == ["2", "3"]
    assert changes == ["set alias challenger of m to version 3", "moved alias champion of m from version 1 to 2",
                       "removed alias old of m (was version 1)"]
    assert ("DELETE", "2.0/mlflow/registered-models/alias", {"name": "m", "alias": "old"}) in calls
    assert after["aliases"] == {"champion": "2", "challenger": "3"}


def test_purge_aliases_removes_the_unlisted(plugins):
    params = model_params(aliases={"champion": 1}, purge_aliases=True)
    changes, calls, after = plugins["registered_model"].plan(MODEL, params, lambda v: True)
    assert changes == ["removed alias old of m (was version 1)"] and after["aliases"] == {"champion": "1"}
    assert calls == [("DELETE", "2.0/mlflow/registered-models/alias", {"name": "m", "alias": "old"})]


def test_an_alias_on_a_missing_version_fails_before_any_change(plugins):
    with pytest.raises(plugins["api"].MlflowApiError) as err:
        plugins["registered_model"].plan(MODEL, model_params(aliases={"champion": 9}), lambda v: False)
    assert str(err.value) == "alias champion: there is no version 9"
    with pytest.raises(plugins["api"].MlflowApiError):
        plugins["registered_model"].plan(MODEL, model_params(aliases={"champion": "latest"}), lambda v: True)


def test_model_description_and_absent(plugins):
    changes, calls, after = plugins["registered_model"].plan(MODEL, model_params(description="new"), None)
    assert calls == [("PATCH", "2.0/mlflow/registered-models/update", {"name": "m", "description": "new"})]
    assert changes == ["set the description of registered model m"] and after["description"] == "new"
    assert plugins["registered_model"].plan(None, model_params(state="absent"), None)[:2] == ([], [])


def user_params(**kwargs):
    return dict({"name": "carol", "user_password": "pw-123456789012", "update_password": "always",
                 "admin": None, "state": "present"}, **kwargs)


def test_user_password_is_checked_only_when_it_could_change(plugins):
    def never():
        raise AssertionError("logged in without need")

    changes, calls, after = plugins["user"].plan(None, user_params(), never)
    assert changes == ["created user carol"] and calls[0][1] == "2.0/mlflow/users/create"
    assert after == {"name": "carol", "admin": False}
    assert plugins["user"].plan({"name": "carol", "admin": False}, user_params(update_password="on_create"),
                                never)[:2] == ([], [])
    changes = plugins["user"].plan({"name": "carol", "admin": False}, user_params(admin=True), lambda: False)[0]
    assert changes == ["set the password of user carol", "set admin=True for user carol"]
    with pytest.raises(plugins["api"].MlflowApiError):
        plugins["user"].plan(None, user_params(user_password=None), never)


def test_permissions_change_by_revoking_then_granting(plugins):
    grants = plugins["permission"].direct_grants([
        {"role_name": "__user_7__", "resource_type": "experiment", "resource_pattern": "3", "permission": "READ"},
        {"role_name": "team-a", "resource_type": "experiment", "resource_pattern": "3", "permission": "MANAGE"},
    ])
    assert grants == {("experiment", "3"): "READ"}
    params = {"user": "carol", "state": "present", "permission": "EDIT"}
    changes, calls, after = plugins["permission"].plan("READ", params, "experiment", "3", "experiment e")
    assert [call[1].rsplit("/", 1)[1] for call in calls] == ["revoke", "grant"]
    assert changes == ["granted EDIT on experiment e to carol (was READ)"] and after == "EDIT"
    assert plugins["permission"].plan("EDIT", params, "experiment", "3", "experiment e")[:2] == ([], [])
    assert plugins["permission"].plan(None, dict(params, state="absent"), "experiment", "3", "e")[:2] == ([], [])
