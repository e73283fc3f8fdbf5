"""Install a pinned MLflow release into its virtualenv (run by presets.mlflow).

  mlflow_install.py --venv DIR --installer uv|pip --uv-dir DIR --uv-version V PACKAGE...

The virtualenv is always made by the host's own `python3 -m venv` (so it has
pip, as users expect). Its packages are installed by:

  pip  the virtualenv's pip, with the host's pip configuration as it is.
  uv   uv (pinned; itself installed by pip into --uv-dir, through the host's pip
       configuration) resolving and installing several times faster. uv does
       not read pip's configuration, so this helper asks pip for it
       (`pip config list`: its files and PIP_* variables) and hands uv the same
       settings as uv's variables, in uv's environment only: an index with
       credentials is never on a command line and never printed. A setting uv
       has no equivalent for makes this install use pip instead, and says so.

Bytecode is not compiled here (the role compiles on every core afterwards).
Prints one JSON line: the installer that ran and, when pip stood in for uv, why.
"""

import argparse
import ast
import json
import os
import subprocess
import sys

# pip's settings and how uv takes them
SPACED = {
    "extra-index-url": "UV_EXTRA_INDEX_URL",
    "trusted-host": "UV_INSECURE_HOST",
    "constraint": "UV_CONSTRAINT",
}
SINGLE = {
    "index-url": "UV_INDEX_URL",
    "cert": "SSL_CERT_FILE",
    "client-cert": "SSL_CLIENT_CERT",
    "timeout": "UV_HTTP_TIMEOUT",
    "default-timeout": "UV_HTTP_TIMEOUT",
}
# Settings that change nothing about what gets installed or from where
HARMLESS = {
    "retries", "disable-pip-version-check", "no-cache-dir", "cache-dir", "progress-bar", "quiet",
    "verbose", "no-input", "no-color", "root-user-action", "no-warn-script-location",
    "break-system-packages", "require-virtualenv", "log", "exists-action",
    "config-file",  # where these settings came from: read already
}
TRUE = {"1", "true", "yes", "on"}
# Sections that apply to `pip install`, weakest first; PIP_* variables win.
SECTIONS = ("global", "install", ":env:")


def pip_settings(pip):
    """pip's effective settings for `pip install`: {key: value}."""
    out = subprocess.run([pip, "config", "list"], capture_output=True, text=True, check=True).stdout
    found = {}
    for line in out.splitlines():
        name, sep, value = line.partition("=")
        section, dot, key = name.rpartition(".")
        if not sep or not dot or section not in SECTIONS:
            continue
        try:
            value = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            pass
        found.setdefault(key, {})[section] = str(value)
    return {key: next(by[s] for s in reversed(SECTIONS) if s in by) for key, by in found.items()}


def uv_environment(settings, pip_python):
    """uv's variables for pip's settings, or (None, reason)."""
    env = {"UV_NO_CONFIG": "1", "UV_PYTHON_DOWNLOADS": "never", "UV_NO_PROGRESS": "1"}
    for key, value in settings.items():
        if key in SPACED:
            env[SPACED[key]] = " ".join(value.split())
        elif key in SINGLE:
            env[SINGLE[key]] = value.strip()
        elif key == "proxy":
            for var in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"):
                env[var] = value.strip()
        elif key == "find-links":
            env["UV_FIND_LINKS"] = ",".join(value.split())
        elif key == "no-index":
            if value.strip().lower() in TRUE:
                env["UV_NO_INDEX"] = "1"
        elif key == "pre":
            if value.strip().lower() in TRUE:
                env["UV_PRERELEASE"] = "allow"
        elif key not in HARMLESS:
            return None, "pip setting '%s' has no uv equivalent" % key
    # pip looks for the best version across all its indexes; uv only does so when told.
    if "UV_EXTRA_INDEX_URL" in env:
        env["UV_INDEX_STRATEGY"] = "unsafe-best-match"
    # The certificates pip trusts when none is configured (Debian's pip: the
    # system's bundle; requests' own variable first, as pip honours it).
    if "SSL_CERT_FILE" not in env:
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or subprocess.run(
            [pip_python, "-c", "from pip._vendor import certifi; print(certifi.where())"],
            capture_output=True, text=True, check=True).stdout.strip()
        env["SSL_CERT_FILE"] = bundle
    return env, None


def run(argv, env=None):
    result = subprocess.run(argv, env=env, check=False)
    if result.returncode:
        sys.exit(result.returncode)


def ensure_uv(uv_dir, version):
    """uv VERSION in its own virtualenv, installed by pip; returns its path."""
    uv = os.path.join(uv_dir, "bin", "uv")
    marker = os.path.join(uv_dir, ".presets-mlflow-uv-" + version)
    if os.path.exists(marker) and os.access(uv, os.X_OK):
        return uv
    if not os.path.exists(os.path.join(uv_dir, "bin", "pip")):
        run([sys.executable, "-m", "venv", uv_dir])
    run([os.path.join(uv_dir, "bin", "pip"), "install", "-q", "--disable-pip-version-check", "uv==" + version])
    for name in os.listdir(uv_dir):
        if name.startswith(".presets-mlflow-uv-"):
            os.unlink(os.path.join(uv_dir, name))
    with open(marker, "w", encoding="utf-8"):
        pass
    return uv


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", required=True)
    parser.add_argument("--installer", choices=("uv", "pip"), required=True)
    parser.add_argument("--uv-dir", required=True)
    parser.add_argument("--uv-version", required=True)
    parser.add_argument("packages", nargs="+")
    args = parser.parse_args()

    python = os.path.join(args.venv, "bin", "python")
    pip = os.path.join(args.venv, "bin", "pip")
    if not os.access(pip, os.X_OK):
        run([sys.executable, "-m", "venv", args.venv])

    reason = None
    if args.installer == "uv":
        env, reason = uv_environment(pip_settings(pip), python)
        if env is not None:
            uv = ensure_uv(args.uv_dir, args.uv_version)
            run([uv, "pip", "install", "-q", "--python", python] + args.packages, env=dict(os.environ, **env))
            # uv's lock for concurrent uv runs, left behind world-writable
            lock = os.path.join(args.venv, ".lock")
            if os.path.isfile(lock) and not os.path.islink(lock):
                os.unlink(lock)
            print(json.dumps({"installer": "uv"}))
            return
    run([pip, "install", "-q", "--disable-pip-version-check", "--no-compile"] + args.packages)
    print(json.dumps({"installer": "pip", "reason": reason}))


if __name__ == "__main__":
    main()
