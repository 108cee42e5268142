#!/usr/bin/env bash
# Prepares a fresh Debian machine for StreamSpace: Bun, Debian packages, the Docker engine,
# dependencies, the portal build and the session image. Safe to run again: it skips what is done.
# Usage: scripts/setup.sh run|test
set -euo pipefail
cd "$(dirname "$0")/.."
purpose="${1:-run}"
BUN_VERSION=1.4.5
RUN_PACKAGES=(docker.io debootstrap)
TEST_PACKAGES=(docker.io debootstrap wrk chromium websockify novnc haproxy redis-server)

say() { printf '==> %s\n' "$*"; }

if [ "$(bun --version 2>/dev/null)" != "$BUN_VERSION" ]; then
  say "installing Bun $BUN_VERSION"
  npm install -g "bun@$BUN_VERSION" >/dev/null
fi

if [ "$purpose" = test ]; then packages=("${TEST_PACKAGES[@]}"); else packages=("${RUN_PACKAGES[@]}"); fi
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    say "missing Debian packages (run as root to install them): ${missing[*]}"
  fi
fi

if command -v dockerd >/dev/null && ! docker info >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  say "starting the Docker engine"
  setsid nohup /usr/sbin/dockerd >>/var/log/dockerd.log 2>&1 </dev/null &
  for _ in $(seq 1 50); do docker info >/dev/null 2>&1 && break; sleep 0.2; done
fi

say "installing dependencies"
# isolated-vm (plugin runtime) builds with node-gyp: use the installed Node's headers, nothing to download.
if [ -d /usr/include/node ]; then export npm_config_nodedir=/usr; fi
if [ "${CI:-}" = true ]; then bun install --frozen-lockfile >/dev/null; else bun install >/dev/null; fi

# First-party plugins are bundles like any marketplace plugin; CI also checks the index lists what they build to.
say "building the first-party plugins (plugins/marketplace.json)"
if [ "${CI:-}" = true ]; then bun run build:plugins --check >/dev/null; else bun run build:plugins >/dev/null; fi

if [ -f ui/package.json ] && grep -q '"build:ui"' package.json; then
  say "building the portal"
  bun run build:ui >/dev/null
fi

if [ -x images/build-local.sh ] && docker info >/dev/null 2>&1; then
  say "session image (built once, then cached by content hash)"
  bash images/build-local.sh
fi

# The Kubernetes agent's tests run against a real kube-apiserver built from Debian's source package
# (cached outside the clone by version; ~10 min cold on 2 cores). Failing to build it is loud: the
# tests then fail, they are never skipped or mocked.
if [ "$purpose" = test ]; then
  say "Kubernetes control plane for the agent's tests (built once, then cached)"
  if ! bash scripts/kube/build-apiserver.sh >/dev/null; then
    echo "!!! ============================================================================ !!!"
    echo "!!! KUBERNETES COULD NOT BE BUILT: the agents/kubernetes tests WILL FAIL.         !!!"
    echo "!!! See the [kube-build] lines above; run scripts/kube/build-apiserver.sh again.  !!!"
    echo "!!! ============================================================================ !!!"
  fi
fi
