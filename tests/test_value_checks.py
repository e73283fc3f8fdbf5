"""Every public variable of every role is checked before any change: its role's table
(__ROLE_value_checks in vars/main.yml) gives it a kind of presets.mlflow.check_values, or a
value the preflight's own assertions refuse ("bad"), or the role's __ROLE_any_value says
why every value of its type is right. A variable added without one fails here; the
preflight scenario's fuzz then tries each (molecule/preflight/fuzz.yml)."""
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
ROLES = sorted(p.name for p in (ROOT / "roles").iterdir() if not p.name.startswith("_"))
KINDS = {"port", "int", "calendar", "duration", "size", "server_name", "networks", "url", "path", "version",
         "unix_name", "env", "words", "text"}
OPTIONS = {"name", "kind", "bad", "with", "from", "empty_ok", "list", "min", "max", "schemes", "host", "secret"}


def tables(role):
    variables = yaml.safe_load((ROOT / "roles" / role / "vars" / "main.yml").read_text())
    spec = yaml.safe_load((ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text())
    return (variables[f"__{role}_value_checks"], variables[f"__{role}_any_value"],
            spec["argument_specs"]["main"]["options"])


@pytest.mark.parametrize("role", ROLES)
def test_every_public_variable_has_a_check_or_a_reason(role):
    checks, any_value, options = tables(role)
    named = [check["name"] for check in checks] + list(any_value)
    assert sorted(set(options) - set(named)) == [], "variables without a check or a reason"
    assert sorted(set(named) - set(options)) == [], "checks of variables the role does not have"
    assert len(named) == len(set(named)), "a variable with two entries"


@pytest.mark.parametrize("role", ROLES)
def test_each_check_is_a_kind_or_a_bad_value_and_each_reason_says_why(role):
    checks, any_value, options = tables(role)
    for check in checks:
        assert set(check) <= OPTIONS, check
        assert ("kind" in check) != ("bad" in check), f"{check['name']}: a kind or a bad value, not both"
        assert check.get("kind", "int") in KINDS, check
        if check.get("secret"):
            assert "kind" in check, f"{check['name']}: a secret's check is check_values' (never shown)"
    for name, reason in any_value.items():
        assert isinstance(reason, str) and len(reason) > 10, name
        assert options[name]["type"] == "bool" or "choices" in options[name], \
            f"{name}: only switches and choices take any value of their type here"
