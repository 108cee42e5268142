#!/usr/bin/env bash
# Builds streamspace/desktop without any container registry: debootstrap + chroot + docker import.
# The tag is a hash of the recipe, so an unchanged recipe is never rebuilt.
#
#   images/build-local.sh            build (or reuse) streamspace/desktop:<hash> and :latest
#   images/build-local.sh --tag      print the tag the current recipe builds, and nothing else
#
# Env: STREAMSPACE_CACHE_DIR (default /var/cache/streamspace) keeps the debootstrap root and the
# downloaded .debs between builds; STREAMSPACE_DEBIAN_MIRROR overrides the mirror apt already uses.
set -euo pipefail
export LC_ALL=C

images_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
recipe_dir="$images_dir/desktop"
suite=bookworm
name=streamspace/desktop
cache_dir=${STREAMSPACE_CACHE_DIR:-/var/cache/streamspace}
started=$SECONDS

say() { echo "[desktop-image] $*"; }
die() { echo "[desktop-image] error: $*" >&2; exit 1; }

# Every file that shapes the image, this script included, in a fixed order.
recipe_hash() {
  (cd "$images_dir" && sha256sum build-local.sh desktop/*) | sha256sum | cut -c1-12
}
tag="$name:$(recipe_hash)"
if [[ "${1:-}" == "--tag" ]]; then echo "$tag"; exit 0; fi
[[ $# -eq 0 ]] || die "unknown argument '$1' (use --tag or nothing)"

# The Debian URI that apt on this host already uses: deb822 sources first, then sources.list.
host_mirror() {
  local f=/etc/apt/sources.list.d/debian.sources
  if [[ -r "$f" ]]; then
    awk -v suite="$suite" '
      BEGIN { RS = ""; FS = "\n" }
      {
        uris = ""; ok = 0
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^URIs:/) { sub(/^URIs:[ \t]*/, "", $i); split($i, u, /[ \t]+/); uris = u[1] }
          if ($i ~ /^Suites:/) { n = split($i, s, /[ \t]+/); for (j = 2; j <= n; j++) if (s[j] == suite) ok = 1 }
        }
        if (ok && uris != "") { print uris; exit }
      }' "$f"
    return
  fi
  awk -v suite="$suite" '$1 == "deb" && $3 == suite { print $2; exit }' /etc/apt/sources.list 2>/dev/null
}

for tool in docker debootstrap flock chroot mount sha256sum; do
  command -v "$tool" >/dev/null || die "'$tool' is missing; install it (apt-get install -y docker.io debootstrap)"
done
docker info >/dev/null 2>&1 || die "the Docker daemon does not answer; start it (dockerd) and retry"
[[ $EUID -eq 0 ]] || die "debootstrap and chroot need root; run as root"

mkdir -p "$cache_dir/apt-archives" 2>/dev/null || die "cannot create the cache directory $cache_dir; set STREAMSPACE_CACHE_DIR to a writable place"
exec 9>"$cache_dir/build.lock"
say "waiting for the build lock $cache_dir/build.lock"
flock 9

if docker image inspect "$tag" >/dev/null 2>&1; then
  docker tag "$tag" "$name:latest"
  say "ready $tag (cached)"
  exit 0
fi
say "building $tag"

# A pristine debootstrap root, made once and kept as a tarball outside the repo.
base_tar="$cache_dir/rootfs-$suite-minbase.tar"
if [[ ! -s "$base_tar" ]]; then
  mirror=${STREAMSPACE_DEBIAN_MIRROR:-$(host_mirror)}
  [[ -n "$mirror" ]] || die "no Debian mirror for '$suite' in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list; set STREAMSPACE_DEBIAN_MIRROR"
  say "debootstrap --variant=minbase $suite from $mirror (once; kept in $base_tar)"
  boot_dir=$(mktemp -d "$cache_dir/debootstrap.XXXXXX")
  debootstrap --variant=minbase "$suite" "$boot_dir" "$mirror" 2>&1 | sed -u 's/^/[desktop-image] debootstrap: /'
  tar -C "$boot_dir" -cf "$base_tar.partial" .
  mv "$base_tar.partial" "$base_tar"
  rm -rf "$boot_dir"
else
  say "reusing debootstrap root $base_tar"
fi

root=$(mktemp -d "$cache_dir/build.XXXXXX")
mounts=()
cleanup() {
  local i
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[$i]}" 2>/dev/null || true; done
  rm -rf "$root"
}
trap cleanup EXIT
tar -C "$root" -xf "$base_tar"
# debootstrap leaves its .debs behind; the image has no use for them.
find "$root/var/cache/apt/archives" -name '*.deb' -delete

mount -t proc proc "$root/proc" && mounts+=("$root/proc")
# The .debs stay on the host so a recipe change reinstalls without downloading again.
mount --bind "$cache_dir/apt-archives" "$root/var/cache/apt/archives" && mounts+=("$root/var/cache/apt/archives")
cp /etc/resolv.conf "$root/etc/resolv.conf"
# Use the same apt sources as the host (security updates included) when it has deb822 sources.
if [[ -z "${STREAMSPACE_DEBIAN_MIRROR:-}" && -r /etc/apt/sources.list.d/debian.sources ]]; then
  cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/debian.sources"
  rm -f "$root/etc/apt/sources.list"
fi
# No daemon may start inside the chroot while packages install.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"

say "installing the desktop packages in the chroot"
mkdir -p "$root/tmp/streamspace"
cp "$recipe_dir"/* "$root/tmp/streamspace/"
chroot "$root" /bin/sh /tmp/streamspace/setup.sh 2>&1 | sed -u 's/^/[desktop-image] chroot: /'

rm -rf "$root/tmp/streamspace" "$root/usr/sbin/policy-rc.d" "$root"/var/cache/apt/*.bin
: >"$root/etc/resolv.conf"
for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount "${mounts[$i]}"; done
mounts=()

# The image config comes from the Containerfile so both builds agree.
changes=()
while IFS= read -r line; do changes+=(--change "$line"); done \
  < <(grep -E '^(USER|WORKDIR|ENV|EXPOSE|ENTRYPOINT|CMD) ' "$recipe_dir/Containerfile")

say "importing into docker as $tag"
tar -C "$root" --numeric-owner -cf - . | docker import "${changes[@]}" - "$tag" >/dev/null
docker tag "$tag" "$name:latest"
# Earlier recipes' tags go; an image still used by a container stays (docker refuses, we move on).
docker image ls "$name" --format '{{.Repository}}:{{.Tag}}' | { grep -vxF -e "$tag" -e "$name:latest" || true; } |
  while read -r old; do docker rmi "$old" >/dev/null 2>&1 && say "removed old image $old" || true; done
size=$(docker image inspect --format '{{.Size}}' "$tag")
say "ready $tag (built in $((SECONDS - started)) s, $((size / 1024 / 1024)) MB)"
