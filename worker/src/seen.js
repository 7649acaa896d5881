// @ts-check
// The event ids a visitor's Durable Object has taken, for deduplication:
// the newest SEEN_IDS_CAP (`settings.seenCap`), each as a 53-bit hash.
//
// Stored apart from the visitor's state, in chunks of SEEN_CHUNK ids under
// the keys `seen:<n>`, oldest first: a batch rewrites the last chunk (the
// one its ids are appended to) and starts new ones, and deletes a chunk
// once all its ids are older than the newest SEEN_IDS_CAP. Held in the
// state itself, the 1,000 ids of a long-lived visitor (8 KB) were
// rewritten with every batch: 9.6 SQLite page writes (`pwrite64`) per
// batch against the plumbing floor's 2 (BENCHMARKS.md). The state records
// which chunks there are (`seenChunks`); one stored before that holds its
// ids itself (`seen`) and moves them into chunks on its next batch. The
// chunks are written with the state, without an await in between, so
// the object's storage commits them together.

/**
 * Which chunks hold a visitor's ids: `seen:<from>` .. `seen:<to - 1>`, the
 * last with `tail` ids, the others full.
 * @typedef {{from: number, to: number, tail: number}} SeenChunks
 */

/** Ids per stored chunk (8 bytes each). */
export const SEEN_CHUNK = 128;

/** @param {number} n */
const chunkKey = (n) => `seen:${n}`;

// storage.get, put and delete take at most 128 keys a call.
const MAX_KEYS = 128;

/**
 * An event id as kept for dedup: a 53-bit hash (cyrb53), 8 bytes however
 * long the id (a messageId may have 200 characters). Two ids of one
 * visitor's last SEEN_IDS_CAP share a hash with a chance of about
 * n² / 2^54 (6e-11 for 1,000); such an event would be taken as a duplicate.
 * @param {string} id
 */
export function seenKey(id) {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/**
 * `seen` with `keys` appended, the oldest dropped beyond `cap`.
 * @param {Float64Array} seen
 * @param {number[]} keys
 * @param {number} cap
 */
export function remember(seen, keys, cap) {
  const all = new Float64Array(seen.length + keys.length);
  all.set(seen);
  all.set(keys, seen.length);
  return all.length > cap ? all.slice(all.length - cap) : all;
}

/**
 * The ids stored in `chunks`, oldest first (up to SEEN_CHUNK - 1 more than
 * the newest SEEN_IDS_CAP, which the caller keeps), and the last chunk's
 * ids (what the next batch appends to).
 * @param {DurableObjectStorage} storage
 * @param {SeenChunks} chunks
 * @returns {Promise<{seen: Float64Array, tail: Float64Array}>}
 */
export async function loadSeen(storage, chunks) {
  const keys = chunkKeys(chunks);
  /** @type {Float64Array[]} */
  const parts = [];
  for (let i = 0; i < keys.length; i += MAX_KEYS) {
    const group = keys.slice(i, i + MAX_KEYS);
    /** @type {Map<string, Float64Array>} */
    const got = await storage.get(group);
    for (const key of group) parts.push(got.get(key) ?? new Float64Array(0));
  }
  const seen = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    seen.set(p, at);
    at += p.length;
  }
  return { seen, tail: parts.at(-1) ?? new Float64Array(0) };
}

/**
 * Writes a batch's ids to the visitor's chunks (not awaited: the caller
 * writes the state in the same synchronous step, and storage commits them
 * together). `chunks` and `tail`: as stored so far. Without them (a state
 * that still holds its ids itself, or an object that does not know its
 * last chunk), `seen` is written whole, to chunks after any there were,
 * which go. Answers the new chunks and the last one's ids.
 * @param {DurableObjectStorage} storage
 * @param {SeenChunks | undefined} chunks
 * @param {Float64Array | null} tail
 * @param {Float64Array} seen the ids kept after this batch (`remember`)
 * @param {number[]} added this batch's ids, the end of `seen`
 * @param {number} cap
 * @returns {{chunks: SeenChunks, tail: Float64Array}}
 */
export function storeSeen(storage, chunks, tail, seen, added, cap) {
  /** @type {string[]} */
  const drop = [];
  let from;
  let to;
  let pending;
  if (!chunks || !tail) {
    if (chunks) drop.push(...chunkKeys(chunks));
    from = chunks?.to ?? 0;
    to = from;
    pending = seen;
  } else {
    ({ from, to } = chunks);
    // A last chunk with room is written again, with the new ids after its own.
    const open = to > from && tail.length < SEEN_CHUNK ? tail : new Float64Array(0);
    if (open.length) to -= 1;
    pending = new Float64Array(open.length + added.length);
    pending.set(open);
    pending.set(added, open.length);
  }
  /** @type {[string, Float64Array][]} */
  const puts = [];
  let last = tail && to > from ? tail : new Float64Array(0);
  for (let at = 0; at < pending.length; at += SEEN_CHUNK) {
    last = pending.slice(at, at + SEEN_CHUNK);
    puts.push([chunkKey(to), last]);
    to += 1;
  }
  // Chunks whose ids are all older than the newest `cap` go.
  let held = (to - from - 1) * SEEN_CHUNK + last.length;
  while (to - from > 1 && held - SEEN_CHUNK >= cap) {
    drop.push(chunkKey(from));
    from += 1;
    held -= SEEN_CHUNK;
  }
  for (let i = 0; i < puts.length; i += MAX_KEYS) storage.put(Object.fromEntries(puts.slice(i, i + MAX_KEYS)));
  dropKeys(storage, drop);
  return { chunks: { from, to, tail: last.length }, tail: last };
}

/**
 * Deletes the chunks (not awaited).
 * @param {DurableObjectStorage} storage
 * @param {SeenChunks | undefined} chunks
 */
export function dropSeen(storage, chunks) {
  if (chunks) dropKeys(storage, chunkKeys(chunks));
}

/** @param {SeenChunks} chunks */
function chunkKeys({ from, to }) {
  const keys = [];
  for (let n = from; n < to; n++) keys.push(chunkKey(n));
  return keys;
}

/**
 * @param {DurableObjectStorage} storage
 * @param {string[]} keys
 */
function dropKeys(storage, keys) {
  for (let i = 0; i < keys.length; i += MAX_KEYS) storage.delete(keys.slice(i, i + MAX_KEYS));
}
