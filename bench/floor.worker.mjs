// The plumbing floor of bench/worker.bench.mjs: a worker that does for
// POST /v1/events and POST /v1/forms/:id what any worker in nurture's place
// must do, with no scoring, no validation and no signing: read and parse the
// body, one RPC to the visitor's Durable Object (its state loaded once, a
// small record appended, one storage.put), one forward of what came in to the
// collector in ctx.waitUntil (as the real worker forwards), a JSON answer.
// The visitor is the id in the nurture_vid cookie, taken as it is (the real
// worker verifies the token's HMAC first). Not deployed; Miniflare only.
import { DurableObject } from "cloudflare:workers";

const RECENT = 50;

export class FloorState extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.state = { n: 0, recent: [] };
    ctx.blockConcurrencyWhile(async () => {
      this.state = (await ctx.storage.get("state")) ?? this.state;
    });
  }

  /** Appends one record and writes the state; the output gate holds the reply until it is stored. */
  append({ kind, count, now }) {
    const st = this.state;
    st.n += count;
    st.recent.push({ kind, count, at: now });
    if (st.recent.length > RECENT) st.recent.shift();
    this.ctx.storage.put("state", st);
    return { n: st.n };
  }
}

const json = (body, status = 200) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

export default {
  async fetch(request, env, ctx) {
    if (request.method !== "POST") return json({ error: "not_found" }, 404);
    const body = JSON.parse(await request.text());
    const token = /(?:^|;\s*)nurture_vid=([^;]+)/.exec(request.headers.get("cookie") ?? "")?.[1] ?? "";
    const visitorId = token.split(".")[2] ?? "anonymous";
    const path = new URL(request.url).pathname;
    const now = Date.now();
    const events = path === "/v1/events";
    const messages = events ? body.events : [{ kind: "signal", visitorId, form: path.slice("/v1/forms/".length), fields: body.fields, at: now }];
    const stub = env.FLOOR.get(env.FLOOR.idFromName(visitorId));
    const { n } = await stub.append({ kind: events ? "events" : "form", count: messages.length, now });
    ctx.waitUntil(
      fetch(env.COLLECTOR_URL, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ batch: messages }) })
        .then((res) => res.arrayBuffer()),
    );
    return json(events ? { visitorId, accepted: messages.length, n } : { visitorId, valid: true, n });
  },
};
