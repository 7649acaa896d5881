#!/usr/bin/env bash
# Runs every cargo-fuzz target for N seconds (default 300), one at a time,
# then minimizes each corpus. Needs the nightly toolchain and cargo-fuzz
# (`cargo install cargo-fuzz`); not part of `make test`, whose replay test
# (tests/fuzz_regressions.rs) runs the corpora on stable.
#
#   scripts/fuzz.sh [seconds] [target...]
#
# libFuzzer's last stats line per target goes to fuzz/last-run.txt; crashes
# land in fuzz/artifacts/<target>/ (copy them to fuzz/regressions/<target>/
# once fixed). The token fuzzer (JS) runs last: node worker/fuzz/tokens.fuzz.mjs.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

seconds="${1:-300}"
shift || true
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
  mapfile -t targets < <(cargo +nightly fuzz list --fuzz-dir fuzz)
fi

failed=0
: > fuzz/last-run.txt
for t in "${targets[@]}"; do
  dict=()
  [ -f "fuzz/dict/$t.dict" ] && dict=("-dict=fuzz/dict/$t.dict")
  mkdir -p "fuzz/corpus/$t"
  echo "== $t ($seconds s)"
  log="$(mktemp)"
  nice -n 10 cargo +nightly fuzz run --fuzz-dir fuzz "$t" "fuzz/corpus/$t" -- \
    -max_total_time="$seconds" -jobs=1 -workers=1 -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 "${dict[@]}" 2>"$log" || status=$?
  # With -jobs, libFuzzer writes the run's own output to fuzz-0.log.
  [ -f fuzz-0.log ] && cat fuzz-0.log >>"$log" && rm -f fuzz-0.log
  stats="$(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$log" | tail -1)"
  execs="$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')"
  if [ "${status:-0}" -ne 0 ]; then
    # Keep going with the other targets; the log says what failed.
    failed=1
    mkdir -p fuzz/artifacts
    cp "$log" "fuzz/artifacts/$t.log"
    echo "$t: FAILED (exit $status), see fuzz/artifacts/$t.log and fuzz/artifacts/$t/" | tee -a fuzz/last-run.txt
    unset status
    rm -f "$log"
    continue
  fi
  echo "$t: $execs executions; $stats" | tee -a fuzz/last-run.txt
  rm -f "$log"
  nice -n 10 cargo +nightly fuzz cmin --fuzz-dir fuzz "$t" "fuzz/corpus/$t" >/dev/null 2>&1
done

# FUZZ_TOKENS=0 skips the token fuzzer.
if [ "${FUZZ_TOKENS:-1}" = 1 ]; then
  nice -n 10 node worker/fuzz/tokens.fuzz.mjs "$seconds" | tee -a fuzz/last-run.txt
fi
exit "$failed"
