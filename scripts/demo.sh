#!/usr/bin/env bash
# Runs the demo: a single-node Shoal cluster on this machine, then shows it.
# The daemon keeps running in the background afterwards; `scripts/demo.sh stop` stops it.
set -euo pipefail
cd "$(dirname "$0")/.."

EXEC_ROOT=${SHOAL_EXEC_ROOT:-/run/shoal}
DATA_ROOT=${SHOAL_DATA_ROOT:-/var/lib/shoal}
SOCK="$EXEC_ROOT/docker.sock"
PIDFILE="$EXEC_ROOT/shoal-daemon.pid"
LOG="$EXEC_ROOT/shoal-daemon.log"
export SHOAL_HOST="unix://$SOCK"
shoal() { node dist/shoal.cjs "$@"; }

running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

if [ "${1:-}" = stop ]; then
  if running; then kill "$(cat "$PIDFILE")"; rm -f "$PIDFILE"; echo "demo: daemon stopped"; else echo "demo: no daemon running"; fi
  exit 0
fi

[ -f dist/shoal.cjs ] || npm run --silent build
mkdir -p "$EXEC_ROOT"
if ! running; then
  echo "demo: starting shoal daemon (data root $DATA_ROOT, socket $SOCK, log $LOG)"
  setsid node dist/shoal.cjs daemon --data-root "$DATA_ROOT" --exec-root "$EXEC_ROOT" >>"$LOG" 2>&1 < /dev/null &
  echo $! > "$PIDFILE"
  for _ in $(seq 1 100); do
    shoal version >/dev/null 2>&1 && break
    sleep 0.1
  done
fi

state=$(shoal info --format '{{.Swarm.LocalNodeState}}')
if [ "$state" = inactive ]; then
  shoal swarm init --advertise-addr 127.0.0.1
fi

echo "\$ shoal node ls"
shoal node ls
echo
echo "\$ DOCKER_HOST=$SHOAL_HOST docker node ls"
if command -v docker >/dev/null 2>&1; then
  DOCKER_HOST="$SHOAL_HOST" docker node ls
else
  echo "(docker CLI not installed)"
fi
echo
echo "demo: the daemon keeps running (pid $(cat "$PIDFILE")). Try:"
echo "  export SHOAL_HOST=$SHOAL_HOST DOCKER_HOST=$SHOAL_HOST"
echo "  bin/shoal info    bin/shoal node inspect --pretty self    docker node update --label-add zone=a self"
echo "Stop it with: scripts/demo.sh stop"
