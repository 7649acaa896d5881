// The timing loop the package benchmarks share: `iterations` calls to warm
// up, then `rounds` rounds of as many; the median seconds per call.
export function secondsPerCall(iterations, rounds, fn) {
  for (let i = 0; i < iterations; i++) fn();
  const samples = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1e9 / iterations);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}
