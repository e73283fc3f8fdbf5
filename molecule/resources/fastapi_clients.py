"""Real clients on the routes only MLflow's FastAPI app serves, through a deployed stack.

1. OTLP: the OpenTelemetry SDK's OTLP/HTTP exporter sends a span to
   BASE/v1/traces; MLflow's trace search must then return it.
2. Jobs: the job API answers a search.
3. AI gateway: a provider secret, a model definition and an endpoint are made
   through MLflow's REST API, pointed at PROVIDER_BASE (an OpenAI-compatible
   stand-in on the test host); the endpoint must answer chat completions
   through /gateway/ (MLflow's invocation route and its OpenAI-style one).

Credentials come from MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD when
set; the server's certificate from MLFLOW_TRACKING_SERVER_CERT_PATH.

Usage: fastapi_clients.py BASE_URL PROVIDER_BASE
Prints one JSON line of what it saw; exits 1 with the reason on a failure.
"""

import base64
import json
import os
import sys
import time
import uuid

import requests


def fail(message):
    print(f"FAILED: {message}", file=sys.stderr)
    sys.exit(1)


class Server:
    def __init__(self, base):
        self.base = base.rstrip("/")
        self.verify = os.environ.get("MLFLOW_TRACKING_SERVER_CERT_PATH", True)
        user = os.environ.get("MLFLOW_TRACKING_USERNAME")
        self.headers = {}
        if user:
            token = base64.b64encode(f"{user}:{os.environ['MLFLOW_TRACKING_PASSWORD']}".encode()).decode()
            self.headers["Authorization"] = f"Basic {token}"

    def call(self, method, path, body=None, expect=200):
        # verify per call: requests ignores a session's verify when REQUESTS_CA_BUNDLE is set.
        response = requests.request(method, self.base + path, json=body, headers=self.headers,
                                    verify=self.verify, timeout=60)
        if response.status_code != expect:
            fail(f"{method} {path} answered {response.status_code}, not {expect}: {response.text[:500]}")
        return response.json()


def otlp(server, tag):
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    experiment = server.call("POST", "/api/2.0/mlflow/experiments/create", {"name": f"otlp-{tag}"})
    experiment_id = experiment["experiment_id"]
    exporter = OTLPSpanExporter(
        endpoint=f"{server.base}/v1/traces",
        headers={**server.headers, "x-mlflow-experiment-id": experiment_id},
        certificate_file=server.verify if isinstance(server.verify, str) else None,
    )
    provider = TracerProvider(resource=Resource.create({"service.name": "presets-mlflow-test"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    span_name = f"otlp-span-{tag}"
    with provider.get_tracer("presets-mlflow-test").start_as_current_span(span_name) as span:
        span.set_attribute("presets.check", tag)
        otel_trace_id = format(span.get_span_context().trace_id, "032x")
    provider.shutdown()

    # MLflow's trace search, through the REST client MLflow itself uses.
    from mlflow import MlflowClient

    client = MlflowClient(server.base)
    for _round in range(30):
        traces = client.search_traces(locations=[experiment_id])
        spans = [s for t in traces for s in t.data.spans if s.name == span_name]
        if spans:
            return {"experiment_id": experiment_id, "otel_trace_id": otel_trace_id,
                    "mlflow_trace_id": traces[0].info.trace_id, "span": spans[0].name}
        time.sleep(1)
    fail(f"the OTLP span {span_name} was not found by MLflow's trace search in experiment {experiment_id}")


def jobs(server):
    answer = server.call("POST", "/ajax-api/3.0/jobs/search", {})
    if not isinstance(answer.get("jobs", []), list):
        fail(f"the job search answered {answer}")
    return {"jobs_found": len(answer.get("jobs", []))}


def gateway(server, provider_base, tag):
    secret = server.call("POST", "/api/3.0/mlflow/gateway/secrets/create", {
        "secret_name": f"fake-openai-{tag}", "provider": "openai",
        "secret_value": {"api_key": f"sk-test-{tag}"}, "auth_config": {"api_base": provider_base},
    })["secret"]
    definition = server.call("POST", "/api/3.0/mlflow/gateway/model-definitions/create", {
        "name": f"fake-gpt-{tag}", "secret_id": secret["secret_id"], "provider": "openai",
        "model_name": "fake-gpt",
    })["model_definition"]
    endpoint = f"chat-{tag}"
    server.call("POST", "/api/3.0/mlflow/gateway/endpoints/create", {
        "name": endpoint, "model_configs": [{
            "model_definition_id": definition["model_definition_id"], "linkage_type": "PRIMARY", "weight": 1,
        }],
    })
    said = {}
    for path, body in (
        (f"/gateway/{endpoint}/mlflow/invocations", {"messages": [{"role": "user", "content": "ping one"}]}),
        ("/gateway/mlflow/v1/chat/completions",
         {"model": endpoint, "messages": [{"role": "user", "content": "ping two"}]}),
    ):
        answer = server.call("POST", path, body)
        content = answer["choices"][0]["message"]["content"]
        expected = f"fake-openai saw: {body['messages'][-1]['content']}"
        if content != expected:
            fail(f"POST {path} answered {content!r}, not {expected!r}")
        said[path] = content
    return {"gateway_endpoint": endpoint, "answers": said}


def main():
    # requests prefers REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE (set on these
    # machines) to a session's own verify, which the OTLP exporter uses for its
    # certificate_file.
    os.environ.pop("REQUESTS_CA_BUNDLE", None)
    os.environ.pop("CURL_CA_BUNDLE", None)
    server = Server(sys.argv[1])
    tag = uuid.uuid4().hex[:8]
    print(json.dumps({"otlp": otlp(server, tag), "jobs": jobs(server),
                      "gateway": gateway(server, sys.argv[2], tag)}))


if __name__ == "__main__":
    main()
