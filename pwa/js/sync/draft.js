/**
 * Draft: the merge rules, applied to one private mutable copy of a record state; twin of the Python
 * `sync/builder.py` (prose in sync/INTERNALS.md), held to it by the vectors in sync/vectors/.
 *
 * A register keeps its winner and the MAX_OVERWRITTEN most recent losers by (clock, replica, op id); older
 * writes drop out. A draft indexes what the state still shows of each op (kind, stamp, author, and the fields
 * a set op is still visible in): that index finds an op seen before, and checks that an op id is not reused
 * for other content. An op whose every write has dropped out is forgotten; delivered again, it drops out
 * again, which changes nothing. An erase op (only the server makes one) turns the state into a husk that
 * keeps only its stamp and absorbs every other op of the record; of two erase ops the greater stamp stays.
 * merge.js (applyOp, applyOps, mergeStates) is the public face of this module.
 */

import { compareStamps } from './clock.js';
import { MergeError } from './merge-error.js';

/** @typedef {import('./types.js').Op} Op */
/** @typedef {import('./types.js').State} State */
/** @typedef {import('./types.js').Register} Register */
/** @typedef {import('./types.js').Write} Write */
/** @typedef {import('./types.js').Entry} Entry */
/** @typedef {{kind: import('./types.js').OpKind, clock: string, replica: string, author: number | null,
 *              places: Set<string> | string | null}} Seen */

/**
 * How many losing writes a register keeps (sync/record.py MAX_OVERWRITTEN): the most recent ones. Older
 * losers stay in the server's op log, GET /api/records/{id}/history.
 */
export const MAX_OVERWRITTEN = 4;
const KEEP = MAX_OVERWRITTEN + 1;

export class Draft {
  /** @type {State | null} */
  state;
  /** @type {Map<string, Seen>} op id -> what the state shows of it */
  seen = new Map();

  /**
   * @param {State | null} state  copied, never changed
   * @throws {MergeError} "op_conflict" when `state` shows one op id with inconsistent content
   */
  constructor(state) {
    this.state = state === null ? null : structuredClone(state);
    if (this.state !== null) this.#index(this.state);
  }

  /**
   * Fold one op in; on an error the draft is as it was.
   * @param {Op} op  not modified
   */
  apply(op) {
    if (this.state === null) {
      this.state = { id: op.record, type: op.type, household: op.household, fields: {}, logs: {}, deleted: null };
    } else {
      checkSameRecord(this.state, { id: op.record, type: op.type, household: op.household }, `op ${op.id}`);
    }
    this.#fold(op, null);
  }

  /**
   * Fold in every op `other` shows (each with the writes it still has).
   * @param {State} other  not modified
   */
  merge(other) {
    const source = new Draft(other);
    if (this.state === null) {
      this.state = source.state;
      this.seen = source.seen;
      return;
    }
    checkSameRecord(this.state, other, `state ${other.id}`);
    for (const op of source.views()) this.#fold(op, source);
  }

