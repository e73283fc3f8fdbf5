# -*- coding: utf-8 -*-
# Copyright: presets.mlflow maintainers
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """How the modules reach an MLflow tracking server."""

    DOCUMENTATION = r"""
options:
  tracking_uri:
    description:
      - The MLflow tracking server, C(https://mlflow.example.com) (without C(/api/...)).
      - Falls back to the environment variable E(MLFLOW_TRACKING_URI), as MLflow's own client does.
    type: str
  username:
    description:
      - The user to log in as (MLflow's basic-auth app). Without it the server is called without a login.
      - Falls back to E(MLFLOW_TRACKING_USERNAME).
    type: str
  password:
    description:
      - The password of O(username).
      - Falls back to E(MLFLOW_TRACKING_PASSWORD).
    type: str
  ca_path:
    description:
      - A PEM file of the CA (or the self-signed certificate) that signed the server's TLS certificate.
      - Falls back to E(MLFLOW_TRACKING_SERVER_CERT_PATH). Without either, the system's trust store is used.
    type: path
  validate_certs:
    description:
      - Whether to verify the server's TLS certificate.
      - When not given, V(false) if E(MLFLOW_TRACKING_INSECURE_TLS) is V(true), else V(true).
    type: bool
  timeout:
    description:
      - Seconds to wait for each answer of the server.
    type: int
    default: 30
notes:
  - "The modules speak MLflow's REST API with Ansible's own HTTP client; the machine that runs them needs
    neither MLflow nor C(requests). Run them on the controller (C(delegate_to: localhost)) or on any host
    that reaches the server."
"""
