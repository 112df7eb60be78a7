#!/usr/bin/env bash
# Provisions a working CRIU (>= 4.1): reuses one that passes `criu check`, otherwise builds
# Debian's newest source package into DEST without touching apt's config: $NODE_CRIU_HOME if set,
# else the project's .criu/ in node-criu's own git clone, else the per-user cache
# ($XDG_CACHE_HOME/node-criu or ~/.cache/node-criu), which a consumer's next `npm ci` leaves alone.
# The source tarball is kept in DEST/src/ (CRIU's own zdtm tests are built from it).
# CRIU keeps what it probed of the kernel (about 50 ms a run) only in a file on tmpfs, at
# $RUNDIR/criu.kdat, /run unless built otherwise; /run is no tmpfs on many hosts and containers.
# So CRIU is built with RUNDIR=DEST/run/kdat, a link that node-criu points at a private dir on
# /dev/shm (src/criu/kernel-cache.ts); DEST/BUILD records that, and a DEST/bin/criu without it is
# built again.
#   install-criu.sh           provision CRIU, print the path of the binary
#   install-criu.sh --source  make sure the source tarball is in DEST/src/ (downloading only it
#                             when it is missing), print its path
set -euo pipefail

mode=install
case "${1:-}" in
"") ;;
--source) mode=source ;;
-h | --help)
  sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit 0
  ;;
*)
  echo "install-criu: unknown argument '$1' (try --help)" >&2
  exit 2
  ;;
esac

MIN_MAJOR=4
MIN_MINOR=1
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# src/criu/locate.ts looks in the same places (criuHomes), before PATH.
if [ -n "${NODE_CRIU_HOME:-}" ]; then
  dest=$NODE_CRIU_HOME
elif [ -e "$root/.git" ]; then
  dest=$root/.criu
else
  cache=${XDG_CACHE_HOME:-}
  [[ $cache == /* ]] || cache=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}/.cache
  dest=$cache/node-criu
fi
suite="${CRIU_SOURCE_SUITE:-sid}"
rundir=$dest/run/kdat
# The path becomes a C string in CRIU's make flags: a path that would not survive that keeps /run.
case $rundir in *[[:space:]\"\'\\\$]*) rundir=/run ;; esac
recipe="rundir=$rundir"

say() { echo "install-criu: $*" >&2; }
fail() {
  say "error: $*"
  exit 1
}

# Prints the version of the criu at $1 when it is >= MIN, else fails.
version_ok() {
  local v major minor
  v=$("$1" --version 2>/dev/null | sed -n 's/^Version: *//p' | head -n 1)
  [ -n "$v" ] || return 1
  major=${v%%.*}
  minor=${v#*.}
  minor=${minor%%.*}
  [[ $major =~ ^[0-9]+$ && $minor =~ ^[0-9]+$ ]] || return 1
  if ((major > MIN_MAJOR || (major == MIN_MAJOR && minor >= MIN_MINOR))); then
    echo "$v"
  else
    return 1
  fi
}

# A candidate is usable when it runs, is new enough and `criu check` passes on this kernel.
usable() {
  local bin=$1 v
  [ -n "$bin" ] && [ -x "$bin" ] || return 1
  v=$(version_ok "$bin") || {
    say "skipping $bin: version $("$bin" --version 2>/dev/null | sed -n 's/^Version: *//p') is older than $MIN_MAJOR.$MIN_MINOR"
    return 1
  }
  if ! "$bin" check >/dev/null 2>&1; then
    say "skipping $bin ($v): 'criu check' fails here"
    return 1
  fi
  say "using $bin (CRIU $v)"
  echo "$bin"
}

# Prints the kept source tarball, if there is one.
kept_source() {
  ls "$dest"/src/criu_*.orig.tar.* 2>/dev/null | sort -V | tail -n 1 || true
}

if [ "$mode" = source ]; then
  kept=$(kept_source)
  if [ -n "$kept" ]; then
    say "source tarball already kept: $kept"
    echo "$kept"
    exit 0
  fi
else
  own=""
  [ "$(cat "$dest/BUILD" 2>/dev/null)" = "$recipe" ] && own=$dest/bin/criu
  [ -z "$own" ] && [ -x "$dest/bin/criu" ] && say "building $dest/bin/criu again: it predates the kernel-probe cache"
  for candidate in "${CRIU_BIN:-}" "$own" "$(command -v criu || true)"; do
    if usable "$candidate"; then exit 0; fi
  done
fi

# --- Download (and build) from source ----------------------------------------------------
[ "$(id -u)" = 0 ] || [ "$mode" = source ] || fail "no usable CRIU >= $MIN_MAJOR.$MIN_MINOR found and building one needs root.
  Run it as root ('sudo npx node-criu install-criu'; in node-criu's clone 'sudo npm run setup'),
  or install CRIU >= $MIN_MAJOR.$MIN_MINOR yourself and set CRIU_BIN=/path/to/criu."
command -v apt-get >/dev/null && [ -r /etc/os-release ] || fail "this is not a Debian/Ubuntu system (no apt-get).
  Install CRIU >= $MIN_MAJOR.$MIN_MINOR from your distribution or from source and set CRIU_BIN=/path/to/criu."
# shellcheck source=/dev/null
. /etc/os-release
case " ${ID:-} ${ID_LIKE:-} " in
*" debian "* | *" ubuntu "*) ;;
*) fail "unsupported distribution '${ID:-unknown}'. Install CRIU >= $MIN_MAJOR.$MIN_MINOR and set CRIU_BIN." ;;
esac

# The archive URI comes from the machine's own sources, so no mirror is ever named here.
archive_uri() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -r "$f" ] || continue
    awk 'BEGIN{IGNORECASE=1} /^URIs:/ {u=$2} /^Suites:/ { if ($0 !~ /security/ && u != "") { print u; exit } }' "$f"
  done
  [ -r /etc/apt/sources.list ] &&
    awk '$1=="deb" && $0 !~ /security/ { for (i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' /etc/apt/sources.list
  return 0
}
uri=$(archive_uri | head -n 1)
[ -n "$uri" ] || fail "could not read an archive URI from /etc/apt/sources.list{,.d/*.sources}."

