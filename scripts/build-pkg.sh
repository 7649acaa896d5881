#!/usr/bin/env bash
# Builds the npm package into pkg/ from two wasm builds of the crate:
#   pkg/          the full build for Node and edge workers (workerd): all
#                 default features, i.e. the e-mail domain lists and
#                 libphonenumber's metadata;
#   pkg/browser/  the build that pages download: no phone metadata and only
#                 the largest free-mail providers, so it stays small (the
#                 edge re-checks everything anyway).
#   pkg/page/     the page-only build (`nurture/page`, feature `page-only`):
#                 the light build without the function API, the page
#                 runtime alone, reading compiled configs only; what the
#                 demo pages load. Its gzip budget is the one that counts
#                 for a site's pages.
# A fourth, pkg/calibrate/ (`nurture/calibrate`), is the full build plus
# `calibrate` (learning a model's points from labelled leads), for Node, the
# `nurture calibrate` command and a page's Web Worker; it stays out of the
# other two, which the edge worker and the page load.
# Each is release wasm (std built along, panics that trap at once:
# scripts/wasm-build.sh) → wasm-bindgen (web target: browsers, bundlers, Node
# and workerd can all load it) → wasm-opt -Oz. Then the files from
# pkg-template/ (package.json, README, the hand-written types, the types
# generated from the Rust types in generated/, and the Node and workerd
# entries), the JSON Schemas and the edge worker (pkg/worker/, with its
# wrangler template and the `nurture` command) are added, the sizes printed, the
# browser budget checked, and the package packed into target/ with `npm pack`.
# Usage: scripts/build-pkg.sh [--repack]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

# gzip -9 size of the browser entry (wasm + glue + entry) may not exceed this; set
# from the measured size and lowered as it shrinks. Raised from 345000 when
# the browser runtime (then Rust, src/page: DOM, storage, tracking, sending)
# joined the entry: it measured 373410 bytes, +32 KB over the 341141 before.
# Lowered to 356000 when the lookup tables for segmenting by IP (CidrTable,
# MaxMindDb, segmentOf: a page does not know its visitor's address) left
# the page build: 380252 → 350477 bytes. Lowered to 326000 (the measured
# size rounded up to the next 1,000) when the page build left regexes and
# the text of numbers to the JS engine (feature `rust-engines`: no
# regex-lite, no translator, no case tables): 355429 → 325596 bytes.
# Raised to 333000 when the page took compiled configs (their reader and
# the built-in model embedded compiled, so start-up parses no JSON, +6.6
# KB) and decide its typed context view (+1.3 KB): 332334 bytes.
# Raised to 334000 when compiled configs were cut with one layout parse
# (Frame::read, shared with the page build's reader): 333108 bytes.
# Raised to 335000 when the compiled structures (format version 2, their
# regex patterns kept) and deciding by position (`decide_chosen`, shared
# with the live visitor's decisions) joined: 334335 bytes.
# Lowered to 321000 when numbers in text were read by the JS engine's
# `Number` in the wasm builds that leave number text to it (profile values,
# form fields, content ranges, condition operands): no float parsing code
# and its tables, 334625 → 320685 bytes.
# Lowered to 317000 when the page runtime became JavaScript around the
# wasm core (pkg-template/runtime/, bundled into index.js; the glue takes
# in its snippet): 317358 → 316296 bytes, the runtime's 9 KB of JS
# included and its Rust (src/page) gone.
# Lowered to 293000 when the wasm builds that ship compiled std along with
# the crate and panicked with an immediate trap (scripts/wasm-build.sh:
# no panic messages, locations or formatting machinery): 316882 → 292732.
# Raised to 299000 when std's crates went back to opt-level 3 in those
# builds (scripts/wasm-build.sh: at the crate's "z" scoring from JS fell
# below the plain-JS floor): 291644 → 298064 bytes.
BROWSER_GZIP_BUDGET=${BROWSER_GZIP_BUDGET:-299000}
# gzip -9 size of the page entry (pkg/page: wasm + glue + entry + load.js),
# checked the same way. Set to the measured size rounded up to the next
# 1,000 when the page-only build (no function API, compiled configs read
# straight from their tree) joined: 250591 bytes, against 332645 for the
# browser entry in the same build. The issue's goal is 61440 (60 KiB).
# Lowered to 210000 when compiled configs carried the compiled structures
# (format version 2) and the page loaded them without the config readers,
# validation and compilers: 250562 → 209527 bytes. Raised to 211000 when
# decide handed its variants over by position (`decide_chosen`, which the
# live visitor's decisions read): +1.1 KB of wasm.
# Lowered to 197000 when the page build read numbers in text with the JS
# engine's `Number`, no longer worked out a model's fingerprint (compiled
# configs carry it) and wrote numbers in messages with `String(x)`: no
# float parsing or `f64` Display code, nor the model's serializer,
# 210016 → 196046 bytes.
# Lowered to 188000 when text was lower-cased by the JS engine beyond
# ASCII (src/text.rs): no Unicode case tables, 196046 → 187990 bytes.
# Lowered to 186000 (and the browser entry's to 318000) when the light
# builds stopped sorting their built-in domain lists at first use and three
# total orders took the smaller unstable sort: 187990 → 185273 bytes
# (browser 320445 → 317370).
# Lowered to 182000 when the page build stopped reading a visitor address
# it never has (no IPv4/IPv6 parser or printer): 185273 → 181942 bytes.
# Lowered to 138000 when the page runtime became JavaScript around the
# wasm core (pkg-template/runtime/, 8.9 KB gzip of index.js; src/page and
# its serde_json, serde-wasm-bindgen and float formatting gone, the
# layout built with js-sys): 181834 → 137089 bytes, the glue's snippet
# (visitor_track.js) counted now that it is bundled in.
# Lowered to 125000 when the wasm builds that ship compiled std along with
# the crate and panicked with an immediate trap (scripts/wasm-build.sh):
# 137676 → 124169 bytes, the wasm 120283 → 106776. Lowered to 106000 when
# the glue was minified with its local names (→ 122954), the compiled
# structures were read by hand instead of by serde's derived readers
# (src/compiled/read.rs: → 110379) and the page build took its own lean
# JSON value instead of serde_json's (src/json/: → 104921 bytes; the wasm
# 88772). 105783 bytes with std's crates at opt-level 3 again (+862).
# Lowered to 104000 when the code a page runs stopped formatting (no
# format!, no to_string of numbers or addresses, src/text.rs): core::fmt
# left the page build, 105559 -> 103485 bytes.
PAGE_GZIP_BUDGET=${PAGE_GZIP_BUDGET:-104000}

