#!/usr/bin/env bash
# Runs every check: formatting, lints (host and wasm32), host tests, wasm
# tests in Node and in headless Chromium, then the built package from JS,
# then the edge worker bundled from it and tested in workerd.
# Installs what is missing first (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "setup"
scripts/setup.sh --browser

step "cargo fmt --check"
cargo fmt --all -- --check

step "layout"
# The condition engine is src/targeting/: a folder named `target` is skipped
# by tools that skip Cargo's build folder. Files are split by job before
# they grow past 700 lines.
layout_ok=true
if [ -e src/target ]; then
  echo "src/target exists: the condition engine lives in src/targeting/" >&2
  layout_ok=false
fi
long=$(find src -name '*.rs' -exec wc -l {} + | awk '$2 != "total" && $1 > 700 { print "  " $2 " (" $1 " lines)" }')
if [ -n "$long" ]; then
  printf 'files over 700 lines, split them by job:\n%s\n' "$long" >&2
  layout_ok=false
fi
# One crate, two layers: the core (everything but src/wasm/) never names a
# JS type, so it builds and tests natively; only src/wasm/ binds to JS.
js_in_core=$(grep -rlE '^\s*(use|extern crate)\s+(wasm_bindgen|js_sys|web_sys)|\b(wasm_bindgen|js_sys|web_sys)::' src --include='*.rs' | grep -vE '^src/(wasm|page)/' || true)
if [ -n "$js_in_core" ]; then
  printf 'the core names JS types; bindings belong in src/wasm/:\n%s\n' "$js_in_core" >&2
  layout_ok=false
fi
$layout_ok

step "clippy (host)"
cargo clippy --all-targets -- -D warnings
step "clippy (host, with calibrate)"
cargo clippy --all-targets --features calibrate -- -D warnings
step "clippy (host, with the schema generator)"
cargo clippy --all-targets --features schema -- -D warnings
step "clippy (wasm32)"
cargo clippy --all-targets --target wasm32-unknown-unknown -- -D warnings
step "clippy (wasm32, with calibrate)"
cargo clippy --lib --target wasm32-unknown-unknown --features calibrate -- -D warnings
step "clippy (wasm32, the browser build's features)"
cargo clippy --lib --target wasm32-unknown-unknown --no-default-features -- -D warnings

step "host tests"
cargo test
step "calibrate: learned points against a population of known effects"
cargo test --features calibrate --test calibrate --test calibrate_progress
cargo test --features calibrate --lib calibrate::
step "JSON Schemas and TypeScript declarations: schema/*.json and pkg-template/generated/types.d.ts are what is generated from the Rust types"
# After changing a config or result type: UPDATE_SCHEMAS=1 cargo test --features schema --test schema_drift
cargo test --features schema --test schema_drift
step "host tests of the light checks (the browser build's features)"
cargo test --no-default-features --lib --test forms --test scoring --test scoring_vectors --test typed_events

export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
step "wasm tests in Node"
cargo test --target wasm32-unknown-unknown --test wasm_node
step "the page build's conditions against GrowthBook's vectors (wasm, page-only: lean JSON, the JS engine's RegExp)"
cargo test --target wasm32-unknown-unknown --no-default-features --features page-only --test page_conditions
step "wasm tests in headless Chromium"
CHROMEDRIVER="${CHROMEDRIVER:-$(command -v chromedriver)}" \
  cargo test --target wasm32-unknown-unknown --test wasm_browser

step "package build"
scripts/build-pkg.sh

step "JS tests against the built package"
node --test tests/js/

step "end to end: the www demo site in Chromium (screenshots in target/screenshots/)"
node worker/build.mjs # tests/e2e/cross-origin.test.mjs runs the worker
node --test tests/e2e/

step "the packed tarball in fresh projects: Node, Vite + Chromium, Miniflare, tsc; README examples, schemas, bad input"
node --test --test-concurrency=1 tests/package/

step "edge worker: types (tsc on the JSDoc-typed sources, against pkg/index.d.ts)"
npx tsc -p worker/tsconfig.json
step "page runtime: types (tsc on the JSDoc-typed sources of pkg-template/runtime)"
npx tsc -p pkg-template/runtime/tsconfig.json

step "edge worker: bundle, then tests in workerd (Miniflare)"
node worker/build.mjs
node --test worker/test/*.test.mjs
# Token fuzzing regressions (plain Node, token.js under WebCrypto).
node --test worker/fuzz/tokens.test.mjs