  /**
   * @param {Op} op
   * @param {Draft | null} source  the state `op` was read from when merging
   */
  #fold(op, source) {
    const state = /** @type {State} */ (this.state);
    const prior = this.seen.get(op.id);
    if (op.kind === 'erase') {
      this.#erase(op, prior);
    } else if (state.erased !== undefined) {
      // A husk absorbs every other op; only reusing the erase op's id is an error.
      if (prior !== undefined) this.#again(prior, op, source);
    } else if (prior === undefined) {
      this.#add(op);
    } else {
      this.#again(prior, op, source);
    }
  }

  /**
   * An erase op: the record becomes a husk of the greatest erase stamp (sync/INTERNALS.md, "Erasure").
   * @param {Op} op
   * @param {Seen | undefined} prior  what the state shows under the op's id
   */
  #erase(op, prior) {
    const state = /** @type {State} */ (this.state);
    const erased = state.erased;
    if (prior !== undefined) {
      this.#again(prior, op, null); // the same erase op again (maybe with its author now), or a conflict
      return;
    }
    if (erased !== undefined && compareStamps(op, erased) < 0) return;
    const author = op.author ?? null;
    this.state = {
      id: state.id,
      type: state.type,
      household: state.household,
      fields: {},
      logs: {},
      deleted: null,
      erased: { op: op.id, clock: op.clock, replica: op.replica, author },
    };
    this.seen = new Map([[op.id, { kind: 'erase', clock: op.clock, replica: op.replica, author, places: null }]]);
  }

  /**
   * The state, names in sorted order; the draft must not be used afterwards.
   * @returns {State | null}
   */
  result() {
    const state = this.state;
    if (state !== null) {
      state.fields = sortedKeys(state.fields);
      state.logs = sortedKeys(state.logs);
    }
    return state;
  }

  /**
   * The ops the state shows, a set op with only the writes its registers kept; values shared with the draft.
   * @returns {Op[]}
   */
  views() {
    const state = /** @type {State} */ (this.state);
    const header = { record: state.id, type: state.type, household: state.household };
    return [...this.seen].map(([id, seen]) => {
      /** @type {Op} */
      const op = { id, ...header, clock: seen.clock, replica: seen.replica, kind: seen.kind };
      if (seen.places instanceof Set) {
        op.fields = Object.fromEntries([...seen.places].sort().map((name) => [name, this.#writeOf(name, id).value]));
      } else if (typeof seen.places === 'string') {
        op.field = seen.places;
        op.value = this.#entryOf(seen.places, id).value;
      }
      if (seen.author !== null) op.author = seen.author;
      return op;
    });
  }

  /** @param {State} state */
  #index(state) {
    if (state.erased !== undefined) {
      this.#see(state.erased.op, 'erase', state.erased, null); // a husk shows nothing else
      return;
    }
    for (const [name, register] of Object.entries(state.fields)) {
      for (const write of writesOf(register)) this.#see(write.op, 'set', write, name);
    }
    for (const [name, entries] of Object.entries(state.logs)) {
      for (const entry of entries) this.#see(entry.id, 'append', entry, name);
    }
    if (state.deleted !== null) {
      for (const write of writesOf(state.deleted)) {
        if (typeof write.value !== 'boolean') {
          throw new TypeError(`the deleted register holds true or false, got ${JSON.stringify(write.value)}`);
        }
        this.#see(write.op, write.value ? 'delete' : 'restore', write, null);
      }
    }
  }

  /**
   * @param {string} id
   * @param {import('./types.js').OpKind} kind
   * @param {{clock: string, replica: string, author: number | null}} stamp
   * @param {string | null} place
   */
  #see(id, kind, { clock, replica, author }, place) {
    const known = this.seen.get(id);
    if (known === undefined) {
      this.seen.set(id, { kind, clock, replica, author, places: kind === 'set' ? new Set([/** @type {string} */ (place)]) : place });
      return;
    }
    // Only a set op shows up in more than one place, and all its writes share one stamp and author.
    const consistent = kind === 'set' && known.kind === 'set' && known.clock === clock && known.replica === replica
      && known.author === author && known.places instanceof Set && !known.places.has(/** @type {string} */ (place));
    if (!consistent) {
      throw new MergeError('op_conflict',
        `state ${this.state?.id} holds op ${id} twice with different content (again in ${place ?? 'deleted'})`);
    }
    /** @type {Set<string>} */ (known.places).add(/** @type {string} */ (place));
  }

  /** @param {Op} op  an op the state does not show */
  #add(op) {
    const state = /** @type {State} */ (this.state);
    const author = op.author ?? null;
    const stamp = { clock: op.clock, replica: op.replica, op: op.id, author };
    /** @type {Set<string> | string | null} */
    let places = null;
    if (op.kind === 'set') {
      places = new Set();
      for (const [name, value] of Object.entries(/** @type {Record<string, any>} */ (op.fields))) {
        const write = { value: structuredClone(value), ...stamp };
        if (!Object.hasOwn(state.fields, name)) {
          state.fields[name] = { ...write, overwritten: [] };
        } else {
          const { register, kept } = this.#insert(state.fields[name], write, name);
          state.fields[name] = register;
          if (!kept) continue;
        }
        places.add(name);
      }
      if (places.size === 0) return;
    } else if (op.kind === 'append') {
      const name = /** @type {string} */ (op.field);
      places = name;
      const entry = { id: op.id, value: structuredClone(op.value), clock: op.clock, replica: op.replica, author };
      const entries = Object.hasOwn(state.logs, name) ? state.logs[name] : (state.logs[name] = []);
      let at = entries.length;
      while (at > 0 && compareStamps(entries[at - 1], entry) > 0) at--;
      entries.splice(at, 0, entry);
    } else {
      const write = { value: op.kind === 'delete', ...stamp };
      if (state.deleted === null) {
        state.deleted = { ...write, overwritten: [] };
      } else {
        const { register, kept } = this.#insert(state.deleted, write, null);
        state.deleted = register;
        if (!kept) return;
      }
    }
    this.seen.set(op.id, { kind: op.kind, clock: op.clock, replica: op.replica, author, places });
  }

  /**
   * Last writer wins by (clock, replica, op id); the KEEP greatest writes stay.
   * @param {Register} register
   * @param {Write} write
   * @param {string | null} place  the field, or null for the tombstone
   * @returns {{register: Register, kept: boolean}}
   */
  #insert(register, write, place) {
    const writes = writesOf(register);
    let at = writes.length;
    while (at > 0 && compareStamps(writes[at - 1], write) > 0) at--;
    writes.splice(at, 0, write);
    let kept = true;
    if (writes.length > KEEP) {
      const dropped = /** @type {Write} */ (writes.shift());
      if (dropped === write) kept = false;
      else this.#forget(dropped.op, place);
    }
    const winner = /** @type {Write} */ (writes.pop());
    return { register: { ...winner, overwritten: writes }, kept };
  }

  /**
   * A write of op `id` dropped out of `place`; the op is forgotten when it shows nowhere any more.
   * @param {string} id
   * @param {string | null} place
   */
  #forget(id, place) {
    const seen = /** @type {Seen} */ (this.seen.get(id));
    if (seen.places instanceof Set && place !== null) {
      seen.places.delete(place);
      if (seen.places.size > 0) return;
    }
    this.seen.delete(id);
  }

  /**
   * The op id is one the state shows: the same op again changes nothing (but may bring its author, which
   * the server attaches: null never beats a member id), another op under that id is an error.
   * @param {Seen} prior
   * @param {Op} op
   * @param {Draft | null} source  the state `op` was read from when merging (it may lack dropped writes)
   */
  #again(prior, op, source) {
    const differ = this.#differences(prior, op, source);
    if (differ.length > 0) {
      throw new MergeError('op_conflict',
        `op ${op.id} is already in record ${this.state?.id} with another ${differ.join(', ')}`);
    }
    if (prior.author === null && (op.author ?? null) !== null) this.#fillAuthor(op.id, prior, /** @type {number} */ (op.author));
  }

  /**
   * @param {Seen} prior
   * @param {Op} op
   * @param {Draft | null} source
   * @returns {string[]}
   */
  #differences(prior, op, source) {
    const differ = /** @type {const} */ (['kind', 'clock', 'replica']).filter((key) => prior[key] !== op[key]);
    if (differ.length > 0) return differ;
    const now = op.author ?? null;
    if (prior.author !== null && now !== null && prior.author !== now) differ.push(`author (${prior.author}, now ${now})`);
    if (prior.places instanceof Set) {
      differ.push(...this.#fieldDifferences(prior.places, op, source));
    } else if (typeof prior.places === 'string') {
      if (prior.places !== op.field) differ.push(`log (${prior.places}, now ${op.field})`);
      else if (!jsonEqual(this.#entryOf(prior.places, op.id).value, op.value)) differ.push('value');
    }
    return differ;
  }

  /**
   * Where a set op's fields disagree with what the state shows of it. A write may be missing on one side
   * only if that side's register is full of greater writes (it would have dropped it).
   * @param {Set<string>} shown
   * @param {Op} op
   * @param {Draft | null} source
   * @returns {string[]}
   */
  #fieldDifferences(shown, op, source) {
    const state = /** @type {State} */ (this.state);
    const fields = op.fields ?? {};
    const differ = [];
    for (const name of [...shown].sort()) {
      if (Object.hasOwn(fields, name)) {
        if (!jsonEqual(this.#writeOf(name, op.id).value, fields[name])) differ.push(`value of field ${name}`);
      } else if (source === null || !droppable(fieldOf(/** @type {State} */ (source.state), name), op)) {
        differ.push(`set of fields (without ${name})`);
      }
    }
    for (const name of Object.keys(fields).sort()) {
      if (!shown.has(name) && !droppable(fieldOf(state, name), op)) differ.push(`set of fields (with ${name})`);
    }
    return differ;
  }

  /**
   * @param {string} id
   * @param {Seen} prior
   * @param {number} author
   */
  #fillAuthor(id, prior, author) {
    const state = /** @type {State} */ (this.state);
    const registers = prior.places instanceof Set ? [...prior.places].map((name) => state.fields[name])
      : prior.places === null && state.deleted !== null ? [state.deleted] : [];
    for (const register of registers) {
      for (const write of [register, ...register.overwritten]) if (write.op === id) write.author = author;
    }
    if (typeof prior.places === 'string') this.#entryOf(prior.places, id).author = author;
    if (prior.kind === 'erase' && state.erased !== undefined) state.erased.author = author;
    prior.author = author;
  }

  /** @param {string} name @param {string} id @returns {Write} */
  #writeOf(name, id) {
    return /** @type {Write} */ (writesOf(/** @type {State} */ (this.state).fields[name]).find((w) => w.op === id));
  }

  /** @param {string} name @param {string} id @returns {Entry} */
  #entryOf(name, id) {
    return /** @type {Entry} */ (/** @type {State} */ (this.state).logs[name].find((e) => e.id === id));
  }
}