# shellcheck source=scripts/wasm-build.sh
. scripts/wasm-build.sh

# What the page build must not link (issue 14: a page carries only what a
# page runs): regex-lite, std's float printing (flt2dec) and any of
# core::fmt's formatting machinery (format!, to_string on numbers,
# Display). Looked for by name in the linked wasm's name section, which
# wasm-opt strips later; dlmalloc's name must be there, or the check
# would pass for want of names. serde_json is not looked for here: its
# name also ends the (v0-mangled) names of alloc's generic code that was
# instantiated while compiling it. bench/profiles/size.txt (twiggy, with
# demangled names) shows none of the four in the shipped build.
page_carries_nothing_banned() { # raw wasm
  if ! grep -aq dlmalloc "$1"; then
    echo "the page build's wasm has no name section to check" >&2
    exit 1
  fi
  local banned
  for banned in regex_lite 7flt2dec 4core3fmt; do
    if grep -aq "$banned" "$1"; then
      echo "the page build links $banned (grep -ao '[_A-Za-z0-9]*$banned[_A-Za-z0-9]*' $1 names the items)" >&2
      exit 1
    fi
  done
}

build() { # out_dir, std features ("" or optimize_for_size), cargo feature arguments...
  local out=$1 std_features=$2
  shift 2
  lean_wasm_build "$std_features" "$@"
  local raw
  raw=$(lean_target_dir)/wasm32-unknown-unknown/release/nurture.wasm
  if [ "$out" = pkg/page ]; then page_carries_nothing_banned "$raw"; fi
  wasm-bindgen --target web --out-dir "$out" --out-name nurture "$raw"
  # binaryen from npm (package.json): Debian's is too old for the reference
  # types that wasm-bindgen emits.
  node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
    --strip-debug --strip-producers \
    "$out/nurture_bg.wasm" -o "$out/nurture_bg.wasm"
}

# --repack: keep the wasm builds in pkg/ and only redo the rest (for
# work on the template, the schemas or the tests; Rust unchanged).
if [ "${1:-}" = --repack ] && [ -f pkg/nurture_bg.wasm ] && [ -f pkg/browser/nurture_bg.wasm ] \
  && [ -f pkg/page/nurture_bg.wasm ] && [ -f pkg/calibrate/nurture_bg.wasm ]; then
  echo "reusing the wasm builds in pkg/"
else
  rm -rf pkg
  build pkg ""
  build pkg/browser optimize_for_size --no-default-features --features live-visitor
  build pkg/page optimize_for_size --no-default-features --features page-only
  build pkg/calibrate "" --features calibrate
