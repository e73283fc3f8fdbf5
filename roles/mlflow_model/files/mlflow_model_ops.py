"""Host-side steps of presets.mlflow.mlflow_model that wait on something.

    ops.py health PORT UNIT TIMEOUT [EXAMPLE]
        Wait until the scoring server on 127.0.0.1:PORT answers /ping, then send
        EXAMPLE (a JSON file: the model's serving input example) to /invocations.
        Gives up as soon as UNIT has failed or restarted (a model that cannot
        load makes it exit at start), or after TIMEOUT seconds.
    ops.py reload-nginx
        Reload nginx (start it if it is not running) and wait until the workers
        that ran the old configuration have finished their requests and exited:
        after that, no request goes to a backend the old configuration named.

Prints one line saying what happened; exits 1 on failure.
"""
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request


def unit_state(unit):
    shown = subprocess.run(["systemctl", "show", "-p", "ActiveState,NRestarts", unit],
                           capture_output=True, text=True, check=True).stdout
    return dict(line.split("=", 1) for line in shown.splitlines() if "=" in line)


def call(url, body=None, timeout=10):
    request = urllib.request.Request(url, data=body, method="POST" if body is not None else "GET",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        return answer.status, answer.read()


def health(port, unit, timeout, example=None):
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while True:
        state = unit_state(unit)
        if int(state.get("NRestarts", "0") or 0) > 0 or state.get("ActiveState") == "failed":
            return f"{unit} exited while starting"
        try:
            status, _rest = call(base + "/ping", timeout=5)
            if status == 200:
                break
        except (OSError, urllib.error.URLError):
            pass
        if time.monotonic() > deadline:
            return f"{unit} did not answer /ping on port {port} within {timeout} s"
        time.sleep(1)
    if example:
        with open(example, "rb") as handle:
            body = handle.read()
        try:
            status, answer = call(base + "/invocations", body, timeout=max(30, timeout // 4))
        except urllib.error.HTTPError as error:
            detail = error.read()[:300].decode("utf-8", "replace")
            return f"/invocations with the model's input example answered {error.code}: {detail}"
        except OSError as error:
            return f"/invocations with the model's input example failed: {error}"
        json.loads(answer)
    return None


def nginx_workers():
    found = subprocess.run(["pgrep", "-f", "^nginx: worker process"], capture_output=True, text=True, check=False)
    return set(found.stdout.split())


def reload_nginx(timeout=120):
    running = subprocess.run(["systemctl", "is-active", "--quiet", "nginx"], check=False).returncode == 0
    if not running:  # a new host: nothing to hand over
        subprocess.run(["systemctl", "start", "nginx"], check=True)
        return None
    old = nginx_workers()
    subprocess.run(["systemctl", "reload", "nginx"], check=True)
    deadline = time.monotonic() + timeout
    while old & nginx_workers():
        if time.monotonic() > deadline:
            return f"nginx workers {sorted(old & nginx_workers())} still finishing after {timeout} s"
        time.sleep(0.2)
    return None


def main(argv):
    if argv[:1] == ["health"] and len(argv) in (4, 5):
        problem = health(int(argv[1]), argv[2], int(argv[3]), argv[4] if len(argv) == 5 else None)
        done = "answered /ping" + (" and its input example" if len(argv) == 5 else "")
    elif argv == ["reload-nginx"]:
        problem, done = reload_nginx(), "nginx reloaded; the old workers have finished"
    else:
        raise SystemExit(__doc__)
    print(problem or done)
    return 1 if problem else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
