"""Throughput through the scale-out balancer with two MLflow nodes vs one.

Needs the scale-out scenario's hosts (scripts/bench-balancer makes them).
Load: 16 connections, each looping over runs/log-batch (10 metrics) and
runs/search through the balancer's published port; rounds alternate between
both nodes in the balancer and node2 marked down there (the mechanism a
rolling upgrade uses), so the machine's other load hits both alike. The
fleet's login is on: MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD in
the environment log in (scripts/bench-balancer reads the generated admin
password from a node). Prints one line per round and the median of the
rounds (at least 3); an error answer fails the benchmark.
"""
import argparse
import json
import os
import statistics
import subprocess
import threading
import time

import requests

LB = "https://127.0.0.1:20443"
MEMBER = "/etc/nginx/mlflow-backends/scaleout-node2_443.conf"


def set_node2(down):
    sed = r"s/ down;$/;/" if not down else r"s/\([^n]\);$/\1 down;/"
    subprocess.run(["docker", "exec", "scaleout-lb", "sh", "-c",
                    f"sed -i '{sed}' {MEMBER} && nginx -t -q && systemctl reload nginx"], check=True)
    time.sleep(2)  # old workers finish


def session_():
    session = requests.Session()
    session.auth = (os.environ["MLFLOW_TRACKING_USERNAME"], os.environ["MLFLOW_TRACKING_PASSWORD"])
    return session


def worker(cert, exp_id, deadline, latencies, errors):
    session = session_()
    run_id = session.post(f"{LB}/api/2.0/mlflow/runs/create", json={"experiment_id": exp_id},
                          verify=cert, timeout=30).json()["run"]["info"]["run_id"]
    step = 0
    while time.time() < deadline:
        now = int(time.time() * 1000)
        metrics = [{"key": f"m{i}", "value": step, "step": step, "timestamp": now} for i in range(10)]
        for method, path, body in (
            ("POST", "/api/2.0/mlflow/runs/log-batch", {"run_id": run_id, "metrics": metrics}),
            ("POST", "/api/2.0/mlflow/runs/search", {"experiment_ids": [exp_id], "max_results": 10}),
        ):
            began = time.time()
            try:
                resp = session.request(method, LB + path, json=body, verify=cert, timeout=60)
                ok = resp.status_code == 200
            except requests.RequestException:
                ok = False
            if ok:
                latencies.append(time.time() - began)
            else:
                errors.append(path)
        step += 1


def round_(cert, exp_id, seconds, connections):
    latencies, errors = [], []
    deadline = time.time() + seconds
    threads = [threading.Thread(target=worker, args=(cert, exp_id, deadline, latencies, errors))
               for _round in range(connections)]
    start = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.time() - start
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1] if latencies else float("nan")
    return {"rps": len(latencies) / elapsed, "p50_ms": 1000 * statistics.median(latencies) if latencies else 0,
            "p99_ms": 1000 * p99, "errors": len(errors)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cert", required=True, help="the balancer's certificate (PEM)")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3, help="rounds per configuration (at least 3)")
    args = parser.parse_args()
    if args.rounds < 3:
        parser.error("--rounds: a median needs at least 3 rounds")
    name = f"bench-{int(time.time())}"
    created = session_().post(f"{LB}/api/2.0/mlflow/experiments/create", json={"name": name},
                              verify=args.cert, timeout=30)
    created.raise_for_status()
    exp_id = created.json()["experiment_id"]
    results = {"2 nodes": [], "1 node": []}
    try:
        for _round in range(args.rounds):
            for label, down in (("2 nodes", False), ("1 node", True)):
                set_node2(down)
                r = round_(args.cert, exp_id, args.seconds, args.connections)
                results[label].append(r)
                print(f"{label:8s} {r['rps']:7.1f} req/s  p50 {r['p50_ms']:6.0f} ms  p99 {r['p99_ms']:6.0f} ms"
                      f"  errors {r['errors']}", flush=True)
    finally:
        set_node2(False)
    summary = {label: {"rps": round(statistics.median(r["rps"] for r in rs), 1),
                       "p99_ms": round(statistics.median(r["p99_ms"] for r in rs)),
                       "errors": sum(r["errors"] for r in rs)} for label, rs in results.items()}
    print(json.dumps({"connections": args.connections, "seconds": args.seconds, "cpus": os.cpu_count(),
                      **summary}))
    if any(s["errors"] for s in summary.values()):
        raise SystemExit("error answers during the benchmark: the figures above do not count")


if __name__ == "__main__":
    main()
