// The pipeline page: reads GET /v1/admin/metrics from the edge worker in
// front of this site (same origin: a GET with no Origin header, as the
// operator routes require) with the operator's token, and draws the figures
// as plain SVG. Every drawn figure carries its number in data-value, so a
// test (tests/e2e/pipeline.test.mjs) can read what the marketer sees.
const SVG = "http://www.w3.org/2000/svg";
const $ = (sel) => document.querySelector(sel);

function el(name, attrs, text) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

function show(metric, text, value) {
  const node = $(`[data-metric="${metric}"]`);
  node.textContent = text;
  node.dataset.value = value === null || value === undefined ? "" : String(value);
}

function duration(seconds) {
  if (seconds === null) return "–";
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.round(seconds / 360) / 10} h`;
  return `${Math.round(seconds / 8640) / 10} d`;
}

function months(svg, byMonth) {
  svg.replaceChildren();
  const max = Math.max(1, ...byMonth.map((m) => m.mqls));
  const w = 360 / byMonth.length;
  byMonth.forEach((m, i) => {
    const h = (m.mqls / max) * 140;
    svg.append(el("rect", { x: i * w + 8, y: 160 - h, width: w - 16, height: h, fill: i === byMonth.length - 1 ? "#0b6e4f" : "#9cc7b8", "data-month": m.month, "data-value": m.mqls }));
    svg.append(el("text", { x: i * w + w / 2, y: 154 - h, "text-anchor": "middle" }, String(m.mqls)));
    svg.append(el("text", { x: i * w + w / 2, y: 180, "text-anchor": "middle" }, m.month.slice(2)));
  });
}

function grades(svg, counts) {
  svg.replaceChildren();
  const max = Math.max(1, ...Object.values(counts));
  ["A", "B", "C", "D"].forEach((fit, row) => {
    svg.append(el("text", { x: 14, y: 48 + row * 44, "text-anchor": "middle" }, fit));
    [1, 2, 3, 4].forEach((eng, col) => {
      const grade = `${fit}${eng}`;
      const n = counts[grade] ?? 0;
      const x = 30 + col * 80;
      const y = 22 + row * 44;
      svg.append(el("rect", { x, y, width: 76, height: 40, rx: 6, fill: `rgba(11,110,79,${0.08 + 0.92 * (n / max)})`, "data-grade": grade, "data-value": n }));
      svg.append(el("text", { x: x + 38, y: y + 25, "text-anchor": "middle", style: n / max > 0.5 ? "fill: #fff" : "" }, `${grade}: ${n}`));
    });
  });
  [1, 2, 3, 4].forEach((eng, col) => svg.append(el("text", { x: 68 + col * 80, y: 14, "text-anchor": "middle" }, `engagement ${eng}`.replace("engagement", eng === 1 ? "engagement" : "eng."))));
}

function funnel(svg, { qualified, accepted }) {
  svg.replaceChildren();
  const max = Math.max(1, qualified);
  [["MQLs", qualified, "#9cc7b8"], ["Accepted", accepted, "#0b6e4f"]].forEach(([label, n, fill], i) => {
    svg.append(el("text", { x: 0, y: 32 + i * 50 }, label));
    svg.append(el("rect", { x: 80, y: 14 + i * 50, width: Math.max(2, (n / max) * 240), height: 28, fill, "data-stage": label, "data-value": n }));
    svg.append(el("text", { x: 86 + Math.max(2, (n / max) * 240), y: 32 + i * 50 }, String(n)));
  });
}

function render(m) {
  show("mqls.thisMonth", String(m.mqls.thisMonth), m.mqls.thisMonth);
  show("mqls.lastMonth", String(m.mqls.lastMonth), m.mqls.lastMonth);
  show("mqls.leadVelocityRate", m.mqls.leadVelocityRate === null ? "n/a" : `${m.mqls.leadVelocityRate > 0 ? "+" : ""}${m.mqls.leadVelocityRate} %`, m.mqls.leadVelocityRate);
  show("mqls.lvrDetail", m.mqls.leadVelocityRate === null ? "no MQLs last month" : "(this − last) / last", null);
  show("conversion.rate", m.conversion.rate === null ? "–" : `${Math.round(m.conversion.rate * 1000) / 10} %`, m.conversion.rate);
  show("conversion.detail", `${m.conversion.accepted} of ${m.conversion.qualified} MQLs`, m.conversion.accepted);
  show("recycled.leads", String(m.recycled.leads), m.recycled.leads);
  show("recycled.detail", `${m.recycled.recycles} recycles`, m.recycled.recycles);
  show("timeToAcceptance.median", duration(m.timeToAcceptance.medianSeconds), m.timeToAcceptance.medianSeconds);
  months($("#months"), m.mqls.byMonth);
  grades($("#grades"), m.grades);
  funnel($("#funnel"), m.conversion);
}

async function load(token) {
  const main = $("#pipeline");
  main.dataset.state = "loading";
  $("#status").textContent = "Loading…";
  $("#status").className = "muted";
  try {
    const res = await fetch("/v1/admin/metrics", { headers: { authorization: `Bearer ${token}` }, cache: "no-store" });
    const body = await res.json();
    if (!res.ok) throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
    render(body);
    $("#status").textContent = `As of ${new Date(body.at).toLocaleString()}, ${body.leads} leads`;
    main.dataset.state = "ready";
  } catch (err) {
    $("#status").textContent = String(err instanceof Error ? err.message : err);
    $("#status").className = "error";
    main.dataset.state = "error";
  }
}

$("#token-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const token = $("#token").value.trim();
  sessionStorage.setItem("nurture-operator-token", token);
  load(token);
});
const saved = sessionStorage.getItem("nurture-operator-token");
if (saved) {
  $("#token").value = saved;
  load(saved);
}
