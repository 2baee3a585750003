#!/usr/bin/env bash
# Builds the mediasoup worker from the npm tarball against Debian's libraries, offline.
# Why: mediasoup's own install downloads a prebuilt binary or meson subproject sources
# from the internet. See infra/README.md for the recipe and its patches.
#
# Usage: infra/build-mediasoup-worker.sh [VERSION]
# Prints the path of the cached binary on the last line of stdout. Idempotent: a cached
# binary for VERSION is reused.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
version="${1:-3.19.3}"
cache_root="${STAGECAST_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/stagecast}"
out_dir="$cache_root/mediasoup-worker/$version"
out_bin="$out_dir/mediasoup-worker"

log() { echo "[mediasoup-worker] $*" >&2; }

if [ -x "$out_bin" ]; then
  log "using cached worker $out_bin"
  echo "$out_bin"
  exit 0
fi

# Two installs at once (two checkouts, or `npm start` beside `npm test`) build it once: the
# second waits for the first and then finds the cached binary.
mkdir -p "$cache_root"
exec 9>"$cache_root/mediasoup-worker.lock"
if ! flock -n 9; then
  log "another install is building the worker; waiting for it"
  flock 9
fi
if [ -x "$out_bin" ]; then
  log "using cached worker $out_bin"
  echo "$out_bin"
  exit 0
fi

for tool in meson ninja pkg-config flatc c++ npm; do
  command -v "$tool" >/dev/null || {
    log "missing '$tool': install the packages listed in infra/README.md (or run 'npm start' as root)"
    exit 1
  }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/stagecast-ms-build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
log "building mediasoup $version worker in $work (takes 5-10 minutes on 2 cores; cached afterwards)"

(cd "$work" && npm pack --silent "mediasoup@$version" >/dev/null)
tar -xzf "$work/mediasoup-$version.tgz" -C "$work"
src="$work/package/worker"

# Debian 12 ships meson 1.0.1; the worker needs nothing from 1.1.
sed -i "s/meson_version: '>= 1.1.0'/meson_version: '>= 1.0.0'/" "$src/meson.build"

# Replace every download-based wrap by a local stand-in over the system packages.
rm -f "$src"/subprojects/*.wrap
cp -r "$here/mediasoup-worker/subprojects/." "$src/subprojects/"

# Debian's OpenSSL asks the BIO callback about kernel TLS; answering 1 to anything that is
# not BIO_CB_RETURN makes it skip allocating its DTLS write buffer (SIGSEGV on handshake).
dtls="$src/src/RTC/DtlsTransport.cpp"
grep -q '(operationType == BIO_CB_RETURN)' "$dtls" || {
  log "DtlsTransport.cpp no longer has the expected BIO callback line; review the patch for $version"
  exit 1
}
sed -i 's/(operationType == BIO_CB_RETURN)/(operationType \& BIO_CB_RETURN)/' "$dtls"

cd "$src"
log "configuring (meson)"
meson setup build --buildtype=release -Dms_disable_liburing=true >"$work/meson.log" 2>&1 || {
  tail -40 "$work/meson.log" >&2
  exit 1
}

# Ninja prints "[n/N] ..." per step; show a compact progress line instead of thousands.
build_target() {
  # POSIX awk (Debian's default is mawk): no match() captures.
  ninja -C build "$@" 2>&1 | tee -a "$work/ninja.log" | awk '
    BEGIN { last = -5 }
    /^\[[0-9]+\/[0-9]+\]/ {
      split(substr($1, 2, length($1) - 2), n, "/");
      pct = int(n[1] * 100 / n[2]);
      if (pct >= last + 5 || n[1] == n[2]) { printf("[mediasoup-worker] compiling %d%% (%d/%d)\n", pct, n[1], n[2]) > "/dev/stderr"; last = pct }
      next
    }
    /error|FAILED/ { print > "/dev/stderr" }'
  return "${PIPESTATUS[0]}"
}
log "generating flatbuffers headers"
build_target fbs/FBS || { tail -40 "$work/ninja.log" >&2; exit 1; }
log "compiling the worker"
build_target mediasoup-worker || { tail -60 "$work/ninja.log" >&2; exit 1; }

mkdir -p "$out_dir"
install -m 0755 build/mediasoup-worker "$out_bin.tmp"
mv "$out_bin.tmp" "$out_bin"
log "built $out_bin"
echo "$out_bin"
