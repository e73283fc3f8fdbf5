"""The routes only MLflow's FastAPI app serves, as nginx locations.

Run with the Python of an MLflow release's virtualenv. `mlflow server` under
gunicorn serves the Flask app (`mlflow.server:app`); the FastAPI app
(`mlflow.server.fastapi_app:app`) mounts that Flask app and adds routers of
its own (OTLP traces, jobs, the AI gateway's invocations, the assistant, ...).
This lists every FastAPI route that the Flask app does not answer for the
same method, and turns them into nginx `location` arguments that send those
paths to the ASGI process:

    ^~ PREFIX       the shortest leading part of the route's literal start,
                    cut after a "/", that no Flask route starts with
    = PATH          else, for a route without path parameters
    ~ ^REGEX$       else the route's own pattern

Everything under a prefix may go to the ASGI process: it is the whole of
MLflow (its Flask mount answers what its own routers do not), so a prefix
can only cost speed, never a route. Prints JSON: {"fastapi_only": [[METHOD,
PATH], ...], "locations": [...], "probe": PATH} (a FastAPI-only GET route
without parameters, public API first, for health checks) to the file named by
the first argument, or to stdout. A release without a FastAPI app gives empty
lists and no probe.
"""

import json
import os
import re
import sys
import warnings

PARAM = re.compile(r"\{([^}:]+)(?::([a-z]+))?\}")


def sample_path(path):
    """A concrete path for a route template: every parameter filled in."""
    return PARAM.sub(lambda m: "p/q" if m.group(2) == "path" else "p", path)


def regex_location(path_regex):
    """Starlette's route pattern as a PCRE location, without group names."""
    return "~ " + re.sub(r"\(\?P<[^>]+>", "(?:", path_regex)


def shortest_prefix(literal, flask_paths):
    """The shortest leading part of a path, cut after a "/" (or the whole of
    it), that starts no Flask path; None if there is none."""
    parts = literal.split("/")
    candidates = ["/".join(parts[:i]) + "/" for i in range(2, len(parts))] + [literal]
    for candidate in candidates:
        if candidate != "/" and not any(p.startswith(candidate) for p in flask_paths):
            return candidate
    return None


def locations(routes, flask_paths):
    """nginx locations for routes [(path, path_regex)], none catching a Flask path."""
    chosen = {}  # what a location matches -> the location
    for path, path_regex in routes:
        literal = path.split("{", 1)[0]
        prefix = shortest_prefix(literal, flask_paths)
        if prefix:
            chosen[prefix] = "^~ " + prefix
        elif literal == path:
            chosen[path] = "= " + path
        else:
            chosen[path] = regex_location(path_regex)
    prefixes = [key for key, loc in chosen.items() if loc.startswith("^~ ")]
    return sorted(loc for key, loc in chosen.items()
                  if not any(key != p and key.startswith(p) for p in prefixes))


def fastapi_routes(fastapi_app):
    """(methods, path, path_regex) of every route the FastAPI app defines itself."""

    def walk(routes):
        for route in routes:
            if hasattr(route, "effective_candidates"):  # included routers (FastAPI >= 0.160)
                yield from walk(route.effective_candidates())
            elif hasattr(route, "original_router"):
                yield from walk(route.original_router.routes)
            elif getattr(route, "methods", None):
                yield route

    for route in walk(fastapi_app.routes):
        yield sorted(route.methods), route.path, route.path_regex.pattern


def probe(only):
    """A FastAPI-only GET route without parameters; /api/ and others before /ajax-api/."""
    paths = sorted({path for method, path in only if method == "GET" and "{" not in path},
                   key=lambda path: (path.startswith("/ajax-api/"), path))
    return paths[0] if paths else None


def routes():
    warnings.simplefilter("ignore")
    try:
        from mlflow.server import app as flask_app
        from mlflow.server.fastapi_app import app as fastapi_app
    except ImportError:
        return {"fastapi_only": [], "locations": [], "probe": None}
    from werkzeug.exceptions import HTTPException

    adapter = flask_app.url_map.bind("localhost")
    flask_paths = [re.sub(r"<[^>]+>", "p", rule.rule) for rule in flask_app.url_map.iter_rules()]
    only, patterns = [], {}
    for methods, path, path_regex in fastapi_routes(fastapi_app):
        for method in methods:
            try:
                adapter.match(sample_path(path), method=method)
            except HTTPException:
                only.append([method, path])
                patterns[path] = path_regex
    return {"fastapi_only": only, "locations": locations(patterns.items(), flask_paths),
            "probe": probe(only)}


def main():
    text = json.dumps(routes(), indent=1) + "\n"
    if len(sys.argv) < 2:
        sys.stdout.write(text)
        return
    with open(sys.argv[1] + ".tmp", "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(sys.argv[1] + ".tmp", sys.argv[1])


if __name__ == "__main__":
    main()
