#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: presets.mlflow maintainers
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: registered_model_info
short_description: Read a registered model, its versions and what an alias points at
version_added: 0.2.0
description:
  - Reads a registered model of MLflow's model registry through the REST API of a tracking server - its
    description, tags and aliases, every version with its run, source, status and aliases - and resolves an
    alias or a version to one model version, what a deployment needs.
  - Changes nothing.
extends_documentation_fragment:
  - presets.mlflow.connection
  - presets.mlflow.attributes
options:
  name:
    description: The registered model's name.
    type: str
    required: true
  alias:
    description: Resolve this alias to its version (returned as RV(model_version)); an unknown alias fails.
    type: str
  version:
    description: Return this version as RV(model_version); an unknown version fails.
    type: str
attributes:
  diff_mode:
    description: Has nothing to compare.
    support: none
author:
  - presets.mlflow maintainers (@presets)
"""

EXAMPLES = r"""
- name: Which version is the champion?
  presets.mlflow.registered_model_info:
    tracking_uri: https://mlflow.example.com
    username: deployer
    password: "{{ vault_mlflow_deployer_password }}"
    name: churn
    alias: champion
  delegate_to: localhost
  register: churn

- name: Deploy it
  ansible.builtin.debug:
    msg: "models:/churn/{{ churn.model_version.version }} from run {{ churn.model_version.run_id }}"
"""

RETURN = r"""
registered_model:
  description: The model.
  returned: always
  type: dict
  sample: {name: churn, description: "", tags: {team: growth}, aliases: {champion: "4"}}
versions:
  description: Every version of the model, newest first.
  returned: always
  type: list
  elements: dict
  sample:
    - version: "4"
      run_id: 0c5b8a9e3f6d4b1a9c2e7f8d6a5b4c3d
      source: models:/m-1a2b3c
      status: READY
      aliases: [champion]
      tags: {}
      creation_timestamp: 1795684133799
model_version:
  description: The version O(alias) or O(version) names (one element of RV(versions)).
  returned: when O(alias) or O(version) is given
  type: dict
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.presets.mlflow.plugins.module_utils.mlflow_api import (
    MlflowApi,
    MlflowApiError,
    connection_argument_spec,
    describe_model,
    tags_dict,
)

VERSION_FIELDS = ("version", "run_id", "source", "status", "status_message", "current_stage",
                  "creation_timestamp", "last_updated_timestamp", "description", "run_link")


def describe_version(version):
    info = dict((field, version.get(field)) for field in VERSION_FIELDS if field in version)
    info["version"] = str(version["version"])
    info["aliases"] = sorted(version.get("aliases") or [])
    info["tags"] = tags_dict(version.get("tags"))
    return info


def all_versions(api, name):
    """Every version of the model, newest first (search pages through them)."""
    versions, token = [], None
    escaped = name.replace("\\", "\\\\").replace("'", "\\'")
    while True:
        query = {"filter": "name='%s'" % escaped, "max_results": 1000}
        if token:
            query["page_token"] = token
        page = api.get("2.0/mlflow/model-versions/search", query)
        versions.extend(describe_version(version) for version in page.get("model_versions") or [])
        token = page.get("next_page_token")
        if not token:
            break
    return sorted(versions, key=lambda version: int(version["version"]), reverse=True)


def main():
    argument_spec = connection_argument_spec()
    argument_spec.update(
        name=dict(type="str", required=True),
        alias=dict(type="str"),
        version=dict(type="str"),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True,
                           mutually_exclusive=[("alias", "version")])
    name, alias, version = module.params["name"], module.params["alias"], module.params["version"]
    result = {"changed": False}
    try:
        api = MlflowApi.from_module(module, os.environ)
        found = api.get("2.0/mlflow/registered-models/get", {"name": name}, missing_ok=True)
        if found is None:
            raise MlflowApiError("no such registered model", status=404,
                                 error_code="RESOURCE_DOES_NOT_EXIST")
        result["registered_model"] = describe_model(found["registered_model"])
        result["versions"] = all_versions(api, name)
        for entry in result["versions"]:  # search answers without them
            entry["aliases"] = sorted(held for held, number in result["registered_model"]["aliases"].items()
                                      if number == entry["version"])
        if alias is not None:
            wanted = result["registered_model"]["aliases"].get(alias)
            if wanted is None:
                raise MlflowApiError("there is no alias %s (its aliases: %s)" % (
                    alias, ", ".join(sorted(result["registered_model"]["aliases"])) or "none"),
                    status=404, error_code="RESOURCE_DOES_NOT_EXIST")
        else:
            wanted = version
        if wanted is not None:
            matches = [entry for entry in result["versions"] if entry["version"] == str(wanted)]
            if not matches:
                raise MlflowApiError("there is no version %s" % wanted, status=404,
                                     error_code="RESOURCE_DOES_NOT_EXIST")
            result["model_version"] = matches[0]
    except MlflowApiError as err:
        module.fail_json(msg="registered model %s: %s" % (name, err), status=err.status, error_code=err.error_code)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
