"""Route parity: does the deployed stack answer every route a bare `mlflow server` answers?

Run on a test host with the Python of the MLflow release it serves. It lists
every route of that release (the Flask app's url_map and the FastAPI app's
routers), starts a bare `mlflow server` of the same release beside the
deployed one (its own SQLite store in a temporary directory, uvicorn, one
worker), sends each route the same request (path parameters filled in, no
body) to both, and reports the routes the bare server has and the deployed
stack lacks: "no such route" there (405, or 404 from a router rather than
from MLflow's own "no such object"), anything else on the bare one.

Credentials for the deployed stack come from MLFLOW_TRACKING_USERNAME and
MLFLOW_TRACKING_PASSWORD when set (never from the command line).

With --refusals, no credentials go anywhere and the bare server runs MLflow's
basic-auth app (`--app-name basic-auth`, its own admin and auth store in the
temporary directory): every route the bare server refuses (401 or 403) must
be refused by the deployed stack too; none may answer there without a login.

A route the deployed stack answers with a server error (5xx) the bare one
does not give, or no answer in time where the bare one answers, is broken
there, not present: a dead uvicorn behind nginx must
fail the check. The route list itself must hold at least FLOOR routes of each
app, and the FastAPI app must import: a release whose routers cannot be read
would otherwise shrink the list to what is left and pass.

With --closed, no bare server runs and no credentials go anywhere: every
route of the release but /health and the UI's static files must be refused by the deployed stack (401,
or a redirect to its login page): a login of another kind (single sign-on)
whose app a bare server cannot run.

Usage: route_parity.py [--refusals|--closed] DEPLOYED_URL SERVER_NAME [REPORT_JSON]
Prints a summary and exits 1 when a route is missing or broken (or, with
--refusals, open on the deployed stack).
"""

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

import requests
import urllib3

PARAM = re.compile(r"\{([^}:]+)(?::([a-z]+))?\}")
# Artifact uploads (PUT) with an empty body create empty files: give every
# path parameter a value that names this test, and delete them afterwards.
SAMPLE = "presets-parity"
# The fewest routes each app may list, per release (the README gives 3.17.2's:
# 411 Flask, 81 FastAPI, 489 in all); any other release at least the generic
# floor. A list below it means a router went missing.
FLOORS = {"3.17.2": {"flask": 411, "fastapi": 81, "all": 489}}
FLOOR = {"flask": 300, "fastapi": 50, "all": 350}
# What a login leaves open (--closed): the health check, and the UI's own
# files (MLflow's basic-auth leaves /static-files open too).
PUBLIC = {"/health", "/static-files/{path}"}


def flask_routes():
    from mlflow.server import app

    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield "flask", method, path


def fastapi_routes():
    # An import error here is a failure of the check, not an empty list.
    from mlflow.server.fastapi_app import app

    def walk(routes):
        for route in routes:
            if hasattr(route, "effective_candidates"):
                yield from walk(route.effective_candidates())
            elif hasattr(route, "original_router"):
                yield from walk(route.original_router.routes)
            elif getattr(route, "methods", None):
                yield route

    for route in walk(app.routes):
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            yield "fastapi", method, route.path


def fill(path):
    # A path parameter gets a name of its own: "presets-parity" as a file and
    # "presets-parity/x" under a directory of that name would collide.
    return PARAM.sub(lambda m: f"{SAMPLE}-path/x" if m.group(2) == "path" else SAMPLE, path)


def no_route(response):
    """True when a router, not MLflow, answered: the path or method does not exist."""
    if response.status_code == 405:
        return True
    if response.status_code != 404:
        return False
    try:
        body = response.json()
    except ValueError:
        return True  # an HTML or text page from the router
    return not (isinstance(body, dict) and (body.get("error_code") or body.get("detail") not in (None, "Not Found")))


