"""The attack of issue 9, hole 6, in Chromium: a script running in the app's origin on a logged-out phone
can *use* the member's device key (it sits in IndexedDB, non-extractable but usable), yet without the
member's PIN the server refuses its login, and five wrong guesses lock the device on the server, whatever
the page's own PIN counter says."""

from __future__ import annotations

from typing import Any

from conftest import NewPhone, Server
from phone import PIN, by_testid, enroll
from playwright.sync_api import expect

# What such a script can do: read the member entry, sign a login challenge with the device key, and (for
# a guessed PIN) derive a PIN proof exactly as the app would. `null` sends no proof at all.
TRY_PINS = """async (pins) => {
  const { listMembers } = await import('/js/db.js');
  const { signChallenge } = await import('/js/device-key.js');
  const { pinLoginKey, pinProof } = await import('/js/vault.js');
  const [member] = await listMembers();
  const post = (path, body) => fetch(path, {method: 'POST', headers: {'Content-Type': 'application/json'},
                                            body: JSON.stringify(body)});
  const answer = async (response) => ({status: response.status,
                                       error: (await response.json()).error ?? null});
  const results = [];
  for (const pin of pins) {
    const start = await post('/api/login/start', {device: member.device.id});
    if (start.status !== 200) {
      results.push(await answer(start));
      continue;
    }
    const {ceremony, device_key: {challenge}} = await start.json();
    const body = {ceremony, session: 'token',
                  signature: await signChallenge(member.deviceKey, 'login', location.origin, challenge)};
    if (pin !== null) {
      body.pin_proof = await pinProof(await pinLoginKey(pin, member.pinLogin), location.origin, challenge);
    }
    results.push(await answer(await post('/api/login/device-key', body)));
  }
  return results;
}"""


def try_pins(page: Any, *pins: str | None) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = page.evaluate(TRY_PINS, list(pins))
    return results


def test_a_script_with_the_device_key_but_not_the_pin_cannot_log_in(
    server: Server, new_phone: NewPhone
) -> None:
    member = server.add_member("吴敏", server.cli_json("grid", "list")[0]["id"])
    page = new_phone("wu-min")  # no WebAuthn: a device key
    enroll(page, server.url, server.code_for(member["id"]))
    (device,) = server.query("SELECT id FROM devices WHERE member_id = ?", (member["id"],))
    # The member locks the app and the session is gone: nobody is unlocked, no PIN key is in memory.
    page.reload()
    expect(page.locator(by_testid("unlock-screen"))).to_be_visible()
    page.context.clear_cookies()

    right, unproven = try_pins(page, PIN, None)
    guesses = try_pins(page, "000000", "111111", "246810", "999999", "424242")
    after = try_pins(page, PIN)

    assert right["status"] == 200, right  # the script would get in with the PIN…
    assert (unproven["status"], unproven["error"]["code"]) == (400, "pin_required")  # …and not without it
    assert [g["error"]["code"] for g in guesses] == ["wrong_pin"] * 4 + ["pin_locked"]
    assert [g["error"].get("attempts_left") for g in guesses[:4]] == [4, 3, 2, 1]
    assert (after[0]["status"], after[0]["error"]["code"]) == (401, "unauthenticated")  # locked for good
    (locked,) = server.query("SELECT locked_at FROM devices WHERE id = ?", (device["id"],))
    assert locked["locked_at"] is not None
    kinds = [
        row["kind"] for row in server.query("SELECT kind FROM audit_log WHERE device_id = ?", (device["id"],))
    ]
    assert kinds.count("pin_failed") == 4 and kinds.count("pin_lockout") == 1, kinds
