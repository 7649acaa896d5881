// The playground's calibration off the main thread (a module Web Worker):
// nurture/calibrate's wasm learns the points; progress goes back per step
// (each cross-validation fold of each setting tried), so the page can draw
// a progress bar while staying responsive.
import init, { calibrate } from "/pkg/calibrate/index.js";

const ready = init();
self.onmessage = async ({ data }) => {
  try {
    await ready;
    const progress = (done, total, stage) => self.postMessage({ progress: { done, total, stage } });
    self.postMessage({ result: calibrate(data.leads, data.options, progress) });
  } catch (e) {
    self.postMessage({ error: { message: String(e?.message ?? e), path: e?.path ?? null } });
  }
};
