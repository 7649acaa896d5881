// The playground's "Calibrate" tab: load labelled leads (JSON Lines, or a CSV
// with a column mapping), learn the points in a Web Worker
// (calibrate-worker.js, nurture/calibrate's wasm), draw the report (ROC,
// reliability, gains: plain SVG) and offer the model as model.json.
const $ = (id) => document.getElementById(id);
const NS = "http://www.w3.org/2000/svg";
function el(tag, attrs = {}, ...children) {
  const n = tag.startsWith("svg:") ? document.createElementNS(NS, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
  n.append(...children.map((c) => (c instanceof Node ? c : String(c))));
  return n;
}

// Score | Calibrate: the hash picks the mode.
function mode() {
  const m = location.hash === "#calibrate" ? "calibrate" : "score";
  $("score").hidden = m !== "score";
  $("calibrate").hidden = m !== "calibrate";
  for (const a of document.querySelectorAll(".pg-modes a")) a.classList.toggle("on", a.dataset.mode === m);
}
addEventListener("hashchange", mode);
mode();

// ------------------------------------------------------------------ input
let input = null; // {kind: "jsonl", text} | {kind: "csv", header, rows}
const ROLES = { profile: "profile field", label: "label (converted)", events: "events (JSON array)", now: "judged at (now)", ignore: "ignore" };

/** RFC 4180 CSV (quotes, doubled quotes, CRLF); `,` or `;` as the header shows. */
function parseCsv(text) {
  const first = text.slice(0, text.indexOf("\n") >>> 0);
  const sep = (first.match(/;/g) ?? []).length > (first.match(/,/g) ?? []).length ? ";" : ",";
  const rows = [];
  let row = [], field = "", quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c !== '"') field += c;
      else if (text[i + 1] === '"') { field += '"'; i++; }
      else quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === sep) { row.push(field); field = ""; }
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field); rows.push(row); row = []; field = "";
    } else field += c;
  }
  if (field !== "" || row.length) { row.push(field); rows.push(row); }
  return rows.filter((r) => r.some((f) => f.trim() !== ""));
}

function guessRole(name) {
  if (/^(converted|label|won|outcome|closed.?won|is.?customer|target)$/i.test(name)) return "label";
  if (/^events$/i.test(name)) return "events";
  if (/^(now|judged.?at|as.?of)$/i.test(name)) return "now";
  if (/^(lead.?)?id$/i.test(name)) return "ignore";
  return "profile";
}

