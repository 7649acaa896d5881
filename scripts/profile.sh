#!/usr/bin/env bash
# Where the time and the bytes go, for the "What limits it" lines of
# BENCHMARKS.md: callgrind instruction counts (repeatable on a shared
# machine, unlike timings) of the native bench binaries with a tenth of their
# iterations (NURTURE_BENCH_QUICK), and twiggy over the browser build's wasm
# before wasm-opt strips its names. Writes bench/profiles/*.txt. Not run by
# CI; needs valgrind and twiggy (cargo install twiggy).
# Usage: scripts/profile.sh [scoring|conditions|maxmind|forms|decide|decide-scale|edge-ingest|size]...
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
out=bench/profiles
mkdir -p "$out" target
[ -f target/bench-visitor.json ] || node bench/write-visitor.mjs target/bench-visitor.json

bench_bin() { # bench name → path of its executable
  cargo bench --no-run --bench "$1" --message-format=json 2>/dev/null |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{for(const l of s.split("\n")){try{const m=JSON.parse(l);if(m.executable&&m.target.kind.includes("bench"))console.log(m.executable)}catch{}}})' | tail -1
}

# The function table, first 40 rows, names cut at 220 characters (awk reads
# everything: head would end the pipe early and pipefail would stop the run).
top() { awk '/^Ir/ { on = 1 } on && n++ < 44 { print substr($0, 1, 220) }'; }

