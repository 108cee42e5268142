#!/bin/sh
# Session entrypoint: Xvnc on display :0 (RFB on $VNC_PORT, VNC authentication), jwm and an xterm.
# The password arrives in VNC_PASSWORD; it is turned into a passwd file and dropped from the
# environment so that no process started here inherits it.
set -eu

if [ -z "${VNC_PASSWORD:-}" ]; then
  echo "streamspace-desktop: VNC_PASSWORD is empty; refusing to start a VNC server without a password" >&2
  exit 64
fi
port=${VNC_PORT:-5900}
geometry=${VNC_GEOMETRY:-1280x800}

# Outside $HOME: the home is a volume kept across sessions, the password belongs to this one.
secrets=$(mktemp -d /tmp/vnc.XXXXXX)
printf '%s\n' "$VNC_PASSWORD" | vncpasswd -f >"$secrets/passwd"
chmod 600 "$secrets/passwd"
unset VNC_PASSWORD

# -AlwaysShared: the control plane may attach a second viewer (a share) without dropping the first.
# -UseBlacklist=0: only the agent reaches this port, and Xvnc counts every connection that ends
# before authenticating (a readiness probe, a viewer that gives up mid-handshake) as a failure;
# five of those would lock the agent, and so every viewer of the session, out for 10 s and more.
Xvnc :0 -rfbport "$port" -rfbauth "$secrets/passwd" -SecurityTypes VncAuth -AlwaysShared -UseBlacklist=0 \
  -geometry "$geometry" -depth 24 -nolisten tcp &
xvnc=$!
# Stop cleanly (exit 0) on docker stop, so a stopped container reads as hibernated, not crashed.
trap 'kill -TERM "$xvnc" 2>/dev/null; wait "$xvnc"; exit 0' TERM INT

export DISPLAY=:0
(
  while [ ! -S /tmp/.X11-unix/X0 ]; do sleep 0.05; done
  jwm &
  cd "$HOME" && exec xterm
) &

wait "$xvnc"
