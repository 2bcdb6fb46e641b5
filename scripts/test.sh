#!/usr/bin/env bash
# Runs the test suite with node's test runner; its closing summary is what CI reads.
#   scripts/test.sh          typecheck, lint (incl. layering), then every test
#   scripts/test.sh unit     the tests beside the sources only (some still need root: real tar, mounts, runc)
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-all}
if [ "$mode" = all ]; then
  npx tsc -p tsconfig.json
  npx eslint --max-warnings 0 .
  npx depcruise src test --config .dependency-cruiser.cjs
  [ -f dist/shoal.cjs ] || npm run --silent build
fi

if [ "$mode" = unit ]; then
  mapfile -t files < <(find src -name '*.test.ts' | sort)
else
  mapfile -t files < <(find src test -name '*.test.ts' | sort)
fi

# Tests that touch host state (sockets, daemons, the kernel) run one file at a time.
exec node --import tsx --test --test-force-exit --test-concurrency=1 --test-reporter=spec "${files[@]}"
