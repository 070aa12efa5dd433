/**
 * Hybrid logical clock 混合逻辑时钟 (docs/sync-protocol.md §3.1; Kulkarni, Demirbas et al., "Logical
 * Physical Clocks", 2014). A clock is a wall part (ms since the epoch) and a counter, encoded as a
 * fixed-width string so that string order is clock order: "001763712000000-00003".
 *
 * Errors (the same split as the Python twin's sync/errors.py):
 *   ClockError                 the clock refused an event and kept its state; stable `code`:
 *     "clock_drift"            a remote wall more than maxDriftMs ahead of physical time
 *     "counter_overflow"       the counter would reach 100000
 *   SyntaxError                a clock string that is not "LLLLLLLLLLLLLLL-CCCCC" (as JSON.parse would)
 *   RangeError / TypeError     bad arguments (programming errors)
 */

/** @typedef {import('./types.js').Stamped} Stamped */

export const MAX_WALL = 1e15; // exclusive: 15 decimal digits
export const MAX_COUNTER = 100000; // exclusive: 5 decimal digits
export const DEFAULT_MAX_DRIFT_MS = 86400000; // 24 h, as LIANHU_MAX_CLOCK_AHEAD_SECONDS

const CLOCK_PATTERN = /^(\d{15})-(\d{5})$/;
const REPLICA_PATTERN = /^[0-9a-z]{1,32}$/;

export class ClockError extends Error {
  /**
   * @param {'clock_drift' | 'counter_overflow'} code
   * @param {string} message
   */
  constructor(code, message) {
    super(message);
    this.name = 'ClockError';
    this.code = code;
  }
}

/**
 * @param {string} name
 * @param {unknown} value
 * @param {number} limit  exclusive upper bound
 */
function checkInteger(name, value, limit) {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value >= limit) {
    throw new RangeError(`${name} must be an integer in [0, ${limit}), got ${JSON.stringify(value)}`);
  }
}

/**
 * @param {number} wall     ms since the epoch, 0 ≤ wall < 1e15
 * @param {number} counter  0 ≤ counter < 100000
 * @returns {string} e.g. "001763712000000-00003"
 */
export function encodeClock(wall, counter) {
  checkInteger('wall', wall, MAX_WALL);
  checkInteger('counter', counter, MAX_COUNTER);
  return `${String(wall).padStart(15, '0')}-${String(counter).padStart(5, '0')}`;
}

/**
 * @param {string} s
 * @returns {{wall: number, counter: number}}
 * @throws {SyntaxError} quoting `s` when it is not a clock string
 */
export function decodeClock(s) {
  const match = typeof s === 'string' ? CLOCK_PATTERN.exec(s) : null;
  if (!match) {
    throw new SyntaxError(
      `expected a clock like "001763712000000-00003" (15 digits, "-", 5 digits), got ${JSON.stringify(s)}`,
    );
  }
  return { wall: Number(match[1]), counter: Number(match[2]) };
}

/**
 * Total order of events: (clock, replica, op id) compared as plain strings (§3.1). The third key is `op`
 * on register writes and `id` on ops and log entries.
 * @param {Stamped} a
 * @param {Stamped} b
 * @returns {-1 | 0 | 1}
 */
export function compareStamps(a, b) {
  const keysA = [a.clock, a.replica, a.op ?? a.id ?? ''];
  const keysB = [b.clock, b.replica, b.op ?? b.id ?? ''];
  for (let i = 0; i < 3; i++) {
    if (keysA[i] < keysB[i]) return -1;
    if (keysA[i] > keysB[i]) return 1;
  }
  return 0;
}

/**
 * One replica's clock. `now()` stamps a local or send event, `observe()` a receive event. Both leave the
 * state unchanged when they throw.
 */
export class HybridClock {
  #replica;
  #wall;
  #counter;
  #maxDriftMs;

