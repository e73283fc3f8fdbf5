"""Artifacts through the deployed stack against straight to its app server, on the host itself.

On a test host the collection provisioned (scripts/bench makes it), curl on
the host uploads and downloads one file of --size MiB through the proxied
artifact API (`/api/2.0/mlflow-artifacts/artifacts/...`), once through nginx
with TLS (https://127.0.0.1) and once straight to gunicorn
(http://127.0.0.1:5000), in alternating rounds so the machine's other load
hits both alike. curl speaks HTTP/1.1 on both paths, as MLflow's client
(requests) does: left to itself it would pick HTTP/2 through nginx, whose
upload framing costs curl itself about 5 CPU seconds per GiB on this shared
2-core machine (0.4-1.0 s with HTTP/1.1) - a measure of curl, not of the
stack. Both log in with the admin's generated password, read by
curl from a root-only file on the host. Prints the median seconds of each
and their ratio (direct time / stack time: 1.0 is line speed) with the goals
beside them; no pass/fail.
"""
import argparse
import statistics
import subprocess

from results import record

GOALS = {"upload": 0.9, "download": 0.5}
CURLRC = "/root/.bench-artifacts.curlrc"
FILE = "/var/tmp/bench-artifact.bin"


def host_sh(host, script):
    return subprocess.run(["docker", "exec", host, "bash", "-c", script], check=True,
                          capture_output=True, text=True).stdout.strip()


def prepare(host, size_mib):
    """The random file and curl's login, both on the host (the password never leaves it)."""
    host_sh(host, f"""set -euo pipefail
        [ "$(stat -c %s {FILE} 2>/dev/null || echo 0)" = {size_mib * 1024 * 1024} ] ||
          head -c {size_mib}M /dev/urandom > {FILE}
        umask 077
        if [ -s /etc/mlflow/initial_admin_password ]; then
          printf 'user = "admin:%s"\\n' "$(cat /etc/mlflow/initial_admin_password)" > {CURLRC}
        else
          : > {CURLRC}
        fi""")


def transfer(host, base, direction, name):
    """Seconds curl on the host took to move the file one way; fails on any status but 200."""
    url = f"{base}/api/2.0/mlflow-artifacts/artifacts/bench/{name}"
    how = f"-T {FILE} -o /dev/null" if direction == "upload" else "-o /dev/null"
    out = host_sh(host, f"curl --http1.1 -sSk -K {CURLRC} {how} -w '%{{http_code}} %{{time_total}}' '{url}'")
    status, seconds = out.split()
    if status != "200":
        raise SystemExit(f"{direction} {url} answered {status}")
    return float(seconds)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="presets-mlflow-bench", help="the test host (a docker container)")
    parser.add_argument("--size", type=int, default=1024, help="MiB (default 1024)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--results", help="append the figures to this results file (results.py)")
    parser.add_argument("--label", default="single host", help="what the stack is, in the results")
    args = parser.parse_args()

    prepare(args.host, args.size)
    paths = {"stack": "https://127.0.0.1", "direct": "http://127.0.0.1:5000"}
    seconds = {(way, path): [] for way in GOALS for path in paths}
    for round_ in range(args.rounds):
        order = list(paths) if round_ % 2 == 0 else list(reversed(paths))
        for path in order:
            name = f"{path}-{round_}.bin"
            for way in GOALS:  # upload, then download what was uploaded
                seconds[way, path].append(transfer(args.host, paths[path], way, name))

    print(f"\nArtifacts: {args.size} MiB, curl on the host, median of {args.rounds} rounds")
    print(f"{'':10} {'direct (gunicorn)':>18} {'stack (nginx+TLS)':>18} {'ratio':>7} {'goal':>6}")
    for way, goal in GOALS.items():
        direct = statistics.median(seconds[way, "direct"])
        stack = statistics.median(seconds[way, "stack"])
        print(f"{way:10} {direct:17.2f}s {stack:17.2f}s {direct / stack:6.2f}x {goal:5.1f}x")
        if args.results:
            record(args.results, f"artifacts ({args.label})", f"1 GiB {way}" if args.size == 1024
                   else f"{args.size} MiB {way}", f"{stack:.2f} s through nginx+TLS",
                   f"{direct:.2f} s straight to gunicorn", direct / stack, f">= {goal}x")
    every = ", ".join(f"{way} {path}: " + "/".join(f"{s:.2f}" for s in values)
                      for (way, path), values in seconds.items())
    print(f"each round (s): {every}")


if __name__ == "__main__":
    main()
