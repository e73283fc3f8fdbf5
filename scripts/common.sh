# Helpers shared by the scripts in this folder (sourced, not run).
# shellcheck shell=bash

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${PRESETS_MLFLOW_VENV:-$repo_root/.venv}
# pip's and uv's caches, shared between the host and every test host (mounted into
# the containers), so repeated MLflow installs reuse downloaded and unpacked wheels.
pip_cache=${PRESETS_MLFLOW_PIP_CACHE:-/var/cache/presets-mlflow/pip}
uv_cache=${PRESETS_MLFLOW_UV_CACHE:-/var/cache/presets-mlflow/uv}

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
  mkdir -p "$pip_cache" "$uv_cache"
}

# Start (or restart) a systemd test host from a local image, publishing the
# given "127.0.0.1:HOSTPORT:PORT" specs; a host made with other ports is made
# anew. Waits until systemd runs. Usage: start_test_host NAME IMAGE SPEC...
start_test_host() {
  local name=$1 image=$2 spec publish=() want have
  shift 2
  for spec in "$@"; do publish+=(-p "$spec"); done
  want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
  if [ -n "$(docker ps -aq -f name="^$name\$")" ]; then
    have=$(docker inspect -f '{{range $p, $b := .HostConfig.PortBindings}}{{range $b}}{{.HostIp}}:{{.HostPort}}:{{$p}} {{end}}{{end}}' "$name" |
      tr ' ' '\n' | sed 's|/tcp$||' | grep . | sort | tr '\n' ' ')
    [ "$have" = "$want" ] || docker rm -f "$name" >/dev/null
  fi
  if [ -z "$(docker ps -aq -f name="^$name\$")" ]; then
    log "starting the test host $name"
    docker run -d --name "$name" --hostname "$name" \
      --cap-add SYS_ADMIN --cap-add NET_ADMIN \
      --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
      --cgroupns host -v /sys/fs/cgroup:/sys/fs/cgroup:rw \
      --tmpfs /run --tmpfs /run/lock \
      -v "$pip_cache:/root/.cache/pip" -v "$uv_cache:/root/.cache/uv" \
      "${publish[@]}" \
      "$image" /lib/systemd/systemd >/dev/null
  else
    docker start "$name" >/dev/null
  fi
  local state
  for _ in $(seq 1 30); do
    state=$(docker exec "$name" systemctl is-system-running 2>/dev/null || true)
    case $state in running|degraded) return 0 ;; esac
    sleep 1
  done
}

# An inventory with one test host reached over the docker connection.
# Usage: docker_inventory FILE HOST [GROUP]
docker_inventory() {
  mkdir -p "$(dirname "$1")"
  printf '[%s]\n%s ansible_connection=community.docker.docker ansible_pipelining=true ansible_python_interpreter=/usr/bin/python3\n' \
    "${3:-mlflow}" "$2" >"$1"
}
