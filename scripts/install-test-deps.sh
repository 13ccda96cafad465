#!/usr/bin/env bash
# Installs the Debian packages the tests and benchmarks run for real (see /work/shared/TESTBED.md):
# only what is missing, with one `apt-get update`, and without starting any of their services.
# Idempotent: on a machine that has everything it changes nothing and says so in one line.
# Run as root on Debian 12 (CI does); falls back to sudo otherwise.
set -euo pipefail

# Package → why the tests need it. uidmap is left out on purpose: podman runs rootful in the tests
# and only rootless podman needs newuidmap/newgidmap.
PACKAGES=(
  skopeo          # client: copy, inspect, list-tags, delete
  podman          # client: pull, push, run (rootful, daemonless)
  docker.io       # dockerd 20.10 + CLI, started privately by the testbed
  runc            # runtime for docker run and podman run
  umoci           # builds OCI images offline
  busybox-static  # the static binary inside those images
  docker-registry # CNCF distribution 2.8.2, the reference registry
  wrk             # load generation (benchmarks)
  hyperfine       # timing (benchmarks)
  apache2-utils   # htpasswd -B, ab
  etcd-server     # discovery tests
  etcd-client     # etcdctl
  jq
  openssl
  curl
  ca-certificates
  iproute2        # ss, to check nothing was left listening
  systemd         # systemd-analyze verify of the unit files in fleet/
  chromium        # browser tests of the web UI (driven by npm playwright-core; never a downloaded browser)
  fonts-liberation # fonts for those pages and their screenshots
)

SUDO=()
if [[ ${EUID} -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "install-test-deps: must run as root (or with sudo available)" >&2
    exit 1
  fi
fi

is_installed() {
  # Not `dpkg -s | grep -q`: grep stops early, dpkg dies of SIGPIPE, and pipefail calls that "missing".
  local status
  status=$(dpkg -s "$1" 2>/dev/null) || return 1
  grep -q '^Status: install ok installed$' <<<"${status}"
}

missing=()
for package in "${PACKAGES[@]}"; do
  is_installed "${package}" || missing+=("${package}")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-test-deps: all ${#PACKAGES[@]} packages already installed, nothing to do"
  exit 0
fi

echo "install-test-deps: installing ${missing[*]}"

# Debian's way to keep maintainer scripts from starting services (docker, containerd, docker-registry on
# :5000, etcd on :2379): invoke-rc.d and deb-systemd-invoke ask policy-rc.d, and 101 means "not now".
# An existing policy-rc.d is the machine's own and is left alone.
POLICY=/usr/sbin/policy-rc.d
created_policy=no
if [[ ! -e ${POLICY} ]]; then
  printf '#!/bin/sh\n# Written by install-test-deps.sh while it installs packages.\nexit 101\n' | "${SUDO[@]}" tee "${POLICY}" >/dev/null
  "${SUDO[@]}" chmod 755 "${POLICY}"
  created_policy=yes
fi
remove_policy() {
  if [[ ${created_policy} == yes ]]; then "${SUDO[@]}" rm -f "${POLICY}"; fi
}
trap remove_policy EXIT

export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -q
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"

remove_policy
created_policy=no

# Belt and braces: should a package's service have started anyway, stop it; tests start their own
# daemons on loopback and must find these ports and sockets free.
stop_service() {
  local service=$1
  if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; then
    if systemctl is-active --quiet "${service}" 2>/dev/null; then
      echo "install-test-deps: stopping ${service} (started by its package)"
      "${SUDO[@]}" systemctl stop "${service}" || true
      "${SUDO[@]}" systemctl disable --quiet "${service}" 2>/dev/null || true
    fi
  elif [[ -x /etc/init.d/${service} ]]; then
    if "${SUDO[@]}" /etc/init.d/"${service}" status >/dev/null 2>&1; then
      echo "install-test-deps: stopping ${service} (started by its package)"
      "${SUDO[@]}" /etc/init.d/"${service}" stop >/dev/null 2>&1 || true
    fi
  fi
}
for service in docker-registry docker.socket docker containerd etcd; do
  stop_service "${service}"
done

# What the packages' services would listen on: the reference registry's :5000, etcd's :2379/:2380.
for port in 5000 2379 2380; do
  if ss -H -ltn "sport = :${port}" 2>/dev/null | grep -q .; then
    echo "install-test-deps: warning: something still listens on port ${port}:" >&2
    ss -H -ltnp "sport = :${port}" >&2 || true
  fi
done
if [[ -S /var/run/docker.sock || -S /run/containerd/containerd.sock ]]; then
  echo "install-test-deps: warning: a system docker or containerd socket exists (/var/run/docker.sock or /run/containerd/containerd.sock)" >&2
fi

echo "install-test-deps: done"
