#!/usr/bin/env bash
# The one test command (README, .ci/run): installs what the tests need on a fresh Debian machine
# (Debian packages, npm dependencies), builds every package and runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
npm ci --no-audit --no-fund --loglevel=error
npm test
