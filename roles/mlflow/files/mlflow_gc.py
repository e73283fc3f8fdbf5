# Managed by presets.mlflow: `mlflow gc` on the server's own store.
#
# Run with the Python of the MLflow virtualenv, as the service user, with the
# service's environment file (systemd: mlflow-gc.service):
#   mlflow_gc.py --older-than 30d
# The backend store's URI (a password in it included) comes from the
# environment, never from a command line. Other arguments go to `mlflow gc`.
#
# The server proxies artifacts (mlflow-artifacts:/PATH, stored under
# MLFLOW_ARTIFACTS_DESTINATION): `mlflow gc` alone would delete them through
# the server's HTTP API, which asks for a login. Here they are deleted where
# the server keeps them, with the same artifact repository it uses.
import os
import sys
from urllib.parse import urlparse

import mlflow.cli
from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository
from mlflow.tracking import set_tracking_uri


def main(argv):
    uri = os.environ.get("MLFLOW_BACKEND_STORE_URI")
    if not uri:
        sys.exit("mlflow_gc: MLFLOW_BACKEND_STORE_URI is not set")
    destination = os.environ.get("MLFLOW_ARTIFACTS_DESTINATION", "")

    def repository(artifact_uri, *args, **kwargs):
        parsed = urlparse(artifact_uri)
        if destination and parsed.scheme == "mlflow-artifacts":
            artifact_uri = destination.rstrip("/") + "/" + parsed.path.lstrip("/")
        return get_artifact_repository(artifact_uri, *args, **kwargs)

    mlflow.cli.get_artifact_repository = repository
    set_tracking_uri(uri)
    return mlflow.cli.cli.main(args=["gc", "--backend-store-uri", uri, *argv], prog_name="mlflow")


if __name__ == "__main__":
    main(sys.argv[1:])
