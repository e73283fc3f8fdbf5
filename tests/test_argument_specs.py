"""meta/argument_specs.yml is the single source of truth for every role variable."""
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
ROLES = sorted(p.name for p in (ROOT / "roles").iterdir() if (p / "meta" / "argument_specs.yml").exists())


def _load(path):
    return yaml.safe_load(path.read_text()) or {}


@pytest.mark.parametrize("role", ROLES)
def test_defaults_and_specs_declare_the_same_variables(role):
    defaults = _load(ROOT / "roles" / role / "defaults" / "main.yml")
    options = _load(ROOT / "roles" / role / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"]
    # A required option has no default; everything else must appear in both.
    optional = {k for k, v in options.items() if not v.get("required")}
    assert set(defaults) - set(options) == set(), "in defaults/main.yml but not in argument_specs"
    assert optional - set(defaults) == set(), "in argument_specs but not in defaults/main.yml"


@pytest.mark.parametrize("role", ROLES)
def test_spec_defaults_equal_defaults_file(role):
    defaults = _load(ROOT / "roles" / role / "defaults" / "main.yml")
    options = _load(ROOT / "roles" / role / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"]
    drift = {k: (options[k].get("default"), v) for k, v in defaults.items()
             if k in options and options[k].get("default") != v}
    assert drift == {}, "spec default != defaults/main.yml value: {spec: defaults}"


@pytest.mark.parametrize("role", ROLES)
def test_every_variable_is_typed_prefixed_and_described(role):
    options = _load(ROOT / "roles" / role / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"]
    for name, opt in options.items():
        assert name.startswith(f"{role}_"), f"{name} lacks the role prefix {role}_"
        assert opt.get("type"), f"{name} has no type"
        assert opt.get("description"), f"{name} has no description"


def test_drift_check_catches_a_variable_missing_from_specs(tmp_path, monkeypatch):
    """The drift test itself fails when a default is added without a spec entry."""
    import test_argument_specs as me

    fake = tmp_path / "roles" / "r"
    (fake / "defaults").mkdir(parents=True)
    (fake / "meta").mkdir()
    (fake / "defaults" / "main.yml").write_text("r_a: 1\nr_b: 2\n")
    (fake / "meta" / "argument_specs.yml").write_text(
        "argument_specs: {main: {options: {r_a: {type: int, default: 1, description: x}}}}\n")
    monkeypatch.setattr(me, "ROOT", tmp_path)
    with pytest.raises(AssertionError, match="not in argument_specs"):
        me.test_defaults_and_specs_declare_the_same_variables("r")


def test_readme_lists_the_reference_page_of_every_role_and_module():
    readme = (ROOT / "README.md").read_text()
    pages = [f"`{role.name}_role.html`" for role in (ROOT / "roles").iterdir()
             if (role / "meta").is_dir() and not role.name.startswith("_")]  # _common: internal
    pages += [f"`{module.stem}_module.html`" for module in (ROOT / "plugins" / "modules").glob("[!_]*.py")]
    assert len(pages) >= 10
    assert [page for page in pages if page not in readme] == []
