#!/usr/bin/env bash
# Installs and starts the registry with the embedded default: filesystem storage under ./data,
# listening on 0.0.0.0:5000. Arguments go to `private-registry serve` (e.g. --config FILE).
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund --loglevel=error
npm run build --silent
exec node packages/registry/dist/src/cli.js serve "$@"
