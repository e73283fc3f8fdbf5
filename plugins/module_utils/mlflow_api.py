# -*- coding: utf-8 -*-
# Copyright: presets.mlflow maintainers
# Apache License 2.0 (see LICENSE)
"""A small client of MLflow's REST API for the collection's modules.

It speaks HTTP with ansible.module_utils.urls only: the modules need neither
MLflow nor requests on the machine that runs them (the controller with
``delegate_to: localhost``, or the server host itself).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

from ansible.module_utils.basic import env_fallback
from ansible.module_utils.common.text.converters import to_native, to_text
from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.six.moves.urllib.parse import urlencode
from ansible.module_utils.urls import ConnectionError as UrlsConnectionError
from ansible.module_utils.urls import SSLValidationError, open_url

TRUE_STRINGS = ("1", "true", "yes", "on")
STATUS_CODES = {401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED"}


def connection_argument_spec():
    """The connection options every module takes (doc fragment presets.mlflow.connection)."""
    return dict(
        tracking_uri=dict(type="str", fallback=(env_fallback, ["MLFLOW_TRACKING_URI"])),
        username=dict(type="str", fallback=(env_fallback, ["MLFLOW_TRACKING_USERNAME"])),
        password=dict(type="str", no_log=True, fallback=(env_fallback, ["MLFLOW_TRACKING_PASSWORD"])),
        ca_path=dict(type="path", fallback=(env_fallback, ["MLFLOW_TRACKING_SERVER_CERT_PATH"])),
        validate_certs=dict(type="bool"),
        timeout=dict(type="int", default=30),
    )


class MlflowApiError(Exception):
    """A failure to show the user: what failed and what the server said."""

    def __init__(self, message, status=None, error_code=None):
        super(MlflowApiError, self).__init__(message)
        self.status = status
        self.error_code = error_code


def resolve_validate_certs(value, environ):
    """validate_certs as given, else the inverse of MLFLOW_TRACKING_INSECURE_TLS."""
    if value is not None:
        return value
    return environ.get("MLFLOW_TRACKING_INSECURE_TLS", "").strip().lower() not in TRUE_STRINGS


def error_message(status, body, url):
    """The user's view of an HTTP error answer (status, body bytes)."""
    text = to_text(body or b"", errors="surrogate_or_replace")
    try:
        payload = json.loads(text) if text else {}
    except ValueError:
        payload = None
    if isinstance(payload, dict) and ("error_code" in payload or "message" in payload):
        # MLflow's login answers 401/403 with a message but no error code.
        code = payload.get("error_code") or STATUS_CODES.get(status)
        message = payload.get("message") or text
        return code, "%s%s" % ("%s: " % code if code else "", message)
    snippet = " ".join(text.split())[:200]
    if status == 401:
        return "UNAUTHENTICATED", "UNAUTHENTICATED: the server refused the login (401), check username and password"
    if status == 403:
        return "PERMISSION_DENIED", "PERMISSION_DENIED: the login may not do this (403)%s" % (
            ": %s" % snippet if snippet else "")
    return None, "HTTP %s from %s, not an answer of MLflow's REST API%s" % (
        status, url, ": %s" % snippet if snippet else "")


class MlflowApi(object):
    """Calls MLflow's REST API; every failure is an MlflowApiError."""

    def __init__(self, tracking_uri, username=None, password=None, ca_path=None, validate_certs=True,
                 timeout=30, opener=None):
        if not tracking_uri:
            raise MlflowApiError("tracking_uri is not set (nor MLFLOW_TRACKING_URI)")
        if not tracking_uri.startswith(("http://", "https://")):
            raise MlflowApiError("tracking_uri must be an http:// or https:// URL, not %r" % tracking_uri)
        if bool(username) != bool(password):
            raise MlflowApiError("username and password go together")
        if ca_path and not os.path.isfile(ca_path):
            raise MlflowApiError("ca_path %s: there is no such file" % ca_path)
        self.base = tracking_uri.rstrip("/")
        self.username = username
        self.password = password
        self.ca_path = ca_path
        self.validate_certs = validate_certs
        self.timeout = timeout
        self.opener = opener or open_url

    @classmethod
    def from_module(cls, module, environ):
        params = module.params
        return cls(params["tracking_uri"], params["username"], params["password"], params["ca_path"],
                   resolve_validate_certs(params["validate_certs"], environ), params["timeout"])

    def call(self, method, path, body=None, query=None, missing_ok=False):
        """The JSON answer of METHOD /api/PATH; None for a missing object when missing_ok."""
        url = "%s/api/%s" % (self.base, path)
        if query:
            url += "?" + urlencode(query)
        data = json.dumps(body) if body is not None else None
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        try:
            response = self.opener(
                url, data=data, method=method, headers=headers, url_username=self.username,
                url_password=self.password, force_basic_auth=bool(self.username), validate_certs=self.validate_certs,
                ca_path=self.ca_path, timeout=self.timeout, follow_redirects="safe")
            status, raw = response.getcode(), response.read()
        except HTTPError as err:
            raw = err.read() if hasattr(err, "read") else b""
            code, message = error_message(err.code, raw, url)
            if missing_ok and (code == "RESOURCE_DOES_NOT_EXIST" or (err.code == 404 and code is not None)):
                return None
            raise MlflowApiError(message, status=err.code, error_code=code)
        except SSLValidationError as err:
            raise MlflowApiError("the TLS certificate of %s could not be verified (set ca_path to the CA that "
                                 "signed it): %s" % (self.base, to_native(err)))
        except (URLError, UrlsConnectionError, OSError) as err:
            reason = getattr(err, "reason", err)
            if "CERTIFICATE_VERIFY_FAILED" in to_native(reason):
                raise MlflowApiError("the TLS certificate of %s could not be verified (set ca_path to the CA "
                                     "that signed it): %s" % (self.base, to_native(reason)))
            raise MlflowApiError("cannot reach %s: %s" % (self.base, to_native(reason)))
        text = to_text(raw or b"", errors="surrogate_or_replace")
        try:
            payload = json.loads(text) if text.strip() else {}
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            raise MlflowApiError("HTTP %s from %s is not an answer of MLflow's REST API: %s"
                                 % (status, url, " ".join(text.split())[:200]))
        return payload

    def get(self, path, query=None, missing_ok=False):
        return self.call("GET", path, query=query, missing_ok=missing_ok)

    def post(self, path, body):
        return self.call("POST", path, body=body)

    def patch(self, path, body):
        return self.call("PATCH", path, body=body)

    def delete(self, path, body):
        return self.call("DELETE", path, body=body)


def tags_dict(tags):
    """MLflow's [{key, value}] as a dict."""
    return dict((tag["key"], tag.get("value", "")) for tag in tags or [])


def tag_changes(current, wanted, purge, keep_prefix="mlflow."):
    """(tags to set {key: value}, keys to delete) to get from current to wanted.

    Tags MLflow sets itself (keys starting with keep_prefix) are never purged.
    """
    to_set = dict((key, value) for key, value in wanted.items() if current.get(key) != value)
    to_delete = sorted(key for key in current if purge and key not in wanted and not key.startswith(keep_prefix))
    return to_set, to_delete


def describe_model(model):
    """The parts of a registered model the modules manage and return."""
    if model is None:
        return None
    return {
        "name": model.get("name"),
        "description": model.get("description", ""),
        "tags": tags_dict(model.get("tags")),
        "aliases": dict((alias["alias"], str(alias["version"])) for alias in model.get("aliases") or []),
    }
