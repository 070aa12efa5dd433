// A small grid world for the Today and household tests: households as GET /api/households gives them and
// record states built from ops with the real merge (pwa/js/sync/merge.js), stamped at fixed times.
// Not a test file (node --test picks up *.test.mjs only).

import { applyOp } from '../../pwa/js/sync/merge.js';

export const ME = 7;
export const COLLEAGUE = 9;
export const LEADER = 2;

let serial = 0;
const hex12 = (/** @type {number} */ n) => n.toString(16).padStart(12, '0');

/** A record id of the UUIDv7 form. @param {number} n */
export const recordId = (n) => `019aa5e2-0000-7000-9000-${hex12(n)}`;

/** "2026-11-27T09:00+08:00" → clock string. @param {string} iso */
export const clockOf = (iso) => `${String(Date.parse(iso)).padStart(15, '0')}-00000`;

/**
 * @param {{record: string, type: string, household: string, at: string, author?: number,
 *          fields?: Record<string, any>, field?: string, value?: any, kind?: string}} change
 */
export function op({ record, type, household, at, author = ME, kind, fields, field, value }) {
  serial += 1;
  const made = kind ?? (fields ? 'set' : field ? 'append' : 'delete');
  return {
    id: `019aa5e2-0000-7000-8000-${hex12(serial)}`,
    record,
    type,
    household,
    clock: clockOf(at),
    replica: `r${author}`,
    kind: made,
    ...(made === 'set' ? { fields } : {}),
    ...(made === 'append' ? { field, value } : {}),
    author,
  };
}

/** @param {any[]} ops */
export const build = (ops) => ops.reduce((state, o) => applyOp(state, o), null);

/**
 * @param {string} id @param {Record<string, any>} overrides
 */
export function household(id, overrides = {}) {
  return {
    id,
    grid: { id: 12, name: '第3网格' },
    address: `幸福里小区1号楼1单元${id.slice(-3)}`,
    building: '1号楼',
    unit: '1单元',
    room: id.slice(-3),
    head: `户主${id.slice(-1)}`,
    phone: '13800000000',
    tags: [],
    care_level: 'green',
    residents: [],
    contact_card: null,
    info_sheet: null,
    health: null,
    income: null,
    emergency_contact: null,
    curtain_round: false,
    covered_by: [ME],
    ...overrides,
  };
}

/** @param {string} hh @param {string} date @param {number} n @param {Record<string, any>} [extra] */
export const visit = (hh, date, n, extra = {}) =>
  build([op({ record: recordId(n), type: 'visit', household: hh, at: `${date}T10:00:00+08:00`, fields: { date, items: [], ...extra } })]);

/** The phone at 2026-11-30 10:15 in Jinan (UTC+8). */
export const NOW = Date.parse('2026-11-30T10:15:00+08:00');

export const RULES = {
  curtain_deadlines: { 12: '09:30', 13: '11:00' },
  visit_cadence_days: { orange: 7, yellow: 14, blue: 30, green: 90 },
};

