"""mlflow_service turned off: the service, site and timers go; software, data and MLflow's keys stay."""
import pytest
from hoststate import SITE, UNIT


@pytest.mark.parametrize("path", [UNIT, SITE, "/etc/systemd/system/mlflow-backup.timer",
                                  "/etc/systemd/system/mlflow-gc.timer"])
def test_service_parts_are_gone(host, path):
    assert not host.file(path).exists


def test_only_mlflows_keys_stay_in_the_configuration(host):
    assert host.file("/etc/mlflow").listdir() == ["keys.env"]


@pytest.mark.parametrize("path", ["/var/lib/mlflow/mlflow.db", "/usr/local/bin/mlflow"])
def test_data_and_cli_stay(host, path):
    assert host.file(path).exists


def test_no_mlflow_process_is_left(host):
    assert host.process.filter(user="mlflow") == []
