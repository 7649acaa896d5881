#!/usr/bin/env bash
# Builds the wasm package into pkg/: release wasm → wasm-bindgen (web
# target, which browsers, bundlers, Node and workerd can all load) →
# wasm-opt -Oz → the files from pkg-template/. Prints raw and gzip sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

# Extra arguments go to cargo, e.g. `--no-default-features --features
# email-lists` for a browser build without the phone metadata.
cargo build --release --target wasm32-unknown-unknown --lib "$@"
rm -rf pkg
wasm-bindgen --target web --out-dir pkg --out-name nurture \
  target/wasm32-unknown-unknown/release/nurture.wasm
# The release profile already optimises for size; wasm-opt shrinks the
# output of wasm-bindgen a good deal further.
# binaryen from npm (package.json): Debian's is too old for the reference
# types that wasm-bindgen emits.
node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
  --strip-debug --strip-producers \
  pkg/nurture_bg.wasm -o pkg/nurture_bg.wasm
cp -r pkg-template/. pkg/

raw=$(stat -c %s pkg/nurture_bg.wasm)
gz=$(gzip -9 -c pkg/nurture_bg.wasm | wc -c)
js_raw=$(stat -c %s pkg/nurture.js)
js_gz=$(gzip -9 -c pkg/nurture.js | wc -c)
echo "pkg/nurture_bg.wasm: $raw bytes, $gz gzip; pkg/nurture.js: $js_raw bytes, $js_gz gzip"
