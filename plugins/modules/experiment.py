#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: presets.mlflow maintainers
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: experiment
short_description: Keep an MLflow experiment as declared
version_added: 0.2.0
description:
  - Creates, tags, deletes and restores an experiment of an MLflow tracking server through its REST API.
  - MLflow deletes an experiment by marking it deleted; O(state=present) restores a deleted one.
extends_documentation_fragment:
  - presets.mlflow.connection
  - presets.mlflow.attributes
options:
  name:
    description: The experiment's name.
    type: str
    required: true
  state:
    description:
      - V(present) creates the experiment (or restores a deleted one); V(absent) deletes it (MLflow keeps it,
        marked deleted, until C(mlflow gc)).
    type: str
    choices: [present, absent]
    default: present
  tags:
    description:
      - Tags the experiment has. Tags not listed stay unless O(purge_tags=true).
    type: dict
  purge_tags:
    description:
      - Delete the experiment's tags that O(tags) does not list (never those MLflow sets itself, C(mlflow.*)).
    type: bool
    default: false
  artifact_location:
    description:
      - Where the experiment's artifacts go, set when the experiment is created. MLflow cannot move an
        experiment's artifacts, so a different location on an existing experiment is an error.
      - When not given, the server's default.
    type: str
author:
  - presets.mlflow maintainers (@presets)
"""

EXAMPLES = r"""
- name: The team's experiment exists, tagged
  presets.mlflow.experiment:
    tracking_uri: https://mlflow.example.com
    username: admin
    password: "{{ vault_mlflow_admin_password }}"
    name: churn-model
    tags:
      team: growth
  delegate_to: localhost

- name: An old experiment is deleted (credentials from MLFLOW_TRACKING_* in the environment)
  presets.mlflow.experiment:
    name: churn-model-2023
    state: absent
"""

RETURN = r"""
experiment:
  description: The experiment after the change (before it, in check mode), as the server describes it.
  returned: when the experiment exists (also deleted)
  type: dict
  sample:
    experiment_id: "3"
    name: churn-model
    artifact_location: mlflow-artifacts:/3
    lifecycle_stage: active
    tags: {team: growth}
changes:
  description: What changed (or would, in check mode).
  returned: always
  type: list
  elements: str
  sample: ["created experiment churn-model", "set tag team"]
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.presets.mlflow.plugins.module_utils.mlflow_api import (
    MlflowApi,
    MlflowApiError,
    connection_argument_spec,
    tag_changes,
    tags_dict,
)


def describe(experiment):
    """The parts of an experiment this module manages, for the result and the diff."""
    if experiment is None:
        return None
    return {
        "experiment_id": experiment.get("experiment_id"),
        "name": experiment.get("name"),
        "artifact_location": experiment.get("artifact_location"),
        "lifecycle_stage": experiment.get("lifecycle_stage"),
        "tags": tags_dict(experiment.get("tags")),
    }


def plan(current, params):
    """The calls that bring the experiment from current (describe() or None) to params.

    Returns (changes, calls, after): human-readable changes, [(method, path, body)] with
    the placeholder ID for an experiment not created yet, and the expected state.
    """
    name = params["name"]
    changes, calls = [], []
    if params["state"] == "absent":
        if current is None or current["lifecycle_stage"] == "deleted":
            return changes, calls, current
        after = dict(current, lifecycle_stage="deleted")
        changes.append("deleted experiment %s" % name)
        calls.append(("POST", "2.0/mlflow/experiments/delete", {"experiment_id": current["experiment_id"]}))
        return changes, calls, after

    wanted_tags = dict((key, str(value)) for key, value in (params["tags"] or {}).items())
    location = params["artifact_location"]
    if current is None:
        body = {"name": name}
        if location:
            body["artifact_location"] = location
        if wanted_tags:
            body["tags"] = [{"key": key, "value": value} for key, value in sorted(wanted_tags.items())]
        changes.append("created experiment %s" % name)
        calls.append(("POST", "2.0/mlflow/experiments/create", body))
        return changes, calls, {"experiment_id": None, "name": name, "artifact_location": location,
                                "lifecycle_stage": "active", "tags": wanted_tags}

    if location and location.rstrip("/") != (current["artifact_location"] or "").rstrip("/"):
        raise MlflowApiError(
            "it exists with artifact_location %s; MLflow cannot move it to %s (create another "
            "experiment, or leave artifact_location out)" % (current["artifact_location"], location))
    after = dict(current, tags=dict(current["tags"]))
    experiment_id = current["experiment_id"]
    if current["lifecycle_stage"] == "deleted":
        changes.append("restored experiment %s" % name)
        calls.append(("POST", "2.0/mlflow/experiments/restore", {"experiment_id": experiment_id}))
        after["lifecycle_stage"] = "active"
    to_set, to_delete = tag_changes(current["tags"], wanted_tags, params["purge_tags"])
    for key, value in sorted(to_set.items()):
        changes.append("set tag %s of experiment %s" % (key, name))
        calls.append(("POST", "2.0/mlflow/experiments/set-experiment-tag",
                      {"experiment_id": experiment_id, "key": key, "value": value}))
        after["tags"][key] = value
    for key in to_delete:
        changes.append("deleted tag %s of experiment %s" % (key, name))
        calls.append(("POST", "2.0/mlflow/experiments/delete-experiment-tag",
                      {"experiment_id": experiment_id, "key": key}))
        del after["tags"][key]
    return changes, calls, after


def find(api, name):
    """The experiment called name (active or deleted), or None."""
    found = api.get("2.0/mlflow/experiments/get-by-name", {"experiment_name": name}, missing_ok=True)
    return describe(found.get("experiment")) if found else None


def main():
    argument_spec = connection_argument_spec()
    argument_spec.update(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        tags=dict(type="dict"),
        purge_tags=dict(type="bool", default=False),
        artifact_location=dict(type="str"),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    name = module.params["name"]
    try:
        api = MlflowApi.from_module(module, os.environ)
        current = find(api, name)
        changes, calls, after = plan(current, module.params)
        if calls and not module.check_mode:
            for method, path, body in calls:
                answer = api.call(method, path, body=body)
                if path.endswith("/create"):
                    after["experiment_id"] = answer.get("experiment_id")
            after = find(api, name)
    except MlflowApiError as err:
        module.fail_json(msg="experiment %s: %s" % (name, err), status=err.status, error_code=err.error_code)
    result = {"changed": bool(changes), "changes": changes,
              "diff": {"before": current or {}, "after": after or {}}}
    if after is not None:
        result["experiment"] = after
    module.exit_json(**result)


if __name__ == "__main__":
    main()
