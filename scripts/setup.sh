#!/usr/bin/env bash
# Installs every tool the build and the tests need, and skips what is there.
# Safe to run again. Usage: scripts/setup.sh [--browser]
#   --browser  also Debian's Chromium + ChromeDriver (browser tests)
set -euo pipefail
cd "$(dirname "$0")/.."

want_browser=0
for arg in "$@"; do
  case "$arg" in
    --browser) want_browser=1 ;;
  esac
done

export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
# rust-src: the standard library's sources, which the wasm builds that ship
# compile along with the crate (scripts/wasm-build.sh).
for component in rustfmt clippy rust-src; do
  if ! rustup component list --installed 2>/dev/null | grep -q "^$component"; then
    say "adding $component"
    rustup component add "$component"
  fi
done

# wasm-bindgen-cli must match the wasm-bindgen crate in Cargo.lock exactly.
if [ ! -f Cargo.lock ]; then cargo generate-lockfile; fi
wb_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$wb_version" ]; then
  say "installing wasm-bindgen-cli $wb_version (a few minutes, once)"
  cargo install wasm-bindgen-cli --version "$wb_version" --force
fi

apt_missing=()
command -v node >/dev/null 2>&1 || apt_missing+=(nodejs npm)
if [ "$want_browser" = 1 ]; then
  command -v chromium >/dev/null 2>&1 || apt_missing+=(chromium)
  command -v chromedriver >/dev/null 2>&1 || apt_missing+=(chromium-driver)
fi
if [ "${#apt_missing[@]}" -gt 0 ]; then
  say "installing ${apt_missing[*]} from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_missing[@]}" >/dev/null
fi
# Node tools for the build and the tests (binaryen's wasm-opt, esbuild and
# Miniflare with workerd for the edge worker, ...), pinned
# by package-lock.json.
if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -x node_modules/.bin/esbuild ] || [ ! -d node_modules/miniflare ] \
  || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing the Node tools (npm ci)"
  npm ci --no-audit --no-fund
fi
say "tools ready: $(wasm-bindgen --version), $(node_modules/.bin/wasm-opt --version | head -1), node $(node --version)"
