"""What MLflow encrypts in its store stays readable: webhook secrets and AI-gateway provider keys.

setup BASE PROVIDER_BASE STATE
    Through BASE (a deployed stack), create a registry webhook with a secret
    (its URL on the test host itself, port 9: nothing is delivered beyond it)
    and, when PROVIDER_BASE is not "-", an AI gateway endpoint on a provider
    key (an OpenAI-compatible stand-in at PROVIDER_BASE that records the keys
    it receives). Writes what it made to STATE (JSON).
check BASE STATE [TIMES]
    List the webhooks TIMES times (default 20) and call the endpoint once:
    every list must answer 200 with the webhook in it, the endpoint must
    answer with the stand-in's reply. Prints {"lists": N, "list_errors": [...],
    "answer": ...}; exits 1 on any error.

Credentials from MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD, the
server's certificate from MLFLOW_TRACKING_SERVER_CERT_PATH.
"""

import json
import os
import sys
import time
import uuid

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fastapi_clients import Server, fail  # noqa: E402


def setup(server, provider_base, state_file):
    tag = uuid.uuid4().hex[:8]
    webhook = server.call("POST", "/api/2.0/mlflow/webhooks", {
        "name": f"keys-{tag}", "url": "https://127.0.0.1:9/presets-mlflow-hook",
        "events": [{"entity": "MODEL_VERSION", "action": "CREATED"}],
        "secret": f"whsec-{uuid.uuid4().hex}"})["webhook"]
    state = {"webhook_id": webhook["webhook_id"], "endpoint": None, "provider_key": None}
    if provider_base != "-":
        provider_key = f"sk-keys-{tag}-{uuid.uuid4().hex}"
        secret = server.call("POST", "/api/3.0/mlflow/gateway/secrets/create", {
            "secret_name": f"keys-{tag}", "provider": "openai",
            "secret_value": {"api_key": provider_key},
            "auth_config": {"api_base": provider_base}})["secret"]
        definition = server.call("POST", "/api/3.0/mlflow/gateway/model-definitions/create", {
            "name": f"keys-{tag}", "secret_id": secret["secret_id"], "provider": "openai",
            "model_name": "fake-gpt"})["model_definition"]
        server.call("POST", "/api/3.0/mlflow/gateway/endpoints/create", {
            "name": f"keys-{tag}", "model_configs": [{
                "model_definition_id": definition["model_definition_id"], "linkage_type": "PRIMARY",
                "weight": 1}]})
        state.update(endpoint=f"keys-{tag}", provider_key=provider_key)
    with open(state_file, "w", encoding="utf-8") as handle:
        json.dump(state, handle)
    print(json.dumps({"webhook_id": state["webhook_id"], "endpoint": state["endpoint"]}))


def check(server, state_file, times):
    with open(state_file, encoding="utf-8") as handle:
        state = json.load(handle)
    errors = []
    for attempt in range(times):
        response = requests.get(f"{server.base}/api/2.0/mlflow/webhooks", headers=server.headers,
                                verify=server.verify, timeout=60)
        if response.status_code != 200:
            errors.append(f"list {attempt}: {response.status_code} {response.text[:200]}")
        elif state["webhook_id"] not in [w["webhook_id"] for w in response.json().get("webhooks", [])]:
            errors.append(f"list {attempt}: webhook {state['webhook_id']} missing")
    answer = None
    if state["endpoint"]:
        # After a restart gunicorn answers before the FastAPI routes' uvicorn it
        # starts: nginx says 502 until then.
        for _round in range(30):
            response = requests.post(f"{server.base}/gateway/{state['endpoint']}/mlflow/invocations",
                                     json={"messages": [{"role": "user", "content": "keys"}]},
                                     headers=server.headers, verify=server.verify, timeout=60)
            if response.status_code not in (502, 503):
                break
            time.sleep(2)
        if response.status_code != 200:
            fail(f"the endpoint answered {response.status_code}: {response.text[:300]}")
        said = response.json()
        answer = said["choices"][0]["message"]["content"]
        if answer != "fake-openai saw: keys":
            errors.append(f"the endpoint answered {answer!r}")
    print(json.dumps({"lists": times, "list_errors": errors, "answer": answer}))
    if errors:
        fail(f"{len(errors)} errors: {errors[:5]}")


if __name__ == "__main__":
    os.environ.pop("REQUESTS_CA_BUNDLE", None)
    os.environ.pop("CURL_CA_BUNDLE", None)
    target = Server(sys.argv[2])
    if sys.argv[1] == "setup":
        setup(target, sys.argv[3], sys.argv[4])
    else:
        check(target, sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 20)
