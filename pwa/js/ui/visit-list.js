/** Recent visits 最近走访: every visit of my grids, newest first, each with its sync status. */

import { t } from '../i18n/index.js';
import { discardRejected, retryRejected } from '../outbox.js';
import { outboxByRecord, sortVisits, syncStatus, visitView } from '../visits.js';
import { h, replaceChildren } from './dom.js';
import { visitCard } from './visit-card.js';

/**
 * @param {import('../app.js').Ctx} ctx
 */
export async function visitList(ctx) {
  const { db } = ctx;
  const list = h('div', { class: 'list', testid: 'visit-list' });

  async function refresh() {
    const [records, outbox, households, authors] = await Promise.all([
      db.listRecords('visit'),
      db.listOutbox(),
      db.listHouseholds(),
      db.getMeta('authors'),
    ]);
    const byRecord = outboxByRecord(outbox);
    const householdById = new Map(households.map((household) => [household.id, household]));
    const me = ctx.session.member?.id;
    const visits = sortVisits(records.map(visitView).filter((visit) => !visit.deleted));
    if (visits.length === 0) {
      replaceChildren(list, h('p', { class: 'empty', testid: 'visits-empty' }, t('visits.empty')));
      return;
    }
    replaceChildren(
      list,
      visits.map((visit) => {
        const entries = byRecord.get(visit.id) ?? [];
        const status = syncStatus(entries);
        /** @param {number | null} id  null: made on this phone, not yet back from the server */
        const nameOf = (id) =>
          id === null || id === me ? null : (authors?.[id] ?? t('visit.memberId', { id: String(id) }));
        const authorName = nameOf(visit.author);
        const editorName = visit.editor === visit.author ? null : nameOf(visit.editor);
        const rejected = entries.find((entry) => entry.status === 'rejected');
        return visitCard({
          visit,
          status,
          household: householdById.get(visit.household),
          authorName,
          editorName,
          onRetry: async () => {
            await retryRejected(rejected, { db });
            ctx.changed();
            ctx.requestSync();
          },
          onDiscard: async () => {
            if (!confirm(t('visits.discardConfirm'))) return;
            await discardRejected(rejected, { db });
            ctx.changed();
          },
        });
      }),
    );
  }

  await refresh();
  const el = h(
    'section',
    { class: 'screen visits-screen', testid: 'visits-screen' },
    h(
      'div',
      { class: 'title-row' },
      h('h1', null, t('visits.title')),
      h('a', { class: 'button primary', href: '#/visits/new', testid: 'visit-new' }, t('visits.new')),
    ),
    list,
  );
  return { el, refresh };
}
