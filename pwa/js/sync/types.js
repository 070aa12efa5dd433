/**
 * Shapes shared by the sync twin (docs/sync-protocol.md §3). Types only: this module exports nothing at
 * run time; import it in JSDoc as `import('./types.js').Op`.
 *
 * @typedef {null | boolean | number | string | JsonValue[] | {[key: string]: JsonValue}} JsonValue
 *
 * @typedef {'set' | 'append' | 'delete' | 'restore' | 'erase'} OpKind
 *
 * One change to one record (§3.2). `author` is attached by the server (member id); ops the client makes
 * have none. `erase` ops are made only by the server: they empty the record for good (§3.3).
 * @typedef {object} Op
 * @property {string} id          UUIDv7; also the id of the log entry an `append` creates
 * @property {string} record      UUIDv7 of the record changed
 * @property {string} type        record type, e.g. "visit"
 * @property {string} household   household the record belongs to
 * @property {string} clock       HLC stamp, "LLLLLLLLLLLLLLL-CCCCC"
 * @property {string} replica     device id, [0-9a-z]{1,32}
 * @property {OpKind} kind
 * @property {{[field: string]: JsonValue}} [fields]  `set` only: field -> new value
 * @property {string} [field]     `append` only: the log appended to
 * @property {JsonValue} [value]  `append` only: the entry
 * @property {number | null} [author]
 *
 * Anything ordered by (clock, replica, id-or-op), see compareStamps in clock.js.
 * @typedef {{clock: string, replica: string, id?: string, op?: string}} Stamped
 *
 * One write to a register: the winner or one of the losers.
 * @typedef {object} Write
 * @property {JsonValue} value
 * @property {string} clock
 * @property {string} replica
 * @property {string} op          id of the op that wrote it
 * @property {number | null} author
 *
 * A last-writer-wins register: the winning write plus the MAX_OVERWRITTEN (4) most recent losing writes,
 * ascending by (clock, replica, op); older losers are only in the server's op log.
 * @typedef {Write & {overwritten: Write[]}} Register
 *
 * One entry of an append-only log; `id` is the id of the op that appended it.
 * @typedef {object} Entry
 * @property {string} id
 * @property {JsonValue} value
 * @property {string} clock
 * @property {string} replica
 * @property {number | null} author
 *
 * The stamp of the erase op that emptied a record: all its husk keeps.
 * @typedef {object} Erasure
 * @property {string} op          id of the erase op
 * @property {string} clock
 * @property {string} replica
 * @property {number | null} author
 *
 * The materialized record (§3.3), exactly the JSON the server returns. An erased record's husk has
 * `erased` and nothing in fields, logs or deleted; other states have no `erased` key.
 * @typedef {object} State
 * @property {string} id
 * @property {string} type
 * @property {string} household
 * @property {{[field: string]: Register}} fields
 * @property {{[field: string]: Entry[]}} logs      each ascending by (clock, replica, id)
 * @property {Register | null} deleted              tombstone: true = deleted, false = restored
 * @property {Erasure} [erased]                      set on an erased record's husk
 */

export {};
