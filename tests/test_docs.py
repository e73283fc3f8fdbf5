"""The reference's gate (scripts/docs): antsibull-docs fails on a reference that does not exist."""
import os
import shutil
import subprocess

import pytest

LINT = ["antsibull-docs", "lint-collection-docs", "--plugin-docs", "--validate-collection-refs=self",
        "--skip-rstcheck", "."]


def lint(collections, root):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections))
    return subprocess.run(LINT, cwd=root / "ansible_collections" / "presets" / "mlflow", env=env,
                          capture_output=True, text=True, check=False)


@pytest.fixture
def copy(tmp_path, root):
    """The collection's documented parts, copied where a test may break them."""
    dest = tmp_path / "ansible_collections" / "presets" / "mlflow"
    dest.mkdir(parents=True)
    for part in ["meta", "roles", "plugins"]:
        shutil.copytree(root / part, dest / part)
    shutil.copy(root / "galaxy.yml", dest)
    return tmp_path


def test_a_reference_to_an_option_that_does_not_exist_fails(copy):
    assert lint(copy, copy).returncode == 0
    spec = copy / "ansible_collections" / "presets" / "mlflow" / "roles" / "mlflow" / "meta" / "argument_specs.yml"
    text = spec.read_text()
    assert "O(mlflow_service=true)" in text
    spec.write_text(text.replace("O(mlflow_service=true)", "O(mlflow_servce=true)", 1))
    broken = lint(copy, copy)
    assert broken.returncode != 0
    assert "mlflow_servce" in broken.stdout + broken.stderr
