#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: presets.mlflow maintainers
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: user
short_description: Keep a user of MLflow's basic-auth app as declared
version_added: 0.2.0
description:
  - Creates and deletes users of MLflow's basic-auth app, and keeps their password and administrator flag,
    through the REST API of an MLflow tracking server, logged in as an administrator.
  - Whether the password is the declared one is found by logging in with it (MLflow keeps only a hash), so
    a re-run with the same password changes nothing.
extends_documentation_fragment:
  - presets.mlflow.connection
  - presets.mlflow.attributes
options:
  name:
    description: The user's name.
    type: str
    required: true
  user_password:
    description:
      - The user's password. Required to create a user.
    type: str
  update_password:
    description:
      - V(always) sets O(user_password) when the user cannot log in with it; V(on_create) only on creation
        (a user may have changed it since).
    type: str
    choices: [always, on_create]
    default: always
  admin:
    description: Whether the user is an administrator. Left as it is when not given (a new user is not).
    type: bool
  state:
    description: V(absent) deletes the user (and its permissions).
    type: str
    choices: [present, absent]
    default: present
author:
  - presets.mlflow maintainers (@presets)
"""

EXAMPLES = r"""
- name: The deployer account exists, with its password from the vault
  presets.mlflow.user:
    tracking_uri: https://mlflow.example.com
    username: admin
    password: "{{ vault_mlflow_admin_password }}"
    name: deployer
    user_password: "{{ vault_mlflow_deployer_password }}"
    admin: false
  delegate_to: localhost
"""

RETURN = r"""
user:
  description: The user after the change (before it, in check mode); never a password.
  returned: when the user exists
  type: dict
  sample: {name: deployer, admin: false}
changes:
  description: What changed (or would, in check mode).
  returned: always
  type: list
  elements: str
  sample: ["created user deployer"]
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.presets.mlflow.plugins.module_utils.mlflow_api import (
    MlflowApi,
    MlflowApiError,
    connection_argument_spec,
)

USERS = "2.0/mlflow/users/"


def plan(current, params, logs_in):
    """(changes, calls, after) from current ({name, admin} or None) to params.

    logs_in() says whether the user logs in with the declared password (asked only when needed).
    """
    name = params["name"]
    if params["state"] == "absent":
        if current is None:
            return [], [], None
        return ["deleted user %s" % name], [("DELETE", USERS + "delete", {"username": name})], None
    changes, calls = [], []
    if current is None:
        if not params["user_password"]:
            raise MlflowApiError("user_password is required to create the user")
        changes.append("created user %s" % name)
        calls.append(("POST", USERS + "create", {"username": name, "password": params["user_password"]}))
        after = {"name": name, "admin": False}
    else:
        after = dict(current)
        if params["user_password"] and params["update_password"] == "always" and not logs_in():
            changes.append("set the password of user %s" % name)
            calls.append(("PATCH", USERS + "update-password", {"username": name, "password": params["user_password"]}))
    if params["admin"] is not None and params["admin"] != after["admin"]:
        changes.append("set admin=%s for user %s" % (params["admin"], name))
        calls.append(("PATCH", USERS + "update-admin", {"username": name, "is_admin": params["admin"]}))
        after["admin"] = params["admin"]
    return changes, calls, after


def find(api, name):
    found = api.get(USERS + "get", {"username": name}, missing_ok=True)
    if not found:
        return None
    return {"name": found["user"]["username"], "admin": bool(found["user"].get("is_admin"))}


def main():
    argument_spec = connection_argument_spec()
    argument_spec.update(
        name=dict(type="str", required=True),
        user_password=dict(type="str", no_log=True),
        update_password=dict(type="str", choices=["always", "on_create"], default="always", no_log=False),
        admin=dict(type="bool"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    name = module.params["name"]
    try:
        api = MlflowApi.from_module(module, os.environ)
        current = find(api, name)

        def logs_in():
            own = MlflowApi(api.base, name, module.params["user_password"], api.ca_path, api.validate_certs,
                            api.timeout)
            try:
                own.get(USERS + "get", {"username": name})
            except MlflowApiError as err:
                if err.status == 401:
                    return False
                raise
            return True

        changes, calls, after = plan(current, module.params, logs_in)
        if calls and not module.check_mode:
            for method, path, body in calls:
                api.call(method, path, body=body)
            after = find(api, name)
    except MlflowApiError as err:
        module.fail_json(msg="user %s: %s" % (name, err), status=err.status, error_code=err.error_code)
    result = {"changed": bool(changes), "changes": changes,
              "diff": {"before": current or {}, "after": after or {}}}
    if after is not None:
        result["user"] = after
    module.exit_json(**result)


if __name__ == "__main__":
    main()
