#!/usr/bin/env bash
# Runs the benchmarks and writes BENCHMARKS.md: scoring natively and through
# wasm in Node on the same 1,000-event visitor, targeting, forms, the edge
# worker on local workerd against a no-op worker, and the package sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
scripts/setup.sh >/dev/null
scripts/build-pkg.sh >/dev/null

mkdir -p target
node bench/write-visitor.mjs target/bench-visitor.json
all=$(cargo bench --quiet --bench scoring 2>/dev/null; node bench/score.bench.mjs;
  cargo bench --quiet --bench targeting 2>/dev/null; node bench/targeting.bench.mjs;
  cargo bench --quiet --bench forms 2>/dev/null; node bench/forms.bench.mjs;
  NURTURE_PKG="$PWD/pkg/browser" BENCH_LABEL=wasm_browser node bench/forms.bench.mjs;
  node worker/build.mjs >/dev/null && node bench/worker.bench.mjs;
  node bench/browser.bench.mjs)
get() { printf '%s\n' "$all" | awk -F= -v k="$1" '$1 == k { print $2 }'; }

raw=$(stat -c %s pkg/nurture_bg.wasm)
gz=$(gzip -9 -c pkg/nurture_bg.wasm | wc -c)
js_gz=$(gzip -9 -c pkg/nurture.js | wc -c)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "–"; else printf "%.2f", a / b }'; }

cat > BENCHMARKS.md <<MD
# Benchmarks

