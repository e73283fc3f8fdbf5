"""Train and register the models the serving checks deploy (run on the tracking host).

Uses the MLflow client of the tracking server's virtualenv (it has scikit-learn)
and MLflow's own environment variables for the connection. Registers:
  iris version 1: always class 0 (a constant classifier), alias champion
  iris version 2: a logistic regression (classes 0, 1, 2 on the example rows)
  iris version 3: a python_function model whose loading raises (a broken release)
  iris-raw version 1: a model without the python_function flavor
Each with an input example. Prints JSON: the example rows and what versions 1
and 2 predict for them, from mlflow.pyfunc.load_model (the reference the served
answers must equal).
"""
import json
import os
import tempfile

import mlflow
from mlflow import MlflowClient
from mlflow.pyfunc import PythonModel
from sklearn.datasets import load_iris
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression


class Broken(PythonModel):
    def load_context(self, context):
        raise RuntimeError("this model is broken on purpose")

    def predict(self, context, model_input, params=None):
        return model_input


def main():
    X, y = load_iris(return_X_y=True, as_frame=True)
    rows = X.iloc[[0, 50, 100]]
    client = MlflowClient()
    mlflow.set_experiment("serving")
    expected = {}
    for version, estimator in (("1", DummyClassifier(strategy="constant", constant=0)),
                               ("2", LogisticRegression(max_iter=500))):
        with mlflow.start_run():
            estimator.fit(X, y)
            info = mlflow.sklearn.log_model(estimator, name="model", input_example=rows)
        registered = mlflow.register_model(info.model_uri, "iris")
        assert registered.version == version, (registered.version, version)
        model = mlflow.pyfunc.load_model(f"models:/iris/{version}")
        expected[version] = [int(v) for v in model.predict(rows)]
    # The same requirements as the others: a broken release of the same code.
    requirements = mlflow.pyfunc.get_model_dependencies("models:/iris/1")
    with mlflow.start_run():
        info = mlflow.pyfunc.log_model(name="model", python_model=Broken(), input_example=rows,
                                       pip_requirements=requirements)
    assert mlflow.register_model(info.model_uri, "iris").version == "3"
    with mlflow.start_run() as run, tempfile.TemporaryDirectory() as scratch:
        with open(os.path.join(scratch, "MLmodel"), "w", encoding="utf-8") as handle:
            handle.write("artifact_path: raw\nflavors:\n  onnx_like:\n    data: model.bin\n")
        mlflow.log_artifact(os.path.join(scratch, "MLmodel"), artifact_path="raw")
        client.create_registered_model("iris-raw")
        client.create_model_version("iris-raw", f"runs:/{run.info.run_id}/raw", run_id=run.info.run_id)
    client.set_registered_model_alias("iris", "champion", "1")
    print(json.dumps({"rows": json.loads(rows.to_json(orient="split")), "expected": expected}))


if __name__ == "__main__":
    main()
