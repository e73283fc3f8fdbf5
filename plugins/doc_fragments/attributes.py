# -*- coding: utf-8 -*-
# Copyright: presets.mlflow maintainers
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """What every module of the collection says of check mode and diff mode."""

    DOCUMENTATION = r"""
attributes:
  check_mode:
    description: Can run in check mode and return what would change, without changing it.
    support: full
  diff_mode:
    description: Returns what it manages before and after the change when run with C(--diff).
    support: full
"""