work=$(mktemp -d /tmp/node-criu-build.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/src" "$work/parts"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
signed=""
[ -r "$keyring" ] && signed="[signed-by=$keyring]"
echo "deb-src $signed $uri $suite main" >"$work/sources.list"
apt_tmp=(-o "Dir::Etc::SourceList=$work/sources.list" -o "Dir::Etc::SourceParts=$work/parts"
  -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o "APT::Sandbox::User=root")

say "fetching the '$suite' source index (temporary list, apt config untouched)"
apt-get "${apt_tmp[@]}" -qq update >"$work/apt.log" 2>&1 || {
  cat "$work/apt.log" >&2
  fail "apt-get update of the temporary source list failed"
}
say "downloading the criu source package"
# The Debian tarball sometimes 404s while the .orig tarball arrives: only the latter matters.
(cd "$work/src" && apt-get "${apt_tmp[@]}" -qq source --download-only criu >"$work/source.log" 2>&1) || true
orig=$(ls "$work"/src/criu_*.orig.tar.* 2>/dev/null | head -n 1 || true)
[ -n "$orig" ] || {
  cat "$work/source.log" >&2
  fail "the criu source tarball could not be downloaded"
}
# Keep the tarball: CRIU's zdtm tests (scripts/zdtm/) are built from it.
mkdir -p "$dest/src"
install -m 0644 "$orig" "$dest/src/$(basename "$orig").new"
mv -f "$dest/src/$(basename "$orig").new" "$dest/src/$(basename "$orig")"
if [ "$mode" = source ]; then
  say "kept $dest/src/$(basename "$orig")"
  echo "$dest/src/$(basename "$orig")"
  exit 0
fi

deps=(build-essential pkgconf python3 libbsd-dev libcap-dev libgnutls28-dev libnet1-dev libnftables-dev
  libnl-3-dev libprotobuf-c-dev libprotobuf-dev protobuf-c-compiler protobuf-compiler uuid-dev)
missing=()
for d in "${deps[@]}"; do dpkg-query -W -f='${Status}' "$d" 2>/dev/null | grep -q 'ok installed' || missing+=("$d"); done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing build dependencies: ${missing[*]}"
  apt-get -qq update >"$work/apt-host.log" 2>&1 || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$work/deps.log" 2>&1 || {
    tail -n 30 "$work/deps.log" >&2
    fail "could not install the build dependencies"
  }
fi

say "building $(basename "$orig") (about a minute)"
mkdir -p "$work/build"
tar -xf "$orig" -C "$work/build" --strip-components=1
make -C "$work/build" -j"$(nproc)" RUNDIR="$rundir" criu >"$work/build.log" 2>&1 || {
  tail -n 40 "$work/build.log" >&2
  fail "building CRIU failed (full log above)"
}
mkdir -p "$dest/bin"
install -m 0755 "$work/build/criu/criu" "$dest/bin/criu.new"
mv -f "$dest/bin/criu.new" "$dest/bin/criu"
basename "$orig" >"$dest/SOURCE"
install -d -m 0700 "$dest/run"
echo "$recipe" >"$dest/BUILD"
usable "$dest/bin/criu" >/dev/null || fail "the CRIU just built does not pass 'criu check'"
say "installed $dest/bin/criu"
echo "$dest/bin/criu"
