// Starts nurture on the demo site: the page-only build from /pkg/page/ (the
// page runtime alone), the site's personalization config and the built-in
// scoring model, compiled (/nurture/site.nrc: read without parsing JSON).
// Options from the page: ?consent=required, ?endpoint=https://edge.example,
// ?debug=0 hides the debug panel, ?config=json loads the JSON site config
// instead, through the light browser build (/pkg/browser/: the page-only
// build refuses JSON), and ?build=browser the compiled config through that
// build (the start-up benchmark compares the three).
const params = new URLSearchParams(location.search);
const root = document.documentElement;

// Anti-flicker: the inline snippet in <head> hid the slots (only them) while
// the page parsed; now each waiting slot is marked, and the runtime shows it
// decided or, after at most 300 ms, as it is.
const hiddenAt = Number(root.dataset.nurtureHiddenAt) || Date.now();
for (const el of document.querySelectorAll("[data-nurture-slot]:not([data-nurture-applied])")) {
  el.setAttribute("data-nurture-pending", "");
}
root.removeAttribute("data-nurture-loading");
const failsafe = setTimeout(() => {
  for (const el of document.querySelectorAll("[data-nurture-pending]")) el.removeAttribute("data-nurture-pending");
}, Math.max(0, 300 - (Date.now() - hiddenAt)));

const meta = (name) => document.querySelector(`meta[name="nurture:${name}"]`)?.content;
const consentMode = params.get("consent") || meta("consent") || "implied";
// Behind nurture's edge worker (it embeds its decisions in the page), events
// go back to the same origin; otherwise only where the page says.
const behindEdge = document.getElementById("nurture-decisions") !== null;
const endpoint = params.get("endpoint") || meta("endpoint") || (behindEdge ? location.origin : undefined);

// The config downloads and the wasm compiles (streaming, as its bytes
// arrive) while the glue module loads: the inline script in <head>
// (`window.nurtureEarly`) started both while the page parsed, after the
// <link rel="preload"> hints had started the downloads. An edge that
// embeds the compiled config in the page (#nurture-config, base64) saves
// the download.
const early = window.nurtureEarly ?? {};
const embedded = document.getElementById("nurture-config")?.textContent?.trim();
const asJson = params.get("config") === "json";
const fetched = (url, read) => fetch(url).then((r) => (r.ok ? r[read]() : Promise.reject(new Error(r.statusText))));
const config = asJson ? fetched("/nurture/site-config.json", "json")
  : embedded || early.config || fetched("/nurture/site.nrc", "arrayBuffer");
// A compiled config that arrived while the wasm loaded goes to start() as
// it is: start() reads it at once and decides the slots before it returns
// (a promise is read a task later, after a frame with the slots still
// hidden). Until it arrives, start() takes the promise.
let arrived = typeof config === "string" ? config : null;
if (!asJson && arrived === null) config.then((bytes) => { arrived = bytes; }, () => {});
const build = asJson || params.get("build") === "browser" ? "/pkg/browser" : "/pkg/page";
const wasm = `${build}/nurture_bg.wasm`;
const compiled = early.wasm === wasm ? early.module : WebAssembly.compileStreaming(fetch(wasm));
const { default: init, start } = await import(`${build}/index.js`);
await init({ module_or_path: compiled });
clearTimeout(failsafe);
const nurture = start({
  config: arrived ?? config,
  model: null,
  endpoint,
  consent: consentMode,
  hiddenAt,
});
window.nurture = nurture;

// The banner and the debug panel come a task later: the slots are
// decided first, and painted without waiting for them.
setTimeout(() => {
  if (consentMode === "required" && !nurture.state().consent) consentBanner();
  if (params.get("debug") !== "0") debugPanel();
});

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) node.append(c); // strings become text nodes, never HTML
  return node;
}

function consentBanner() {
  const yes = el("button", { class: "button", "data-consent": "yes" }, "Allow");
  const no = el("button", { class: "button secondary", "data-consent": "no" }, "No thanks");
  const bar = el("div", { class: "nurture-consent", role: "dialog", "aria-label": "Personalization consent" },
    el("span", {}, "May we remember what you read here to tailor this site? Nothing is stored until you agree."), yes, no);
  yes.onclick = () => { nurture.consent(true); bar.remove(); };
  no.onclick = () => bar.remove();
  document.body.append(bar);
}

function debugPanel() {
  const panel = el("aside", { class: "nurture-debug", "aria-label": "nurture debug panel" });
  const toggle = el("button", { class: "nurture-debug-toggle", title: "Show or hide the nurture debug panel" }, "nurture");
  toggle.onclick = () => panel.toggleAttribute("hidden");
  document.body.append(panel, toggle);
  const render = (s) => {
    const score = s.score ?? {};
    const decisions = s.decisions?.decisions ?? [];
    // The live visitor's score: totals per engagement rule (fit is a number).
    const rows = (score.rules ?? []).filter((r) => r.events > 0)
      .map((r) => [`engagement · ${r.rule} ×${r.events}${r.untrusted ? ` (${r.untrusted} back-office only)` : ""}`, r.points]);
    const interests = (score.interests ?? []).slice(0, 5);
    panel.replaceChildren(
      el("h4", {}, "nurture · visitor ", el("code", {}, s.visitorId.slice(0, 8))),
      el("div", { class: "nd-big" },
        el("span", { class: `nd-grade nd-${score.tier}`, "data-grade": score.grade ?? "" }, score.grade ?? "–"),
        el("span", {}, `fit ${score.fit ?? 0} · engagement ${score.engagement ?? 0}`)),
      el("dl", {},
        el("dt", {}, "tier"), el("dd", { "data-tier": score.tier ?? "" }, score.tier ?? "–"),
        el("dt", {}, "stage"), el("dd", {}, score.stage ?? "–"),
        el("dt", {}, "segment"), el("dd", { "data-segment": s.decisions?.primarySegment ?? "" }, s.decisions?.primarySegment ?? "none"),
        el("dt", {}, "consent"), el("dd", {}, s.consent ? "granted" : (s.globalPrivacyControl ? "no (GPC)" : "not given")),
        el("dt", {}, "events"), el("dd", {}, `${s.events} kept · ${s.unsent} unsent`)),
      el("h5", {}, "Top interests"),
      el("div", { class: "nd-bars" }, ...interests.map((i) => el("div", { class: "nd-bar" },
        el("span", {}, i.tag), el("i", { style: `width:${Math.round(i.share * 100)}%` }), el("b", {}, `${Math.round(i.share * 100)}%`)))),
      el("h5", {}, "Per-rule breakdown"),
      el("table", {}, ...rows.map(([k, v]) => el("tr", {}, el("td", {}, k), el("td", { class: v < 0 ? "neg" : "" }, String(Math.round(v * 100) / 100))))),
      el("h5", {}, "Slots"),
      el("ul", {}, ...decisions.map((d) => el("li", {}, `${d.slot} → ${d.variant} (${d.reason.kind}${d.reason.segment ? ": " + d.reason.segment : ""})`))),
      ...(s.reset ? [el("p", { class: "neg" }, `stored state was reset (${s.reset})`)] : []),
    );
  };
  // Called at once with the current state, then after every change.
  nurture.onChange(render);
}
