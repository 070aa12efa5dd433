// An in-memory IndexedDB, just enough of it for pwa/js/db/ (not a test file: node --test picks up
// *.test.mjs only). It keeps what the storage layer relies on: one version upgrade, object stores with key
// paths (arrays too) and autoIncrement, indexes, key ranges, the key order of the spec (numbers < strings <
// arrays), values cloned in and out, and transactions that are all or nothing — writes are held until the
// transaction commits, which it does by itself once it has no request left and the event loop turns (so a
// transaction kept waiting on anything else, as on WebCrypto, is committed early and its next request
// throws TransactionInactiveError, as in a browser); a failed request (add of an existing key) or abort()
// discards all of it.

const TYPE = (/** @type {any} */ k) => (typeof k === 'number' ? 0 : typeof k === 'string' ? 1 : Array.isArray(k) ? 2 : 3);

/** @param {any} a @param {any} b @returns {number} */
export function compareKeys(a, b) {
  const ta = TYPE(a);
  const tb = TYPE(b);
  if (ta !== tb) return ta - tb;
  if (ta === 2) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const c = compareKeys(a[i], b[i]);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

class KeyRange {
  /** @param {any} lower @param {any} upper @param {boolean} lowerOpen @param {boolean} upperOpen */
  constructor(lower, upper, lowerOpen = false, upperOpen = false) {
    Object.assign(this, { lower, upper, lowerOpen, upperOpen });
  }
  /** @param {any} key */
  includes(key) {
    const self = /** @type {any} */ (this);
    const lo = self.lower === undefined ? 1 : compareKeys(key, self.lower);
    const hi = self.upper === undefined ? -1 : compareKeys(key, self.upper);
    return (self.lowerOpen ? lo > 0 : lo >= 0) && (self.upperOpen ? hi < 0 : hi <= 0);
  }
  static bound(/** @type {any} */ l, /** @type {any} */ u, lo = false, uo = false) { return new KeyRange(l, u, lo, uo); }
  static only(/** @type {any} */ k) { return new KeyRange(k, k); }
  static lowerBound(/** @type {any} */ l, open = false) { return new KeyRange(l, undefined, open, false); }
  static upperBound(/** @type {any} */ u, open = false) { return new KeyRange(undefined, u, false, open); }
}

/** @param {any} query */
const matcher = (query) => (query === undefined || query === null ? () => true : query instanceof KeyRange ? (/** @type {any} */ k) => query.includes(k) : (/** @type {any} */ k) => compareKeys(k, query) === 0);
/** @param {any} value @param {string | string[]} path */
const keyOf = (value, path) => (Array.isArray(path) ? path.map((p) => value[p]) : value[path]);
const id = (/** @type {any} */ key) => JSON.stringify(key);

class Store {
  /** @param {string} name @param {{keyPath?: string | string[], autoIncrement?: boolean}} options */
  constructor(name, { keyPath, autoIncrement = false } = {}) {
    this.name = name;
    this.keyPath = keyPath;
    this.autoIncrement = autoIncrement;
    /** @type {Map<string, {key: any, value: any}>} */
    this.rows = new Map();
    /** @type {Map<string, string | string[]>} */
    this.indexes = new Map();
    this.next = 1;
  }
  /** @param {string} name @param {string | string[]} keyPath */
  createIndex(name, keyPath) {
    this.indexes.set(name, keyPath);
  }
}

class Request {
  /** @type {any} */ result = undefined;
  /** @type {any} */ error = null;
  /** @type {(() => void) | null} */ onsuccess = null;
  /** @type {(() => void) | null} */ onerror = null;
}

class Transaction {
  /** @param {FakeDatabase} db @param {string[]} names @param {string} mode */
  constructor(db, names, mode) {
    this.db = db;
    this.names = new Set(names);
    this.mode = mode;
    /** @type {Map<string, Map<string, {key: any, value: any} | null>>} writes not yet committed */
    this.pending = new Map();
    this.requests = 0;
    this.state = 'active';
    /** @type {any} */ this.error = null;
    /** @type {(() => void) | null} */ this.oncomplete = null;
    /** @type {(() => void) | null} */ this.onabort = null;
    this.#settleSoon();
  }

  #settleSoon() {
    setImmediate(() => {
      if (this.state === 'active' && this.requests === 0) this.#commit();
    });
  }

  #commit() {
    this.state = 'done';
    for (const [name, writes] of this.pending) {
      const store = /** @type {Store} */ (this.db.stores.get(name));
      for (const [k, row] of writes) row === null ? store.rows.delete(k) : store.rows.set(k, row);
    }
    setImmediate(() => this.oncomplete?.());
  }

  abort() {
    if (this.state !== 'active') throw new DOMException('the transaction has finished', 'InvalidStateError');
    this.state = 'done';
    this.pending.clear();
    this.error ??= new DOMException('aborted', 'AbortError');
    setImmediate(() => this.onabort?.());
  }

  /** @param {string} name */
  objectStore(name) {
    if (!this.names.has(name)) throw new DOMException(`${name} is not in this transaction`, 'NotFoundError');
    return new StoreHandle(this, /** @type {Store} */ (this.db.stores.get(name)));
  }

  /** @param {() => any} work @returns {Request} */
  request(work) {
    if (this.state !== 'active') throw new DOMException('the transaction is not active', 'TransactionInactiveError');
    const request = new Request();
    this.requests += 1;
    let failed = null;
    try {
      request.result = work();
    } catch (error) {
      failed = error;
    }
    setImmediate(() => {
      this.requests -= 1;
      if (this.state !== 'active') return;
      if (failed) {
        request.error = failed;
        this.error = failed;
        request.onerror?.();
        if (this.state === 'active') this.abort();
        return;
      }
      request.onsuccess?.();
      this.#settleSoon();
    });
    return request;
  }

  /** @param {Store} store @returns {{key: any, value: any}[]} committed rows with this transaction's writes, by key */
  rows(store) {
    const merged = new Map(store.rows);
    for (const [k, row] of this.pending.get(store.name) ?? []) row === null ? merged.delete(k) : merged.set(k, row);
    return [...merged.values()].sort((a, b) => compareKeys(a.key, b.key));
  }

  /** @param {Store} store @param {any} key @param {{key: any, value: any} | null} row */
  write(store, key, row) {
    if (this.mode !== 'readwrite') throw new DOMException('read-only transaction', 'ReadOnlyError');
    if (!this.pending.has(store.name)) this.pending.set(store.name, new Map());
    /** @type {Map<string, any>} */ (this.pending.get(store.name)).set(id(key), row);
  }
}

