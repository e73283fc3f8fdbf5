# -*- coding: utf-8 -*-
# Copyright: presets.mlflow maintainers
# Apache License 2.0 (see LICENSE)
"""Checks of variables' values by the rules of what reads them (the check_values module, the network test)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import json
import re
from urllib.parse import urlsplit


LABEL = r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)"
SERVER_NAME = re.compile(r"^(?=.{1,253}$)%s(\.%s)*\.?$" % (LABEL, LABEL))
DURATION = re.compile(r"^(?=.)(([.\d]+?)d)?(([.\d]+?)h)?(([.\d]+?)m)?(([.\d]+?)s)?$")
SIZE = re.compile(r"^[0-9]+[kKmMgG]?$")
VERSION = re.compile(r"^[0-9]+(\.[0-9]+)*((a|b|rc)[0-9]+)?(\.post[0-9]+)?(\.dev[0-9]+)?$")
UNIX_NAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
WORD = re.compile(r"^[^\s]+$")

KINDS = ["port", "int", "calendar", "duration", "size", "server_name", "networks", "url", "path", "version",
         "unix_name", "env", "words", "text"]
EXPECTED = {
    "port": "a TCP port, a whole number from 1 to 65535",
    "calendar": "a systemd OnCalendar expression, for example daily, weekly, Mon..Fri 02:00 or *-*-* 03:30:00",
    "duration": "an age as mlflow gc --older-than takes it, #d#h#m#s: for example 30d, 12h or 2d8h5m20s",
    "size": "an nginx size, a whole number with an optional k, m or g: for example 512m or 20g",
    "server_name": "a DNS name (letters, digits and hyphens in dot-separated labels of at most 63 characters)",
    "networks": "IP addresses or CIDR networks, for example 10.0.0.5, 10.0.0.0/8 or fd00::/8",
    "path": "an absolute path (it starts with /) on one line",
    "version": "an exact release, for example 3.17.2",
    "unix_name": "a system name: lower-case letters, digits, _ and -, starting with a letter or _, at most 32",
    "env": "a map of environment variable names (letters, digits, _; not starting with a digit) to values on "
           "one line",
    "words": "non-empty strings without spaces",
    "text": "a non-empty string on one line",
}


def shown(value, secret, kind=None):
    """The value as a message shows it: a secret's not at all, but a URL's with its password masked."""
    if secret and kind == "url" and isinstance(value, str):
        try:
            parts = urlsplit(value)
            if parts.password is not None:
                netloc = parts.netloc.replace(":" + parts.password + "@", ":********@", 1)
                return json.dumps(parts._replace(netloc=netloc).geturl())
            if parts.username is None:
                return json.dumps(value)
        except ValueError:
            pass
    return "(a secret, not shown)" if secret else json.dumps(value, default=str)


def is_int(value):
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, str) and re.match(r"^-?[0-9]+$", value.strip()) is not None


def single_line(value):
    return isinstance(value, str) and value != "" and "\n" not in value and "\r" not in value


def check_one(kind, value, check):
    """The reason value is not a `kind`, or None."""
    if kind in ("port", "int"):
        low, high = (1, 65535) if kind == "port" else (check.get("min"), check.get("max"))
        if not is_int(value):
            return "is not a whole number"
        number = int(value)
        if (low is not None and number < low) or (high is not None and number > high):
            return "is out of range (%s to %s)" % ("..." if low is None else low, "..." if high is None else high)
        return None
    if kind == "calendar":
        return None if single_line(value) else "is not a calendar spec on one line"
    if kind == "duration":
        return None if isinstance(value, str) and DURATION.match(value) else "is not an age MLflow's gc reads"
    if kind == "size":
        return None if isinstance(value, (str, int)) and not isinstance(value, bool) and SIZE.match(str(value)) \
            else "is not an nginx size"
    if kind == "server_name":
        return None if isinstance(value, str) and SERVER_NAME.match(value) else "is not a DNS name"
    if kind == "networks":
        return None if network(value) else "is not an IP address or network"
    if kind == "url":
        return url_problem(value, check.get("schemes"), check.get("host", True))
    if kind == "path":
        return None if single_line(value) and value.startswith("/") else "is not an absolute path"
    if kind == "version":
        return None if isinstance(value, str) and VERSION.match(value) else "is not an exact release"
    if kind == "unix_name":
        return None if isinstance(value, str) and UNIX_NAME.match(value) else "is not a system name"
    if kind == "env":
        if not isinstance(value, dict):
            return "is not a map"
        bad = [key for key, item in value.items()
               if not (isinstance(key, str) and ENV_NAME.match(key)) or "\n" in str(item) or "\r" in str(item)]
        return "has names or values no environment file can hold: %s" % ", ".join(map(str, bad)) if bad else None
    if kind == "words":
        return None if isinstance(value, str) and WORD.match(value) else "is not a word (non-empty, no spaces)"
    if kind == "text":
        return None if single_line(value) else "is not a non-empty string on one line"
    return "has an unknown kind %s" % kind


def network(value):
    if not isinstance(value, str) or value != value.strip() or not value or "%" in value:
        return False
    address, slash, prefix = value.partition("/")
    if slash and not (prefix.isdigit() and prefix == str(int(prefix))):
        return False
    try:
        ipaddress.ip_network(value, strict=False)
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


def url_problem(value, schemes, host=True):
    if not isinstance(value, str) or not value or re.search(r"\s", value):
        return "is not a URL (without spaces, on one line)"
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as error:
        return "is not a URL (%s)" % error
    if schemes and parts.scheme not in schemes:
        return "is not a URL with the scheme %s" % " or ".join(schemes)
    if not parts.scheme:
        return "is not an absolute URL"
    if not parts.hostname:
        return None if not host else "is not an absolute URL with a host"
    if not (SERVER_NAME.match(parts.hostname) or network(parts.hostname)):
        return "has a host that is neither a DNS name nor an IP address"
    if port is not None and not 1 <= port <= 65535:
        return "has a port out of range"
    return None


def empty(value):
    return value is None or value == "" or value == [] or value == {}


def problems_of(checks, calendar_check):
    problems = []
    for check in checks:
        name, kind, value = check["name"], check["kind"], check.get("value")
        secret = check.get("secret", False)
        if empty(value):
            if not check.get("empty_ok", False):
                problems.append("%s: must be set. Expected %s." % (name, expected(check)))
            continue
        items = value if check.get("list") else [value]
        if check.get("list") and not isinstance(value, list):
            problems.append("%s: %s is not a list. Expected a list of %s."
                            % (name, shown(value, secret), expected(check)))
            continue
        for item in items:
            reason = check_one(kind, item, check)
            if reason is None and kind == "calendar":
                reason = calendar_check(item)
            if reason is not None:
                problems.append("%s: %s %s. Expected %s." % (name, shown(item, secret, kind), reason,
                                                             expected(check)))
    return problems


def expected(check):
    kind = check["kind"]
    if kind == "int":
        low, high = check.get("min"), check.get("max")
        return "a whole number" + ("" if low is None else " from %s" % low) + ("" if high is None else " to %s" % high)
    if kind == "url":
        schemes = check.get("schemes")
        return "an absolute URL" + (" with a host" if check.get("host", True) else "") \
            + (" and the scheme %s" % " or ".join(schemes) if schemes else "")
    return EXPECTED[kind]