def ask(session, method, url):
    """(status, whether the route exists). Streaming routes (server-sent events)
    may hold the answer back: a route that keeps the request open exists."""
    try:
        with session.request(method, url, timeout=(10, 15), allow_redirects=False, stream=True) as response:
            return response.status_code, not no_route(response)
    except requests.exceptions.ReadTimeout:
        return "open", True


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_bare_server(workdir, port, login):
    env = dict(os.environ, MLFLOW_DISABLE_TELEMETRY="true")
    for name in ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"):
        env.pop(name, None)
    app = []
    if login:
        with open(f"{workdir}/basic_auth.ini", "w", encoding="utf-8") as ini:
            ini.write(f"[mlflow]\ndefault_permission = READ\ndatabase_uri = sqlite:///{workdir}/basic_auth.db\n"
                      "admin_username = admin\n"
                      "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n")
        env.update(MLFLOW_AUTH_CONFIG_PATH=f"{workdir}/basic_auth.ini",
                   MLFLOW_AUTH_ADMIN_PASSWORD=secrets.token_urlsafe(24),
                   MLFLOW_FLASK_SERVER_SECRET_KEY=secrets.token_urlsafe(32))
        app = ["--app-name", "basic-auth"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", *app, "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
         "--backend-store-uri", f"sqlite:///{workdir}/mlflow.db", "--artifacts-destination", f"{workdir}/artifacts"],
        cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=open(f"{workdir}/server.log", "w"),
        start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    for _round in range(120):
        if proc.poll() is not None:
            raise SystemExit(f"the bare mlflow server exited: {open(f'{workdir}/server.log').read()[-2000:]}")
        try:
            if requests.get(f"{url}/health", timeout=2).status_code == 200:
                # /health answers before the FastAPI routers are in place.
                time.sleep(2)
                return proc, url
        except requests.RequestException:
            pass
        time.sleep(1)
    raise SystemExit("the bare mlflow server did not answer /health within 120 s")


def stop(proc):
    os.killpg(proc.pid, 15)
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)


def main():
    warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
    args = sys.argv[1:]
    refusals = args[:1] == ["--refusals"]
    closed = args[:1] == ["--closed"]
    args = args[1:] if refusals or closed else args
    deployed_url, server_name = args[0].rstrip("/"), args[1]
    report_path = args[2] if len(args) > 2 else None

    routes = {}
    for app, method, path in [*flask_routes(), *fastapi_routes()]:
        routes.setdefault((method, path), set()).add(app)
    import mlflow

    for app, floor in FLOORS.get(mlflow.__version__, FLOOR).items():
        count = sum(app in apps or app == "all" for apps in routes.values())
        if count < floor:
            raise SystemExit(f"only {count} {app} routes of MLflow {mlflow.__version__} listed "
                             f"(at least {floor} expected): a router is missing")

    local = threading.local()

    def sessions():
        """This thread's own sessions (a requests.Session is not shared between threads)."""
        if not hasattr(local, "deployed"):
            local.deployed = requests.Session()
            local.deployed.verify = False
            local.deployed.headers["Host"] = server_name
            if os.environ.get("MLFLOW_TRACKING_USERNAME") and not refusals:
                local.deployed.auth = (os.environ["MLFLOW_TRACKING_USERNAME"], os.environ["MLFLOW_TRACKING_PASSWORD"])
            local.bare = requests.Session()
        return local.deployed, local.bare

    if closed:
        return report_closed(routes, deployed_url, server_name, report_path)

    workdir = tempfile.mkdtemp(prefix="mlflow-parity-")
    proc, bare_url = start_bare_server(workdir, free_port(), login=refusals)

    def check(route):
        (method, path), apps = route
        url_path = fill(path)
        result = {"method": method, "path": path, "apps": sorted(apps)}
        deployed, bare = sessions()
        for name, session, base in (("deployed", deployed, deployed_url), ("bare", bare, bare_url)):
            result[name], result[f"{name}_has_it"] = ask(session, method, base + url_path)
            result[f"{name}_refused"] = result[name] in (401, 403)
        return result

    try:
        # Eight routes at a time: whether a route exists does not depend on the
        # others, and one at a time the ~500 routes took minutes.
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(check, sorted(routes.items())))
        for session, base in zip(sessions(), (deployed_url, bare_url)):
            for sample in (SAMPLE, f"{SAMPLE}-path/x"):
                session.delete(f"{base}/api/2.0/mlflow-artifacts/artifacts/{sample}", timeout=60)
    finally:
        stop(proc)
        shutil.rmtree(workdir, ignore_errors=True)

    if refusals:
        return report_refusals(results, report_path)
    missing = [r for r in results if r["bare_has_it"] and not r["deployed_has_it"]]
    broken = [r for r in results if broken_on_deployed(r)]
    summary = {
        "routes": len(results),
        "flask": sum("flask" in r["apps"] for r in results),
        "fastapi": sum("fastapi" in r["apps"] for r in results),
        "fastapi_only": sum(r["apps"] == ["fastapi"] for r in results),
        "answered_by_bare": sum(r["bare_has_it"] for r in results),
        "answered_by_deployed": sum(r["deployed_has_it"] for r in results),
        "missing_on_deployed": len(missing),
        "broken_on_deployed": len(broken),
    }
    finish(summary, results, report_path,
           [f"MISSING {r['method']} {r['path']}: deployed {r['deployed']}, bare {r['bare']}" for r in missing]
           + [f"BROKEN {r['method']} {r['path']}: deployed {r['deployed']}, bare {r['bare']}" for r in broken])


