"""Read or download one registered model version, for presets.mlflow.mlflow_model.

Run by the role with its download tool's Python (mlflow-skinny), as the serving
user; the connection comes from MLflow's own environment variables and the
password from that user's ~/.mlflow/credentials, never from the command line.

    fetch.py inspect NAME VERSION        -> JSON: the model's flavors and input example
    fetch.py download NAME VERSION DEST  -> the whole model in DEST (made atomically)
"""
import json
import os
import shutil
import sys
import tempfile


def repository(name, version):
    from mlflow.store.artifact.models_artifact_repo import ModelsArtifactRepository

    return ModelsArtifactRepository(f"models:/{name}/{version}")


def inspect(name, version):
    import yaml

    with tempfile.TemporaryDirectory() as scratch:
        path = repository(name, version).download_artifacts("MLmodel", dst_path=scratch)
        with open(path, encoding="utf-8") as handle:
            mlmodel = yaml.safe_load(handle) or {}
    example = mlmodel.get("saved_input_example_info") or {}
    return {
        "flavors": sorted((mlmodel.get("flavors") or {}).keys()),
        "serving_input": example.get("serving_input_path"),
    }


def download(name, version, dest):
    parent = os.path.dirname(dest)
    os.makedirs(parent, exist_ok=True)
    partial = tempfile.mkdtemp(prefix=".partial-", dir=parent)
    try:
        repository(name, version).download_artifacts("", dst_path=partial)
        if not os.path.isfile(os.path.join(partial, "MLmodel")):
            raise SystemExit(f"models:/{name}/{version} has no MLmodel file")
        os.chmod(partial, 0o750)
        os.rename(partial, dest)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return {"path": dest}


def main(argv):
    if len(argv) < 3 or argv[0] not in ("inspect", "download") or (argv[0] == "download") != (len(argv) == 4):
        raise SystemExit(__doc__)
    if argv[0] == "inspect":
        result = inspect(argv[1], argv[2])
    else:
        result = download(argv[1], argv[2], argv[3])
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
