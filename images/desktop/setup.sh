#!/bin/sh
# Installs the desktop into a Debian bookworm root; run as root inside the image being built.
# Shared by the Containerfile and images/build-local.sh so both builds give the same image.
set -eu
here=$(dirname "$0")
export DEBIAN_FRONTEND=noninteractive

apt-get update
apt-get install -y --no-install-recommends tigervnc-standalone-server tigervnc-tools xterm jwm procps
# Mesa's DRI drivers and LLVM come in through libgl1 but Xvnc renders in software without
# them; dropping them saves ~160 MB. --force-depends because libgl1 still names them.
dpkg --purge --force-depends libgl1-mesa-dri libllvm15 libz3-4
rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/* /usr/share/info/* /usr/share/locale/*
install -m 0644 "$here/jwmrc" /etc/jwm/system.jwmrc

useradd --uid 1000 --create-home --home-dir /home/user --shell /bin/bash user
install -m 0755 "$here/entrypoint.sh" /usr/local/bin/streamspace-desktop
