// Condition evaluation (GrowthBook's vectors) and MaxMind lookups through
// the wasm package, side by side in one process with the JS libraries people
// use today: @growthbook/growthbook and mmdb-lib. Prints key=value lines.
import { readFileSync } from "node:fs";
import { evalCondition as gbEvalCondition } from "@growthbook/growthbook";
import mmdb from "mmdb-lib";
import nurture from "../tests/js/load.mjs";

function perSecond(work, rounds, fn) {
  fn();
  const samples = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  samples.sort((a, b) => a - b);
  return Math.round(work / samples[Math.floor(samples.length / 2)]);
}

// Conditions over one copy of GrowthBook's cases, keys prefixed `prefix`.
// Same answers first: a fast wrong answer is no answer. Timed are the cases
// both implementations answer alike; the compiled rows also need a
// condition that compiles strictly (`new Condition` refuses, say, an
// invalid regex) and the same answer from it, and GrowthBook is timed on
// exactly that set too. The saved groups go to the constructor, read once
// (`eval(attributes, savedGroups)` gives the same answers, checked here).
function benchConditions(file, prefix) {
  const out = (key, value) => console.log(`${prefix}${key}=${value}`);
  const cases = JSON.parse(readFileSync(file)).evalCondition
    .map(([name, condition, attributes, expected, savedGroups]) => ({ name, condition, attributes, expected, savedGroups }));
  // GrowthBook reports an unknown operator (upstream's "$regx" case) with
  // console.error on every call: silenced here, or printing would be most
  // of its time on that case.
  const consoleError = console.error;
  console.error = () => {};
  const gbAnswer = (c) => gbEvalCondition(c.attributes, c.condition, c.savedGroups);
  const agreeing = cases.filter((c) => gbAnswer(c) === nurture.evalCondition(c.attributes, c.condition, c.savedGroups));
  out("conditions.cases", cases.length);
  out("conditions.agree_with_growthbook", agreeing.length);
  out("conditions.growthbook_matches_expected", cases.filter((c) => gbAnswer(c) === c.expected).length);
  for (const c of cases) if (!agreeing.includes(c)) out("conditions.disagree", JSON.stringify(c.name));
  const reps = 50;
  const loop = (list, f) => () => { for (let i = 0; i < reps; i++) for (const c of list) f(c); };
  out("js.growthbook_evals_per_sec", perSecond(reps * agreeing.length, 9, loop(agreeing, gbAnswer)));
  out("wasm.eval_condition_per_sec", perSecond(reps * agreeing.length, 9,
    loop(agreeing, (c) => nurture.evalCondition(c.attributes, c.condition, c.savedGroups))));
  const compiled = agreeing.map((c) => {
    try { return { cond: new nurture.Condition(c.condition, c.savedGroups), ...c }; } catch { return null; }
  }).filter((c) => c && c.cond.eval(c.attributes) === gbAnswer(c) && c.cond.eval(c.attributes, c.savedGroups) === gbAnswer(c));
  out("wasm.condition_compiled_cases", compiled.length);
  // Paired samples: GrowthBook and nurture timed back to back, 15 times;
  // the ratio is the median of the pairs' ratios, so that load coming and
  // going on a shared machine hits both sides of a pair alike.
  const gbLoop = loop(compiled, gbAnswer);
  const ourLoop = loop(compiled, (c) => c.cond.eval(c.attributes));
  const time = (f) => { const t = process.hrtime.bigint(); f(); return Number(process.hrtime.bigint() - t) / 1e9; };
  gbLoop(); ourLoop();
  const pairs = Array.from({ length: 15 }, () => [time(gbLoop), time(ourLoop)]);
  const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const work = reps * compiled.length;
  out("js.growthbook_compiled_set_evals_per_sec", Math.round(work / median(pairs.map(([g]) => g))));
  out("wasm.condition_compiled_evals_per_sec", Math.round(work / median(pairs.map(([, o]) => o))));
  out("wasm.condition_compiled_vs_growthbook", median(pairs.map(([g, o]) => g / o)).toFixed(2));
  console.error = consoleError;
}

benchConditions(new URL("../tests/data/vectors/growthbook-cases.json", import.meta.url), "");
// GROWTHBOOK_CASES=/path/to/cases.json: also every upstream case
// (GrowthBook's packages/sdk-js/test/cases.json; the committed file holds
// every other one), keys prefixed `upstream.`.
if (process.env.GROWTHBOOK_CASES) benchConditions(process.env.GROWTHBOOK_CASES, "upstream.");

