// @ts-check
// The pipeline's operator routes (ADMIN_TOKEN bearer, never from a browser),
// over the lead index (handoff/leads.js):
// GET /v1/admin/export/leads[?all=true]: JSON Lines, one lead record a line
//   in the shape calibration reads, `{id, profile, events, converted, now}`
//   (handoff/object.js's leadRecord), for the leads with an outcome (all
//   leads with `all=true`: those without one are `converted: false`);
//   streamed in pages of the index, so an export of any size holds one page
//   in memory.
// GET /v1/admin/metrics: MQLs this month and last, the lead velocity rate,
//   MQL → accepted conversion, leads per grade, recycled leads, the median
//   time to acceptance (LeadTable.metrics).

import { HttpError } from "../errors.js";
import { json } from "../http.js";
import { visitorStub } from "../identity.js";
import { leadIndex } from "../handoff/leads.js";
import { authorize } from "./admin.js";

/**
 * @typedef {import("../config.js").Env} Env
 */

const PAGE = 50;

/**
 * @param {URL} url
 * @param {string[]} allowed
 */
function onlyParams(url, allowed) {
  for (const key of url.searchParams.keys()) {
    if (!allowed.includes(key)) throw new HttpError("unknown_field", `unknown query parameter "${key.slice(0, 40)}"`, { field: key.slice(0, 40) });
  }
}

/**
 * @param {Request} request
 * @param {Env} env
 */
export async function exportLeads(request, env) {
  await authorize(request, env);
  const url = new URL(request.url);
  onlyParams(url, ["all"]);
  const all = url.searchParams.get("all");
  if (all !== null && all !== "true" && all !== "false") throw new HttpError("invalid_field", "all: true or false", { field: "all" });
  const labelled = all !== "true";
  const index = leadIndex(env);
  const encoder = new TextEncoder();
  let after = "";
  let done = false;
  const body = new ReadableStream({
    async pull(controller) {
      if (done) return;
      const ids = await index.indexList({ after, limit: PAGE, labelled });
      if (ids.length === 0) {
        done = true;
        controller.close();
        return;
      }
      after = ids[ids.length - 1];
      const records = await Promise.all(ids.map((visitorId) => visitorStub(env, visitorId).exportLead()));
      const lines = records.filter((r) => r !== null).map((r) => `${JSON.stringify(r)}\n`).join("");
      if (lines) controller.enqueue(encoder.encode(lines));
    },
  });
  return new Response(body, { headers: { "content-type": "application/x-ndjson; charset=utf-8", "cache-control": "no-store" } });
}

/**
 * @param {Request} request
 * @param {Env} env
 */
export async function pipelineMetrics(request, env) {
  await authorize(request, env);
  onlyParams(new URL(request.url), []);
  return json(await leadIndex(env).indexMetrics(Date.now()), 200, { "cache-control": "no-store" });
}
