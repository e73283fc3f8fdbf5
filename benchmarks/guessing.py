"""Guessing does not starve the others: the calls a logged-in client completes in
--seconds alone, then while --guessers clients guess the same user's password as
fast as they can (each its own connection, a new wrong password every time), in
one run. The logged-in client runs on the host itself (https://127.0.0.1 there,
through nginx and TLS, with MLflow's own client library's HTTP stack); the guessers
run on this machine through the host's published port, so they come from another
address, as an attacker would. Any answer to the logged-in client other than 200
fails the benchmark.

  guessing.py --host CONTAINER --url https://127.0.0.1:PORT --cert CERT --label LABEL [--results FILE]
              [--baseline FILE]

With --baseline, the first configuration measured (the guard off) writes its
figures there, and each later one also records its logged-in client's calls
alone against the baseline's: what the guard costs a client that is not
attacked.

BENCH_USERNAME / BENCH_PASSWORD: the login (environment only).
"""
import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

import requests
import urllib3

# The logged-in client, run on the host by the host's MLflow Python: calls for SECONDS,
# prints how many completed.
CLIENT = r"""
import os, sys, time, requests
session = requests.Session()
session.auth = (os.environ["BENCH_USERNAME"], os.environ["BENCH_PASSWORD"])
session.verify = False
import urllib3; urllib3.disable_warnings()
url = sys.argv[2] + "/api/2.0/mlflow/experiments/search"
end = time.monotonic() + float(sys.argv[1])
done = 0
while time.monotonic() < end:
    answer = session.post(url, json={"max_results": 10}, timeout=60)
    if answer.status_code != 200:
        sys.exit(f"the logged-in client got {answer.status_code}: {answer.text[:200]}")
    done += 1
print(done)
"""


def guess(url, cert, user, stop, counts):
    urllib3.disable_warnings()
    session = requests.Session()
    tried = 0
    while not stop.is_set():
        tried += 1
        try:
            answer = session.get(f"{url}/api/2.0/mlflow/experiments/search", params={"max_results": 1},
                                 auth=(user, f"guess-{os.getpid()}-{tried}"), verify=cert, timeout=60)
            counts.put(answer.status_code)
        except requests.RequestException:
            counts.put("error")


def client(args, env):
    proc = subprocess.run(["docker", "exec", "-i", "-e", "BENCH_USERNAME", "-e", "BENCH_PASSWORD", args.host,
                           args.python, "-", str(args.seconds), args.client_url],
                          input=CLIENT, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        sys.exit(f"the logged-in client failed: {proc.stderr.strip()[-500:]}")
    return int(proc.stdout.strip())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--label", required=True)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--python", default="/opt/mlflow/current/bin/python", help="the host's Python with requests")
    parser.add_argument("--client-url", default="https://127.0.0.1", help="the stack, as the host reaches it")
    parser.add_argument("--guessers", type=int, default=4)
    parser.add_argument("--results")
    parser.add_argument("--baseline", help="the first configuration's figures (JSON)")
    args = parser.parse_args()
    env = dict(os.environ)
    user = env["BENCH_USERNAME"]

    alone = client(args, env)
    print(f"{args.label}: the logged-in client alone: {alone} calls in {args.seconds:g} s", flush=True)

    stop, counts = multiprocessing.Event(), multiprocessing.Queue()
    guessers = [multiprocessing.Process(target=guess, args=(args.url, args.cert, user, stop, counts))
                for number in range(args.guessers)]
    for proc in guessers:
        proc.start()
    time.sleep(2)  # the guessers are at full speed (and past the guard's first answers)
    attacked = client(args, env)
    stop.set()
    for proc in guessers:
        proc.join(70)
    answers = {}
    while not counts.empty():
        status = counts.get()
        answers[status] = answers.get(status, 0) + 1
    ratio = attacked / alone if alone else 0
    print(f"{args.label}: with {args.guessers} guessers: {attacked} calls ({ratio:.2f}x); "
          f"the guessers' answers: {json.dumps(answers, sort_keys=True)}", flush=True)
    base = None
    if args.baseline:
        path = Path(args.baseline)
        if path.exists():
            base = json.loads(path.read_text(encoding="utf-8"))
        else:
            path.write_text(json.dumps({"label": args.label, "alone": alone, "attacked": attacked}), encoding="utf-8")
    if args.results:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import results  # pylint: disable=import-outside-toplevel
        results.record(args.results, "guessing", f"calls of a logged-in client in {args.seconds:g} s while "
                       f"{args.guessers} clients guess a password ({args.label}; the guessers' answers: "
                       f"{', '.join(f'{count} x {status}' for status, count in sorted(answers.items(), key=str))})",
                       f"{attacked}", f"alone: {alone}", ratio, ">= 0.8x")
        if base is not None:
            results.record(args.results, "guessing", f"calls of a logged-in client in {args.seconds:g} s, nobody "
                           f"guessing ({args.label})", f"{alone}", f"{base['label']}: {base['alone']}",
                           alone / base["alone"] if base["alone"] else 0, ">= 0.95x")


if __name__ == "__main__":
    main()
