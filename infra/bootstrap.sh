#!/usr/bin/env bash
# Installs what Stagecast needs, idempotently: Debian packages, npm dependencies and the
# mediasoup worker. Run by `npm start` and `npm test`; safe to run again at any time.
#   infra/bootstrap.sh          what the platform needs
#   infra/bootstrap.sh --test   plus what the tests need (Chromium)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
say() { echo "[setup] $*" >&2; }

mediasoup_version="$(node -p "require('./ingest/package.json').dependencies.mediasoup")"

# 1. Node.js
node -e '
  const [maj, min] = process.versions.node.split(".").map(Number);
  if (maj < 20 || (maj === 20 && min < 19)) {
    console.error(`[setup] Node.js ${process.versions.node} is too old: install Node.js 20.19 or newer.`);
    process.exit(1);
  }'

# 2. Debian packages (commands we need → the package that provides them).
packages=(ffmpeg redis-server libssl-dev libuv1-dev libsrtp2-dev libusrsctp-dev libabsl-dev
  libflatbuffers-dev flatbuffers-compiler meson ninja-build pkg-config g++ make fonts-dejavu-core
  fontconfig  # fc-match: the file of the compositor's font, found once
  util-linux)  # setpriv: FFmpeg dies with its transcoder; flock: one worker build at a time
if [ "${1:-}" = "--test" ]; then packages+=(chromium nginx); fi  # nginx: the LL-HLS cache test
# RTMP ingest's front (STAGECAST_RTMP_PORT): nginx with nginx-rtmp; its test and the restream test need them too.
if [ "${1:-}" = "--test" ] || [ "${STAGECAST_RTMP_PORT:-0}" != "0" ]; then packages+=(nginx libnginx-mod-rtmp); fi

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if ! command -v apt-get >/dev/null; then
    say "missing system packages: ${missing[*]} (this script knows apt-get only; install them, then run again)"
    exit 1
  elif [ "$(id -u)" -ne 0 ]; then
    say "missing system packages. Install them, then run again:"
    say "  sudo apt-get install -y ${missing[*]}"
    exit 1
  fi
  say "installing system packages: ${missing[*]}"
  # An empty package list means apt-get update never ran on this machine.
  if [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -E '^(lock|partial|auxfiles)$')" ]; then
    apt-get update -q >&2
  fi
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=600 "${missing[@]}" >&2; then
    say "apt-get install failed; refreshing the package lists and trying once more"
    apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=600 "${missing[@]}" >&2
  fi
fi

# 3. The mediasoup worker (built once, cached outside the repository).
worker_bin="$(bash "$root/infra/build-mediasoup-worker.sh" "$mediasoup_version" | tail -n 1)"
export MEDIASOUP_WORKER_BIN="$worker_bin"

# 4. npm dependencies, when the lock file changed since the last install.
stamp="node_modules/.stagecast-install-stamp"
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  say "installing npm dependencies"
  # MEDIASOUP_WORKER_BIN makes mediasoup's postinstall skip its download. `npm install`
  # rather than `npm ci`: registries that serve only this platform's optional packages
  # (rollup, turbo, esbuild natives) yield a lock file that `npm ci` calls out of sync.
  npm install --no-audit --no-fund --loglevel=error >&2
  touch "$stamp"
fi

# 5. Put the worker where mediasoup looks by default, so no variable is needed at run time.
target="node_modules/mediasoup/worker/out/Release/mediasoup-worker"
if ! cmp -s "$worker_bin" "$target" 2>/dev/null; then
  mkdir -p "$(dirname "$target")"
  cp "$worker_bin" "$target"
fi
say "ready (mediasoup $mediasoup_version worker: $worker_bin)"
