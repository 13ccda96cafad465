#!/usr/bin/env bash
# Starts the registry from this checkout: 0.0.0.0:5000, images stored under /var/lib/registry (root) or
# ~/.local/share/private-registry. Arguments go to `private-registry serve` (e.g. --config FILE).
# Installs (npm ci) only when package-lock.json or a package.json changed since the last install, and builds
# only when a source changed since the last build, so a restart needs no network and answers in about a second.
set -euo pipefail
cd "$(dirname "$0")/.."

# Both stamps live in node_modules: npm ci replaces it, so a fresh install also forces a fresh build.
install_stamp=node_modules/.private-registry-install.sha256
build_stamp=node_modules/.private-registry-build.stamp

# What npm ci reads: the lock file and every package.json (names included, so an added workspace counts).
manifests=$(sha256sum package-lock.json package.json packages/*/package.json | sha256sum | cut -d' ' -f1)
# No stamp yet but an `npm ci` done by hand (the README's install): npm's own record of the tree,
# written after every manifest it installed from, is adopted instead of installing again.
adopt=false
if [[ ! -f $install_stamp && -f node_modules/.package-lock.json ]]; then
  adopt=true
  for manifest in package-lock.json package.json packages/*/package.json; do
    [[ node_modules/.package-lock.json -nt $manifest ]] || { adopt=false; break; }
  done
fi
if [[ -f $install_stamp && $(<"$install_stamp") == "$manifests" ]]; then
  did="install skipped (package-lock.json and package.json files unchanged)"
elif $adopt; then
  printf '%s\n' "$manifests" >"$install_stamp"
  did="install skipped (node_modules is newer than package-lock.json and every package.json)"
else
  npm ci --no-audit --no-fund --loglevel=error
  printf '%s\n' "$manifests" >"$install_stamp"
  did="installed (npm ci)"
fi

# `tsc -b` with nothing to do still costs about a second of the restart; find answers in milliseconds.
# Directories count too: deleting a source file changes its directory's mtime.
changed=
if [[ ! -f $build_stamp ]]; then
  changed="no build yet"
else
  for built in packages/{registry,sidekick,host-agent}/dist/src/cli.js packages/registry/dist/ui-assets/manifest.json; do
    [[ -f $built ]] || { changed="$built missing"; break; }
  done
  if [[ -z $changed ]]; then
    newer=$(find packages/*/src packages/*/tsconfig*.json packages/*/package.json tsconfig*.json package.json \
      packages/registry/ui-client scripts/build-ui-assets.mjs -newer "$build_stamp" -print -quit 2>/dev/null || true)
    [[ -n $newer ]] && changed="$newer changed"
  fi
fi
if [[ -n $changed ]]; then
  # The stamp is taken before the build: a file edited while tsc runs is newer than it, so the next start rebuilds.
  touch "$build_stamp.new"
  npm run build --silent
  mv "$build_stamp.new" "$build_stamp"
  did="$did; built ($changed)"
else
  did="$did; build skipped (no source changed since the last build)"
fi
echo "start.sh: $did" >&2

# glibc's malloc keeps 32 MiB of freed memory instead of 128 KiB: relaying blobs costs far less CPU
# (packages/registry/src/malloc-tuning.ts says why; its TOP_PAD_BYTES is this number). A value of your own wins.
case ":${GLIBC_TUNABLES:-}:" in
  *:glibc.malloc.top_pad=*) ;;
  *) export GLIBC_TUNABLES="${GLIBC_TUNABLES:+$GLIBC_TUNABLES:}glibc.malloc.top_pad=33554432" ;;
esac

exec node packages/registry/dist/src/cli.js serve "$@"
