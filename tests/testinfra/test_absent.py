"""mlflow_state=absent: nothing of the software is left; with mlflow_purge, no data and no service user."""
import pytest
from hoststate import PRESET_PATHS


@pytest.mark.parametrize("path", PRESET_PATHS)
def test_software_is_gone(host, path):
    assert not host.file(path).exists


@pytest.mark.purged
@pytest.mark.parametrize("path", ["/var/lib/mlflow", "/etc/mlflow"])
def test_purge_deletes_the_data_and_the_configuration(host, path):
    assert not host.file(path).exists


@pytest.mark.purged
def test_purge_deletes_the_service_user(host):
    assert not host.user("mlflow").exists
