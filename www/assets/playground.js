// The scoring playground: everything is recomputed in the page with the same
// wasm core the runtime uses (score, checkModel, decide). Pictures are plain SVG.
import init, { score, checkModel, defaultModel, decide, checkPersonalization } from "/pkg/browser/nurture.js";

await init();
const $ = (id) => document.getElementById(id);
const NS = "http://www.w3.org/2000/svg";
const DAY = 86_400_000;
const now = Date.now();

function svg(tag, attrs = {}, text) {
  const n = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
  if (text !== undefined) n.textContent = String(text);
  return n;
}
function h(tag, attrs = {}, ...children) {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
  n.append(...children.map((c) => (c instanceof Node ? c : String(c))));
  return n;
}

const sampleEvents = [
  { type: "page", timestamp: now - 40 * DAY, properties: { path: "/resources/white-paper.html", tags: ["white paper", "oil & gas"], dwellSeconds: 120 } },
  { type: "track", event: "Webinar Attended", timestamp: now - 21 * DAY, properties: { tags: ["oil & gas"] } },
  { type: "page", timestamp: now - 9 * DAY, properties: { path: "/industries/oil-gas.html", tags: ["oil & gas"], dwellSeconds: 75 } },
  { type: "page", timestamp: now - 6 * DAY, properties: { path: "/case-studies/refinery.html", tags: ["oil & gas", "case study"], dwellSeconds: 140 } },
  { type: "page", timestamp: now - 2 * DAY, properties: { path: "/pricing.html", tags: ["pricing"], dwellSeconds: 95 } },
  { type: "track", event: "Demo Requested", timestamp: now - 1 * DAY },
];
// The sample history is the back office's (server-reported, so a webinar or a
// demo request counts); "use my visits" scores what this browser recorded as
// the page and the edge do: as a browser, so back-office actions score 0.
let source = "server";
const sampleProfile = { email: "li.wei@petrochina.example", title: "Head of Reliability", company: "PetroChina Example", industry: "Oil & Gas", companySize: "5,000", country: "CN" };

$("model").value = JSON.stringify(defaultModel(), null, 2);
$("profile").value = JSON.stringify(sampleProfile, null, 2);
$("events").value = JSON.stringify(sampleEvents, null, 1);
$("config").value = JSON.stringify(await (await fetch("/nurture/site-config.json")).json(), null, 2);
$("use-mine").onclick = () => {
  try {
    const stored = JSON.parse(localStorage.getItem("nurture") ?? "null");
    if (stored?.events?.length) {
      $("events").value = JSON.stringify(stored.events, null, 1);
      $("profile").value = JSON.stringify(stored.profile ?? {}, null, 2);
      source = "browser";
      update();
    }
  } catch { /* nothing usable stored */ }
};

function parse(id) {
  try { $(id).classList.remove("invalid"); return JSON.parse($(id).value); }
  catch (e) { $(id).classList.add("invalid"); throw new Error(`${id}: ${e.message}`); }
}

function update() {
  let model, profile, events, config;
  try { model = parse("model"); profile = parse("profile"); events = parse("events"); config = parse("config"); }
  catch (e) { $("model-status").textContent = e.message; $("model-status").className = "pg-status bad"; return; }
  const report = checkModel(model);
  const status = $("model-status");
  if (report.errors.length) {
    status.textContent = report.errors.map((e) => `${e.path}: ${e.message}`).join("; ");
    status.className = "pg-status bad";
    $("model").classList.add("invalid");
    return;
  }
  status.textContent = report.warnings.length ? `${report.warnings.length} warning(s): ${report.warnings[0].path}: ${report.warnings[0].message}` : "valid";
  status.className = "pg-status";
  const result = score(model, profile, events, now, { source });
  summary(result);
  timeline(model, profile, events);
  grid(result, model);
  interests(result.interests);
  breakdown(result);
  const cfgReport = checkPersonalization(config);
  $("config-status").textContent = cfgReport.errors.length ? cfgReport.errors.map((e) => `${e.path}: ${e.message}`).join("; ") : "valid";
  $("config-status").className = cfgReport.errors.length ? "pg-status bad" : "pg-status";
  if (!cfgReport.errors.length) {
    const d = decide(config, { id: "playground", profile, score: result, page: { path: "/" } });
    $("decisions").replaceChildren(
      h("li", {}, `segments: ${d.segments.join(", ") || "none"}`),
      ...d.decisions.map((x) => h("li", {}, `${x.slot} → ${x.variant} (${x.reason.kind}${x.reason.segment ? ": " + x.reason.segment : ""})`)));
  }
}

function summary(r) {
  $("summary").replaceChildren(
    h("div", { class: "grade", "data-grade": r.grade }, r.grade),
    (() => {
      const dl = h("dl");
      for (const [k, v] of [["fit", r.fit.score], ["engagement", r.engagement.score], ["tier", r.tier], ["stage", r.stage],
                            ["MQL", r.mql.qualified ? "yes" : "no"], ["decay took", r.engagement.decayLost],
                            ...(r.probability == null ? [] : [["probability", `${(r.probability * 100).toFixed(1)}%`]])]) {
        dl.append(h("dt", {}, k), h("dd", {}, v));
      }
      return dl;
    })());
}

