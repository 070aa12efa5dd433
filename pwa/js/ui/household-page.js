/**
 * A household's page 住户 (#/households/ID), what a member needs at the door: address, head, phone (a tap
 * calls), residents, tags, care level 绿/蓝/黄/橙 with its visit cadence and when the next visit is due, the
 * 三要有 (亲情连线卡 issued, 家庭基本情况表 updated, contact records), the information sheet's fields, the
 * curtain round and the linked members; then its visits, curtain checks, requests and the mediations I may
 * read, newest first, each opening its own screen. Quick actions start a record for this household.
 *
 * The household is the server's row with this phone's household record on top (households.js), so a
 * correction made here shows at once, marked 待同步 until the server has it.
 */

import { t } from '../i18n/index.js';
import { cadenceStatus, isVisit, lastVisits, overlayHousehold } from '../households.js';
import { discardRejected, retryRejected } from '../outbox.js';
import { recordContext } from '../record-context.js';
import { KINDS } from '../record-kinds.js';
import { visibleRecords } from '../record-view.js';
import { isKnownRoute } from '../router.js';
import { localClock } from '../today.js';
import { syncStatus } from '../visits.js';
import { h, replaceChildren } from './dom.js';
import { careBadge, tagChips } from './household-card.js';
import { recordCard } from './record-card.js';
import { syncStatusParts } from './sync-status.js';

/**
 * @param {string} label
 * @param {import('./dom.js').Child | import('./dom.js').Child[]} value
 * @param {string} [testid]
 */
const row = (label, value, testid) => h('div', { class: 'kv' }, h('dt', null, label), h('dd', { testid }, value));

/**
 * @param {import('../app.js').Ctx} ctx
 * @param {{id?: string}} route
 */
export async function householdPage(ctx, { id = '' }) {
  const el = h('section', { class: 'screen household-screen', testid: 'household-screen', dataset: { id } });

  async function refresh() {
    const [rc, rows, states, outbox] = await Promise.all([recordContext(ctx), ctx.db.listHouseholds(), ctx.db.listRecords(), ctx.db.listOutbox()]);
    const row0 = rows.find((r) => r.id === id);
    if (!row0) {
      replaceChildren(el, h('p', { class: 'notice notice-warn', testid: 'household-not-found' }, t('household.notFound')));
      return;
    }
    const now = ctx.now();
    const own = states.find((s) => s.type === 'household' && s.household === id);
    const household = overlayHousehold(row0, own);
    const mine = states.filter((s) => s.household === id);
    const status = cadenceStatus(household, lastVisits(mine).get(id), rc.rules?.visit_cadence_days, localClock(now).date);
    const fixes = outbox.filter((entry) => entry.op.type === 'household' && entry.op.household === id);
    const records = visibleRecords(rc.declaration, mine, rc.member, { types: Object.keys(KINDS) });
    const contacts = mine.filter(isVisit).length;
    replaceChildren(
      el,
      h('h1', { testid: 'household-page-address' }, household.address),
      h('p', { class: 'muted' }, household.grid?.name ?? ''),
      fixStatus(fixes),
      careLine(household, status),
      actions(household, localClock(now).date),
      facts(household, rc),
      threeMusts(household, status, contacts),
      infoSheet(household, rc),
      h('h2', null, t('household.records')),
      records.length === 0
        ? h('p', { class: 'empty', testid: 'household-records-empty' }, t('household.noRecords'))
        : h('div', { class: 'list', testid: 'household-records' }, records.map((view) => card(view, rc, outbox, now))),
    );
  }

  /** The household record's own sync state: a correction waiting, or refused with the reason. @param {any[]} fixes */
  function fixStatus(fixes) {
    if (fixes.length === 0) return null;
    const state = syncStatus(fixes);
    if (state.status !== 'rejected') return h('p', { class: 'notice notice-info', testid: 'household-pending' }, t('household.pending'));
    const rejected = fixes.find((entry) => entry.status === 'rejected');
    const { rejection } = syncStatusParts({
      status: state,
      prefix: 'household-fix',
      onRetry: async () => {
        await retryRejected(rejected, { db: ctx.db });
        ctx.changed();
        ctx.requestSync();
      },
      onDiscard: async () => {
        if (!confirm(t('visits.discardConfirm'))) return;
        await discardRejected(rejected, { db: ctx.db });
        ctx.changed();
      },
    });
    return h('div', { class: 'card fix-rejected', testid: 'household-fix' }, h('p', { class: 'fix-title' }, t('household.rejected')), rejection);
  }

  /** @param {any} view @param {any} rc @param {any[]} outbox @param {number} now */
  function card(view, rc, outbox, now) {
    const entries = outbox.filter((entry) => entry.op.record === view.id);
    const rejected = entries.find((entry) => entry.status === 'rejected');
    return recordCard({
      view,
      status: syncStatus(entries),
      rc,
      now,
      onRetry: async () => {
        await retryRejected(rejected, { db: ctx.db });
        ctx.changed();
        ctx.requestSync();
      },
      onDiscard: async () => {
        if (!confirm(t('visits.discardConfirm'))) return;
        await discardRejected(rejected, { db: ctx.db });
        ctx.changed();
      },
    });
  }

  await refresh();
  return { el, refresh };
}

