"""The collection builds into a tarball that installs offline (Galaxy is unreachable)
and whose playbook and role are usable by their fully qualified names."""
import json
import os
import subprocess
import tarfile
import urllib.parse
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def run(*argv, **kw):
    env = {**os.environ, **kw.pop("env", {})}
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, check=False, **kw)
    assert proc.returncode == 0, f"{' '.join(argv)}\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    run("ansible-galaxy", "collection", "build", "--output-path", str(out), str(ROOT))
    meta = yaml.safe_load((ROOT / "galaxy.yml").read_text())
    path = out / f"presets-mlflow-{meta['version']}.tar.gz"
    assert path.exists()
    return path


def test_tarball_leaves_dev_files_out(tarball):
    names = tarfile.open(tarball).getnames()
    assert "roles/mlflow/tasks/main.yml" in names
    assert "playbooks/mlflow.yml" in names
    assert "meta/runtime.yml" in names
    assert "playbooks/starter.yml" in names and "templates/starter/site.yml.j2" in names
    assert "CHANGELOG.rst" in names
    for unwanted in ("molecule", "tests", "scripts", ".venv", ".cache", ".ci", ".config",
                     "requirements-dev.txt", "requirements-mirror.txt", "requirements-next.txt", "pytest.ini",
                     ".ansible-lint-ignore"):
        assert not [n for n in names if n == unwanted or n.startswith(unwanted + "/")], unwanted


def test_tarball_installs_offline_and_its_playbook_parses(tarball, tmp_path):
    dest = tmp_path / "collections"
    # Dependencies must be satisfied by the collections of the `ansible` package.
    env = {"ANSIBLE_COLLECTIONS_PATH": str(dest)}
    run("ansible-galaxy", "collection", "install", "--offline", "-p", str(dest), str(tarball), env=env)
    installed = dest / "ansible_collections" / "presets" / "mlflow"
    assert (installed / "MANIFEST.json").exists()
    inventory = tmp_path / "hosts.ini"
    inventory.write_text("[mlflow]\nnode1 ansible_connection=local\n")
    for playbook in sorted(p.stem for p in (ROOT / "playbooks").glob("*.yml")):
        proc = run("ansible-playbook", "--syntax-check", "-i", str(inventory), f"presets.mlflow.{playbook}", env=env)
        # The FQCN resolves to the installed copy, not the working tree.
        assert f"playbook: {installed / 'playbooks' / (playbook + '.yml')}" in proc.stdout
    proc = run("ansible-doc", "-t", "role", "presets.mlflow.mlflow", env=env)
    assert "mlflow_version" in proc.stdout


def test_galaxy_dependencies_ship_with_the_ansible_package():
    meta = yaml.safe_load((ROOT / "galaxy.yml").read_text())
    listed = run("ansible-galaxy", "collection", "list", "--format", "yaml",
                 env={"ANSIBLE_COLLECTIONS_PATH": "/nonexistent"}).stdout
    available = set()
    for colls in (yaml.safe_load(listed) or {}).values():
        available.update(colls)
    missing = set(meta.get("dependencies") or {}) - available
    assert not missing, f"not in the ansible package: {missing}"


def render_starter(dest, source, **extra):
    args = {"starter_dest": str(dest), "starter_collection_source": source, **extra}
    return subprocess.run(["ansible-playbook", str(ROOT / "playbooks/starter.yml"), "-e", json.dumps(args)],
                          capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("kind", ["tarball", "git"])
def test_the_starters_requirements_install_the_collection(tarball, tmp_path, kind):
    """The starter's requirements.yml installs this release offline, from a tarball or a git repository."""
    source = str(tarball) if kind == "tarball" else f"git+file://{ROOT}"
    proc = render_starter(tmp_path / "infra", source, starter_collection_git_ref="HEAD")
    assert proc.returncode == 0, proc.stdout[-2000:]
    infra = tmp_path / "infra"
    requirements = yaml.safe_load((infra / "requirements.yml").read_text())["collections"]
    assert requirements[0]["type"] == ("file" if kind == "tarball" else "git")
    # (--force: the test bed has the collection on its path already; a user's machine has not)
    run("ansible-galaxy", "collection", "install", "--offline", "--force", "-r", "requirements.yml", "-p", "collections",
        cwd=infra)
    manifest = json.loads((infra / "collections/ansible_collections/presets/mlflow/MANIFEST.json").read_text())
    assert manifest["collection_info"]["version"] == yaml.safe_load((ROOT / "galaxy.yml").read_text())["version"]


def test_the_starter_pins_the_release_on_galaxy_and_refuses_an_unknown_source(tmp_path):
    assert render_starter(tmp_path / "galaxy", "galaxy").returncode == 0
    version = yaml.safe_load((ROOT / "galaxy.yml").read_text())["version"]
    pinned = yaml.safe_load((tmp_path / "galaxy/requirements.yml").read_text())["collections"]
    assert pinned == [{"name": "presets.mlflow", "version": version}]
    refused = render_starter(tmp_path / "none", str(tmp_path / "presets-mlflow-9.9.9.tar.gz"))
    assert refused.returncode != 0 and "starter_collection_source must be" in refused.stdout
    assert not (tmp_path / "none").exists(), "the starter wrote files before it refused its source"


def test_galaxy_metadata_links_to_no_made_up_address():
    """repository/documentation/issues/homepage either point somewhere real or are absent: a reserved
    name (RFC 2606/6761: example.*, *.invalid, *.test, *.example, localhost) sends a user nowhere."""
    meta = yaml.safe_load((ROOT / "galaxy.yml").read_text())
    for field in ("repository", "documentation", "issues", "homepage"):
        url = meta.get(field)
        if url is None:
            continue
        host = (urllib.parse.urlsplit(url).hostname or "").lower()
        labels = host.split(".")
        assert url.startswith("https://") and host, f"galaxy.yml {field}: {url!r} is not an https address"
        assert "example" not in labels[-2:] and labels[-1] not in ("invalid", "test", "localhost", "example"), \
            f"galaxy.yml {field}: {url!r} is a reserved name, not the collection's home"
