"""What the host-state checks share: paths, and helpers over testinfra's host."""
UNIT = "/etc/systemd/system/mlflow.service"
SITE = "/etc/nginx/conf.d/mlflow.conf"
PRESET_PATHS = ["/opt/mlflow", "/usr/local/bin/mlflow", "/etc/profile.d/mlflow.sh"]


def unit_properties(host, names):
    """Properties of the mlflow unit, as systemd reports them (empty ones as "")."""
    shown = host.check_output("systemctl show mlflow.service --property=%s", ",".join(names))
    return dict(line.split("=", 1) for line in shown.splitlines() if "=" in line)


def owner_mode(host, path):
    """(user, group, octal mode) of a path on the host."""
    found = host.file(path)
    assert found.exists, f"{path} is missing"
    return found.user, found.group, f"{found.mode:04o}"
