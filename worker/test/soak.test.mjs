// The soak (bench/soak.mjs), short: both phases (a healthy collector, then
// one failing part of the time and healing) for SOAK_TEST_SECONDS each
// (default 20) under the same mixed load. Asserts what must hold however
// loaded the machine is: no unexpected response, every accepted event and
// signal delivered exactly once after deduplication, and the worker's
// memory sampled through workerd's inspector (JS heap after a forced GC)
// and /v1/health (wasm memory) under its ceilings. No latency assertions;
// whether memory levels off is judged over minutes by `make soak` (a 20 s
// phase is mostly warm-up), and the judgement itself is tested below on
// series with and without a leak.
import test from "node:test";
import assert from "node:assert/strict";
import { runSoak, plateau, MEMORY_LIMITS } from "../../bench/soak.mjs";

const SECONDS = Number(process.env.SOAK_TEST_SECONDS ?? 20);

test("the memory judgement passes a series that levels off and fails one that keeps growing", () => {
  // 10 minutes sampled every 15 s: a warm-up climb to 9 MiB, then noise of
  // ±0.6 MiB (the live Durable Objects come and go) around a flat line.
  const t = Array.from({ length: 41 }, (_, i) => i * 15_000);
  const noise = (i) => 0.6 * Math.sin(i * 1.7);
  const flat = t.map((ms, i) => ({ t: ms, mib: Math.min(9, 3 + ms / 10_000) + noise(i) }));
  const ok = plateau(flat, { warmupMs: 60_000, allowMiB: MEMORY_LIMITS.heapAllowMiB, ceilingMiB: MEMORY_LIMITS.heapCeilingMiB });
  assert.equal(ok.ok, true, ok.why);
  // The same plus a leak of 100 bytes for each of 150 requests a second
  // (one small object a request): 0.86 MiB a minute, under the noise from
  // one sample to the next.
  const leak = (100 * 150 * 60) / 1048576;
  const leaking = flat.map((s) => ({ t: s.t, mib: s.mib + (leak * s.t) / 60_000 }));
  const bad = plateau(leaking, { warmupMs: 60_000, allowMiB: MEMORY_LIMITS.heapAllowMiB, ceilingMiB: MEMORY_LIMITS.heapCeilingMiB });
  assert.equal(bad.ok, false);
  assert.match(bad.why, /still growing/);
  // A flat series over its ceiling fails too, and too few samples never pass.
  assert.equal(plateau(flat, { allowMiB: 2, ceilingMiB: 8 }).ok, false);
  assert.equal(plateau(flat.slice(0, 5), { allowMiB: 2 }).ok, false);
});

test(`soak: ${SECONDS} s of mixed load per phase, healthy then failing collector`, { timeout: 240_000 }, async () => {
  const report = await runSoak({
    seconds: SECONDS,
    concurrency: 8,
    // Over 20 s the RSS still rises from warm-up; this only catches a
    // runaway (the full soak judges the isolate's heap and wasm memory).
    maxSlope: 600,
    heapSampleMs: 4000,
    // A short run cannot show a plateau (the growth check needs minutes);
    // the ceilings still apply.
    limits: { heapAllowMiB: Infinity, wasmAllowMiB: Infinity },
    log: (l) => console.log(`# ${l}`),
  });
  for (const p of report.phases) {
    console.log(`${p.name}: ${p.all.requests} requests (${p.all.rps.toFixed(1)}/s), ${p.acceptedEvents} events, ${p.signals} signals, ` +
      `collector ${JSON.stringify(p.collector)}, drained ${p.drainSeconds} s, dead letters ${p.deadLettersFiled}, replayed ${p.replayed}`);
  }
  const m = report.memory;
  console.log(`workerd RSS: ready ${m.readyMiB.toFixed(0)} MiB, end ${m.endMiB.toFixed(0)} MiB; ` +
    `heap after GC ${m.heap.start.toFixed(2)} → ${m.heap.end.toFixed(2)} MiB (max ${m.heap.max.toFixed(2)}), wasm ${m.wasm.start.toFixed(2)} → ${m.wasm.end.toFixed(2)} MiB`);
  const [a, b] = report.phases;
  assert.equal(report.phases.length, 2);
  for (const p of report.phases) {
    assert.equal(p.all.errors, 0, `${p.name}: ${p.errors.join(" | ")}`);
    assert.ok(p.sessions > 0 && p.acceptedEvents > 0 && p.formsAccepted > 0, `${p.name}: the load ran`);
    assert.ok(p.routes.some((r) => r.route.includes("invalid") && r.expected4xx > 0), `${p.name}: invalid posts were answered 422`);
    assert.notEqual(p.drainSeconds, null, `${p.name}: everything arrived`);
    assert.equal(p.lostEvents, 0);
    assert.equal(p.lostSignals, 0);
    assert.equal(p.extraSignals, 0);
    assert.equal(p.unexpectedDeliveries, 0);
    assert.equal(p.deadLettersLeft, 0);
  }
  assert.ok(b.collector.failed > 0 && b.collector.hung > 0 && b.collector.dropped > 0, "phase b injected every kind of fault");
  assert.equal(a.collector.failed, 0);
  // The inspector and /v1/health were read all through the run: real,
  // non-zero sizes (the compiled core alone is over a megabyte of wasm memory).
  assert.deepEqual(m.heapErrors, []);
  assert.ok(m.heapSeries.length >= 10, `${m.heapSeries.length} memory samples`);
  for (const [, heapMiB, , wasmMiB] of m.heapSeries) {
    assert.ok(heapMiB > 0.1 && wasmMiB > 1, `sampled ${heapMiB} MiB heap, ${wasmMiB} MiB wasm`);
  }
  assert.deepEqual(report.failures, []);
});
