// @ts-check
// The event ids a visitor's Durable Object has taken, for deduplication:
// the newest SEEN_IDS_CAP (`settings.seenCap`), each as a 53-bit hash.
//
// Stored apart from the visitor's state, in chunks of SEEN_CHUNK ids under
// the keys `seen:<n>`, oldest first: a batch rewrites the last chunk (the
// one its ids are appended to) and starts new ones, and deletes a chunk
// once all its ids are older than the newest SEEN_IDS_CAP. Held in the
// state itself, the 1,000 ids of a long-lived visitor (8 KB) were
// rewritten with every batch. A visitor with few ids (SEEN_INLINE) keeps
// them in its state, as before; past that, they move into chunks, and the
// state records which chunks there are (`seenChunks`). The chunks are
// written with the state, in one put, so the object's storage commits
// them together.

/**
 * Which chunks hold a visitor's ids: `seen:<from>` .. `seen:<to - 1>`, the
 * last with `tail` ids, the others full.
 * @typedef {{from: number, to: number, tail: number}} SeenChunks
 */

/** Ids per stored chunk (8 bytes each). */
export const SEEN_CHUNK = 128;

/**
 * Up to this many ids stay in the state itself: a put of one key is
 * cheaper than one of the state and a chunk (in the object's CPU profile
 * of the bench's visitors, 120-200 ids each, the state's put took 12-15 %
 * of a batch with a chunk beside it against 8-9 % inline), and two chunks'
 * worth of ids (2 KB) add little to a state of a few KB.
 */
export const SEEN_INLINE = 2 * SEEN_CHUNK;

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
 * A batch's ids added to the visitor's chunks: the chunks to write (the
 * one the ids are appended to, written again, and any they start) and the
 * keys to delete, for the caller to write with the state in the same
 * synchronous step (one put: storage commits them together, and a put
 * call of its own cost the object about as much as the state's). `chunks`
 * and `tail`: as stored so far. Without them (a state that still holds its
 * ids itself, or an object that does not know its last chunk), `seen` is
 * written whole, to chunks after any there were, which go.
 * @param {SeenChunks | undefined} chunks
 * @param {Float64Array | null} tail
 * @param {Float64Array} seen the ids kept after this batch (`remember`)
 * @param {number[]} added this batch's ids, the end of `seen`
 * @param {number} cap
 * @returns {{chunks: SeenChunks, tail: Float64Array, puts: Record<string, Float64Array>, drop: string[]}}
 */
export function storeSeen(chunks, tail, seen, added, cap) {
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
  /** @type {Record<string, Float64Array>} */
  const puts = {};
  let last = tail && to > from ? tail : new Float64Array(0);
  for (let at = 0; at < pending.length; at += SEEN_CHUNK) {
    last = pending.slice(at, at + SEEN_CHUNK);
    puts[chunkKey(to)] = last;
    to += 1;
  }
  // Chunks whose ids are all older than the newest `cap` go.
  let held = (to - from - 1) * SEEN_CHUNK + last.length;
  while (to - from > 1 && held - SEEN_CHUNK >= cap) {
    drop.push(chunkKey(from));
    from += 1;
    held -= SEEN_CHUNK;
  }
  return { chunks: { from, to, tail: last.length }, tail: last, puts, drop };
}

/**
 * Writes `entries` (not awaited), at most MAX_KEYS a call.
 * @param {DurableObjectStorage} storage
 * @param {Record<string, unknown>} entries
 */
export function putAll(storage, entries) {
  const all = Object.entries(entries);
  if (all.length <= MAX_KEYS) return storage.put(entries);
  for (let i = MAX_KEYS; i < all.length; i += MAX_KEYS) storage.put(Object.fromEntries(all.slice(i, i + MAX_KEYS)));
  return storage.put(Object.fromEntries(all.slice(0, MAX_KEYS)));
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
 * Deletes `keys` (not awaited).
 * @param {DurableObjectStorage} storage
 * @param {string[]} keys
 */
export function dropKeys(storage, keys) {
  for (let i = 0; i < keys.length; i += MAX_KEYS) storage.delete(keys.slice(i, i + MAX_KEYS));
}
