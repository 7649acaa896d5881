# Sourced by scripts/build-pkg.sh and scripts/profile.sh: how every wasm
# build that ships is compiled, so what the size profile measures is what
# the package ships.
#
# Release wasm with the standard library compiled along with the crate
# (`-Zbuild-std`) and panics that trap at once (`-Cpanic=immediate-abort`):
# a panic in wasm traps the instance either way (the core denies the
# paths that panic; see src/lib.rs), but std's prebuilt panic machinery
# formats a message and its location first, which keeps core::fmt, the
# Unicode printability tables and every panic site's file name in every
# build. Measured on the page-only build (wasm-opt -Oz, gzip -9): 120,274
# → 106,767 bytes; the light browser build 297,496 → 273,337; the full
# build 1,215,851 → 1,122,629 (without optimize_for_size, below).
#
# These flags are unstable: the machine's stable toolchain accepts them
# with RUSTC_BOOTSTRAP=1 and needs its rust-src component (the standard
# library's sources; scripts/setup.sh adds it). They are confined to these
# builds: tests, clippy and the host build use the toolchain as it is.
#
# The builds pages download (the light and the page-only builds) also
# compile std with `optimize_for_size` (smaller variants of std's own
# algorithms, such as sorting: -4.3 KB gzip on the page build); the builds
# for Node and the edge keep std's faster ones.
#
# Built along, std would take the crate's `opt-level = "z"`; the prebuilt
# std is built at opt-level 3, and scoring from JS felt it (bench/score-floor.mjs,
# LiveVisitor tracking against the plain-JS floor, paired: the light build
# 1.12-1.28x before, 0.94-1.00x with std at "z", 1.25-1.28x with std's
# crates at 3 again). So std's crates stay at opt-level 3, for +0.9 KB gzip
# on the page build, +6.4 KB on the light one, +6.7 KB on the full one.

LEAN_RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none"
STD_OPT_LEVEL=()
for std_crate in core alloc std hashbrown dlmalloc compiler_builtins; do
  STD_OPT_LEVEL+=(--config "profile.release.package.$std_crate.opt-level=3")
done

# Cargo's folder for these builds: apart from the usual one, so switching
# between them and the tests' wasm builds rebuilds nothing.
lean_target_dir() { echo "${CARGO_TARGET_DIR:-target}/lean"; }

# lean_wasm_build <std features: "" or optimize_for_size> <cargo feature arguments...>
# Builds the crate's cdylib; it lands in
# "$(lean_target_dir)/wasm32-unknown-unknown/release/nurture.wasm".
lean_wasm_build() {
  local std_features=$1
  shift
  RUSTC_BOOTSTRAP=1 RUSTFLAGS="$LEAN_RUSTFLAGS" cargo build --release \
    --target wasm32-unknown-unknown --lib --target-dir "$(lean_target_dir)" \
    -Zbuild-std=std,panic_abort ${std_features:+-Zbuild-std-features=$std_features} \
    "${STD_OPT_LEVEL[@]}" "$@"
}
