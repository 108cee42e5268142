#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager and kube-scheduler from Debian bookworm's SOURCE
# package `kubernetes` (no binary package ships them and nothing may be downloaded from GitHub),
# with Debian's golang-go, and caches them outside the clone keyed by version:
#   $STREAMSPACE_CACHE_DIR/kubernetes-<version>/bin/{kube-apiserver,kube-controller-manager,kube-scheduler}
# A cached build is reused (seconds). A cold build takes ~10 min on 2 cores; it runs under `nice`
# because the machine is shared. Also installs etcd-server (the apiserver's store).
#
#   scripts/kube/build-apiserver.sh          build (or reuse) and print the bin directory
#   scripts/kube/build-apiserver.sh --dir    print the bin directory the cache would hold, nothing else
#
# Env: STREAMSPACE_CACHE_DIR (default /var/cache/streamspace).
set -euo pipefail
export LC_ALL=C

version=1.20.2
cache_dir=${STREAMSPACE_CACHE_DIR:-/var/cache/streamspace}
out="$cache_dir/kubernetes-$version"
bin="$out/bin"
binaries=(kube-apiserver kube-controller-manager kube-scheduler)

say() { echo "[kube-build] $*" >&2; }
die() { echo "[kube-build] ERROR: $*" >&2; exit 1; }

if [[ "${1:-}" == "--dir" ]]; then echo "$bin"; exit 0; fi
[[ $# -eq 0 ]] || die "unknown argument '$1' (use --dir or nothing)"

cached() {
  local b
  for b in "${binaries[@]}"; do [[ -x "$bin/$b" ]] || return 1; done
  command -v etcd >/dev/null
}
if cached; then echo "$bin"; exit 0; fi

[[ $EUID -eq 0 ]] || die "building Kubernetes needs root (apt-get); run as root"
mkdir -p "$cache_dir" || die "cannot create $cache_dir; set STREAMSPACE_CACHE_DIR"
exec 8>"$cache_dir/kubernetes-build.lock"
say "waiting for the build lock $cache_dir/kubernetes-build.lock"
flock 8
if cached; then echo "$bin"; exit 0; fi

# Binaries kept from an earlier build (a restored cache) only lack etcd: install it, do not rebuild.
built() {
  local b
  for b in "${binaries[@]}"; do [[ -x "$bin/$b" ]] || return 1; done
}
if built; then
  say "installing etcd-server (the Kubernetes binaries are cached)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends etcd-server >/dev/null \
    || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends etcd-server >/dev/null; } \
    || die "apt-get install etcd-server failed"
  echo "$bin"
  exit 0
fi

# deb-src lines for the suites apt already uses, in a file of our own (the host's file is left alone).
src_list=/etc/apt/sources.list.d/streamspace-deb-src.sources
if ! apt-get source --print-uris kubernetes >/dev/null 2>&1; then
  host=/etc/apt/sources.list.d/debian.sources
  if [[ -r "$host" ]]; then
    say "adding deb-src entries ($src_list) from $host"
    sed -E 's/^Types:.*/Types: deb-src/' "$host" >"$src_list"
  elif [[ -r /etc/apt/sources.list ]]; then
    src_list=/etc/apt/sources.list.d/streamspace-deb-src.list
    say "adding deb-src entries ($src_list) from /etc/apt/sources.list"
    awk '$1 == "deb" { $1 = "deb-src"; print }' /etc/apt/sources.list >"$src_list"
  else
    die "no apt sources found to derive deb-src entries from"
  fi
  apt-get update -qq >/dev/null || die "apt-get update failed"
fi

missing=()
for p in golang-go etcd-server rsync jq dpkg-dev make; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [[ ${#missing[@]} -gt 0 ]]; then
  say "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
fi

work="$cache_dir/kubernetes-$version-src"
rm -rf "$work"
mkdir -p "$work"
say "fetching the Debian source package kubernetes $version"
(cd "$work" && apt-get source -qq kubernetes >/dev/null 2>&1) || die "apt-get source kubernetes failed"
# bookworm's package is "1.20.5+really1.20.2": the upstream tree inside is 1.20.2.
ls "$work"/kubernetes_*.dsc | grep -qE "(really|_)$version" || die "the source package is not Kubernetes $version: $(ls "$work"/*.dsc)"
tree=$(find "$work" -maxdepth 1 -mindepth 1 -type d -name 'kubernetes-*' | head -n1)
[[ -n "$tree" && -d "$tree/vendor" ]] || die "unpacked source tree with vendor/ not found under $work"

# A plain `go build` fails; the Makefile needs a version file (there is no .git in a source package).
major=${version%%.*}
minor=${version#*.}
minor=${minor%%.*}
cat >"$tree/.streamspace-version" <<VERSION
KUBE_GIT_VERSION='v$version'
KUBE_GIT_MAJOR='$major'
KUBE_GIT_MINOR='$minor'
KUBE_GIT_TREE_STATE='clean'
KUBE_GIT_COMMIT='0000000000000000000000000000000000000000'
VERSION

say "building ${binaries[*]} with $(go version | cut -d' ' -f3) (nice; ~10 min cold on 2 cores)"
started=$SECONDS
what=""
for b in "${binaries[@]}"; do what+="cmd/$b "; done
(cd "$tree" && KUBE_GIT_VERSION_FILE="$tree/.streamspace-version" nice -n 10 make WHAT="${what% }" >"$work/build.log" 2>&1) \
  || { tail -n 30 "$work/build.log" >&2; die "make failed (log: $work/build.log)"; }

mkdir -p "$bin.tmp"
for b in "${binaries[@]}"; do
  f=$(find "$tree/_output" -type f -name "$b" -perm -u+x | head -n1)
  [[ -n "$f" ]] || die "$b was not produced (log: $work/build.log)"
  cp "$f" "$bin.tmp/$b"
done
rm -rf "$bin" && mv "$bin.tmp" "$bin"
"$bin/kube-apiserver" --version >&2
rm -rf "$work"
say "built in $((SECONDS - started)) s into $bin"
echo "$bin"
