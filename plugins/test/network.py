# -*- coding: utf-8 -*-
# Copyright: presets.mlflow maintainers
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: network
short_description: Whether a value is an IP address or network, as nginx's allow and set_real_ip_from take it
version_added: 0.3.0
description:
  - True for an IPv4 or IPv6 address (V(10.0.0.5), V(::1)) or network in CIDR notation (V(10.0.0.0/8),
    V(fd00::/8)), the forms nginx's C(allow), C(deny) and C(set_real_ip_from) accept. A network whose address
    has bits set beyond its prefix (V(10.0.0.1/8)) is accepted, as nginx accepts it.
  - False for anything else, names included (nginx would refuse them, or resolve them once at start).
options:
  _input:
    description: The value to test.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Check the networks before nginx reads them
  ansible.builtin.assert:
    that: mlflow_metrics_allow_networks | reject('presets.mlflow.network') | list == []
"""

RETURN = r"""
_value:
  description: Whether the value is an address or a network.
  type: bool
"""

from ansible_collections.presets.mlflow.plugins.module_utils.values import network


class TestModule(object):
    def tests(self):
        return {"network": network}
