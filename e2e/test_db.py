"""pwa/js/db.js in real Chromium IndexedDB: the schema, the outbox verbs the Node tests only fake
(tests/js/pwa-fakes.mjs mirrors them; these tests hold the fake to the real thing), and that one
member's data is sealed and out of reach of every other member."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import NewPhone, Server
from playwright.sync_api import Page


@pytest.fixture
def page(server: Server, new_phone: NewPhone) -> Page:
    phone: Page = new_phone("db")
    # Any page of the origin will do; not the app, so nothing else touches the database meanwhile.
    phone.goto(server.url + "/manifest.webmanifest")
    return phone


def run(page: Page, body: str) -> Any:
    """Run `body` in an async function that has `db` (the module, member 7 unlocked with fresh keys) and
    `vault` in scope."""
    return page.evaluate(
        f"""async () => {{
          const db = await import('/js/db.js');
          const vault = await import('/js/vault.js');
          db.useVault(7, await vault.openKeys(vault.newDataSecret()));
          {body}
        }}"""
    )


def test_schema_has_the_stores_and_indexes_the_app_relies_on(page: Page) -> None:
    schema = run(
        page,
        """
        const idb = await db.open();
        const tx = idb.transaction([...idb.objectStoreNames], 'readonly');
        return Object.fromEntries([...idb.objectStoreNames].map((name) => {
          const store = tx.objectStore(name);
          return [name, {key: store.keyPath, auto: store.autoIncrement, indexes: Object.fromEntries(
            [...store.indexNames].map((i) => [i, store.index(i).keyPath]))}];
        }));
        """,
    )
    assert schema == {
        "settings": {"key": None, "auto": False, "indexes": {}},
        "members": {"key": "id", "auto": False, "indexes": {}},
        "meta": {"key": ["m", "k"], "auto": False, "indexes": {}},
        "chunks": {"key": ["m", "c", "n"], "auto": False, "indexes": {}},
        "households": {"key": ["m", "k"], "auto": False, "indexes": {}},
        "records": {"key": ["m", "k"], "auto": False, "indexes": {}},
        "ops": {"key": ["m", "k"], "auto": False, "indexes": {"record": ["m", "r"]}},
        "outbox": {"key": "seq", "auto": True, "indexes": {"member": "m"}},
    }


def test_outbox_keeps_creation_order_and_settles_by_seq(page: Page) -> None:
    result = run(
        page,
        """
        await db.clearAll();
        const {applyOp} = await import('/js/sync/merge.js');
        const seqs = [];
        for (const n of [1, 2, 3]) {
          const op = {id: 'op' + n, record: 'rec' + n, type: 'visit', household: 'hh',
                      clock: `00176371200000${n}-00000`, replica: 'r', kind: 'set',
                      fields: {notes: String(n)}};
          const state = applyOp(null, {...op, author: 7});
          seqs.push(await db.saveLocalOp({op: {...op, author: 7}, wireOp: op, state,
            clock: {replica: 'r', wall: n, counter: 0}, createdAt: n}));
        }
        const before = (await db.listOutbox()).map((e) => [e.seq, e.op.id, e.status, 'author' in e.op]);
        const [first, second, third] = await db.listOutbox();
        await db.discardLocalOp({seq: third.seq, opId: 'op3', recordId: 'rec3'});
        await db.settleOutbox(new Map([
          [first.seq, null],
          [second.seq, {...second, status: 'rejected', code: 'out_of_scope'}],
          [third.seq, {...third, status: 'rejected', code: 'invalid_value'}],
        ]));
        return {
          seqs, before,
          after: (await db.listOutbox()).map((e) => [e.op.id, e.status, e.code]),
          count: await db.countOutbox(),
          clock: await db.getMeta('clock'),
          rec3: await db.getRecord('rec3'),
          rec1: (await db.getRecord('rec1')).fields.notes.author,
        };
        """,
    )
    assert result["seqs"] == sorted(result["seqs"]) and len(set(result["seqs"])) == 3
    assert [row[1:] for row in result["before"]] == [
        ["op1", "pending", False],
        ["op2", "pending", False],
        ["op3", "pending", False],
    ], "the outbox holds the ops as pushed: without the author the phone attached locally"
    assert result["after"] == [["op2", "rejected", "out_of_scope"]], "a discarded entry is not brought back"
    assert result["count"] == 1
    assert result["clock"] == {"replica": "r", "wall": 3, "counter": 0}
    assert result["rec3"] is None, "a new record whose only op was discarded is gone"
    assert result["rec1"] == 7


def test_a_page_that_cannot_be_stored_leaves_nothing_behind(page: Page) -> None:
    result = run(
        page,
        """
        await db.clearAll();
        await db.setMeta({cursor: 'before'});
        let error = null;
        try {
          // a value JSON cannot hold: the page fails while it is sealed, before anything is written
          await db.saveRemoteOps({ops: [], states: [{id: 'rec9', n: 1n}], clock: {}, cursor: 'after'});
        } catch (e) { error = e.name; }
        return {error, cursor: await db.getMeta('cursor'), record: (await db.getRecord('rec9')) ?? null};
        """,
    )
    assert result == {"error": "TypeError", "cursor": "before", "record": None}


def test_meta_values_can_be_set_read_and_deleted(page: Page) -> None:
    result = run(
        page,
        """
        await db.clearAll();
        await db.setMeta({token: 't', member: {id: 7}, lang: 'en'});
        await db.setMeta({lang: undefined});
        return await db.getMetaMany(['token', 'member', 'lang']);
        """,
    )
    assert result == {"token": "t", "member": {"id": 7}, "lang": None}


def test_member_data_is_sealed_and_bound_to_its_member(page: Page) -> None:
    result = run(
        page,
        """
        await db.clearAll();
        const {applyOp} = await import('/js/sync/merge.js');
        const op = {id: 'op1', record: 'rec1', type: 'visit', household: 'hh-secret',
                    clock: '001763712000000-00000', replica: 'r', kind: 'set', fields: {notes: '隐私内容'}};
        const state = applyOp(null, {...op, author: 7});
        const clock = {replica: 'r', wall: 1, counter: 0};
        await db.saveLocalOp({op, wireOp: op, state, clock, createdAt: 1});
        const households = [{id: 'hh-secret', grid: {id: 1}, address: '幸福路8号'}];
        await db.saveHouseholds({households, grids: [1]});
        const mine = db.current();
        const idb = await db.open();
        const raw = {};
        for (const name of ['chunks', 'records', 'ops', 'outbox', 'households', 'meta']) {
          raw[name] = await new Promise((ok) => {
            const r = idb.transaction(name).objectStore(name).getAll(); r.onsuccess = () => ok(r.result);
          });
        }
        const text = JSON.stringify(raw, (k, v) => v instanceof ArrayBuffer || ArrayBuffer.isView(v)
          ? new TextDecoder().decode(v) : v);
        // Another member (8) sees none of it; member 7 with other keys cannot open it.
        db.useVault(8, await vault.openKeys(vault.newDataSecret()));
        const other = {records: await db.listRecords(), outbox: await db.listOutbox(),
                       count: await db.countOutbox()};
        let lockedAfterSwitch = null;
        try { await mine.listRecords(); } catch (e) { lockedAfterSwitch = e.name; }
        db.useVault(7, await vault.openKeys(vault.newDataSecret()));
        let wrongKeys = null;
        try { await db.listRecords(); } catch (e) { wrongKeys = e.name; }
        db.forgetVault();
        let locked = null;
        try { await db.getMeta('clock'); } catch (e) { locked = e.name; }
        return {text, other, lockedAfterSwitch, wrongKeys, locked, count7: await db.countOutboxOf(7)};
        """,
    )
    for secret in ("隐私内容", "幸福路8号", "hh-secret", "rec1", "op1"):
        assert secret not in result["text"], secret
    assert result["other"] == {"records": [], "outbox": [], "count": 0}
    assert result["lockedAfterSwitch"] == "LockedError", "a switched-away member's handle stops working"
    assert result["wrongKeys"] == "OperationError"
    assert result["locked"] == "LockedError"
    assert result["count7"] == 1, "unsynced entries can be counted without a key"
