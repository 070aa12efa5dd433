/**
 * The screens before a member is unlocked: enrollment (登记 / 添加成员), setting the PIN, and the start
 * screen — 选择成员 when several members are enrolled here, else straight to the one member's PIN.
 * Only the plaintext directory of members is read here (db.listMembers, db.countOutboxOf).
 *
 * Drawing them needs no session: app.js imports session.js (login, the sync client) only after the first
 * screen is drawn (issue 8), and these screens ask for it when the member acts — after the passkey or
 * device-key ceremony, never between the tap and the passkey prompt.
 */

import * as db from './db.js';
import { isFresh, proveEnrollment, requestPersistence, startEnrollment } from './enrollment.js';
import { t } from './i18n/index.js';
import { HOME, MEMBER_ROUTES } from './router.js';
import { enrollScreen } from './ui/enroll-screen.js';
import { memberPicker } from './ui/member-picker.js';
import { pinSetup } from './ui/pin-setup.js';
import { showToast } from './ui/toast.js';
import { unlockScreen } from './ui/unlock-screen.js';

/**
 * @param {{api: import('./api.js').Api, session: () => Promise<import('./session.js').Session>,
 *          navigate: (hash: string) => void, shown: () => Promise<void>, requestSync: () => void}} deps
 *   session: the session, once its module is loaded; shown: the session changed (a member enrolled or
 *   unlocked): redraw header and screen
 */
export function createStartScreens({ api, session, navigate, shown, requestSync }) {
  /**
   * Enrollment step 2, straight from the tap on 登记: with a fresh step 1 nothing is awaited before the
   * passkey prompt.
   * @param {{code: string, start: any, label: string, shared: boolean}} args
   * @param {any[]} members  enrolled here: the same member again passes their old device (§1)
   */
  async function enroll({ code, start, label, shared }, members) {
    const ceremony = start ?? (await startEnrollment(api, code));
    const existing = members.find((member) => member.id === ceremony.member.id) ?? null;
    const previousDevice = existing?.device.id ?? null;
    const pending = await proveEnrollment({ api, start: ceremony, label, shared, previousDevice, origin: location.origin });
    await (await session()).enrolled({ pending, existing });
    history.replaceState(null, '', HOME);
    await shown();
    if (!(await db.getSetting('persisted'))) await db.setSettings({ persisted: await requestPersistence() });
  }

  /** @param {string} code */
  async function enrollFor(code) {
    const members = await db.listMembers();
    return enrollScreen({
      prefill: code,
      members,
      start: (typed) => startEnrollment(api, typed),
      isFresh: (start) => isFresh(start, start?.code),
      enroll: (args) => enroll(args, members),
      onCancel:
        members.length > 0
          ? () => session().then((started) => navigate(started.state.data ? '#/me' : '#/members'), () => navigate('#/members'))
          : undefined,
    });
  }

  /** @param {{pending: any, existing: any}} enrolling */
  async function pinSetupFor({ pending, existing }) {
    const name = pending.answer.member.name;
    return pinSetup({
      name,
      again: Boolean(existing),
      unsynced: existing ? await db.countOutboxOf(existing.id) : 0,
      onSet: async (pin) => {
        await (await session()).setPin(pin);
        showToast(t('enroll.welcome', { name }));
        history.replaceState(null, '', HOME);
        await shown();
      },
    });
  }

  /** @param {{name: string, id?: string}} route */
  async function startScreenFor(route) {
    const members = await db.listMembers();
    if (members.length === 0) return enrollFor('');
    const counts = await Promise.all(members.map((member) => db.countOutboxOf(member.id)));
    const only = members.length === 1 && route.name !== 'members' ? members[0] : null;
    const picked = route.name === 'unlock' ? members.find((member) => String(member.id) === route.id) : only;
    if (!picked) {
      return memberPicker({
        members: members.map((entry, i) => ({ entry, unsynced: counts[i] })),
        onPick: (id) => navigate(`#/unlock/${id}`),
        onAdd: () => navigate('#/enroll'),
      });
    }
    return unlockScreen({
      member: picked,
      unsynced: counts[members.indexOf(picked)],
      others: members.length > 1,
      onUnlock: async (pin) => {
        const result = await (await session()).unlock(picked.id, pin);
        if (result.status === 'ok') {
          if (!MEMBER_ROUTES.has(route.name) || route.fallback) history.replaceState(null, '', HOME);
          await shown();
          requestSync();
        }
        return result;
      },
      onMembers: () => navigate('#/members'),
      onEnroll: () => navigate('#/enroll'),
    });
  }

  return { enroll: enrollFor, pinSetup: pinSetupFor, start: startScreenFor };
}
