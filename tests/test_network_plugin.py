"""The network test plugin (plugins/test/network.py): what nginx's allow and set_real_ip_from accept."""
import importlib.util
from pathlib import Path

import pytest

SPEC = importlib.util.spec_from_file_location("network", Path(__file__).parent.parent / "plugins/test/network.py")
network = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(network)


@pytest.mark.parametrize("value", ["10.0.0.5", "10.0.0.0/8", "10.0.0.1/8", "::1", "fd00::/8", "2001:db8::1/128",
                                   "0.0.0.0/0"])
def test_addresses_and_networks_pass(value):
    assert network.network(value)


@pytest.mark.parametrize("value", ["", " 10.0.0.5", "10.0.0.5 ", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/08",
                                   "10.0.0.0/+8", "localhost", "mlflow.example.com", "10.0.0", "300.0.0.1",
                                   "fe80::1%eth0", "10.0.0.0/8,10.1.0.0/16", "all", "unix:", 10, None, ["10.0.0.5"]])
def test_anything_else_fails(value):
    assert not network.network(value)
