#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: presets.mlflow maintainers
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: registered_model
short_description: Keep a registered model of MLflow's model registry as declared, with its aliases
version_added: 0.2.0
description:
  - Creates, describes, tags and deletes a registered model, and points its aliases (C(champion),
    C(challenger), ...) at versions, through the REST API of an MLflow tracking server.
  - Versions themselves are made by logging and registering models (C(mlflow.register_model)); this module
    promotes them by moving aliases, the way MLflow 3 replaces stages.
extends_documentation_fragment:
  - presets.mlflow.connection
  - presets.mlflow.attributes
options:
  name:
    description: The registered model's name.
    type: str
    required: true
  state:
    description:
      - V(present) creates the model if needed; V(absent) deletes it with all its versions (the runs and their
        artifacts stay).
    type: str
    choices: [present, absent]
    default: present
  description:
    description: The model's description. Left as it is when not given.
    type: str
  tags:
    description: Tags the model has. Tags not listed stay unless O(purge_tags=true).
    type: dict
  purge_tags:
    description: Delete the model's tags that O(tags) does not list (never MLflow's own, C(mlflow.*)).
    type: bool
    default: false
  aliases:
    description:
      - "Aliases and the version each points at, for example C({champion: 3, challenger: 4}). An alias is set
        or moved to its version; an alias given V(null) is removed."
      - Every version named must exist.
    type: dict
  purge_aliases:
    description: Remove the model's aliases that O(aliases) does not list.
    type: bool
    default: false
author:
  - presets.mlflow maintainers (@presets)
"""

EXAMPLES = r"""
- name: Version 4 becomes the champion, 3 stays as the fallback
  presets.mlflow.registered_model:
    tracking_uri: https://mlflow.example.com
    username: admin
    password: "{{ vault_mlflow_admin_password }}"
    name: churn
    description: Churn classifier of the growth team
    tags:
      team: growth
    aliases:
      champion: 4
      fallback: 3
      challenger: null
  delegate_to: localhost
"""

RETURN = r"""
registered_model:
  description: The model after the change (before it, in check mode).
  returned: when the model exists
  type: dict
  sample:
    name: churn
    description: Churn classifier of the growth team
    tags: {team: growth}
    aliases: {champion: "4", fallback: "3"}
changes:
  description: What changed (or would, in check mode).
  returned: always
  type: list
  elements: str
  sample: ["moved alias champion of churn from version 3 to 4"]
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.presets.mlflow.plugins.module_utils.mlflow_api import (
    MlflowApi,
    MlflowApiError,
    connection_argument_spec,
    describe_model,
    tag_changes,
)

MODELS = "2.0/mlflow/registered-models/"


def plan(current, params, version_exists):
    """(changes, calls, after) from current (describe() or None) to params.

    version_exists(version) says whether the model has that version (only asked for
    versions an alias is to point at).
    """
    name = params["name"]
    changes, calls = [], []
    if params["state"] == "absent":
        if current is None:
            return changes, calls, None
        return ["deleted registered model %s" % name], [("DELETE", MODELS + "delete", {"name": name})], None

    wanted_tags = dict((key, str(value)) for key, value in (params["tags"] or {}).items())
    wanted_aliases = params["aliases"] or {}
    for alias, version in sorted(wanted_aliases.items()):
        if version is None:
            continue
        version = str(version)
        if not version.isdigit():
            raise MlflowApiError("alias %s: %r is not a version number" % (alias, version))
        if current is None or not version_exists(version):
            raise MlflowApiError("alias %s: there is no version %s" % (alias, version))

    if current is None:
        body = {"name": name}
        if params["description"] is not None:
            body["description"] = params["description"]
        if wanted_tags:
            body["tags"] = [{"key": key, "value": value} for key, value in sorted(wanted_tags.items())]
        changes.append("created registered model %s" % name)
        calls.append(("POST", MODELS + "create", body))
        return changes, calls, {"name": name, "description": params["description"] or "", "tags": wanted_tags,
                                "aliases": {}}

    after = {"name": name, "description": current["description"], "tags": dict(current["tags"]),
             "aliases": dict(current["aliases"])}
    if params["description"] is not None and params["description"] != (current["description"] or ""):
        changes.append("set the description of registered model %s" % name)
        calls.append(("PATCH", MODELS + "update", {"name": name, "description": params["description"]}))
        after["description"] = params["description"]
    to_set, to_delete = tag_changes(current["tags"], wanted_tags, params["purge_tags"])
    for key, value in sorted(to_set.items()):
        changes.append("set tag %s of registered model %s" % (key, name))
        calls.append(("POST", MODELS + "set-tag", {"name": name, "key": key, "value": value}))
        after["tags"][key] = value
    for key in to_delete:
        changes.append("deleted tag %s of registered model %s" % (key, name))
        calls.append(("DELETE", MODELS + "delete-tag", {"name": name, "key": key}))
        del after["tags"][key]
    for alias, version in sorted(wanted_aliases.items()):
        held = current["aliases"].get(alias)
        if version is None:
            if held is not None:
                changes.append("removed alias %s of %s (was version %s)" % (alias, name, held))
                calls.append(("DELETE", MODELS + "alias", {"name": name, "alias": alias}))
                del after["aliases"][alias]
            continue
        version = str(version)
        if held == version:
            continue
        if held is None:
            changes.append("set alias %s of %s to version %s" % (alias, name, version))
        else:
            changes.append("moved alias %s of %s from version %s to %s" % (alias, name, held, version))
        calls.append(("POST", MODELS + "alias", {"name": name, "alias": alias, "version": version}))
        after["aliases"][alias] = version
    if params["purge_aliases"]:
        for alias in sorted(set(current["aliases"]) - set(wanted_aliases)):
            changes.append("removed alias %s of %s (was version %s)" % (alias, name, current["aliases"][alias]))
            calls.append(("DELETE", MODELS + "alias", {"name": name, "alias": alias}))
            del after["aliases"][alias]
    return changes, calls, after


def find(api, name):
    found = api.get(MODELS + "get", {"name": name}, missing_ok=True)
    return describe_model(found.get("registered_model")) if found else None


def main():
    argument_spec = connection_argument_spec()
    argument_spec.update(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        description=dict(type="str"),
        tags=dict(type="dict"),
        purge_tags=dict(type="bool", default=False),
        aliases=dict(type="dict"),
        purge_aliases=dict(type="bool", default=False),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    name = module.params["name"]
    try:
        api = MlflowApi.from_module(module, os.environ)
        current = find(api, name)

        def version_exists(version):
            return api.get("2.0/mlflow/model-versions/get", {"name": name, "version": version},
                           missing_ok=True) is not None

        changes, calls, after = plan(current, module.params, version_exists)
        if calls and not module.check_mode:
            for method, path, body in calls:
                api.call(method, path, body=body)
            after = find(api, name)
    except MlflowApiError as err:
        module.fail_json(msg="registered model %s: %s" % (name, err), status=err.status,
                         error_code=err.error_code)
    result = {"changed": bool(changes), "changes": changes,
              "diff": {"before": current or {}, "after": after or {}}}
    if after is not None:
        result["registered_model"] = after
    module.exit_json(**result)


if __name__ == "__main__":
    main()
