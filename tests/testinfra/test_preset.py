"""The preset on a host: the MLflow CLI in a root-owned virtualenv, on every user's PATH."""
import pytest
from hoststate import SITE, UNIT


def test_virtualenv_belongs_to_root_and_is_not_world_writable(host):
    current = host.file("/opt/mlflow/current")
    assert current.is_symlink
    venv = host.file(current.linked_to)
    assert venv.is_directory
    assert (venv.user, venv.group) == ("root", "root")
    assert not venv.mode & 0o002
    site = host.run("find %s -perm -0002 ! -type l -print -quit", venv.path)
    assert site.stdout == "", f"world-writable: {site.stdout}"


def test_command_links_to_the_virtualenv(host):
    command = host.file("/usr/local/bin/mlflow")
    assert command.is_symlink
    assert command.linked_to.startswith(host.file("/opt/mlflow/current").linked_to + "/bin/")


def test_profile_script_is_readable_by_everyone_and_writable_by_root_only(host):
    script = host.file("/etc/profile.d/mlflow.sh")
    assert (script.user, script.group, script.mode) == ("root", "root", 0o644)
    assert script.contains("MLFLOW_TRACKING_URI")


@pytest.mark.service_free
@pytest.mark.parametrize("path", [UNIT, SITE])
def test_no_service_comes_with_the_preset(host, path):
    assert not host.file(path).exists
