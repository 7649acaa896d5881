// GrowthBook's own run() and nurture's decide() on the same experiments and
// visitors: the same variation, and the same in/out of the experiment, for
// every visitor, with hashVersion 1 and 2 (and unset, GrowthBook's 1).
// Experiments are random (2–4 variations, weights that do or do not sum to
// 1, coverage, namespaces, seeds), visitors' ids are random (ASCII and not),
// from a seeded generator so a failure can be replayed: NURTURE_GB_SEED.
import test from "node:test";
import assert from "node:assert/strict";
import { GrowthBook } from "@growthbook/growthbook";
import nurture from "./load.mjs";

const SEED = Number(process.env.NURTURE_GB_SEED ?? 20261202);
const VISITORS = 500;

/** mulberry32: a small seeded generator. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.@é漢😀";

function randomId(r) {
  const chars = [...ALPHABET];
  const n = 1 + Math.floor(r() * 36);
  let id = "";
  for (let i = 0; i < n; i++) id += chars[Math.floor(r() * chars.length)];
  return id;
}

function randomExperiment(r, hashVersion, i) {
  const n = 2 + Math.floor(r() * 3);
  /** @type {Record<string, unknown>} */
  const e = { key: `exp-${i}-${Math.floor(r() * 1e6)}` };
  if (hashVersion !== undefined) e.hashVersion = hashVersion;
  if (r() < 0.5) e.seed = randomId(r);
  if (r() < 0.7) {
    const raw = Array.from({ length: n }, () => 0.05 + r());
    const sum = raw.reduce((a, b) => a + b, 0);
    // Mostly weights that sum to 1; sometimes ones that do not, which both
    // sides replace by equal weights.
    e.weights = r() < 0.85 ? raw.map((w) => w / sum) : raw;
  }
  if (r() < 0.6) e.coverage = Math.round(r() * 100) / 100;
  if (r() < 0.4) {
    const lo = Math.round(r() * 50) / 100;
    e.namespace = [`ns-${Math.floor(r() * 3)}`, lo, Math.min(1, lo + 0.1 + Math.round(r() * 50) / 100)];
  }
  return { n, e };
}

function nurtureSite({ n, e }) {
  const variants = Array.from({ length: n - 1 }, (_, k) => ({ id: `v${k + 1}`, content: `variation ${k + 1}` }));
  return {
    slots: [{ id: "slot", default: { content: "control" }, variants,
      experiment: { ...e, variations: ["default", ...variants.map((v) => v.id)] } }],
  };
}

for (const hashVersion of [1, 2, undefined]) {
  test(`run() and decide() agree on ${VISITORS} random visitors, hashVersion ${hashVersion ?? "unset"}`, () => {
    const r = rng(SEED + (hashVersion ?? 0));
    const disagreements = [];
    const tally = { in: 0, out: 0, variations: new Set() };
    for (let i = 0; i < VISITORS; i++) {
      const exp = randomExperiment(r, hashVersion, i);
      const id = randomId(r);
      const gb = new GrowthBook({ attributes: { id } });
      const theirs = gb.run({ ...exp.e, variations: Array.from({ length: exp.n }, (_, k) => k) });
      gb.destroy();
      const site = new nurture.Personalizer(nurtureSite(exp));
      const d = site.decide({ id }).decisions[0];
      site.free();
      const ours = d.reason.kind === "experiment"
        ? { inExperiment: true, variationId: d.reason.variationIndex }
        : { inExperiment: false, variationId: 0 };
      if (ours.inExperiment) {
        // The variation's variant: the control arm is the slot's default.
        assert.equal(d.variant, ours.variationId === 0 ? "default" : `v${ours.variationId}`);
        assert.equal(d.reason.bucket, nurture.hash(exp.e.seed ?? exp.e.key, id, hashVersion ?? 1));
      }
      if (theirs.inExperiment !== ours.inExperiment || theirs.variationId !== ours.variationId) {
        disagreements.push({ id, experiment: exp.e, growthbook: [theirs.inExperiment, theirs.variationId], nurture: [ours.inExperiment, ours.variationId] });
      }
      tally[ours.inExperiment ? "in" : "out"] += 1;
      if (ours.inExperiment) tally.variations.add(ours.variationId);
    }
    assert.deepEqual(disagreements.slice(0, 5), [], `seed ${SEED}: ${disagreements.length} of ${VISITORS} disagree`);
    // The inputs reach every branch: in, out, and several variations.
    assert.ok(tally.in > 100 && tally.out > 50, JSON.stringify({ in: tally.in, out: tally.out }));
    assert.ok(tally.variations.size >= 3, [...tally.variations].join());
  });
}

test("hashVersion 1 and 2 put visitors in different buckets, as in GrowthBook", () => {
  const site = (v) => new nurture.Personalizer({ slots: [{ id: "s", variants: [{ id: "b", content: "B" }],
    experiment: { key: "k", hashVersion: v, variations: ["default", "b"] } }] });
  const [one, two] = [site(1), site(2)];
  let differ = 0;
  for (let i = 0; i < 200; i++) {
    const [a, b] = [one, two].map((p) => p.decide({ id: `u${i}` }).decisions[0].reason.bucket);
    assert.equal(a, nurture.hash("k", `u${i}`, 1));
    assert.equal(b, nurture.hash("k", `u${i}`, 2));
    if (a !== b) differ += 1;
  }
  assert.ok(differ > 190, String(differ));
});

test("an experiment without hashVersion warns that the default is GrowthBook's 1; 3 is refused by path", () => {
  const slot = (experiment) => ({ slots: [{ id: "s", variants: [{ id: "b", content: "B" }], experiment }] });
  const p = new nurture.Personalizer(slot({ key: "k", variations: ["default", "b"] }));
  assert.deepEqual(p.warnings.map((w) => w.path), ["slots[0].experiment.hashVersion"]);
  assert.match(p.warnings[0].message, /default 1.*"hashVersion": 2/);
  assert.throws(() => new nurture.Personalizer(slot({ key: "k", hashVersion: 3, variations: ["default", "b"] })), (err) => {
    assert.equal(err.code, "invalid_config");
    assert.equal(err.path, "slots[0].experiment.hashVersion");
    return true;
  });
  // GrowthBook runs no experiment with fewer than two variations.
  assert.throws(() => new nurture.Personalizer(slot({ key: "k", hashVersion: 2, variations: ["b"] })),
    (err) => err.path === "slots[0].experiment.variations");
});
