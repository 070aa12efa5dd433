/**
 * One member's collection (records, or households) as chunks: the in-memory bookkeeping, no I/O.
 *
 * Sealing every record in a row of its own made a first sync of 85,000 records 85,000 AES-GCM calls, and
 * every screen re-read and unsealed all of them (docs/performance.md). Here many entries share one sealed
 * row, a *chunk*, numbered in the order chunks were written; an entry in a later chunk replaces the same
 * id's entry in an earlier one, and a `null` item says the id is gone. A write (a pulled page, a saved
 * visit) adds one chunk: nothing already written is sealed again. Reading back is one pass over the
 * chunks in order, once per unlock; after that the collection lives in memory (`items`), and db/member-data.js
 * keeps it and IndexedDB in step.
 *
 * Chunks whose entries have all been replaced are deleted by the write that replaced the last of them.
 * When many chunks are small or mostly replaced, `compaction` merges them into few: their current entries
 * go into new chunks (numbered after every other, which is right, since nothing later holds those ids) and
 * they are deleted. A `null` entry is carried along only while an older chunk outside the merge still
 * holds that id.
 *
 * @template T  an item as the screens get it
 */
export class ChunkLog {
  /** @type {Map<string, {item: T, n: number}>} the current item of each id, and the chunk it is in */
  items = new Map();
  /** @type {Map<string, number>} ids whose latest entry is `null`, and that entry's chunk */
  gone = new Map();
  /** @type {Map<number, Set<string>>} every id each chunk holds an entry for, current or replaced */
  chunks = new Map();
  /** @type {Map<number, number>} how many of each chunk's entries are the latest of their id */
  live = new Map();
  /** the greatest chunk number written (0: none) */
  last = 0;
  /** @type {T[] | null} */
  #list = null;

  /**
   * Takes in one chunk, read back or just written (in increasing order of `n`).
   * @param {number} n
   * @param {[string, T | null][]} entries
   */
  apply(n, entries) {
    this.#list = null;
    const ids = new Set();
    this.chunks.set(n, ids);
    this.live.set(n, 0);
    for (const [id, item] of entries) {
      const before = this.items.get(id)?.n ?? this.gone.get(id);
      if (before !== undefined) this.live.set(before, /** @type {number} */ (this.live.get(before)) - 1);
      ids.add(id);
      this.live.set(n, /** @type {number} */ (this.live.get(n)) + 1);
      if (item === null) {
        this.items.delete(id);
        this.gone.set(id, n);
      } else {
        this.gone.delete(id);
        this.items.set(id, { item, n });
      }
    }
    this.last = Math.max(this.last, n);
  }

  /**
   * The chunks that hold nothing current once `ids` are written again in a new chunk: the write deletes
   * them. (The entries of one chunk have distinct ids.)
   * @param {Iterable<string>} ids
   * @returns {number[]}
   */
  emptiedBy(ids) {
    /** @type {Map<number, number>} */
    const losing = new Map();
    for (const id of ids) {
      const n = this.items.get(id)?.n ?? this.gone.get(id);
      if (n !== undefined) losing.set(n, (losing.get(n) ?? 0) + 1);
    }
    return [...losing].filter(([n, lost]) => this.live.get(n) === lost).map(([n]) => n);
  }

  /** @param {number[]} numbers  chunks deleted from the store */
  forget(numbers) {
    for (const n of numbers) {
      for (const id of this.chunks.get(n) ?? []) if (this.gone.get(id) === n) this.gone.delete(id);
      this.chunks.delete(n);
      this.live.delete(n);
    }
  }

  /**
   * A merge of small or mostly replaced chunks, when it is worth it: which chunks go, and the entries
   * (current items and still-needed `null`s, in id order of their old chunks) to write in their place.
   * @param {{small?: number, most?: number, atLeast?: number}} [limits]
   * @returns {{merged: number[], entries: [string, T | null][]} | null}
   */
  compaction({ small = 256, most = 0.5, atLeast = 8 } = {}) {
    const merged = [...this.chunks.keys()].filter((n) => {
      const size = /** @type {Set<string>} */ (this.chunks.get(n)).size;
      return size < small || /** @type {number} */ (this.live.get(n)) < size * most;
    });
    if (merged.length < atLeast) return null;
    const inMerge = new Set(merged);
    const older = [...this.chunks.keys()].filter((n) => !inMerge.has(n));
    /** @type {[string, T | null][]} */
    const entries = [];
    for (const n of merged.sort((a, b) => a - b)) {
      for (const id of /** @type {Set<string>} */ (this.chunks.get(n))) {
        const current = this.items.get(id);
        if (current?.n === n) entries.push([id, current.item]);
        else if (this.gone.get(id) === n && older.some((o) => o < n && this.chunks.get(o)?.has(id))) entries.push([id, null]);
      }
    }
    return { merged, entries };
  }

  /** @returns {T[]} every current item (the same array until the next change: do not modify it) */
  list() {
    this.#list ??= [...this.items.values()].map((entry) => entry.item);
    return this.#list;
  }

  /** @param {string} id */
  get(id) {
    return this.items.get(id)?.item;
  }
}
