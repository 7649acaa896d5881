// The soak (bench/soak.mjs), short: both phases (a healthy collector, then
// one failing part of the time and healing) for SOAK_TEST_SECONDS each
// (default 20) under the same mixed load. Asserts what must hold however
// loaded the machine is: no unexpected response, and every accepted event
// and signal delivered exactly once after deduplication. No latency
// assertions; memory only against a loose bound (a short run on a shared
// machine is mostly warm-up, so its slope says little — `make soak` judges
// growth over minutes).
import test from "node:test";
import assert from "node:assert/strict";
import { runSoak } from "../../bench/soak.mjs";

const SECONDS = Number(process.env.SOAK_TEST_SECONDS ?? 20);

test(`soak: ${SECONDS} s of mixed load per phase, healthy then failing collector`, { timeout: 240_000 }, async () => {
  const report = await runSoak({
    seconds: SECONDS,
    concurrency: 8,
    // Over 20 s the RSS still rises from warm-up; this only catches a
    // runaway (the full soak's threshold is 4 MiB/min).
    maxSlope: 600,
    log: (l) => console.log(`# ${l}`),
  });
  for (const p of report.phases) {
    console.log(`${p.name}: ${p.all.requests} requests (${p.all.rps.toFixed(1)}/s), ${p.acceptedEvents} events, ${p.signals} signals, ` +
      `collector ${JSON.stringify(p.collector)}, drained ${p.drainSeconds} s, dead letters ${p.deadLettersFiled}, replayed ${p.replayed}`);
  }
  console.log(`workerd RSS: ready ${report.memory.readyMiB.toFixed(0)} MiB, end ${report.memory.endMiB.toFixed(0)} MiB`);
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
  assert.deepEqual(report.failures, []);
});
