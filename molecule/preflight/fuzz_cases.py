"""The preflight's fuzz, generated from the roles' argument specs and value tables.

For every public variable of every role: a value of its type but of the wrong content
(derived from its check's kind, or the table's "bad" value; a choice that is not one), and
a value of the wrong type. Each must make the role fail before any change, naming the
variable. Values that one check judges alone (the argument spec's types; check_values'
kinds, which report every bad value at once) are tried together, one run per role and kind
of fault, the others (the preflight's own assertions) one run each. Prints the cases as
JSON for tasks/batch.yml: [{name, vars, expect: [names], hidden: [secrets]}], and a count
on stderr.

  fuzz_cases.py ROLES_DIR
"""
import json
import sys
from pathlib import Path

import yaml

# What each role needs given to reach its checks (preflight_role picks the role in apply.yml).
BASE = {
    "mlflow": {"mlflow_service": True},
    "mlflow_balancer": {"preflight_role": "presets.mlflow.mlflow_balancer",
                        "mlflow_balancer_backends": ["node1.internal:443"]},
    "mlflow_model": {"preflight_role": "presets.mlflow.mlflow_model", "mlflow_model_tracking_uri": "https://mlflow.test"},
    "mlflow_postgresql": {"preflight_role": "presets.mlflow.mlflow_postgresql",
                          "mlflow_postgresql_password": "L0ng-enough-db-pw"},
    "mlflow_redis": {"preflight_role": "presets.mlflow.mlflow_redis"},
}
# A value of the right type and the wrong content, by kind. (Distinctive: Ansible masks a secret's
# value wherever it appears in the output, so a short one would garble the other messages.)
BAD = {
    "port": 70000,
    "calendar": "every day at three",
    "duration": "30 days",
    "size": "20 GB",
    "server_name": "not a name!",
    "networks": "10.0.0.0/33",
    "url": "fuzz: not a URL",
    "path": "relative/path",
    "version": "latest",
    "unix_name": "Not A User",
    "env": {"1NOT-A-NAME": "fuzz-env-value"},
    "words": "two words",
    "text": "secret-looking\nsecond line",
}
# A value of the wrong type, by the spec's type (a string for another type is converted when it
# can be: these cannot).
WRONG_TYPE = {"int": "not-a-number", "bool": "maybe", "list": {"not": "a list"}, "dict": "not-a-map",
              "str": {"not": "a string"}, "path": {"not": "a path"}, "raw": None}


def bad_content(check):
    if "bad" in check:
        return check["bad"]
    kind = check["kind"]
    if kind == "int":
        return check["min"] - 1 if check.get("min") is not None else check["max"] + 1
    value = BAD[kind]
    return [value] if check.get("list") else value


def cases_of(role, roles_dir):
    variables = yaml.safe_load((roles_dir / role / "vars" / "main.yml").read_text())
    options = yaml.safe_load((roles_dir / role / "meta" / "argument_specs.yml").read_text())[
        "argument_specs"]["main"]["options"]
    checks = {check["name"]: check for check in variables[f"__{role}_value_checks"]}
    base = BASE[role]
    cases, tried = [], 0

    def case(name, values, expect, hidden=()):
        cases.append({"name": f"fuzz {role}: {name}", "vars": dict(base, **values), "expect": sorted(expect),
                      "hidden": [h for h in hidden if isinstance(h, str)]})

    # Wrong types the argument spec refuses, together.
    typed = {name: WRONG_TYPE[spec["type"]] for name, spec in options.items() if spec["type"] not in ("str", "path")}
    # Strings (and paths) of the wrong type, and wrong contents, that check_values judges, together.
    checked = {name: check for name, check in checks.items() if "kind" in check}
    strings = {name: WRONG_TYPE[options[name]["type"]] for name in checked
               if options[name]["type"] in ("str", "path")}
    contents = {name: bad_content(check) for name, check in checked.items()}
    # Choices: a value that is none of them, and one of the wrong type, together (the argument spec refuses them).
    choices = {name: "none-of-the-choices" for name, spec in options.items() if "choices" in spec}
    choice_types = {name: WRONG_TYPE["str"] for name in choices}
    secrets = [contents[name] for name, check in checked.items() if check.get("secret")]
    # (the argument spec reports every wrong type and every wrong choice at once: one run)
    for label, values in (("values of the wrong type or none of the choices", dict(typed, **choices)),
                          ("strings of the wrong type", strings),
                          ("values check_values refuses", contents), ("choices of the wrong type", choice_types)):
        if values:
            case(label, values, values, secrets if values is contents else ())
            tried += len(values)
    # The preflight's own assertions, one run each: the table's bad value, and a string of the wrong type.
    for name, check in checks.items():
        if "bad" in check:
            case(f"{name}, a value its checks refuse", dict(check.get("with", {}), **{name: check["bad"]}), [name])
            tried += 1
            if options[name]["type"] in ("str", "path"):
                case(f"{name}, of the wrong type", dict(check.get("with", {}), **{name: WRONG_TYPE["str"]}), [name])
                tried += 1
    return cases, tried, len(options)


def main(argv):
    roles_dir = Path(argv[1])
    everything, tried, variables = [], 0, 0
    for role in sorted(BASE):
        cases, count, names = cases_of(role, roles_dir)
        everything += cases
        tried += count
        variables += names
    print(json.dumps(everything))
    print(f"fuzz: {variables} variables, {tried} bad values in {len(everything)} runs", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv)
