# Helpers shared by the scripts in this folder (sourced, not run).
# shellcheck shell=bash

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${PRESETS_MLFLOW_VENV:-$repo_root/.venv}
# Pip cache shared between the host and every test host (mounted into the
# containers), so repeated MLflow installs reuse downloaded wheels.
pip_cache=${PRESETS_MLFLOW_PIP_CACHE:-/var/cache/presets-mlflow/pip}

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

apt_install() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "apt-get install ${missing[*]}"
  apt-get update -q >/dev/null
  # (needrestart, where installed, would ask about restarting services)
  DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 \
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

# Make the working tree importable as the collection presets.mlflow without
# installing it: .cache/collections/ansible_collections/presets/mlflow -> repo.
link_collection() {
  local ns=$repo_root/.cache/collections/ansible_collections/presets
  mkdir -p "$ns"
  ln -sfn ../../../.. "$ns/mlflow"
  export ANSIBLE_COLLECTIONS_PATH=$repo_root/.cache/collections
}

# The tools of .venv first on PATH, molecule's and Ansible's state in the repo.
use_venv() {
  export PATH=$venv/bin:$PATH
  export ANSIBLE_HOME=${ANSIBLE_HOME:-$repo_root/.cache/ansible}
  mkdir -p "$pip_cache"
}
