#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: presets.mlflow maintainers
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: permission
short_description: Keep a user's permission on an MLflow experiment or registered model
version_added: 0.2.0
description:
  - Grants, changes and revokes what a user of MLflow's basic-auth app may do with one experiment or one
    registered model - the kinds of permission MLflow's basic-auth app has - through the REST API of an
    MLflow tracking server, logged in as an administrator.
  - Only the user's own (direct) grants are managed; permissions that come from roles stay as they are.
  - In check mode a user or an experiment that does not exist yet counts as holding no permission (an
    earlier task of the play would have made it).
extends_documentation_fragment:
  - presets.mlflow.connection
  - presets.mlflow.attributes
options:
  user:
    description: The user's name; the user must exist (M(presets.mlflow.user)).
    type: str
    required: true
  experiment:
    description: The experiment's name; it must exist (M(presets.mlflow.experiment)).
    type: str
  registered_model:
    description: The registered model's name.
    type: str
  permission:
    description:
      - What the user may do. Required with O(state=present).
    type: str
    choices: [READ, USE, EDIT, MANAGE, NO_PERMISSIONS]
  state:
    description: V(absent) revokes the user's direct grant on the resource.
    type: str
    choices: [present, absent]
    default: present
author:
  - presets.mlflow maintainers (@presets)
"""

EXAMPLES = r"""
- name: The deployer reads the churn model, the growth team edits its experiment
  presets.mlflow.permission:
    user: "{{ item.user }}"
    experiment: "{{ item.experiment | default(omit) }}"
    registered_model: "{{ item.model | default(omit) }}"
    permission: "{{ item.permission }}"
  loop:
    - {user: deployer, model: churn, permission: READ}
    - {user: alice, experiment: churn-model, permission: EDIT}
  module_defaults:
    group/presets.mlflow.mlflow:
      tracking_uri: https://mlflow.example.com
      username: admin
      password: "{{ vault_mlflow_admin_password }}"
  delegate_to: localhost
"""

RETURN = r"""
permission:
  description: The user's direct permission on the resource after the change (V(null) when none).
  returned: always
  type: str
  sample: EDIT
changes:
  description: What changed (or would, in check mode).
  returned: always
  type: list
  elements: str
  sample: ["granted EDIT on experiment churn-model to alice (was READ)"]
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.presets.mlflow.plugins.module_utils.mlflow_api import (
    MlflowApi,
    MlflowApiError,
    connection_argument_spec,
)

PERMISSIONS = "3.0/mlflow/users/permissions/"


def direct_grants(rows):
    """{(resource_type, resource): permission} of a user's own grants (its synthetic role)."""
    return dict(((row["resource_type"], row["resource_pattern"]), row["permission"])
                for row in rows if str(row.get("role_name", "")).startswith("__user_"))


def plan(current, params, kind, resource, what):
    """(changes, calls, after) to get the user's direct permission on the resource from current."""
    user = params["user"]
    body = {"username": user, "resource_type": kind, "resource_id": resource}
    if params["state"] == "absent":
        if current is None:
            return [], [], None
        return ["revoked %s on %s from %s" % (current, what, user)], [("POST", PERMISSIONS + "revoke", body)], None
    wanted = params["permission"]
    if current == wanted:
        return [], [], current
    calls = [("POST", PERMISSIONS + "revoke", body)] if current is not None else []
    calls.append(("POST", PERMISSIONS + "grant", dict(body, permission=wanted)))
    return ["granted %s on %s to %s%s" % (wanted, what, user, " (was %s)" % current if current else "")], calls, wanted


def main():
    argument_spec = connection_argument_spec()
    argument_spec.update(
        user=dict(type="str", required=True),
        experiment=dict(type="str"),
        registered_model=dict(type="str"),
        permission=dict(type="str", choices=["READ", "USE", "EDIT", "MANAGE", "NO_PERMISSIONS"]),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True,
                           required_one_of=[("experiment", "registered_model")],
                           mutually_exclusive=[("experiment", "registered_model")],
                           required_if=[("state", "present", ["permission"])])
    params = module.params
    if params["experiment"] is not None:
        what = "experiment %s" % params["experiment"]
    else:
        what = "registered model %s" % params["registered_model"]
    try:
        api = MlflowApi.from_module(module, os.environ)
        if params["experiment"] is not None:
            kind = "experiment"
            found = api.get("2.0/mlflow/experiments/get-by-name", {"experiment_name": params["experiment"]},
                            missing_ok=True)
            if found is not None and found["experiment"].get("lifecycle_stage") != "deleted":
                resource = found["experiment"]["experiment_id"]
            elif module.check_mode:
                resource = None
            else:
                raise MlflowApiError("no such experiment (make it with presets.mlflow.experiment first)",
                                     status=404, error_code="RESOURCE_DOES_NOT_EXIST")
        else:
            kind, resource = "registered_model", params["registered_model"]
        listed = api.get(PERMISSIONS + "list", {"username": params["user"]}, missing_ok=True)
        if listed is None and module.check_mode:
            listed = {}
        elif listed is None:
            raise MlflowApiError("there is no user %s (make it with presets.mlflow.user first)" % params["user"],
                                 status=404, error_code="RESOURCE_DOES_NOT_EXIST")
        current = direct_grants(listed.get("permissions") or []).get((kind, resource))
        changes, calls, after = plan(current, params, kind, resource, what)
        if calls and not module.check_mode:
            for method, path, body in calls:
                api.call(method, path, body=body)
            listed = api.get(PERMISSIONS + "list", {"username": params["user"]})
            after = direct_grants(listed.get("permissions") or []).get((kind, resource))
    except MlflowApiError as err:
        module.fail_json(msg="%s, user %s: %s" % (what, params["user"], err), status=err.status,
                         error_code=err.error_code)
    module.exit_json(changed=bool(changes), changes=changes, permission=after,
                     diff={"before": {"permission": current}, "after": {"permission": after}})


if __name__ == "__main__":
    main()