// MaxMind: the same City test database, the same addresses.
const db = readFileSync(new URL("../tests/data/maxmind/GeoIP2-City-Test.mmdb", import.meta.url));
const ips = ["81.2.69.142", "2.125.160.216", "216.160.83.56", "89.160.20.112", "67.43.156.1", "1.1.1.1", "2001:218::1"];
const reader = new mmdb.Reader(db, { cache: { get: () => undefined, set: () => {} } });
const cachedReader = new mmdb.Reader(db);
const lookups = 2000 * ips.length;
console.log(`js.mmdblib_lookups_per_sec=${perSecond(lookups, 7, () => {
  for (let i = 0; i < 2000; i++) for (const ip of ips) reader.get(ip);
})}`);
console.log(`js.mmdblib_cached_lookups_per_sec=${perSecond(lookups, 7, () => {
  for (let i = 0; i < 2000; i++) for (const ip of ips) cachedReader.get(ip);
})}`);
if (nurture.MaxMindDb) {
  const ours = new nurture.MaxMindDb(new Uint8Array(db));
  console.log(`wasm.mmdb_lookups_per_sec=${perSecond(lookups, 7, () => {
    for (let i = 0; i < 2000; i++) for (const ip of ips) ours.lookup(ip);
  })}`);
  // What a visitor context reads (country, subdivision, city, ASN,
  // organization, connection type ...), decoded alone: the same answers as
  // those fields of mmdb-lib's full records, checked first.
  if (ours.lookupContext) {
    const NETWORK = { asn: "autonomous_system_number", asOrganization: "autonomous_system_organization", isp: "isp",
      organization: "organization", domain: "domain", connectionType: "connection_type", userType: "user_type" };
    const fromRecord = (r) => {
      if (!r) return null;
      const sub = r.subdivisions?.[0];
      const out = {
        country: r.country?.iso_code, countryName: r.country?.names?.en, continent: r.continent?.code,
        region: sub?.iso_code, regionName: sub?.names?.en, city: r.city?.names?.en,
        postalCode: r.postal?.code, timezone: r.location?.time_zone, registeredCountry: r.registered_country?.iso_code,
      };
      for (const [k, key] of Object.entries(NETWORK)) out[k] = r[key] ?? r.traits?.[key];
      return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined && v !== "").sort());
    };
    const sorted = (o) => o && Object.fromEntries(Object.entries(o).sort());
    const same = ips.filter((ip) => JSON.stringify(fromRecord(reader.get(ip))) === JSON.stringify(sorted(ours.lookupContext(ip)))).length;
    console.log(`mmdb.context_fields_agree_with_mmdblib=${same}`);
    console.log(`wasm.mmdb_context_lookups_per_sec=${perSecond(lookups, 7, () => {
      for (let i = 0; i < 2000; i++) for (const ip of ips) ours.lookupContext(ip);
    })}`);
  }
}

// CIDR lookups through wasm: a 100,000-prefix named-account table loaded
// from CSV text, random IPv4 probes (each call crosses the JS boundary).
{
  let x = 0x9e3779b9;
  const rnd = () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x; };
  const ip4 = (n) => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  const lines = ["cidr,company,industry"];
  for (let i = 0; i < 100_000; i++) lines.push(`${ip4(rnd())}/${20 + (rnd() % 13)},Company ${i % 50000},Industry ${i % 40}`);
  const start = process.hrtime.bigint();
  const table = nurture.CidrTable.fromCsv(lines.join("\n"));
  console.log(`wasm.cidr_100000_load_ms=${(Number(process.hrtime.bigint() - start) / 1e6).toFixed(0)}`);
  const probes = Array.from({ length: 20_000 }, () => ip4(rnd()));
  console.log(`wasm.cidr_100000_lookups_per_sec=${perSecond(probes.length, 7, () => { for (const ip of probes) table.lookup(ip); })}`);
}

// Hashing and bucketing on the shared vectors: hash (v1 and v2),
// getBucketRange, chooseVariation, nurture's wasm next to GrowthBook's own
// helpers (not exported from the package root, so imported from its util
// module by path) in the same process, answers compared first.
{
  const gbUtil = await import(new URL("../node_modules/@growthbook/growthbook/dist/esm/util.mjs", import.meta.url));
  const vectors = JSON.parse(readFileSync(new URL("../tests/data/vectors/growthbook-cases.json", import.meta.url)));
  const hashes = vectors.hash.map(([seed, value, version]) => [seed, value, version]);
  const buckets = vectors.getBucketRange.map(([, [n, coverage, weights]]) => [n, coverage, weights ?? undefined]);
  const choices = vectors.chooseVariation.map(([, n, ranges]) => [n, ranges]);
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  let agree = 0;
  for (const [s, v, ver] of hashes) if (gbUtil.hash(s, v, ver) === nurture.hash(s, v, ver)) agree++;
  for (const [n, c, w] of buckets) if (same(gbUtil.getBucketRanges(n, c, w), nurture.getBucketRange(n, c, w ?? null))) agree++;
  for (const [n, r] of choices) if (gbUtil.chooseVariation(n, r) === nurture.chooseVariation(n, r)) agree++;
  console.log(`hashing.cases=${hashes.length + buckets.length + choices.length}`);
  console.log(`hashing.agree_with_growthbook=${agree}`);
  const reps = 500;
  const rows = [
    ["hash", hashes, (f) => (x) => f.hash(x[0], x[1], x[2])],
    ["bucket", buckets, (f) => (x) => f.bucket(x[0], x[1], x[2])],
    ["choose", choices, (f) => (x) => f.choose(x[0], x[1])],
  ];
  const gb = { hash: gbUtil.hash, bucket: gbUtil.getBucketRanges, choose: gbUtil.chooseVariation };
  const ours = { hash: nurture.hash, bucket: (n, c, w) => nurture.getBucketRange(n, c, w ?? null), choose: nurture.chooseVariation };
  for (const [name, list, call] of rows) {
    for (const [label, impl] of [["js.growthbook_", gb], ["wasm.", ours]]) {
      const f = call(impl);
      console.log(`${label}${name}_per_sec=${perSecond(reps * list.length, 9, () => {
        for (let i = 0; i < reps; i++) for (const x of list) f(x);
      })}`);
    }
  }
}