fi
cp -r pkg-template/. pkg/
# The page runtime (pkg-template/runtime/: JavaScript around the wasm core,
# start/swapSlot/Nurture/SlotUndo) bundled into the entries for pages (the
# full build's, the light build's, the page build's; node.js re-exports the
# full build's) with each build's own glue, which stays a module of its
# own (./nurture.js: the pages preload it, and init() must load the wasm
# the runtime calls). Platform neutral: the browser field of pkg/package.json
# would otherwise rewrite the external ./load.js.
for f in pkg/index.js pkg/browser/index.js pkg/page/index.js; do
  node_modules/.bin/esbuild "$f" --bundle --minify --format=esm --platform=neutral --log-level=warning \
    --external:"*/nurture.js" --external:"*/load.js" --outfile="$f" --allow-overwrite
done
rm -rf pkg/runtime
# What a page downloads besides the wasm (the light build's glue and the
# entry that checks the wasm's download) minified: wasm-bindgen copies every
# export's rustdoc into the glue as JSDoc that no page needs (editors read
# index.d.ts). Exports, the wasm's import names (properties, which esbuild
# keeps) and the `new URL("nurture_bg.wasm", import.meta.url)` that
# bundlers look for stay as they are; local names are shortened (9.0 KB →
# 7.7 KB gzip for the glue without whitespace; the page build's glue 7,230
# → 6,120 bytes with its local names shortened too). Idempotent, so
# --repack may run it again. The glue of the two page builds takes in the
# JS snippet it imports (LiveVisitor's typed track, score and decisions,
# src/wasm/visitor_track.js), so a page downloads one module, without the
# snippet's comments, and the budgets below count it.
for f in pkg/browser/nurture.js pkg/browser/index.js pkg/page/nurture.js pkg/page/index.js pkg/load.js; do
  banner=""
  bundle=""
  case $f in */nurture.js) banner='/* @ts-self-types="./nurture.d.ts" */' bundle="--bundle" ;; esac
  node_modules/.bin/esbuild "$f" $bundle --minify --format=esm --log-level=warning \
    --banner:js="$banner" --outfile="$f" --allow-overwrite
done
rm -rf pkg/browser/snippets pkg/page/snippets
# index.d.ts re-exports the generated declarations: without them every
# consumer's tsc fails.
if [ ! -f pkg/generated/types.d.ts ]; then
  echo "pkg-template/generated/types.d.ts is missing: run UPDATE_SCHEMAS=1 cargo test --features schema --test schema_drift" >&2
  exit 1
fi
mkdir -p pkg/schema
cp schema/*.schema.json pkg/schema/
# nurture/worker: the edge worker bundled from worker/src with the full
# build's glue, importing pkg/nurture_bg.wasm (a team deploys it with
# wrangler and no Rust toolchain); its gzip budget is checked like dist/'s.
node worker/build.mjs --package

gz() { gzip -9 -c "$1" | wc -c; }
report() {
  printf '%-22s wasm %8d bytes, %7d gzip; glue %6d bytes, %5d gzip\n' "$1" \
    "$(stat -c %s "$1/nurture_bg.wasm")" "$(gz "$1/nurture_bg.wasm")" \
    "$(stat -c %s "$1/nurture.js")" "$(gz "$1/nurture.js")"
}
report pkg
report pkg/browser
report pkg/page
report pkg/calibrate
# The page downloads the entry (browser/index.js, load.js: init() with the
# download checked) besides the glue and the wasm.
browser_total=$(($(gz pkg/browser/nurture_bg.wasm) + $(gz pkg/browser/nurture.js) + $(gz pkg/browser/index.js) + $(gz pkg/load.js)))
echo "browser entry: $browser_total bytes gzip (budget $BROWSER_GZIP_BUDGET)"
if [ "$browser_total" -gt "$BROWSER_GZIP_BUDGET" ]; then
  echo "the browser entry is over its gzip budget" >&2
  exit 1
fi
page_total=$(($(gz pkg/page/nurture_bg.wasm) + $(gz pkg/page/nurture.js) + $(gz pkg/page/index.js) + $(gz pkg/load.js)))
echo "page entry: $page_total bytes gzip (budget $PAGE_GZIP_BUDGET; the goal is 61440, 60 KiB)"
if [ "$page_total" -gt "$PAGE_GZIP_BUDGET" ]; then
  echo "the page entry is over its gzip budget" >&2
  exit 1
fi

# The publishable tarball, as `npm publish` would upload it.
mkdir -p target
rm -f target/nurture-*.tgz
pack_json=$(npm pack ./pkg --pack-destination target --json --silent)
tarball=target/$(node -e 'const [p] = JSON.parse(process.argv[1]); console.log(p.filename)' "$pack_json")
node -e '
const [p] = JSON.parse(process.argv[1]);
const kb = (n) => (n / 1024).toFixed(1) + " KiB";
console.log(`tarball ${process.argv[2]}: ${p.size} bytes (${kb(p.size)}), ${p.entryCount} files`);
console.log(`install size (unpacked): ${p.unpackedSize} bytes (${kb(p.unpackedSize)})`);
' "$pack_json" "$tarball"