# Self cost summed over kinds of work (by function name), the figures the
# "What limits it" lines quote.
groups() { # callgrind output file
  local f=$1
  callgrind_annotate --inclusive=no --threshold=100 "$f" 2>/dev/null | awk '
/PROGRAM TOTALS/ { gsub(",", "", $1); total = $1 }
/\(.*%\)/ && !/PROGRAM TOTALS/ { ir = $1; gsub(",", "", ir); name = $0;
  g = "other";
  if (name ~ /malloc|_int_free|free\[|:free |realloc|Counting|RawVec|deallocate|drop_in_place/) g = "alloc";
  else if (name ~ /to_lowercase|CharIndices|next_code_point|is_whitespace|trim_matches|conversions/) g = "lowercase/utf8";
  else if (name ~ /memcmp|Ord>::cmp|slice_contains|StrSearcher|TwoWay|is_contained/) g = "compare/search";
  else if (name ~ /serde_json|BTreeMap|btree/) g = "serde_json";
  else if (name ~ /sip|hash_one|Hasher|hashbrown/) g = "hashing";
  else if (name ~ /regex/) g = "regex";
  else if (name ~ /sort/) g = "sort";
  else if (name ~ /fmt|format/) g = "format";
  else if (name ~ /memcpy|memmove|clone|to_vec/) g = "copy";
  sum[g] += ir }
END { for (g in sum) printf "%-16s %5.1f%%\n", g, 100 * sum[g] / total }' | sort -k2 -rn
}

profile() { # name, bench, NURTURE_BENCH_ONLY value
  local name=$1 bin
  bin=$(bench_bin "$2")
  # PROFILE_ANNOTATE_ONLY=1 rewrites the summary from the last run's data.
  if [ -z "${PROFILE_ANNOTATE_ONLY:-}" ] || [ ! -f "target/callgrind.$name" ]; then
    rm -f "target/callgrind.$name"
    NURTURE_BENCH_QUICK=1 NURTURE_BENCH_ONLY=$3 \
      valgrind --tool=callgrind --callgrind-out-file="target/callgrind.$name" "$bin" >/dev/null 2>&1
  fi
  {
    echo "# callgrind, $2 bench (NURTURE_BENCH_ONLY=$3, NURTURE_BENCH_QUICK=1)"
    echo "# self cost by kind of work (alloc: malloc/free/realloc and Vec growth)"
    groups "target/callgrind.$name"
    echo
    echo "# self cost by function"
    callgrind_annotate --inclusive=no "target/callgrind.$name" 2>/dev/null | top
    echo
    echo "# inclusive cost (callees counted in)"
    callgrind_annotate --inclusive=yes "target/callgrind.$name" 2>/dev/null | top
  } > "$out/$name.txt"
  echo "$out/$name.txt"
}

# The page-only build (pkg/page, what the demo pages load) as it ships:
# release wasm built as scripts/wasm-build.sh builds it → wasm-bindgen → wasm-opt -Oz as scripts/build-pkg.sh runs
# it, but with -g so the names stay for twiggy (they are stripped from what
# ships, so the sizes are the shipped code's plus the names section).
size() {
  # shellcheck source=scripts/wasm-build.sh
  . scripts/wasm-build.sh
  lean_wasm_build optimize_for_size --no-default-features --features page-only >/dev/null 2>&1
  local raw
  raw=$(lean_target_dir)/wasm32-unknown-unknown/release/nurture.wasm
  local dir=${CARGO_TARGET_DIR:-target}/profile-page
  rm -rf "$dir"
  wasm-bindgen --target web --out-dir "$dir" --out-name nurture "$raw"
  node_modules/.bin/wasm-opt -Oz -g --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$dir/nurture_bg.wasm" -o "$dir/named.wasm"
  local wasm=$dir/named.wasm
  {
    echo "# How: scripts/profile.sh size: the page-only build (--no-default-features"
    echo "# --features page-only, pkg/page) after wasm-bindgen and wasm-opt -Oz -g (names kept"
    echo "# for twiggy; what ships has none), twiggy $(twiggy --version | cut -d' ' -f2)."
    echo
    echo "# bytes by crate (twiggy top, every item's shallow size summed by its first path segment)"
    twiggy top -f csv "$wasm" | node -e '
      const rows = require("fs").readFileSync(0, "utf8").trim().split("\n").slice(1);
      const by = new Map();
      for (const row of rows) {
        const [, name, size] = row.match(/^("(?:[^"]|"")*"|[^,]*),(\d+)/) ?? [];
        if (!name) continue;
        const item = name.replace(/^"|"$/g, "").replace(/""/g, "\"");
        const key = /subsection|^custom section|^data segment/.test(item) ? "(" + item.replace(/\.\d+"$/, "\"") + ")"
          : (item.replace(/^(<|&mut |&|\(|dyn )+/, "").match(/^[A-Za-z_]\w*/)?.[0] ?? "(other)");
        by.set(key, (by.get(key) ?? 0) + Number(size));
      }
      for (const [k, v] of [...by].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(String(v).padStart(9), k);'
    echo
    echo "# items of the crates issue 14 wants out of the page (count, shallow bytes; "]::fmt::" is any of core::fmt and alloc::fmt)"
    for c in serde_json serde_path_to_error regex_lite flt2dec zmij "f64 as core" serde_wasm_bindgen "]::fmt::"; do
      twiggy top -f csv "$wasm" | awk -F, -v c="$c" \
        'index($0, c) {n++; s+=$(NF-3)} END {printf "%-22s %4d items %7d bytes\n", c, n, s}'
    done
    echo
    echo "# twiggy top -n 25"
    twiggy top -n 25 "$wasm"
    echo
    echo "# twiggy dominators -d 2 -r 40: what keeps the bytes in"
    twiggy dominators -d 2 -r 40 "$wasm"
  } > "$out/size.txt"
  echo "$out/size.txt"
}

what=${*:-scoring conditions maxmind forms decide decide-scale size}
for w in $what; do
  case $w in
    scoring) profile scoring scoring main ;;
    conditions) profile conditions targeting conditions ;;
    maxmind) profile maxmind targeting maxmind ;;
    forms) profile forms forms "" ;;
    decide) profile decide decide site ;;
    decide-scale) profile decide-scale decide scale ;;
    edge-ingest) profile edge-ingest edge_ingest "" ;;
    size) size ;;
    *) echo "unknown: $w" >&2; exit 2 ;;
  esac
done
