// The dead-letter store: one Durable Object ("global") whose storage holds
// every message that could not be delivered, keyed by message id (so a
// message dead-lettered twice is filed once), until a replay delivers it.
// A Durable Object rather than KV: replay reads, sends and deletes, and needs
// to see its own deletes at once (KV is eventually consistent), and the
// dead-letter path is rare enough that one object's throughput is plenty.

import { DurableObject } from "cloudflare:workers";

const PREFIX = "dl:";

export class DeadLetterStore extends DurableObject {
  async add(items) {
    const filed = ((await this.ctx.storage.get("filed")) ?? 0) + items.length;
    await this.ctx.storage.put("filed", filed);
    for (let i = 0; i < items.length; i += 128) {
      const entries = {};
      for (const item of items.slice(i, i + 128)) {
        entries[PREFIX + item.body.id] = { ...item, failedAt: Date.now() };
      }
      await this.ctx.storage.put(entries);
    }
    return items.length;
  }

  async list(limit = 100) {
    const map = await this.ctx.storage.list({ prefix: PREFIX, limit });
    return [...map.values()];
  }

  async remove(ids) {
    for (let i = 0; i < ids.length; i += 128) {
      await this.ctx.storage.delete(ids.slice(i, i + 128).map((id) => PREFIX + id));
    }
    return ids.length;
  }

  /** How many messages were ever filed (a message filed twice counts twice). */
  async filed() {
    return (await this.ctx.storage.get("filed")) ?? 0;
  }

  async count() {
    let n = 0;
    let start;
    for (;;) {
      const page = await this.ctx.storage.list({ prefix: PREFIX, startAfter: start, limit: 1000 });
      n += page.size;
      if (page.size < 1000) return n;
      start = [...page.keys()].pop();
    }
  }
}
