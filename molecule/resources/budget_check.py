"""One AI-gateway budget, spent through several servers.

budget_check.py PROVIDER_BASE URL [URL...]
Through the first URL: an endpoint on a priced model (gpt-4o-mini, answered by
an OpenAI-compatible stand-in at PROVIDER_BASE with 3 prompt and 4 completion
tokens: 2.85e-6 USD at MLflow's bundled prices) and a REJECT budget of 0.00001
USD a day on it, which 4 calls spend. Then calls the endpoint through each URL
in turn until one answers 429, and once more through every other URL.
Prints {"allowed": N, "refused_by": URL, "others": {URL: status}, "statuses": [...]}.
With one tally for all (Redis) 4 calls pass and every server refuses the next;
with a tally per process, each process lets 4 through (measured on one host
with 2 workers: 8 with the in-memory tally, 4 with Redis).

Credentials from MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD, the
servers' certificate from MLFLOW_TRACKING_SERVER_CERT_PATH.
"""
import json
import os
import sys
import uuid

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fastapi_clients import Server, fail  # noqa: E402


def main(provider_base, urls):
    servers = [Server(u) for u in urls]
    first, tag = servers[0], uuid.uuid4().hex[:8]
    secret = first.call("POST", "/api/3.0/mlflow/gateway/secrets/create", {
        "secret_name": f"budget-{tag}", "provider": "openai", "secret_value": {"api_key": f"sk-budget-{tag}"},
        "auth_config": {"api_base": provider_base}})["secret"]
    definition = first.call("POST", "/api/3.0/mlflow/gateway/model-definitions/create", {
        "name": f"budget-{tag}", "secret_id": secret["secret_id"], "provider": "openai",
        "model_name": "gpt-4o-mini"})["model_definition"]
    endpoint = first.call("POST", "/api/3.0/mlflow/gateway/endpoints/create", {
        "name": f"budget-{tag}", "model_configs": [{
            "model_definition_id": definition["model_definition_id"], "linkage_type": "PRIMARY", "weight": 1}]})
    endpoint = endpoint["endpoint"]
    first.call("POST", "/api/3.0/mlflow/gateway/budgets/create", {
        "budget_unit": "USD", "budget_amount": 0.00001, "duration": {"unit": "DAYS", "value": 1},
        "target_scope": "ENDPOINT", "target_value": endpoint["endpoint_id"], "budget_action": "REJECT"})

    def spend(server):
        return requests.post(f"{server.base}/gateway/{endpoint['name']}/mlflow/invocations",
                             json={"messages": [{"role": "user", "content": "spend"}]},
                             headers=server.headers, verify=server.verify, timeout=60)

    statuses = []
    for attempt in range(40):
        server = servers[attempt % len(servers)]
        response = spend(server)
        statuses.append((server.base, response.status_code))
        if response.status_code == 429:
            others = {other.base: spend(other).status_code for other in servers if other is not server}
            print(json.dumps({"allowed": len(statuses) - 1, "refused_by": server.base, "others": others,
                              "statuses": [s for _base, s in statuses]}))
            return
        if response.status_code != 200:
            fail(f"call {attempt} through {server.base}: {response.status_code} {response.text[:300]}")
    fail(f"no call was refused in 40: {statuses}")


if __name__ == "__main__":
    os.environ.pop("REQUESTS_CA_BUNDLE", None)
    os.environ.pop("CURL_CA_BUNDLE", None)
    main(sys.argv[1], sys.argv[2:])
