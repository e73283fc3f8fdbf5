"""The real MLflow client on a test host, for the modules' checks.

  model_client.py log NAME        log and register two versions of a small
                                  pyfunc model (version N adds N to its input)
  model_client.py predict URI     load URI (models:/NAME@ALIAS) and predict
                                  [[10]]; prints the number it answers
Run with the MLflow virtualenv's Python; MLFLOW_TRACKING_* in the environment.
"""
import json
import sys

import mlflow
import mlflow.pyfunc
import pandas as pd


class AddN(mlflow.pyfunc.PythonModel):
    def __init__(self, n):
        self.n = n

    def predict(self, context, model_input, params=None):
        return model_input + self.n


def log(name):
    mlflow.set_experiment(f"{name}-training")
    versions = []
    for n in (1, 2):
        with mlflow.start_run():
            info = mlflow.pyfunc.log_model(name="model", python_model=AddN(n), registered_model_name=name,
                                           pip_requirements=[])
            versions.append(str(info.registered_model_version))
    print(json.dumps({"versions": versions}))


def predict(uri):
    model = mlflow.pyfunc.load_model(uri)
    answer = model.predict(pd.DataFrame([[10]]))
    print(json.dumps({"prediction": int(answer.iloc[0, 0])}))


if __name__ == "__main__":
    {"log": log, "predict": predict}[sys.argv[1]](sys.argv[2])