// Score over time: the visitor re-scored at each event, as the model sees it then.
function timeline(model, profile, events) {
  const el = $("timeline");
  el.replaceChildren();
  const sorted = events.map((e, i) => ({ e, t: typeof e.timestamp === "number" ? e.timestamp : Date.parse(e.timestamp) || now, i }))
    .sort((a, b) => a.t - b.t);
  const points = sorted.map((_, k) => {
    const upto = sorted.slice(0, k + 1).map((x) => x.e);
    const r = score(model, profile, upto, sorted[k].t, { breakdown: false, source });
    return { t: sorted[k].t, eng: r.engagement.score, fit: r.fit.score };
  });
  const rEnd = score(model, profile, events, now, { breakdown: false, source });
  points.push({ t: now, eng: rEnd.engagement.score, fit: rEnd.fit.score });
  const W = 520, H = 220, L = 36, B = 24, T = 10;
  const t0 = Math.min(...points.map((p) => p.t)), t1 = Math.max(now, ...points.map((p) => p.t));
  const max = Math.max(100, ...points.map((p) => Math.max(p.eng, p.fit)));
  const x = (t) => L + ((t - t0) / Math.max(1, t1 - t0)) * (W - L - 10);
  const y = (v) => T + (1 - Math.max(0, v) / max) * (H - T - B);
  for (const v of [0, 25, 50, 75, 100].filter((v) => v <= max)) {
    el.append(svg("line", { x1: L, x2: W - 10, y1: y(v), y2: y(v), stroke: "#e3e6ec" }), svg("text", { x: 4, y: y(v) + 4 }, v));
  }
  const tiers = model.tiers ?? {};
  for (const [name, v] of Object.entries(tiers)) {
    el.append(svg("line", { x1: L, x2: W - 10, y1: y(v), y2: y(v), stroke: "#f2a541", "stroke-dasharray": "4 3" }),
      svg("text", { x: W - 40, y: y(v) - 3 }, name));
  }
  const path = (key, color) => {
    el.append(svg("polyline", { points: points.map((p) => `${x(p.t)},${y(p[key])}`).join(" "), fill: "none", stroke: color, "stroke-width": 2.5 }));
    for (const p of points) el.append(svg("circle", { cx: x(p.t), cy: y(p[key]), r: 3, fill: color }));
  };
  path("fit", "#13315c");
  path("eng", "#0b6e4f");
  const days = Math.round((t1 - t0) / DAY);
  el.append(svg("text", { x: L, y: H - 6 }, `${days} days ago`), svg("text", { x: W - 40, y: H - 6 }, "now"),
    svg("text", { x: L + 90, y: H - 6, fill: "#0b6e4f" }, "— engagement"), svg("text", { x: L + 190, y: H - 6 }, "— fit"));
}

// The A1–D4 grid: fit letter down, engagement level across; this visitor's cell filled.
function grid(r) {
  const el = $("grid");
  el.replaceChildren();
  const S = 50, O = 30;
  const heat = { A1: "#b42318", A2: "#d9480f", B1: "#d9480f", A3: "#f08c00", B2: "#f08c00", C1: "#f08c00" };
  ["A", "B", "C", "D"].forEach((letter, row) => {
    el.append(svg("text", { x: 10, y: O + row * S + S / 2 + 4 }, letter));
    [1, 2, 3, 4].forEach((level, col) => {
      const g = `${letter}${level}`;
      const mine = g === r.grade;
      el.append(svg("rect", { x: O + col * S, y: O + row * S, width: S - 4, height: S - 4, rx: 6,
        fill: mine ? "#0b6e4f" : (heat[g] ? heat[g] + "33" : "#eef0f4"), stroke: mine ? "#13315c" : "none", "stroke-width": 3, "data-cell": g }));
      el.append(svg("text", { x: O + col * S + 14, y: O + row * S + 28, fill: mine ? "#fff" : "#5b6477" }, g));
    });
  });
  [1, 2, 3, 4].forEach((level, col) => el.append(svg("text", { x: O + col * S + 20, y: 20 }, level)));
}

function interests(list) {
  const el = $("interests");
  el.replaceChildren();
  const top = list.slice(0, 6);
  if (!top.length) { el.append(svg("text", { x: 10, y: 20 }, "no interests yet")); return; }
  top.forEach((i, k) => {
    const y = 10 + k * 30;
    el.append(svg("text", { x: 0, y: y + 13 }, i.tag.slice(0, 18)),
      svg("rect", { x: 110, y, width: Math.max(2, i.share * 120), height: 18, rx: 4, fill: "#f2a541" }),
      svg("text", { x: 115 + i.share * 120, y: y + 13 }, `${Math.round(i.share * 100)}%`));
  });
}

function breakdown(r) {
  const rows = [h("tr", {}, h("th", {}, "rule"), h("th", {}, "what"), h("th", {}, "weight × points × decay"), h("th", {}, "points"))];
  for (const p of r.fit.breakdown) {
    rows.push(h("tr", {}, h("td", {}, p.rule), h("td", {}, `${p.field} = ${JSON.stringify(p.value)}`), h("td", {}, "fit"), h("td", { class: `num ${p.points < 0 ? "neg" : ""}` }, p.points)));
  }
  for (const p of r.engagement.breakdown) {
    rows.push(h("tr", {}, h("td", {}, p.rule), h("td", {}, p.url ?? p.action), h("td", {}, `${p.touchpointWeight} × ${p.actionPoints} × ${p.decay}${p.capped ? " (capped)" : ""}${p.untrusted ? " (reported by a browser: 0)" : ""}`), h("td", { class: `num ${p.points < 0 ? "neg" : ""}` }, p.points)));
  }
  if (r.engagement.inactivity) rows.push(h("tr", {}, h("td", {}, "inactivity"), h("td", {}, `${r.engagement.inactivity.daysSinceLastInteraction} days`), h("td", {}, ""), h("td", { class: "num neg" }, r.engagement.inactivity.points)));
  $("breakdown").replaceChildren(...rows);
}

let timer;
for (const id of ["model", "profile", "events", "config"]) {
  $(id).addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(update, 150); });
}
update();
document.documentElement.dataset.ready = "1";
