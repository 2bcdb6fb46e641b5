#!/usr/bin/env bash
# Quick start, step 1 of 2: install everything (Debian and npm packages, the build) and run the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/demo.sh
