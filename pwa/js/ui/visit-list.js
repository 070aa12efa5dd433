/**
 * The records tab 记录 (#/visits): every record of my grids this phone holds — visits, curtain checks,
 * requests, and the mediations I may read — newest first, filterable by type (#/visits?type=request),
 * each with its sync status (待同步 / 被拒绝 with the reason, retry or discard). Above the list: today's
 * curtain round at a glance and the buttons that start a new record.
 */

import { t } from '../i18n/index.js';
import { curtainRound, roundCounts } from '../curtain.js';
import { discardRejected, retryRejected } from '../outbox.js';
import { recordContext } from '../record-context.js';
import { KINDS } from '../record-kinds.js';
import { visibleRecords } from '../record-view.js';
import { outboxByRecord, syncStatus, visitView } from '../visits.js';
import { h, replaceChildren } from './dom.js';
import { LIST_PAGE, moreButton } from './more-button.js';
import { recordCard } from './record-card.js';
import { visitCard } from './visit-card.js';

/**
 * @param {import('../app.js').Ctx} ctx
 * @param {{filter?: string}} [route]  filter: one record type
 */
export async function visitList(ctx, { filter } = {}) {
  const { db } = ctx;
  const types = Object.keys(KINDS);
  const only = filter && types.includes(filter) ? filter : null;
  const list = h('div', { class: 'list', testid: 'visit-list' });
  const curtain = h('div', { class: 'curtain-link-host' });
  let limit = LIST_PAGE;
  const more = moreButton(() => {
    limit += LIST_PAGE;
    refresh();
  });

  async function refresh() {
    const [rc, states, outbox] = await Promise.all([recordContext(ctx), db.listRecords(), db.listOutbox()]);
    const now = ctx.now();
    const byRecord = outboxByRecord(outbox);
    const me = rc.member?.id;
    const readable = visibleRecords(rc.declaration, states, rc.member, { types });
    const round = curtainRound({
      households: [...rc.households.values()],
      checks: readable.filter((view) => view.type === 'curtain_check'),
      me,
      rules: rc.rules,
      now,
    });
    replaceChildren(curtain, round.length > 0 && curtainLink(roundCounts(round)));
    const shown = readable.filter((view) => !only || view.type === only);
    more.show(shown.length - limit);
    if (shown.length === 0) {
      replaceChildren(list, h('p', { class: 'empty', testid: 'visits-empty' }, t(only ? 'records.emptyType' : 'visits.empty')));
      return;
    }
    const stateById = new Map(states.map((state) => [state.id, state]));
    replaceChildren(
      list,
      shown.slice(0, limit).map((view) => {
        const entries = byRecord.get(view.id) ?? [];
        const status = syncStatus(entries);
        const rejected = entries.find((entry) => entry.status === 'rejected');
        const onRetry = async () => {
          await retryRejected(rejected, { db });
          ctx.changed();
          ctx.requestSync();
        };
        const onDiscard = async () => {
          if (!confirm(t('visits.discardConfirm'))) return;
          await discardRejected(rejected, { db });
          ctx.changed();
        };
        if (view.type !== 'visit') return recordCard({ view, status, rc, now, onRetry, onDiscard });
        const visit = visitView(stateById.get(view.id));
        /** @param {number | null} id  null: made on this phone, not yet back from the server */
        const nameOf = (id) => (id === null || id === me ? null : rc.nameOf(id));
        return visitCard({
          visit,
          status,
          household: rc.households.get(visit.household),
          authorName: nameOf(visit.author),
          editorName: visit.editor === visit.author ? null : nameOf(visit.editor),
          coVisitorNames: visit.coVisitors.map((id) => rc.nameOf(id)),
          onRetry,
          onDiscard,
        });
      }),
    );
  }

  /** @param {{total: number, closed: number, overdue: number}} counts */
  function curtainLink(counts) {
    return h(
      'a',
      { class: `card curtain-link${counts.overdue > 0 ? ' has-overdue' : ''}`, href: '#/curtain', testid: 'curtain-link' },
      h('span', { class: 'curtain-link-title' }, t('curtain.title')),
      h('span', { class: 'curtain-link-counts' }, t('curtain.counts', { closed: counts.closed, total: counts.total })),
      counts.overdue > 0 && h('span', { class: 'curtain-link-overdue' }, t('curtain.overdueCount', { n: counts.overdue })),
    );
  }

  const rc = await recordContext(ctx);
  const filters = h(
    'nav',
    { class: 'type-filter', 'aria-label': t('records.filter') },
    [null, ...types].map((type) =>
      h(
        'a',
        {
          href: type ? `#/visits?type=${type}` : '#/visits',
          class: type === only ? 'filter-chip active' : 'filter-chip',
          testid: `records-filter-${type ?? 'all'}`,
          'aria-current': type === only ? 'page' : null,
        },
        type ? rc.label(type) : t('records.all'),
      ),
    ),
  );
  await refresh();
  const el = h(
    'section',
    { class: 'screen visits-screen', testid: 'visits-screen' },
    h('h1', null, t('records.title')),
    curtain,
    h(
      'div',
      { class: 'new-records' },
      h('a', { class: 'button primary', href: '#/visits/new', testid: 'visit-new', 'aria-label': t('visit.newTitle') }, t('records.newVisit')),
      h('a', { class: 'button secondary', href: '#/requests/new', testid: 'request-new', 'aria-label': t('requests.newTitle') }, t('records.newRequest')),
      h('a', { class: 'button secondary', href: '#/mediation/new', testid: 'mediation-new', 'aria-label': t('mediation.newTitle') }, t('records.newMediation')),
    ),
    filters,
    list,
    more.el,
  );
  return { el, refresh };
}
