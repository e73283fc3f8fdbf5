"""Do MLflow's periodic tasks run once across the fleet, or once per node?

MLflow's online scoring scheduler is a periodic task (every minute): for each
experiment with an active online scorer it submits one scoring job. So with
an active scorer, the scorer jobs of that experiment count the scheduler's
runs: one a minute if it runs once, one per node a minute if every node runs it.

start (on a node, with the release's Python, against the server at
MLFLOW_TRACKING_URI): make an AI gateway endpoint (its provider is never
called: the experiment has no traces to score), an experiment, and a judge on
that endpoint registered and started as an online scorer with sample rate 1.
Prints {"experiment_id", "started_ms"}.

count EXPERIMENT_ID (anywhere, against MLFLOW_TRACKING_URI, through the job
API): prints {"jobs": N, "creation_ms": [...], "gaps_s": [...]} for the
scorer jobs of that experiment.

Both log in with MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD.
"""

import json
import os
import sys
import time
import uuid

import requests


def login():
    """Basic auth from the environment the MLflow client reads too."""
    return (os.environ["MLFLOW_TRACKING_USERNAME"], os.environ["MLFLOW_TRACKING_PASSWORD"])


def start():
    import mlflow
    from mlflow.genai.judges import make_judge
    from mlflow.genai.scorers import ScorerSamplingConfig

    base = os.environ["MLFLOW_TRACKING_URI"]
    tag = uuid.uuid4().hex[:8]

    def call(path, body):
        response = requests.post(base + path, json=body, auth=login(), timeout=60)
        response.raise_for_status()
        return response.json()

    secret = call("/api/3.0/mlflow/gateway/secrets/create", {
        "secret_name": f"probe-{tag}", "provider": "openai",
        "secret_value": {"api_key": f"sk-probe-{tag}"}})["secret"]
    definition = call("/api/3.0/mlflow/gateway/model-definitions/create", {
        "name": f"probe-{tag}", "secret_id": secret["secret_id"], "provider": "openai",
        "model_name": "fake-gpt"})["model_definition"]
    call("/api/3.0/mlflow/gateway/endpoints/create", {
        "name": f"probe-{tag}", "model_configs": [{
            "model_definition_id": definition["model_definition_id"], "linkage_type": "PRIMARY", "weight": 1}]})
    experiment_id = mlflow.create_experiment(f"periodic-probe-{tag}")
    judge = make_judge(name=f"probe_{tag}", instructions="Is {{ outputs }} polite?",
                       model=f"gateway:/probe-{tag}", feedback_value_type=bool)
    judge.register(experiment_id=experiment_id).start(
        experiment_id=experiment_id, sampling_config=ScorerSamplingConfig(sample_rate=1.0))
    print(json.dumps({"experiment_id": experiment_id, "started_ms": int(time.time() * 1000)}))


def count(experiment_id):
    base = os.environ["MLFLOW_TRACKING_URI"]
    response = requests.post(f"{base}/ajax-api/3.0/jobs/search", json={"job_name": "run_online_trace_scorer"},
                             auth=login(), verify=os.environ.get("MLFLOW_TRACKING_SERVER_CERT_PATH", True), timeout=60)
    response.raise_for_status()
    created = sorted(job["creation_time"] for job in response.json()["jobs"]
                     if str(job["params"].get("experiment_id")) == str(experiment_id))
    print(json.dumps({"jobs": len(created), "creation_ms": created,
                      "gaps_s": [round((b - a) / 1000, 1) for a, b in zip(created, created[1:])]}))


if __name__ == "__main__":
    # requests prefers REQUESTS_CA_BUNDLE (set on some machines) to verify=.
    os.environ.pop("REQUESTS_CA_BUNDLE", None)
    os.environ.pop("CURL_CA_BUNDLE", None)
    if sys.argv[1] == "start":
        start()
    else:
        count(sys.argv[2])
