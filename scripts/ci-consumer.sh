#!/usr/bin/env bash
# CI: the package as a consumer gets it. `npm pack` of this clone; in a new project,
# `npm install <tarball>` with no compiler or make on PATH; the simulator round trip there (under
# every Node line the set-up provisioned); as root, a real checkpoint/restore through the prebuilt
# addon with CRIU_BIN (default: the one scripts/install-criu.sh provisions). Needs only the npm
# registry.
#   scripts/ci-consumer.sh [TARBALL]   (a tarball given is installed instead of packing this clone)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
say() { echo "ci-consumer: $*" >&2; }
fail() {
  say "FAILED: $*"
  exit 1
}

work=$(mktemp -d /tmp/node-criu-consumer.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"

# 1. The tarball: prepack compiles dist/src and builds the prebuild.
if [ -n "${1:-}" ]; then
  tarball=$(realpath "$1")
else
  say "npm pack of $repo"
  (cd "$repo" && npm pack --silent --pack-destination "$work" >"$work/pack.out")
  tarball=$work/$(tail -n 1 "$work/pack.out")
fi
[ -f "$tarball" ] || fail "no tarball at $tarball"
tar -tzf "$tarball" >"$work/contents"
for f in package/dist/src/index.js package/dist/src/cli/main.js package/src/index.ts package/LICENSE \
  package/prebuilds/linux-x64/node_criu.node package/prebuilds/linux-x64/node_criu_launcher \
  package/binding.gyp package/scripts/install-native.mjs package/scripts/install-criu.sh; do
  grep -qx "$f" "$work/contents" || fail "the tarball lacks $f"
done
if grep -E '^package/(dist/test|test|build|\.criu|\.cache|node_modules)/' "$work/contents"; then
  fail "the tarball ships the files above, which do not run"
fi
say "tarball $(basename "$tarball"): $(wc -l <"$work/contents") files, $(du -k "$tarball" | cut -f1) KiB"

# 2. A PATH without a compiler: a dir of links to node, npm, the few tools the install and the
# scripts use and `ss` (the library runs it), so whatever else the machine has (cc, g++, make,
# clang) is out of reach.
nocc=$work/bin
mkdir -p "$nocc"
node_bin=$(command -v node)
for tool in node npm npx sh bash env timeout sleep cat ls mkdir rm cp mv ln chmod sed grep tar gzip \
  id uname head tail sort mktemp dirname basename readlink touch ss; do
  path=$(command -v "$tool") || continue
  ln -s "$path" "$nocc/$tool"
done
for tool in node npm sh timeout sleep; do
  [ -e "$nocc/$tool" ] || fail "$tool is not on PATH"
done
for tool in cc c++ gcc g++ clang clang++ make; do
  ! PATH=$nocc command -v "$tool" >/dev/null || fail "$tool is still reachable"
done

# 3. The consumer project, installed with a clean environment (no CC/CXX, this user's npm cache).
consumer=$work/consumer
mkdir -p "$consumer" "$work/home"
printf '{ "name": "consumer", "version": "1.0.0", "private": true, "type": "module" }\n' >"$consumer/package.json"
cp "$repo"/scripts/consumer/*.mjs "$consumer/"
cache=$(npm config get cache)
in_consumer() {
  (cd "$consumer" && env -i PATH="$nocc" HOME="$work/home" npm_config_cache="$cache" \
    npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false "$@")
}
say "npm install of the tarball with no compiler on PATH"
in_consumer npm install --foreground-scripts --no-package-lock "$tarball" >"$work/install.log" 2>&1 || {
  cat "$work/install.log" >&2
  fail "npm install"
}
installed=$consumer/node_modules/node-criu
# The prebuild loaded, so the install step built nothing.
if [ -e "$installed/build" ]; then
  cat "$work/install.log" >&2
  fail "the install step built from source (or left a note): the prebuild did not load"
fi

# 4. The simulator round trip, under this Node and the lines the set-up provisioned.
for node in "$node_bin" "$repo"/.cache/node-*/bin/node; do
  [ -x "$node" ] || continue
  ln -sf "$node" "$nocc/node"
  in_consumer NODE_CRIU_BACKEND=sim timeout 60 node sim-round-trip.mjs || fail "simulator round trip under $node"
done
ln -sf "$node_bin" "$nocc/node"

# 5. A real checkpoint/restore, as root.
if [ "$(id -u)" != 0 ]; then
  say "not root: the real checkpoint/restore is left out"
  exit 0
fi
# The CRIU the set-up provisioned (install-criu.sh prints it; a second run takes a moment).
criu=${CRIU_BIN:-$(bash "$repo/scripts/install-criu.sh")} || fail "no usable CRIU (scripts/install-criu.sh)"
in_consumer CRIU_BIN="$criu" timeout 60 node_modules/.bin/node-criu check >&2 || fail "node-criu check"
in_consumer CRIU_BIN="$criu" timeout 60 node real-round-trip.mjs || fail "real checkpoint/restore"
say "passed"
