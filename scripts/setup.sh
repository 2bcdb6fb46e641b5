#!/usr/bin/env bash
# Installs everything Shoal needs on a fresh Debian 12 machine (as root) and builds it.
# Safe to run again: apt and npm skip what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(
  ca-certificates iproute2 procps util-linux
  python3 make g++            # better-sqlite3 builds from source here
  runc conmon crun tini       # containers: runc under conmon (crun optional), tini for --init
  busybox-static              # the test images are built from it
  docker-registry             # a local registry v2 for the image pull tests
  tar util-linux              # GNU tar unpacks layers; script, unshare, nsenter
  zstd xz-utils bzip2         # layer compressions besides gzip
  nftables                    # VIP load balancing, the ingress routing mesh, host ports (nft)
  wrk                         # bench:published-port (HTTP load through the routing mesh)
  dnsperf                     # bench:dns load generator
  chromium                    # test/e2e/dashboard.test.ts renders the dashboard headless (--dump-dom)
  etcd-server                 # the etcd store backend (src/store/etcd) and its tests: /usr/bin/etcd 3.4
)

missing=()
for p in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v docker >/dev/null 2>&1; then
  echo "setup: note: the docker CLI is not installed; the docker-compatibility tests need it" >&2
fi

echo "setup: installing npm packages"
npm ci --no-audit --no-fund --loglevel=error
echo "setup: building"
npm run --silent build
echo "setup: done"