export function world() {
  const households = [
    // on the round, no check yet today, deadline passed; visited 10 days ago at orange (7 days)
    household('hh-00a', { care_level: 'orange', tags: ['elderly_alone', 'frail'], curtain_round: true }),
    // on the round in grid 13 (deadline 11:00): checked, not closed, one escalation step; visited in time
    household('hh-00b', { grid: { id: 13, name: '第4网格' }, care_level: 'yellow', tags: ['elderly_alone'], curtain_round: true }),
    // on the round, closed today; never visited
    household('hh-00c', { care_level: 'yellow', tags: ['elderly_alone'], curtain_round: true }),
    // blue; the last real visit 2026-10-01 (the November one found nobody home)
    household('hh-00d', { care_level: 'blue', tags: ['low_income'] }),
    // green, no tags, visited yesterday: no key household, not overdue
    household('hh-00e'),
    // a colleague's household on the round: not mine
    household('hh-00f', { care_level: 'orange', tags: ['elderly_alone', 'disability'], curtain_round: true, covered_by: [COLLEAGUE] }),
    // green on the server, but a grid leader's correction (synced to this phone, not yet in the row) made it
    // yellow and put it on the round; never visited
    household('hh-00g', { address: '幸福里小区2号楼1单元101' }),
  ];
  const at = (/** @type {string} */ s) => `2026-11-${s}+08:00`;
  const records = [
    visit('hh-00a', '2026-11-20', 1),
    visit('hh-00b', '2026-11-25', 2),
    visit('hh-00d', '2026-11-05', 3, { not_home: true }),
    visit('hh-00d', '2026-10-01', 4),
    visit('hh-00e', '2026-11-29', 5),
    build([
      op({ record: recordId(20), type: 'household', household: 'hh-00g', at: at('29T08:00:00'), author: LEADER, fields: { care_level: 'yellow', curtain_round: true } }),
    ]),
    // curtain checks of today
    build([
      op({ record: recordId(30), type: 'curtain_check', household: 'hh-00b', at: at('30T09:40:00'), fields: { date: '2026-11-30' } }),
      op({ record: recordId(30), type: 'curtain_check', household: 'hh-00b', at: at('30T09:41:00'), field: 'escalation', value: { step: 'phone', time: '09:41', result: 'no_answer' } }),
    ]),
    build([
      op({ record: recordId(31), type: 'curtain_check', household: 'hh-00c', at: at('30T08:10:00'), fields: { date: '2026-11-30', outcome: 'seen', checked_at: '08:10' } }),
    ]),
    // yesterday's open check of hh-00a does not count for today
    build([op({ record: recordId(32), type: 'curtain_check', household: 'hh-00a', at: at('29T08:00:00'), fields: { date: '2026-11-29' } })]),
    // requests
    build([op({ record: recordId(40), type: 'request', household: 'hh-00a', at: at('27T09:00:00'), fields: { category: 'repair', description: '水管漏水' } })]),
    build([op({ record: recordId(41), type: 'request', household: 'hh-00b', at: at('29T12:00:00'), fields: { category: 'paperwork', description: '代办证明' } })]),
    build([
      op({ record: recordId(42), type: 'request', household: 'hh-00f', at: at('20T09:00:00'), fields: { category: 'hardship', description: '申请救助' } }),
      op({ record: recordId(42), type: 'request', household: 'hh-00f', at: at('21T09:00:00'), author: LEADER, field: 'steps', value: { step: 'assign', to: '民政科' } }),
    ]),
    build([op({ record: recordId(43), type: 'request', household: 'hh-00f', at: at('20T09:00:00'), author: COLLEAGUE, fields: { category: 'environment', description: '楼道堆物' } })]),
    build([
      op({ record: recordId(44), type: 'request', household: 'hh-00a', at: at('01T09:00:00'), fields: { category: 'repair', description: '灯坏了' } }),
      op({ record: recordId(44), type: 'request', household: 'hh-00a', at: at('01T15:00:00'), author: LEADER, field: 'steps', value: { step: 'assign', to: '物业' } }),
      op({ record: recordId(44), type: 'request', household: 'hh-00a', at: at('02T15:00:00'), author: LEADER, field: 'steps', value: { step: 'reply', notes: '已修好' } }),
      op({ record: recordId(44), type: 'request', household: 'hh-00a', at: at('03T15:00:00'), field: 'steps', value: { step: 'return_visit', satisfaction: 'satisfied' } }),
    ]),
    build([
      op({ record: recordId(45), type: 'request', household: 'hh-00a', at: at('01T09:00:00'), fields: { category: 'other', description: '已撤回' } }),
      op({ record: recordId(45), type: 'request', household: 'hh-00a', at: at('01T10:00:00'), kind: 'delete' }),
    ]),
    // mediations I can read
    build([op({ record: recordId(50), type: 'mediation', household: 'hh-00d', at: at('20T09:00:00'), fields: { category: 'neighbour', mediators: [ME], next_followup: '2026-11-30' } })]),
    build([
      op({ record: recordId(51), type: 'mediation', household: 'hh-00e', at: at('20T09:00:00'), fields: { category: 'family', mediators: [ME], next_followup: '2026-11-28' } }),
      op({ record: recordId(51), type: 'mediation', household: 'hh-00e', at: at('29T09:00:00'), field: 'followups', value: { date: '2026-11-29', notes: '双方和好' } }),
      op({ record: recordId(51), type: 'mediation', household: 'hh-00e', at: at('29T09:01:00'), fields: { next_followup: '2026-12-06' } }),
    ]),
    build([op({ record: recordId(52), type: 'mediation', household: 'hh-00e', at: at('20T09:00:00'), fields: { category: 'property', mediators: [ME], next_followup: '2026-12-05' } })]),
    // a colleague's mediation that reached this phone although I am not among its readers
    build([op({ record: recordId(54), type: 'mediation', household: 'hh-00a', at: at('10T09:00:00'), author: COLLEAGUE, fields: { category: 'family', mediators: [COLLEAGUE], next_followup: '2026-11-20' } })]),
    build([op({ record: recordId(53), type: 'mediation', household: 'hh-00f', at: at('10T09:00:00'), author: COLLEAGUE, fields: { category: 'neighbour', mediators: [ME, COLLEAGUE], outcome: 'agreed', next_followup: '2026-11-25' } })]),
  ];
  return { households, records };
}
