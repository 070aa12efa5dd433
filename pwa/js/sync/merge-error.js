/**
 * The one error the merge rules raise on well-formed input (malformed ops are a TypeError).
 *
 *   MergeError
 *     code "record_mismatch"  the op (or other state) has another record id, type or household
 *     code "op_conflict"      an op with this id is already in the state with different content
 *
 * The codes are the server's push rejection codes of the same name (docs/sync-protocol.md §4).
 */
export class MergeError extends Error {
  /**
   * @param {'record_mismatch' | 'op_conflict'} code
   * @param {string} message
   */
  constructor(code, message) {
    super(message);
    this.name = 'MergeError';
    this.code = code;
  }
}