  /**
   * @param {string} replica  the device id from enrollment, [0-9a-z]{1,32}
   * @param {{wall?: number, counter?: number, maxDriftMs?: number}} [options]
   */
  constructor(replica, { wall = 0, counter = 0, maxDriftMs = DEFAULT_MAX_DRIFT_MS } = {}) {
    if (typeof replica !== 'string' || !REPLICA_PATTERN.test(replica)) {
      throw new TypeError(`replica must match [0-9a-z]{1,32}, got ${JSON.stringify(replica)}`);
    }
    checkInteger('wall', wall, MAX_WALL);
    checkInteger('counter', counter, MAX_COUNTER);
    checkInteger('maxDriftMs', maxDriftMs, MAX_WALL);
    this.#replica = replica;
    this.#wall = wall;
    this.#counter = counter;
    this.#maxDriftMs = maxDriftMs;
  }

  get replica() { return this.#replica; }
  get wall() { return this.#wall; }
  get counter() { return this.#counter; }

  /**
   * Local or send event: l = max(l, pt); c = c + 1 if l did not move, else 0.
   * @param {number} physicalMs  Date.now() + server offset (§3.1)
   * @returns {string} the new clock
   * @throws {ClockError} code "counter_overflow"
   */
  now(physicalMs) {
    checkInteger('physicalMs', physicalMs, MAX_WALL);
    const wall = Math.max(this.#wall, physicalMs);
    const counter = wall === this.#wall ? this.#counter + 1 : 0;
    return this.#commit(wall, counter);
  }

  /**
   * Receive event for a remote clock: l = max(l, l_m, pt); c from whichever of l and l_m reached the new
   * l (both: max(c, c_m) + 1), or 0 when physical time alone moved it.
   * @param {string} remoteClock
   * @param {number} physicalMs
   * @returns {string} the new clock
   * @throws {ClockError} "clock_drift" (remote wall > physical + maxDriftMs), "counter_overflow"
   * @throws {SyntaxError} a malformed remote clock
   */
  observe(remoteClock, physicalMs) {
    checkInteger('physicalMs', physicalMs, MAX_WALL);
    const remote = decodeClock(remoteClock);
    if (remote.wall > physicalMs + this.#maxDriftMs) {
      throw new ClockError(
        'clock_drift',
        `remote clock ${remoteClock} is ${remote.wall - physicalMs} ms ahead of physical time ` +
          `${physicalMs}; at most ${this.#maxDriftMs} ms is allowed`,
      );
    }
    const wall = Math.max(this.#wall, remote.wall, physicalMs);
    let counter = 0;
    if (wall === this.#wall && wall === remote.wall) counter = Math.max(this.#counter, remote.counter) + 1;
    else if (wall === this.#wall) counter = this.#counter + 1;
    else if (wall === remote.wall) counter = remote.counter + 1;
    return this.#commit(wall, counter);
  }

  /**
   * @param {number} wall
   * @param {number} counter
   */
  #commit(wall, counter) {
    if (counter >= MAX_COUNTER) {
      throw new ClockError(
        'counter_overflow',
        `clock counter would reach ${counter} at wall ${wall}; it must stay below ${MAX_COUNTER}`,
      );
    }
    const clock = encodeClock(wall, counter);
    this.#wall = wall;
    this.#counter = counter;
    return clock;
  }

  /** @returns {{replica: string, wall: number, counter: number}} */
  toJSON() {
    return { replica: this.#replica, wall: this.#wall, counter: this.#counter };
  }

  /**
   * @param {{replica: string, wall: number, counter: number}} obj  as toJSON() returns it
   * @param {{maxDriftMs?: number}} [options]  not persisted: a setting, not state
   */
  static fromJSON(obj, { maxDriftMs = DEFAULT_MAX_DRIFT_MS } = {}) {
    return new HybridClock(obj.replica, { wall: obj.wall, counter: obj.counter, maxDriftMs });
  }
}
