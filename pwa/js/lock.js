/**
 * Named exclusive locks. Writes to the clock, records and outbox read-modify-write state that lives in
 * IndexedDB, so two of them (a save and a pulled page, or two tabs) must not interleave. The Web Locks
 * API covers every tab of the origin; where it is missing (Node in tests) a promise chain covers this one.
 */

/** @type {Map<string, Promise<unknown>>} */
const tails = new Map();

/**
 * @template T
 * @param {string} name
 * @param {() => Promise<T>} work
 * @returns {Promise<T>}
 */
export function withLock(name, work) {
  const locks = globalThis.navigator?.locks;
  if (locks) return /** @type {Promise<T>} */ (locks.request(`lianhu:${name}`, work));
  const previous = tails.get(name) ?? Promise.resolve();
  const result = previous.then(() => work());
  const tail = result.catch(() => {});
  tails.set(name, tail);
  tail.then(() => {
    if (tails.get(name) === tail) tails.delete(name);
  });
  return result;
}
