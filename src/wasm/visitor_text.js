// The visitor of `decide` as JSON text, in one call across the JS/wasm
// boundary (src/wasm/personalize.rs): its `score` cut down to what decisions
// read first, as `without_score_breakdown` does value by value, so a full
// `score()` result's per-event breakdown is never written. Returns
// undefined for anything the text route cannot carry (not a plain object, a
// cycle, a BigInt, a getter that throws): the caller then reads the value as
// before, which reports what is wrong with its path.
const isRecord = (v) => typeof v === "object" && v !== null && !Array.isArray(v);

function slimScore(score) {
  const slim = {};
  for (const key of ["fit", "engagement"]) {
    const v = score[key];
    if (isRecord(v)) {
      const only = {};
      const number = v.score;
      if (number !== undefined) only.score = number;
      slim[key] = only;
    } else if (v !== undefined) {
      slim[key] = v;
    }
  }
  for (const key of ["grade", "tier", "stage", "interests"]) {
    const v = score[key];
    if (v !== undefined) slim[key] = v;
  }
  const mql = score.mql;
  if (isRecord(mql)) {
    const only = {};
    const q = mql.qualified;
    if (q !== undefined) only.qualified = q;
    slim.mql = only;
  } else if (mql !== undefined) {
    slim.mql = mql;
  }
  return slim;
}

export function visitorText(visitor) {
  if (!isRecord(visitor)) return undefined;
  try {
    const score = visitor.score;
    const doc = isRecord(score) ? Object.assign({}, visitor, { score: slimScore(score) }) : visitor;
    return JSON.stringify(doc);
  } catch {
    return undefined;
  }
}