def broken_on_deployed(result):
    """A gateway error, a server error the bare server does not give, or no answer where the bare one answers."""
    deployed, bare = result["deployed"], result["bare"]
    if deployed == "open":
        return bare != "open"
    # MLflow itself answers some routes with a 5xx (501 for presigned URLs on a
    # local store, 503 for workspaces when they are off): the same from both is
    # MLflow's answer; nginx's 502/504 for a dead backend never comes from it.
    return deployed >= 500 and deployed != bare


def report_refusals(results, report_path):
    """Without credentials: what the bare basic-auth server refuses, the stack must refuse."""
    open_routes = [r for r in results if r["bare_refused"] and not r["deployed_refused"]]
    summary = {
        "routes": len(results),
        "refused_by_bare": sum(r["bare_refused"] for r in results),
        "refused_by_deployed": sum(r["deployed_refused"] for r in results),
        "fastapi_only_refused_by_deployed": sum(r["deployed_refused"] for r in results if r["apps"] == ["fastapi"]),
        "open_on_deployed": len(open_routes),
    }
    finish(summary, results, report_path,
           [f"OPEN {r['method']} {r['path']}: deployed {r['deployed']} without a login, bare {r['bare']}"
            for r in open_routes])


def report_closed(routes, deployed_url, server_name, report_path):
    """Without credentials: every route but the PUBLIC ones refused by the deployed stack."""
    local = threading.local()

    def check(route):
        (method, path), apps = route
        if not hasattr(local, "session"):
            local.session = requests.Session()
            local.session.verify = False
            local.session.headers["Host"] = server_name
        try:
            with local.session.request(method, deployed_url + fill(path), timeout=(10, 15), allow_redirects=False,
                                       stream=True) as response:
                status, location = response.status_code, response.headers.get("location", "")
        except requests.exceptions.ReadTimeout:
            status, location = "open", ""
        # (not 403: MLflow's Host check answers that too, which would hide an open route)
        refused = status == 401 or (status in (301, 302, 303, 307) and "login" in location)
        return {"method": method, "path": path, "apps": sorted(apps), "deployed": status, "location": location,
                "deployed_refused": refused}

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(check, sorted(routes.items())))
    open_routes = [r for r in results if not r["deployed_refused"] and r["path"] not in PUBLIC]
    summary = {"routes": len(results), "refused_by_deployed": sum(r["deployed_refused"] for r in results),
               "fastapi_only_refused_by_deployed": sum(r["deployed_refused"] for r in results
                                                       if r["apps"] == ["fastapi"]),
               "open_on_deployed": len(open_routes)}
    finish(summary, results, report_path,
           [f"OPEN {r['method']} {r['path']}: deployed {r['deployed']} {r['location']} without a login"
            for r in open_routes])


def finish(summary, results, report_path, problems):
    """Write the report, print the summary and each problem; exit 1 if there is one."""
    if report_path:
        with open(report_path, "w", encoding="utf-8") as out:
            json.dump({"summary": summary, "results": results}, out, indent=1)
    print(json.dumps(summary))
    for line in problems:
        print(line)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
