#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: presets.mlflow maintainers
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: check_values
short_description: Check variables' values the way what will read them does, before anything changes
version_added: 0.3.0
description:
  - The preflight of the collection's roles. Each value is checked by the rules of what eventually reads it -
    systemd's own parser for calendar specs (C(systemd-analyze calendar) on the host), nginx's rules for
    server names, sizes, addresses and networks, URL parsing for URLs, MLflow's for its durations - and every
    value that fails is reported at once, each naming its variable, showing its value (never a secret's) and
    saying what would be accepted.
  - Changes nothing. The roles run it first, so a value that would only fail half-way through a run (a timer
    systemd cannot load, a site nginx refuses) stops the run before a package, a file or a user is touched.
extends_documentation_fragment:
  - presets.mlflow.attributes
options:
  checks:
    description: The values to check.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The variable's name, as the messages show it.
        type: str
        required: true
      value:
        description: Its value (else O(values) gives it).
        type: raw
      kind:
        description:
          - What the value must be. V(port) a TCP port; V(int) a whole number (O(checks[].min), O(checks[].max));
            V(calendar) a systemd calendar spec (C(OnCalendar=)); V(duration) an age as MLflow's C(gc --older-than)
            takes it (V(30d), V(2d8h5m20s)); V(size) an nginx size (V(20g), V(512m)); V(server_name) a DNS name
            nginx and a certificate can carry; V(networks) a list of IP addresses or CIDR networks; V(url) an
            absolute URL with a host (O(checks[].schemes)); V(path) an absolute path; V(version) an exact release
            (V(3.17.2)); V(unix_name) a system user or group name; V(env) a map of environment variable names to
            single-line values; V(words) a list of non-empty single-line strings without spaces; V(text) a
            non-empty single-line string.
        type: str
        required: true
        choices: [port, int, calendar, duration, size, server_name, networks, url, path, version, unix_name, env,
                  words, text]
      empty_ok:
        description: Whether an empty value (V(""), V([]), V({})) is accepted, as "not set".
        type: bool
        default: false
      list:
        description: Whether the value is a list whose every element is checked as O(checks[].kind).
        type: bool
        default: false
      min:
        description: The smallest whole number accepted (O(checks[].kind=int)).
        type: int
      max:
        description: The largest whole number accepted (O(checks[].kind=int)).
        type: int
      schemes:
        description: The URL schemes accepted (O(checks[].kind=url)); any when not given.
        type: list
        elements: str
      host:
        description: Whether the URL must name a host (O(checks[].kind=url); V(false) for C(sqlite:////path)).
        type: bool
        default: true
      from:
        description: The variable the value was read from, when not O(checks[].name) (not used by the check).
        type: str
      secret:
        description: Whether the value is a secret, never shown (give it in O(secret_checks)).
        type: bool
        default: false
  secret_checks:
    description: Like O(checks), for secrets; their values are never logged or shown.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The variable's name.
        type: str
        required: true
      value:
        description: Its value (never logged).
        type: raw
      kind:
        description: What the value must be (see O(checks[].kind)).
        type: str
        required: true
        choices: [port, int, calendar, duration, size, server_name, networks, url, path, version, unix_name, env,
                  words, text]
      empty_ok:
        description: Whether an empty value is accepted.
        type: bool
        default: false
      list:
        description: Whether the value is a list of them.
        type: bool
        default: false
      min:
        description: The smallest whole number accepted.
        type: int
      max:
        description: The largest whole number accepted.
        type: int
      schemes:
        description: The URL schemes accepted.
        type: list
        elements: str
      host:
        description: Whether the URL must name a host (O(checks[].kind=url); V(false) for C(sqlite:////path)).
        type: bool
        default: true
      from:
        description: The variable the value was read from, when not O(checks[].name) (not used by the check).
        type: str
      secret:
        description: Ignored (always true here).
        type: bool
        default: false
  values:
    description: The values of the checks that give none, by their O(checks[].name).
    type: dict
    default: {}
  secret_values:
    description: The values of the secret checks that give none, by name (never logged).
    type: dict
    default: {}
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
author:
  - presets.mlflow maintainers (@presets)
notes:
  - C(systemd-analyze) runs on the host for calendar specs; hosts without systemd skip that check.
"""

EXAMPLES = r"""
- name: Check the backup schedule and the ports before anything changes
  presets.mlflow.check_values:
    checks:
      - {name: mlflow_backup_on_calendar, value: "{{ mlflow_backup_on_calendar }}", kind: calendar}
      - {name: mlflow_https_port, value: "{{ mlflow_https_port }}", kind: port}
      - {name: mlflow_proxy_max_body_size, value: "{{ mlflow_proxy_max_body_size }}", kind: size}
"""

RETURN = r"""
problems:
  description: One line per value that failed, naming its variable; empty when all passed.
  returned: always
  type: list
  elements: str
  sample:
    - >-
      mlflow_backup_on_calendar: "every day at three" is not a calendar spec systemd understands (Failed to parse
      calendar specification 'every day at three': Invalid argument). Expected a systemd OnCalendar expression,
      for example daily, weekly, Mon..Fri 02:00 or *-*-* 03:30:00.
"""

import shutil

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.presets.mlflow.plugins.module_utils.values import KINDS, problems_of


def main():
    check = dict(
        name=dict(type="str", required=True),
        value=dict(type="raw"),
        kind=dict(type="str", required=True, choices=KINDS),
        empty_ok=dict(type="bool", default=False),
        list=dict(type="bool", default=False),
        min=dict(type="int"),
        max=dict(type="int"),
        schemes=dict(type="list", elements="str"),
        host=dict(type="bool", default=True),
        secret=dict(type="bool", default=False),
        **{"from": dict(type="str")}
    )
    module = AnsibleModule(
        argument_spec=dict(
            checks=dict(type="list", elements="dict", required=True, options=check),
            secret_checks=dict(type="list", elements="dict", default=[], no_log=False,
                               options=dict(check, value=dict(type="raw", no_log=True))),
            values=dict(type="dict", default={}),
            secret_values=dict(type="dict", default={}, no_log=True),
        ),
        supports_check_mode=True,
    )
    analyze = shutil.which("systemd-analyze")

    def calendar_check(spec):
        if analyze is None:
            return None
        rc, _out, err = module.run_command([analyze, "calendar", "--iterations=1", spec])
        if rc == 0:
            return None
        reason = " ".join(line.strip() for line in err.splitlines() if line.strip())
        return "is not a calendar spec systemd understands (%s)" % (reason or "systemd-analyze refused it")

    def valued(check, values, secret):
        value = check["value"] if check.get("value") is not None else values.get(check["name"])
        return dict(check, value=value, secret=secret or check.get("secret", False))

    checks = [valued(item, module.params["values"], False) for item in module.params["checks"]]
    checks += [valued(item, module.params["secret_values"], True) for item in module.params["secret_checks"]]
    problems = problems_of(checks, calendar_check)
    if problems:
        module.fail_json(msg="Some variables have values that would fail later; nothing was changed:\n"
                             + "\n".join(problems), problems=problems)
    module.exit_json(changed=False, problems=[])


if __name__ == "__main__":
    main()
