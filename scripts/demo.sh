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

# The example stack: the classic getting-started file (web x5 behind the routing mesh on port 80, and a monitor
# pinned to the manager). Its images are built locally from busybox-static: there is no registry to pull from.
if ! shoal image inspect shoal-test/web:1 >/dev/null 2>&1 || ! shoal image inspect shoal-test/misbehave:1 >/dev/null 2>&1; then
  echo "demo: building the example images"
  shoal image load -i "$(node --import tsx scripts/demo-images.ts)" >/dev/null
fi
echo "\$ shoal stack deploy --detach=false --resolve-image never -c examples/getting-started/docker-compose.yml getstartedlab"
shoal stack deploy --detach=false --resolve-image never -c examples/getting-started/docker-compose.yml getstartedlab
echo
echo "\$ shoal stack services getstartedlab"
shoal stack services getstartedlab
echo
echo "The stack answers at http://127.0.0.1/ (and on every address of this machine), spread over its 5 tasks:"
for _ in 1 2 3 4 5 6; do
  echo "\$ curl http://127.0.0.1/   ->  $(busybox wget -qO- http://127.0.0.1/ 2>/dev/null || echo '(no answer)')"
done
echo
if command -v docker >/dev/null 2>&1; then
  echo "\$ DOCKER_HOST=$SHOAL_HOST docker stack ps getstartedlab"
  DOCKER_HOST="$SHOAL_HOST" docker stack ps getstartedlab
  echo
fi
echo "demo: the daemon keeps running (pid $(cat "$PIDFILE")). Try:"
echo "  export SHOAL_HOST=$SHOAL_HOST DOCKER_HOST=$SHOAL_HOST"
echo "  docker service scale getstartedlab_web=8    docker stack ps getstartedlab    bin/shoal stack rm getstartedlab"
echo "The dashboard (live nodes, services and tasks): http://127.0.0.1:2378/"
echo "Stop it with: scripts/demo.sh stop (the stack's containers stay until you run: bin/shoal swarm leave --force)"