/** @param {any} household @param {import('../households.js').CadenceStatus} status */
function careLine(household, status) {
  const text = !status.lastVisit
    ? t('household.neverVisited')
    : status.overdue
      ? t('household.overdue', { n: status.daysOverdue })
      : t('household.nextDue', { date: status.due ?? '' });
  return h(
    'div',
    { class: 'care-line' },
    h('div', { class: 'row' }, careBadge(household), h('span', { testid: 'household-cadence' }, t('household.cadence', { n: status.cadence }))),
    h('p', { class: status.overdue ? 'visit-status overdue' : 'visit-status', testid: 'household-due' }, text),
  );
}

/** Quick actions: a visit always; the other records where their screens exist. @param {any} household @param {string} today */
function actions(household, today) {
  const hid = encodeURIComponent(household.id);
  const more = [
    household.curtain_round && { href: `#/curtain/${hid}?date=${today}`, label: 'household.curtainCheck', testid: 'household-curtain' },
    { href: `#/requests/new?household=${hid}`, label: 'household.newRequest', testid: 'household-request' },
    { href: `#/mediation/new?household=${hid}`, label: 'household.newMediation', testid: 'household-mediation' },
  ].filter((action) => action && isKnownRoute(action.href));
  return h(
    'div',
    { class: 'quick-actions' },
    h('a', { class: 'button primary big', href: `#/visits/new?household=${hid}`, testid: 'household-record-visit' }, t('household.recordVisit')),
    more.length > 0 &&
      h(
        'div',
        { class: 'actions' },
        more.map((action) => action && h('a', { class: 'button secondary', href: action.href, testid: action.testid }, t(action.label))),
      ),
  );
}

/** @param {any} household @param {any} rc */
function facts(household, rc) {
  const phone = String(household.phone ?? '').trim();
  const residents = household.residents ?? [];
  return h(
    'div',
    { class: 'card facts' },
    h(
      'dl',
      { class: 'kv-list' },
      row(t('household.head'), household.head ?? '', 'household-head-text'),
      row(
        t('household.phone'),
        phone
          ? h(
              'a',
              { class: 'button secondary tel', href: `tel:${phone.replace(/[^\d+]/g, '')}`, testid: 'household-call', 'aria-label': t('household.call', { phone }) },
              `☎ ${phone}`,
            )
          : t('household.noPhone'),
        'household-phone',
      ),
      row(
        t('household.residents'),
        residents.length === 0
          ? t('household.none')
          : h(
              'ul',
              { class: 'residents', testid: 'household-residents' },
              residents.map((/** @type {any} */ r) => h('li', null, residentText(r))),
            ),
      ),
      row(t('household.tags'), tagChips(household.tags) ?? t('household.none'), 'household-tags'),
      row(t('household.curtainRound'), t(household.curtain_round ? 'household.onRound' : 'household.notOnRound'), 'household-curtain-round'),
      row(
        t('household.linked'),
        (household.covered_by ?? []).length > 0 ? household.covered_by.map((/** @type {number} */ m) => rc.nameOf(m)).join('、') : t('household.none'),
        'household-linked',
      ),
    ),
    h('a', { class: 'button secondary big', href: `#/households/${encodeURIComponent(household.id)}/edit`, testid: 'household-edit' }, t('household.edit')),
  );
}

/** "王芳（户主，1948 年生）在外地" @param {{name: string, relation?: string, birth_year?: number, notes?: string}} r */
function residentText(r) {
  const about = [r.relation, r.birth_year && t('household.residentYear', { year: r.birth_year })].filter(Boolean);
  return `${r.name}${about.length > 0 ? `（${about.join('，')}）` : ''}${r.notes ? ` ${r.notes}` : ''}`;
}

/** 三要有: the contact card, the information sheet, contact records. @param {any} household @param {any} status @param {number} contacts */
function threeMusts(household, status, contacts) {
  /** @param {boolean} ok @param {string} text @param {string} testid */
  const mark = (ok, text, testid) => h('span', { class: ok ? 'must ok' : 'must missing', testid }, ok ? '✓ ' : '✗ ', text);
  return h(
    'div',
    { class: 'card three-musts', testid: 'household-three-musts' },
    h('h2', null, t('household.threeMusts')),
    h(
      'dl',
      { class: 'kv-list' },
      row(t('household.contactCard'), mark(Boolean(household.contact_card), household.contact_card ? t('household.issued', { date: household.contact_card }) : t('household.notIssued'), 'household-contact-card')),
      row(t('household.infoSheet'), mark(Boolean(household.info_sheet), household.info_sheet ? t('household.sheetUpdated', { date: household.info_sheet }) : t('household.noSheet'), 'household-info-sheet')),
      row(
        t('household.contactRecords'),
        mark(contacts > 0, `${t('household.recordCount', { n: contacts })}${status.lastVisit ? ` · ${t('household.lastVisit', { date: status.lastVisit })}` : ''}`, 'household-contacts'),
      ),
    ),
  );
}

/** 家庭基本情况表: health, income, emergency contact, when it was updated. @param {any} household @param {any} rc */
function infoSheet(household, rc) {
  const none = t('household.none');
  return h(
    'div',
    { class: 'card info-sheet' },
    h('h2', null, t('household.infoSheet')),
    h(
      'dl',
      { class: 'kv-list' },
      row(t('household.health'), household.health || none, 'household-health'),
      row(t('household.income'), household.income ? rc.valueText('household', 'income', household.income) : none, 'household-income'),
      row(t('household.emergency'), household.emergency_contact || none, 'household-emergency'),
      row(t('household.sheetDate'), household.info_sheet || t('household.noSheet'), 'household-sheet-date'),
    ),
  );
}
