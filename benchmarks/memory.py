"""Memory of the deployed service, idle and under load, on a test host.

PSS (proportional set size: shared pages split between the processes that map
them, so the sum is what the service really costs) summed over mlflow.service's
processes -- its main process and all its descendants, found from MainPID
(the unit's cgroup is not readable inside a test container) -- read from
/proc/PID/smaps_rollup on the host. Idle: after the service has settled.
Loaded: the highest sum seen while wrk runs the throughput benchmark's mix
through nginx+TLS (benchmarks/mix.lua), whose req/s is reported too.

The first configuration measured is the baseline (--baseline FILE is written
then); later ones are reported as a ratio of its loaded PSS.
BENCH_USERNAME / BENCH_PASSWORD log in to the stack.
"""
import argparse
import json
import statistics
import subprocess
import threading
import time
from pathlib import Path

from results import record
from throughput import authorization, prepare, wrk

PSS = r"""
pids=$(systemctl show -P MainPID mlflow)
[ "$pids" != 0 ] || { echo "mlflow.service is not running" >&2; exit 1; }
all=""
while [ -n "$pids" ]; do
  all="$all $pids"
  pids=$(for p in $pids; do pgrep -P "$p"; done | tr '\n' ' ')
done
total=0; count=0
for p in $all; do
  kb=$(awk '/^Pss:/ {print $2}' /proc/$p/smaps_rollup 2>/dev/null || true)
  [ -n "$kb" ] && total=$((total + kb)) && count=$((count + 1))
done
echo "$total $count"
"""


def pss(host):
    """(PSS in MiB, process count) of mlflow.service on the host."""
    out = subprocess.run(["docker", "exec", host, "bash", "-c", PSS], check=True, capture_output=True,
                         text=True).stdout.split()
    return int(out[0]) / 1024, int(out[1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", required=True, help="the test host (a docker container)")
    parser.add_argument("--url", required=True, help="the stack's HTTPS URL as seen from here")
    parser.add_argument("--cert", required=True)
    parser.add_argument("--label", required=True, help="this configuration, e.g. 'workers 2, jobs on'")
    parser.add_argument("--settle", type=int, default=30, help="seconds to let the service settle first")
    parser.add_argument("--seconds", type=int, default=20, help="seconds of load")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--baseline", required=True, help="the first configuration's figures (JSON)")
    parser.add_argument("--results", help="append the figures to this results file (results.py)")
    args = parser.parse_args()

    time.sleep(args.settle)
    idle, processes = statistics.median([pss(args.host)[0] for _round in range(3)]), pss(args.host)[1]
    auth = authorization()
    experiment, runs = prepare(args.url, args.cert, args.connections, auth)
    peak, done = [0.0], threading.Event()

    def sample():
        while not done.wait(2):
            peak[0] = max(peak[0], pss(args.host)[0])

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        load = wrk(args.url, experiment, runs, args.seconds, args.connections, auth)
    finally:
        done.set()
        sampler.join()
    loaded = max(peak[0], pss(args.host)[0])
    figures = {"label": args.label, "idle_mib": idle, "loaded_mib": loaded, "processes": processes,
               "rps": load["rps"], "errors": load["errors"]}
    print(f"{args.label}: {processes} processes, idle {idle:.0f} MiB PSS, loaded {loaded:.0f} MiB PSS, "
          f"{load['rps']:.1f} req/s ({load['errors']} errors)")
    baseline_file = Path(args.baseline)
    if not baseline_file.exists():
        baseline_file.write_text(json.dumps(figures))
    base = json.loads(baseline_file.read_text())
    if args.results:
        record(args.results, "memory (PSS of mlflow.service)", args.label,
               f"idle {idle:.0f} MiB, loaded {loaded:.0f} MiB ({processes} processes), {load['rps']:.1f} req/s",
               f"{base['label']}: loaded {base['loaded_mib']:.0f} MiB, {base['rps']:.1f} req/s",
               loaded / base["loaded_mib"], "")


if __name__ == "__main__":
    main()