class StoreHandle {
  /** @param {Transaction} tx @param {Store} store */
  constructor(tx, store) {
    this.tx = tx;
    this.store = store;
  }
  /** @param {any} query */
  #select(query) {
    const match = matcher(query);
    return this.tx.rows(this.store).filter((row) => match(row.key));
  }
  get(/** @type {any} */ key) { return this.tx.request(() => structuredClone(this.#select(key)[0]?.value)); }
  getAll(/** @type {any} */ query, /** @type {number} */ count) {
    return this.tx.request(() => this.#select(query).slice(0, count || undefined).map((row) => structuredClone(row.value)));
  }
  getAllKeys(/** @type {any} */ query) { return this.tx.request(() => this.#select(query).map((row) => row.key)); }
  count(/** @type {any} */ query) { return this.tx.request(() => this.#select(query).length); }
  openKeyCursor(/** @type {any} */ query, direction = 'next') {
    return this.tx.request(() => {
      const rows = this.#select(query);
      const row = direction === 'prev' ? rows.at(-1) : rows[0];
      return row ? { key: row.key, primaryKey: row.key } : null;
    });
  }
  /** @param {any} value @param {boolean} adding */
  #write(value, adding) {
    return this.tx.request(() => {
      const copy = structuredClone(value);
      let key = this.store.keyPath === undefined ? undefined : keyOf(copy, this.store.keyPath);
      if (key === undefined && this.store.autoIncrement) {
        key = this.store.next++;
        copy[/** @type {string} */ (this.store.keyPath)] = key;
      } else if (typeof key === 'number' && this.store.autoIncrement) this.store.next = Math.max(this.store.next, key + 1);
      if (adding && this.#select(key).length > 0) throw new DOMException(`key ${id(key)} exists`, 'ConstraintError');
      this.tx.write(this.store, key, { key, value: copy });
      return key;
    });
  }
  put(/** @type {any} */ value) { return this.#write(value, false); }
  add(/** @type {any} */ value) { return this.#write(value, true); }
  delete(/** @type {any} */ query) {
    return this.tx.request(() => {
      for (const row of this.#select(query)) this.tx.write(this.store, row.key, null);
    });
  }
  clear() { return this.delete(undefined); }
  /** @param {string} name */
  index(name) {
    const path = /** @type {string | string[]} */ (this.store.indexes.get(name));
    const select = (/** @type {any} */ query) => {
      const match = matcher(query);
      return this.tx
        .rows(this.store)
        .map((row) => ({ row, ik: keyOf(row.value, path) }))
        .filter(({ ik }) => ik !== undefined && match(ik))
        .sort((a, b) => compareKeys(a.ik, b.ik) || compareKeys(a.row.key, b.row.key))
        .map(({ row }) => row);
    };
    return {
      get: (/** @type {any} */ q) => this.tx.request(() => structuredClone(select(q)[0]?.value)),
      getAll: (/** @type {any} */ q) => this.tx.request(() => select(q).map((row) => structuredClone(row.value))),
      getAllKeys: (/** @type {any} */ q) => this.tx.request(() => select(q).map((row) => row.key)),
      count: (/** @type {any} */ q) => this.tx.request(() => select(q).length),
    };
  }
}

class FakeDatabase {
  /** @param {string} name */
  constructor(name) {
    this.name = name;
    this.version = 0;
    /** @type {Map<string, Store>} */
    this.stores = new Map();
    /** @type {(() => void) | null} */ this.onversionchange = null;
  }
  get objectStoreNames() {
    const names = [...this.stores.keys()];
    return Object.assign(names, { contains: (/** @type {string} */ n) => this.stores.has(n) });
  }
  /** @param {string} name @param {any} options */
  createObjectStore(name, options) {
    const store = new Store(name, options);
    this.stores.set(name, store);
    return store;
  }
  /** @param {string} name */
  deleteObjectStore(name) {
    this.stores.delete(name);
  }
  /** @param {string | string[]} names @param {string} [mode] */
  transaction(names, mode = 'readonly') {
    const list = Array.isArray(names) ? names : [names];
    for (const name of list) if (!this.stores.has(name)) throw new DOMException(`no store ${name}`, 'NotFoundError');
    return new Transaction(this, list, mode);
  }
  close() {}
}

/** A fresh IndexedDB; `install()` puts it (and IDBKeyRange) on globalThis for pwa/js/db/schema.js. */
export function fakeIndexedDB() {
  /** @type {Map<string, FakeDatabase>} */
  const databases = new Map();
  const factory = {
    databases,
    /** @param {string} name @param {number} version */
    open(name, version) {
      const request = /** @type {any} */ (new Request());
      setImmediate(() => {
        const db = databases.get(name) ?? new FakeDatabase(name);
        databases.set(name, db);
        request.result = db;
        if (version > db.version) {
          const oldVersion = db.version;
          db.version = version;
          request.onupgradeneeded?.({ oldVersion, newVersion: version });
        }
        request.onsuccess?.();
      });
      return request;
    },
    install() {
      Object.assign(globalThis, { indexedDB: factory, IDBKeyRange: KeyRange });
      return factory;
    },
  };
  return factory;
}