Made by \`make bench\` (\`scripts/bench.sh\`) on $(date -u +%Y-%m-%d), $(nproc) cores,
$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), rustc $(rustc --version | cut -d' ' -f2),
Node $(node --version). Absolute rates move with the machine's load; the ratios
are measured in the same run.

## Scoring a visitor with 1,000 events (default model)

The visitor (\`bench/visitor.json.mjs\`): 1,000 Segment-style events over 90
days across ten pages and five track events, tags on every event.

| what | native | wasm in Node | wasm / native |
| --- | ---: | ---: | ---: |
| events/s, with per-event breakdown | $(get native.score_full_events_per_sec) | $(get wasm.score_full_events_per_sec) | $(ratio "$(get wasm.score_full_events_per_sec)" "$(get native.score_full_events_per_sec)") |
| events/s, rule totals only | $(get native.score_totals_events_per_sec) | $(get wasm.score_totals_events_per_sec) | $(ratio "$(get wasm.score_totals_events_per_sec)" "$(get native.score_totals_events_per_sec)") |
| events/s, events already parsed (native only) | $(get native.score_parsed_events_per_sec) | | |
| \`score(null, …)\` one-off call, totals only | | $(get wasm.score_fn_default_model_events_per_sec) | |
| compile the default model (µs) | $(get native.compile_default_model_us) | $(get wasm.compile_default_model_us) | |
| one-event call (µs), in wasm through the JS boundary | $(get native.score_one_event_us) | $(get wasm.score_one_event_us) | |

What limits it: in wasm most of the time goes to converting the events from
JS objects into \`serde_json\` values (serde-wasm-bindgen walks every property
through the JS boundary) and the breakdown back into JS objects; the scoring
itself is the "events already parsed" row. Breakdown off roughly halves the
output conversion.

## Targeting: conditions and IP lookups

Conditions: the $(get conditions.cases) \`evalCondition\` cases of GrowthBook's
cross-SDK vectors, evaluated in a loop; nurture and \`@growthbook/growthbook\`
agree on $(get conditions.agree_with_growthbook) of them. Ratios are against
GrowthBook's JS SDK in the same Node process.

| what | evaluations/s | vs GrowthBook JS |
| --- | ---: | ---: |
| \`@growthbook/growthbook\` \`evalCondition\` (JS) | $(get js.growthbook_evals_per_sec) | 1.00 |
| nurture \`evalCondition\` (wasm; compiles each call) | $(get wasm.eval_condition_per_sec) | $(ratio "$(get wasm.eval_condition_per_sec)" "$(get js.growthbook_evals_per_sec)") |
| nurture \`new Condition(c).eval(attrs)\` (wasm; compiled once, $(get wasm.condition_compiled_cases) cases that compile strictly) | $(get wasm.condition_compiled_evals_per_sec) | $(ratio "$(get wasm.condition_compiled_evals_per_sec)" "$(get js.growthbook_evals_per_sec)") |
| nurture \`Condition::eval\` (native, compiled once) | $(get native.condition_compiled_evals_per_sec) | $(ratio "$(get native.condition_compiled_evals_per_sec)" "$(get js.growthbook_evals_per_sec)") |
| nurture \`eval_condition\` (native, compiles each call) | $(get native.condition_compile_and_eval_per_sec) | $(ratio "$(get native.condition_compile_and_eval_per_sec)" "$(get js.growthbook_evals_per_sec)") |

Where nurture loses: one condition against one small attribute object per
call from JS is dominated by moving the attributes and the condition across
the JS/wasm boundary (serde-wasm-bindgen walks every property); GrowthBook
evaluates the JS objects where they are. The evaluation itself is faster
natively. To win from JS, evaluate many conditions per crossing: segments and
slots are decided in one \`decide\` call over one visitor context.

MaxMind lookups on \`GeoIP2-City-Test.mmdb\` (seven addresses, full City
records decoded):

| what | lookups/s | vs mmdb-lib |
| --- | ---: | ---: |
| \`mmdb-lib\` \`Reader.get\`, cache off (JS) | $(get js.mmdblib_lookups_per_sec) | 1.00 |
| \`mmdb-lib\` with its default cache (JS) | $(get js.mmdblib_cached_lookups_per_sec) | $(ratio "$(get js.mmdblib_cached_lookups_per_sec)" "$(get js.mmdblib_lookups_per_sec)") |
| nurture \`MaxMindDb.lookup\` (wasm) | $(get wasm.mmdb_lookups_per_sec) | $(ratio "$(get wasm.mmdb_lookups_per_sec)" "$(get js.mmdblib_lookups_per_sec)") |
| nurture \`MmdbReader::lookup\` (native) | $(get native.mmdb_city_lookups_per_sec) | $(ratio "$(get native.mmdb_city_lookups_per_sec)" "$(get js.mmdblib_lookups_per_sec)") |

The reader decodes the whole record into JSON values on every lookup; most
of the time goes to building the nested City maps (names in eight languages).

CIDR table of named-account prefixes (90 % IPv4 /20–/32 with 1 % wider, 10 %
IPv6 /16–/64, 50,000 accounts), built natively from random prefixes, looked
up with 200,000 random IPv4 addresses:

| prefixes | build (ms) | index (MiB) | peak RSS growth (MiB) | lookups/s |
| ---: | ---: | ---: | ---: | ---: |
| 10,000 | $(get native.cidr_10000_build_ms) | $(get native.cidr_10000_index_mib) | $(get native.cidr_10000_peak_rss_growth_mib) | $(get native.cidr_10000_lookups_per_sec) |
| 100,000 | $(get native.cidr_100000_build_ms) | $(get native.cidr_100000_index_mib) | $(get native.cidr_100000_peak_rss_growth_mib) | $(get native.cidr_100000_lookups_per_sec) |
| 1,000,000 | $(get native.cidr_1000000_build_ms) | $(get native.cidr_1000000_index_mib) | $(get native.cidr_1000000_peak_rss_growth_mib) | $(get native.cidr_1000000_lookups_per_sec) |

Through wasm in Node, a 100,000-prefix table loads from CSV text in
$(get wasm.cidr_100000_load_ms) ms and answers $(get wasm.cidr_100000_lookups_per_sec)
lookups/s (one JS call per lookup, the matched attributes returned as a JS
object).

Build time grows about linearly (sorting and flattening nested prefixes);
lookups slow as the table outgrows the CPU caches (binary search over
intervals behind a 16-bit directory).

## Forms: validating a 10-field submission

\`bench/contact-form.json\` (e-mail with business-address rule, names,
company, title, a select, a number, a phone, a country, consent), every field
asked, a valid submission.

| what | validations/s | vs native |
| --- | ---: | ---: |
| native (\`Form::validate\`, form compiled once) | $(get native.form_validations_per_sec) | 1.00 |
| wasm, full build (\`validateForm\`, compiles the form each call) | $(get wasm.form_validations_per_sec) | $(ratio "$(get wasm.form_validations_per_sec)" "$(get native.form_validations_per_sec)") |
| wasm, browser build (light phone and e-mail checks) | $(get wasm_browser.form_validations_per_sec) | $(ratio "$(get wasm_browser.form_validations_per_sec)" "$(get native.form_validations_per_sec)") |

What limits it: the phone number (libphonenumber's patterns, compiled with
the full \`regex\` crate) in the full build; in wasm also compiling the form
on every call (there is no \`Form\` class to keep it compiled yet) and the
conversions across the boundary.

## The edge worker on local workerd

\`bench/worker.bench.mjs\`: the built worker (\`worker/dist\`) and a no-op
worker (reads the body, answers a constant) in Miniflare on 127.0.0.1, in the
same run, under a keep-alive load generator in Node ($(get worker.concurrency)
concurrent requests, $(get worker.seconds) s per row after a 2 s warm-up). The
load generator, a collector that answers 200 to every forwarded message, the
origin serving \`www/\` and workerd share the machine's cores. 200 visitors
(cookies minted by the worker), half of them from a named account's range.

| route | worker req/s | p50 / p95 / p99 (ms) | no-op req/s | no-op p50 / p95 / p99 (ms) | worker / no-op |
| --- | ---: | ---: | ---: | ---: | ---: |
| \`POST /v1/events\`, 20-event batch | $(get worker.events_rps) | $(get worker.events_p50_ms) / $(get worker.events_p95_ms) / $(get worker.events_p99_ms) | $(get worker.noop_events_rps) | $(get worker.noop_events_p50_ms) / $(get worker.noop_events_p95_ms) / $(get worker.noop_events_p99_ms) | $(get worker.events_vs_noop) |
| \`POST /v1/forms/contact\`, 4 fields | $(get worker.forms_rps) | $(get worker.forms_p50_ms) / $(get worker.forms_p95_ms) / $(get worker.forms_p99_ms) | $(get worker.noop_forms_rps) | $(get worker.noop_forms_p50_ms) / $(get worker.noop_forms_p95_ms) / $(get worker.noop_forms_p99_ms) | $(get worker.forms_vs_noop) |
| \`GET /\` personalized (origin fetch + decide + HTMLRewriter) | $(get worker.page_rps) | $(get worker.page_p50_ms) / $(get worker.page_p95_ms) / $(get worker.page_p99_ms) | $(get worker.noop_page_rps) | $(get worker.noop_page_p50_ms) / $(get worker.noop_page_p95_ms) / $(get worker.noop_page_p99_ms) | $(get worker.page_vs_noop) |

What an event batch costs: the visitor's Durable Object validates the 20
events, then re-scores the whole stored history (up to \`HISTORY_CAP\` = 250
events; per-rule totals only, which is what the forwarded summary needs),
evaluates the visitor's segments and writes the state; the worker then
forwards the batch to the collector as one request (\`{batch: [...]}\`, each
message with its own idempotency key). The history stays parsed in the
object's memory between requests and crosses into wasm as one JSON string
(\`Model.scoreJson\`, parsed by serde_json inside the core) rather than
object by object through serde-wasm-bindgen; the re-score is still the
largest part of the object's CPU. Forwarding used to be one POST per message,
twenty subrequests per batch, which alone cost about as much worker CPU as
everything else together. A form post validates in the object (phone and
e-mail checks of the full build), merges, re-scores the history and forwards
one signal. Both pay a Durable Object round trip the no-op does not.

Cold start (median of 3, a fresh Miniflare instance each: a new workerd
process and isolate; "ready" is the runtime up with the module loaded, the
first request pays for instantiating the wasm core and compiling what it
uses):

| | ready (ms) | first response after ready (ms) | second response (ms) |
| --- | ---: | ---: | ---: |
| no-op worker | $(get worker.cold_noop_ready_ms) | $(get worker.cold_noop_first_ms) | $(get worker.cold_noop_second_ms) |
| nurture, \`GET /v1/health\` (wasm instantiated, model compiled) | $(get worker.cold_health_ready_ms) | $(get worker.cold_health_first_ms) | $(get worker.cold_health_second_ms) |
| nurture, \`GET /\` personalized (also site config, CIDR table, origin fetch) | $(get worker.cold_page_ready_ms) | $(get worker.cold_page_first_ms) | $(get worker.cold_page_second_ms) |

Bundle (\`worker/dist\`): \`index.js\` $(get worker.bundle_index_js_bytes) bytes
($(get worker.bundle_index_js_gzip) gzip), \`nurture_bg.wasm\`
$(get worker.bundle_nurture_bg_wasm_bytes) bytes ($(get worker.bundle_nurture_bg_wasm_gzip) gzip);
$(get worker.bundle_total_gzip) bytes gzip in all, under the 3 MB compressed limit of the
Workers free plan and well under the paid plan's 10 MB.

## The page: bytes and time to decided slots

\`bench/browser.bench.mjs\`: the demo home page (\`www/\`, served on
127.0.0.1) loaded $(get browser.loads) times in Debian's headless Chromium,
each in a fresh context (no cache, no storage).

- Everything the page downloads for nurture ($(get browser.download_files)):
  $(get browser.download_raw) bytes, $(get browser.download_gzip) gzip -9.
- \`DOMContentLoaded\` → every slot decided (swapped, or released to its
  default): median $(get browser.dcl_to_slots_p50_ms) ms, p90
  $(get browser.dcl_to_slots_p90_ms) ms. The page hides only the slots, at most
  300 ms; most of this is fetching and compiling the wasm, which starts from a
  module script at the end of the page. Behind the edge worker the slots are
  already decided in the HTML and nothing waits.

## Size of what ships

| file | raw | gzip -9 |
| --- | ---: | ---: |
| \`pkg/nurture_bg.wasm\` (Node and edge; wasm-opt -Oz) | $raw | $gz |
| \`pkg/nurture.js\` (glue) | $(stat -c %s pkg/nurture.js) | $js_gz |
| \`pkg/browser/nurture_bg.wasm\` (what a page downloads) | $(stat -c %s pkg/browser/nurture_bg.wasm) | $(gzip -9 -c pkg/browser/nurture_bg.wasm | wc -c) |
| \`pkg/browser/nurture.js\` (glue) | $(stat -c %s pkg/browser/nurture.js) | $(gzip -9 -c pkg/browser/nurture.js | wc -c) |

The full build embeds the free-mail and disposable-mail domain lists (about
21,000 domains, roughly 120 KB gzip), libphonenumber's metadata with the
\`regex\` crate it needs (about 500 KB gzip) and the \`idna\` crate's ICU4X
data (about 50 KB gzip). The browser build leaves all three out
(\`--no-default-features\`), and \`scripts/build-pkg.sh\` fails when its wasm and
glue together go over the gzip budget set there. What remains is code:
serde's derived deserializers for four config formats, serde_json,
regex-lite, float formatting, the MaxMind and CIDR readers; \`twiggy top\`
on \`target/wasm32-unknown-unknown/release/nurture.wasm\` lists the largest
functions. Shrinking it further means splitting the browser entry from the
edge-only parts (tables, forms' full checks) and fewer generic instantiations.
MD
cat BENCHMARKS.md