/**
 * A register's writes, ascending: the losers, then the winner (objects shared with the register).
 * @param {Register} register
 * @returns {Write[]}
 */
export function writesOf(register) {
  const { overwritten, ...winner } = register;
  return [...overwritten, winner];
}

/** @param {State} state @param {string} name @returns {Register | null} */
function fieldOf(state, name) {
  return Object.hasOwn(state.fields, name) ? state.fields[name] : null;
}

/**
 * Whether a register would not keep a write with this stamp: it is full of greater writes.
 * @param {Register | null} register
 * @param {Op} op
 */
function droppable(register, op) {
  return register !== null && register.overwritten.length >= MAX_OVERWRITTEN
    && compareStamps(op, register.overwritten[0] ?? register) < 0;
}

/**
 * Keys sorted, so equal states also serialize alike. fromEntries defines own properties: a field called
 * "constructor" is an ordinary field.
 * @template T
 * @param {Record<string, T>} obj
 * @returns {Record<string, T>}
 */
function sortedKeys(obj) {
  return Object.fromEntries(Object.entries(obj).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
}

/**
 * JSON equality: object key order does not matter, array order does.
 * @param {unknown} a
 * @param {unknown} b
 * @returns {boolean}
 */
export function jsonEqual(a, b) {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => jsonEqual(x, b[i]));
  }
  const keys = Object.keys(a);
  return (
    keys.length === Object.keys(b).length &&
    keys.every((k) => Object.hasOwn(b, k) && jsonEqual(/** @type {any} */ (a)[k], /** @type {any} */ (b)[k]))
  );
}

/**
 * @param {{id: string, type: string, household: string}} state
 * @param {{id: string, type: string, household: string}} other
 * @param {string} what  for the message
 */
export function checkSameRecord(state, other, what) {
  for (const key of /** @type {const} */ (['id', 'type', 'household'])) {
    if (state[key] !== other[key]) {
      const name = key === 'id' ? 'record' : key;
      throw new MergeError(
        'record_mismatch',
        `${what} has ${name} ${JSON.stringify(other[key])}, ` +
          `but record ${state.id} has ${JSON.stringify(state[key])}`,
      );
    }
  }
}