$("cal-file").onchange = async () => {
  const file = $("cal-file").files[0];
  if (!file) return;
  const text = await file.text();
  const mapping = $("cal-mapping");
  if (/\.csv$/i.test(file.name) || !/^\s*[[{]/.test(text)) {
    const [header = [], ...rows] = parseCsv(text);
    input = { kind: "csv", header, rows };
    mapping.replaceChildren(el("tr", {}, el("th", {}, "column"), el("th", {}, "is"), el("th", {}, "first value"), el("th", {}, "profile field name")),
      ...header.map((name, i) => {
        const role = guessRole(name);
        const select = el("select", { "data-column": i }, ...Object.entries(ROLES).map(([v, t]) => el("option", v === role ? { value: v, selected: "" } : { value: v }, t)));
        return el("tr", {}, el("td", {}, name), el("td", {}, select), el("td", {}, rows[0]?.[i] ?? ""),
          el("td", {}, el("input", { "data-field": i, value: name.trim() })));
      }));
    mapping.hidden = false;
    status($("cal-loaded"), `${file.name}: ${rows.length} rows, ${header.length} columns (CSV): map the columns below`);
  } else {
    input = { kind: "jsonl", text };
    mapping.hidden = true;
    const lines = text.trimStart().startsWith("[") ? "a JSON array" : `${text.split("\n").filter((l) => l.trim()).length} lines`;
    status($("cal-loaded"), `${file.name}: ${lines} of lead records`);
  }
  $("cal-run").disabled = false;
};

const LABELS = new Map([["true", true], ["1", true], ["yes", true], ["y", true], ["won", true],
  ["false", false], ["0", false], ["no", false], ["n", false], ["lost", false], ["", false]]);

/** The CSV rows as lead records, by the mapping; an error names the CSV line. */
function csvLeads({ header, rows }) {
  const role = (i) => document.querySelector(`select[data-column="${i}"]`).value;
  const name = (i) => document.querySelector(`input[data-field="${i}"]`).value.trim() || header[i];
  const labels = header.map((_, i) => i).filter((i) => role(i) === "label");
  if (labels.length !== 1) throw new Error(`map exactly one column as the label (converted); ${labels.length} are`);
  return rows.map((row, r) => {
    const at = `CSV line ${r + 2}`;
    const lead = { profile: {}, converted: false };
    header.forEach((_, i) => {
      const v = (row[i] ?? "").trim();
      switch (role(i)) {
        case "label":
          if (!LABELS.has(v.toLowerCase())) throw new Error(`${at}: ${header[i]} = "${v}" is not a label (true/false, 1/0, yes/no)`);
          lead.converted = LABELS.get(v.toLowerCase());
          break;
        case "events":
          try { lead.events = v ? JSON.parse(v) : []; } catch (e) { throw new Error(`${at}: ${header[i]} is not a JSON array of events (${e.message})`); }
          break;
        case "now":
          if (v) lead.now = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
          if (Number.isNaN(lead.now)) throw new Error(`${at}: ${header[i]} = "${v}" is not a time`);
          break;
        case "profile":
          if (v !== "") lead.profile[name(i)] = /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
      }
    });
    return lead;
  });
}

// ------------------------------------------------------------------ running
let worker = null;
function status(node, text, bad = false) {
  node.textContent = text;
  node.className = bad ? "pg-status bad" : "pg-status";
}

$("cal-run").onclick = () => {
  let leads;
  try { leads = input.kind === "csv" ? csvLeads(input) : input.text; }
  catch (e) { return status($("cal-status"), e.message, true); }
  const keepFields = $("cal-keep").value.split(",").map((s) => s.trim()).filter(Boolean);
  const options = { folds: Number($("cal-folds").value), pointsToDoubleOdds: Number($("cal-pdo").value), keepFields };
  worker ??= new Worker(new URL("calibrate-worker.js", import.meta.url), { type: "module" });
  const bar = $("cal-progress");
  bar.hidden = false;
  bar.value = 0;
  bar.dataset.steps = "0";
  $("cal-run").disabled = true;
  status($("cal-status"), "loading the calibrate build…");
  const started = performance.now();
  worker.onmessage = ({ data }) => {
    if (data.progress) {
      const { done, total, stage } = data.progress;
      bar.value = done / total;
      bar.dataset.steps = String(Number(bar.dataset.steps) + 1);
      return status($("cal-status"), `${stage} (${done}/${total})`);
    }
    $("cal-run").disabled = false;
    bar.hidden = true;
    if (data.error) return status($("cal-status"), data.error.message, true);
    status($("cal-status"), `done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    show(data.result);
  };
  worker.onerror = (e) => { $("cal-run").disabled = false; status($("cal-status"), `the worker failed: ${e.message}`, true); };
  worker.postMessage({ leads, options });
};

// ------------------------------------------------------------------ report
let url = null;
function show({ model, report }) {
  const cv = report.crossValidated;
  const facts = [["leads", report.leads], ["converted", `${report.converted} (${(report.baseRate * 100).toFixed(1)}%)`],
    [`AUC (${report.folds}-fold)`, cv.auc.toFixed(3)], ["log loss", cv.logLoss.toFixed(3)], ["Brier", cv.brier.toFixed(3)],
    ["calibration error", cv.expectedCalibrationError.toFixed(3)],
    ["half-life", !report.rules.some((r) => r.kind === "engagement") ? "no events" : report.halfLifeDays === null ? "none" : `${report.halfLifeDays} days`],
    ["points double the odds", report.pointsToDoubleOdds]];
  $("cal-summary").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  $("cal-warnings").replaceChildren(...report.warnings.map((w) => el("li", /leak/.test(w) ? { class: "leak" } : {}, w)));
  if (url) URL.revokeObjectURL(url);
  url = URL.createObjectURL(new Blob([JSON.stringify(model, null, 2)], { type: "application/json" }));
  $("cal-download").href = url;
  $("cal-try").onclick = () => {
    $("model").value = JSON.stringify(model, null, 2);
    $("model").dispatchEvent(new Event("input"));
    location.hash = "#score";
  };
  const roc = [{ falsePositiveRate: 0, truePositiveRate: 0 }, ...report.roc, { falsePositiveRate: 1, truePositiveRate: 1 }];
  chart("cal-roc", 1, 1, "false positive rate", "true positive rate", (x, y, g) => g.append(
    el("svg:polyline", { points: roc.map((p) => `${x(p.falsePositiveRate)},${y(p.truePositiveRate)}`).join(" "), fill: "none", stroke: "#0b6e4f", "stroke-width": 2.5 }),
    el("svg:text", { x: x(0.45), y: y(0.12) }, `AUC ${cv.auc.toFixed(3)}`)));
  const bins = report.reliability.filter((b) => b.leads > 0);
  const top = Math.min(1, Math.ceil(Math.max(0.1, ...bins.map((b) => Math.max(b.meanPredicted, b.observedRate))) * 10) / 10);
  const most = Math.max(...bins.map((b) => b.leads));
  chart("cal-reliability", top, top, "predicted", "observed", (x, y, g) => g.append(
    el("svg:polyline", { points: bins.map((b) => `${x(b.meanPredicted)},${y(b.observedRate)}`).join(" "), fill: "none", stroke: "#13315c", "stroke-width": 1.5 }),
    ...bins.map((b) => el("svg:circle", { cx: x(b.meanPredicted), cy: y(b.observedRate), r: 2 + 5 * Math.sqrt(b.leads / most), fill: "#f2a541", stroke: "#13315c" })),
    el("svg:text", { x: x(top * 0.35), y: y(top * 0.06) }, `error ${cv.expectedCalibrationError.toFixed(3)}`)));
  chart("cal-gains", 1, 1, "share of leads, best first", "share of conversions", (x, y, g) => g.append(
    el("svg:polyline", { points: [[0, 0], ...report.gains.map((d) => [d.decile / 10, d.cumulativeShare])].map(([a, b]) => `${x(a)},${y(b)}`).join(" "), fill: "none", stroke: "#0b6e4f", "stroke-width": 2.5 }),
    ...report.gains.map((d) => el("svg:circle", { cx: x(d.decile / 10), cy: y(d.cumulativeShare), r: 3, fill: "#0b6e4f" })),
    el("svg:text", { x: x(0.45), y: y(0.12) }, `top decile lift ${report.gains[0]?.lift.toFixed(1)}`)));
  const rules = report.rules.filter((r) => r.points !== 0).sort((a, b) => Math.abs(b.points) - Math.abs(a.points));
  $("cal-rules").replaceChildren(el("tr", {}, ...["rule", "kind", "support", "converted", "points", "information value"].map((t) => el("th", {}, t))),
    ...rules.map((r) => el("tr", { "data-rule": r.id }, el("td", {}, r.label ?? r.id), el("td", {}, r.kind + (r.fromBase ? " (base)" : "")), el("td", { class: "num" }, r.support),
      el("td", { class: "num" }, `${(r.rate * 100).toFixed(1)}%`), el("td", { class: `num ${r.points < 0 ? "neg" : ""}` }, r.points > 0 ? `+${r.points}` : r.points),
      el("td", { class: "num" }, r.informationValue.toFixed(3)))));
  $("cal-result").hidden = false;
  document.documentElement.dataset.calibrated = String(Number(document.documentElement.dataset.calibrated ?? 0) + 1);
}

/** Axes from 0 to xmax / ymax with the diagonal, then `draw(x, y, svg)`. */
function chart(id, xmax, ymax, xlabel, ylabel, draw) {
  const svg = $(id), S = 240, L = 34, B = 30, T = 8, R = 8;
  const x = (v) => L + (v / xmax) * (S - L - R), y = (v) => S - B - (v / ymax) * (S - B - T);
  svg.replaceChildren(el("svg:rect", { x: L, y: T, width: S - L - R, height: S - B - T, fill: "none", stroke: "#c9ced8" }),
    el("svg:line", { x1: x(0), y1: y(0), x2: x(Math.min(xmax, ymax)), y2: y(Math.min(xmax, ymax)), stroke: "#c9ced8", "stroke-dasharray": "4 3" }),
    el("svg:text", { x: L, y: S - B + 12 }, 0), el("svg:text", { x: S - R - 16, y: S - B + 12 }, xmax),
    el("svg:text", { x: 4, y: T + 8 }, ymax), el("svg:text", { x: L + 30, y: S - 4 }, xlabel),
    el("svg:text", { x: 12, y: S - B - 10, transform: `rotate(-90 12 ${S - B - 10})` }, ylabel));
  draw(x, y, svg);
}
