#!/usr/bin/env bash
# The Docker tests' own Docker Engine: a private dockerd that never touches /var/run/docker.sock.
#   start   install docker.io/debootstrap if missing, start the private dockerd (unless ours runs), make
#           the debian:bookworm-slim base inside it; prints "started" or "running" on its last line
#   stop    remove the private dockerd's containers, volumes and dangling images, stop it, remove its bridge
#   env     print the DOCKER_HOST line for the processes that must reach it
#   status  exit 0 when the private dockerd answers
# ICHRISBIRCH_DOCKER_OFFICIAL_IMAGES=1: pull debian:bookworm-slim from the registry instead of debootstrapping it.
# ICHRISBIRCH_DOCKER_USERLAND_PROXY=false (bench/docker.sh): published ports by iptables DNAT alone, as external
# traffic reaches them on a real host, instead of docker-proxy copying every byte sent to 127.0.0.1 (a daemon
# running with the other setting is restarted). The tests keep the default (true): docker-proxy holds each
# published host port, so a fixed port another program takes later fails to bind instead of having its loopback
# traffic redirected into a container.
# Everything lives in its own places: data root (images, build cache, the debootstrapped base) in
# $ICHRISBIRCH_DOCKER_CACHE (default /var/cache/ichrisbirch-docker, kept between runs so a warm run skips
# debootstrap and the image builds' downloads); socket, pid file and exec root in /run/ichrisbirch-docker;
# bridge ichd0 on 10.213.0.0/24; networks from 10.214.0.0/16; containerd namespace ichrisbirch.
# Needs root (dockerd does). No registry is used: the base comes from Debian's packages via debootstrap.
set -euo pipefail

cache="${ICHRISBIRCH_DOCKER_CACHE:-/var/cache/ichrisbirch-docker}"
run=/run/ichrisbirch-docker
sock="$run/docker.sock"
pidfile="$run/dockerd.pid"
bridge=ichd0
bridge_cidr=10.213.0.1/24
pool=base=10.214.0.0/16,size=24
base_image=debian:bookworm-slim
base_tar="$cache/bookworm-minbase.tar"
userland_proxy="${ICHRISBIRCH_DOCKER_USERLAND_PROXY:-true}"
export DOCKER_HOST="unix://$sock"

die() { echo "docker-test-engine: $*" >&2; exit 1; }
case "$userland_proxy" in true|false) ;; *) die "ICHRISBIRCH_DOCKER_USERLAND_PROXY must be true or false, not '$userland_proxy'" ;; esac

running() { [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null && docker info >/dev/null 2>&1; }

install_tools() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)      # never over Docker's own docker-ce packages
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  command -v docker >/dev/null || missing+=(docker.io)
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "needs ${missing[*]}: run as root, or: sudo apt-get install -y docker.io debootstrap"
  # Debian's postinst would start a daemon on the default socket: policy-rc.d forbids it during the install.
  local policy=/usr/sbin/policy-rc.d made=""
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; made=1; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" iptables ca-certificates >/dev/null
  [ -n "$made" ] && rm -f "$policy"
  return 0
}

start_daemon() {
  [ "$(id -u)" -eq 0 ] || die "dockerd needs root: run the Docker tests as root"
  mkdir -p "$run" "$cache/data-root"
  if ! ip link show "$bridge" >/dev/null 2>&1; then
    ip link add "$bridge" type bridge
    ip addr add "$bridge_cidr" dev "$bridge"
  fi
  ip link set "$bridge" up
  rm -f "$sock" "$pidfile"
  setsid dockerd \
    --host "unix://$sock" --data-root "$cache/data-root" --exec-root "$run/exec" --pidfile "$pidfile" \
    --bridge "$bridge" --default-address-pool "$pool" \
    --containerd-namespace ichrisbirch --containerd-plugins-namespace ichrisbirch-plugins --userland-proxy="$userland_proxy" \
    >"$run/dockerd.log" 2>&1 </dev/null &
  echo "$userland_proxy" >"$run/userland-proxy"
  local i
  for i in $(seq 1 120); do
    running && return 0
    kill -0 $! 2>/dev/null || { tail -n 20 "$run/dockerd.log" >&2; die "dockerd exited at start (log above, full log $run/dockerd.log)"; }
    sleep 0.5
  done
  die "dockerd did not answer on $sock within 60 s (log: $run/dockerd.log)"
}

# debian:bookworm-slim inside this engine only: debootstrap --variant=minbase, cached as a tarball.
# ICHRISBIRCH_DOCKER_OFFICIAL_IMAGES=1 (a machine with a registry): the official image, pulled, instead.
ensure_base() {
  if [ "${ICHRISBIRCH_DOCKER_OFFICIAL_IMAGES:-0}" = 1 ]; then docker pull -q "$base_image" >/dev/null; return; fi
  docker image inspect "$base_image" >/dev/null 2>&1 && return 0
  if [ ! -s "$base_tar" ]; then
    local root; root="$(mktemp -d /var/tmp/ichrisbirch-minbase.XXXXXX)"
    echo "docker-test-engine: debootstrap --variant=minbase bookworm (about 90 s, once per machine)" >&2
    debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >"$run/debootstrap.log" 2>&1 \
      || { tail -n 20 "$run/debootstrap.log" >&2; rm -rf "$root"; die "debootstrap failed (log: $run/debootstrap.log)"; }
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    # As in Debian's official images: packages installed during a build do not start services.
    printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d" && chmod +x "$root/usr/sbin/policy-rc.d"
    tar -C "$root" -cf "$base_tar.part" . && mv "$base_tar.part" "$base_tar"
    rm -rf "$root"
  fi
  docker import -c 'CMD ["bash"]' "$base_tar" "$base_image" >/dev/null
}

stop_daemon() {
  if [ -s "$pidfile" ]; then
    local pid; pid="$(cat "$pidfile")"
    if kill -0 "$pid" 2>/dev/null; then
      # Nothing of a run stays in the cache but images: containers, volumes and dangling layers go.
      if docker info >/dev/null 2>&1; then
        docker ps -aq | xargs -r docker rm -f >/dev/null 2>&1 || true
        docker volume prune -f >/dev/null 2>&1 || true
        docker image prune -f >/dev/null 2>&1 || true
      fi
      kill -TERM "$pid"
      local i
      for i in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -0 "$pid" 2>/dev/null && { kill -KILL "$pid"; sleep 1; }
    fi
  fi
  rm -f "$pidfile" "$sock" "$run/userland-proxy"
  ip link show "$bridge" >/dev/null 2>&1 && ip link delete "$bridge"
  return 0
}

case "${1:-}" in
  start)
    install_tools
    if running && [ "$(cat "$run/userland-proxy" 2>/dev/null || echo true)" != "$userland_proxy" ]; then stop_daemon; fi
    if running; then state=running; else start_daemon; state=started; fi
    ensure_base
    echo "$state"
    ;;
  stop) stop_daemon ;;
  env) echo "DOCKER_HOST=unix://$sock" ;;
  status) running ;;
  *) die "usage: $0 start|stop|env|status" ;;
esac
