"""Throughput of the deployed stack, with its login and without, against a bare `mlflow server`.

The same MLflow release on two test hosts (scripts/bench makes them): the
stack with the role's defaults (login on) and the stack with mlflow_auth=false,
each through nginx with TLS (gunicorn's sync workers for the Flask app,
uvicorn for the FastAPI routes), and beside the first a bare `mlflow server`
with MLflow's defaults (uvicorn, 4 workers, SQLite without WAL). Load: Debian's
wrk, N connections alternating runs/log-batch (10 metrics) and runs/search
(benchmarks/mix.lua). Rounds alternate between the servers so the machine's
other load hits all alike; each figure is the median of the rounds (3 by
default). Prints a table with the goals beside the figures. An error answer
(a status other than 200, a timeout, a refused connection) fails the
benchmark: a figure that counts errors as throughput is no figure.

BENCH_USERNAME / BENCH_PASSWORD log in to the stack with the login.
"""
import argparse
import base64
import json
import os
import statistics
import subprocess
import time
from pathlib import Path

import requests
from results import record

HERE = Path(__file__).resolve().parent


def authorization():
    user = os.environ.get("BENCH_USERNAME")
    if not user:
        return None
    return "Basic " + base64.b64encode(f"{user}:{os.environ['BENCH_PASSWORD']}".encode()).decode()


def prepare(url, cert, connections, auth):
    """An experiment and one run per connection on the server at url."""
    headers = {"Authorization": auth} if auth else {}

    def call(path, body):
        # verify per call: requests ignores a session's verify when REQUESTS_CA_BUNDLE is set.
        response = requests.post(url + path, json=body, headers=headers, verify=cert, timeout=60)
        response.raise_for_status()
        return response.json()

    experiment = call("/api/2.0/mlflow/experiments/create", {"name": f"bench-{time.time_ns()}"})["experiment_id"]
    runs = [call("/api/2.0/mlflow/runs/create", {"experiment_id": experiment})["run"]["info"]["run_id"]
            for _round in range(connections)]
    return experiment, runs


def wrk(url, experiment, runs, seconds, connections, auth):
    env = dict(os.environ, BENCH_AUTHORIZATION=auth or "")
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(HERE / "mix.lua"),
         url, "--", experiment, ",".join(runs)],
        env=env, capture_output=True, text=True, check=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    result["rps"] = result["requests"] / result["seconds"]
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", required=True, help="the deployed stack's HTTPS URL (login on)")
    parser.add_argument("--cert", required=True, help="its certificate (PEM)")
    parser.add_argument("--stack-open", required=True, help="the stack without a login (HTTPS URL)")
    parser.add_argument("--cert-open", required=True, help="its certificate (PEM)")
    parser.add_argument("--bare", required=True, help="the bare server's URL")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3, help="rounds per server (at least 3)")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--results", help="append the figures to this results file (results.py)")
    args = parser.parse_args()
    if args.rounds < 3:
        parser.error("--rounds: a median needs at least 3 rounds")

    servers = {
        "stack": {"label": "deployed stack, login on (the default)", "url": args.stack, "verify": args.cert,
                  "auth": authorization()},
        "stack_open": {"label": "deployed stack, login off", "url": args.stack_open, "verify": args.cert_open,
                       "auth": None},
        "bare": {"label": "bare `mlflow server` (defaults, no login)", "url": args.bare, "verify": True,
                 "auth": None},
    }
    for server in servers.values():
        server["experiment"], server["runs"] = prepare(server["url"], server["verify"], args.connections,
                                                       server["auth"])
        server["rounds"] = []
        wrk(server["url"], server["experiment"], server["runs"], 5, args.connections, server["auth"])  # warm-up
    for _round in range(args.rounds):
        for server in servers.values():
            server["rounds"].append(wrk(server["url"], server["experiment"], server["runs"], args.seconds,
                                        args.connections, server["auth"]))

    print(f"\n{args.connections} connections, log-batch (10 metrics) + runs/search, "
          f"{args.rounds} x {args.seconds} s per server, interleaved\n")
    print("| server | req/s per round | req/s | p50 ms | p99 ms | errors |")
    print("|---|---|---|---|---|---|")
    summary = {}
    for key, server in servers.items():
        rounds = server["rounds"]
        summary[key] = {
            "rps": statistics.median(r["rps"] for r in rounds),
            "p50_ms": statistics.median(r["p50_ms"] for r in rounds),
            "p99_ms": max(r["p99_ms"] for r in rounds),
            "errors": sum(r["errors"] for r in rounds),
            "rounds_rps": [round(r["rps"], 1) for r in rounds],
        }
        s = summary[key]
        print(f"| {server['label']} | {', '.join(map(str, s['rounds_rps']))} | {s['rps']:.1f} | "
              f"{s['p50_ms']:.0f} | {s['p99_ms']:.0f} | {s['errors']} |")
    failed = {key: s["errors"] for key, s in summary.items() if s["errors"]}
    if failed:
        raise SystemExit(f"error answers during the benchmark: {failed}; no figure recorded")
    ratio = summary["stack"]["rps"] / summary["bare"]["rps"]
    login_cost = 1 - summary["stack"]["rps"] / summary["stack_open"]["rps"]
    summary["ratio"], summary["login_cost"] = ratio, login_cost
    print(f"\nstack (login on) / bare: {ratio:.2f}x req/s (goal >= 2.0x); its p99 "
          f"{summary['stack']['p99_ms']:.0f} ms (goal <= 150 ms)")
    print(f"login on costs {100 * login_cost:.1f} % of the stack's throughput without it (goal <= 20 %); "
          f"stack without login / bare: {summary['stack_open']['rps'] / summary['bare']['rps']:.2f}x")
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=1))
    if args.results:
        stack, open_, bare = (summary[key] for key in ("stack", "stack_open", "bare"))
        record(args.results, "API (log-batch + runs/search)", "req/s, login on",
               f"{stack['rps']:.1f} req/s, p99 {stack['p99_ms']:.0f} ms",
               f"bare `mlflow server`: {bare['rps']:.1f} req/s", ratio, ">= 2.0x")
        record(args.results, "API (log-batch + runs/search)", "req/s, login on vs off",
               f"{stack['rps']:.1f} req/s", f"login off: {open_['rps']:.1f} req/s", 1 - login_cost, ">= 0.8x")


if __name__ == "__main__":
    main()
