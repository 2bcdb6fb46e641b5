#!/usr/bin/env bash
# The README's multi-node walkthrough: a 3-node lab (network namespaces on this machine, a shoal daemon each), the
# example stack deployed from node 1, and the routing mesh answering on every node's address.
# `scripts/lab-walkthrough.sh down` removes the lab.
set -euo pipefail
cd "$(dirname "$0")/.."
LAB=${LAB:-walk}
shoal() { node dist/shoal.cjs "$@"; }

if [ "${1:-}" = down ]; then shoal lab down "$LAB"; exit; fi

[ -f dist/shoal.cjs ] || npm run --silent build
echo "\$ shoal lab up --nodes 3 --name $LAB"
shoal lab up --nodes 3 --name "$LAB"
echo
echo "\$ shoal lab exec node1 --name $LAB -- docker node ls"
shoal lab exec --name "$LAB" node1 -- docker node ls
echo
# There is no registry to pull from: every node loads the example images built from busybox-static.
tar=$(node --import tsx scripts/demo-images.ts)
for n in node1 node2 node3; do shoal lab exec --name "$LAB" "$n" -- node dist/shoal.cjs image load -i "$tar" >/dev/null; done
echo "\$ shoal lab exec node1 -- shoal stack deploy --detach=false --resolve-image never -c examples/getting-started/docker-compose.yml getstartedlab"
shoal lab exec --name "$LAB" node1 -- node dist/shoal.cjs stack deploy --detach=false --resolve-image never -c examples/getting-started/docker-compose.yml getstartedlab
echo
echo "\$ shoal lab exec node1 -- docker stack ps getstartedlab --format '{{.Name}} {{.Node}} {{.CurrentState}}'"
shoal lab exec --name "$LAB" node1 -- docker stack ps getstartedlab --format '{{.Name}} {{.Node}} {{.CurrentState}}'
echo
echo "The published port 80 answers on every node's address, from tasks on all nodes:"
for addr in $(shoal lab ls | awk -v lab="$LAB" '$1 == lab && $3 ~ /^10\./ {print $3}'); do
  for _ in 1 2 3; do echo "\$ curl http://$addr/   ->  $(busybox wget -qO- "http://$addr/" 2>/dev/null || echo '(no answer)')"; done
done
echo
echo "Try: shoal lab partition node3 (its tasks come back on nodes 1 and 2), shoal lab heal node3; remove it all with: $0 down"
