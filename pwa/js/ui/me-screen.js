/**
 * Me 我的: who this device records as, their grids, device id and how it logs in, offline storage, the
 * language switch, and the two ways out: 切换成员 (lock my data, hand the device over) and 退出登录 (also
 * end the server session; with unsynced records it asks first, saying how many).
 */

import { formatTime, getLang, LANGUAGES, t } from '../i18n/index.js';
import { syncAge } from './app-header.js';
import { h } from './dom.js';

const LANGUAGE_NAMES = { 'zh-CN': '中文', en: 'English' };

/**
 * @param {import('../app.js').Ctx} ctx
 */
export async function meScreen(ctx) {
  const { member, device, grids, entry } = ctx.session;
  const [meta, persisted] = await Promise.all([ctx.db.getMetaMany(['lastSync', 'lastSyncOk', 'rules']), ctx.settings('persisted')]);
  const roleKey = `role.${member?.role}`;
  const role = t(roleKey) === roleKey ? (member?.role ?? '') : t(roleKey);

  /**
   * @param {string} label
   * @param {import('./dom.js').Child | import('./dom.js').Child[]} value
   * @param {string} [testid]
   */
  const row = (label, value, testid) => h('div', { class: 'kv' }, h('dt', null, label), h('dd', { testid }, value));

  const el = h(
    'section',
    { class: 'screen me-screen', testid: 'me-screen' },
    h('h1', null, t('me.title')),
    h(
      'dl',
      { class: 'card kv-list' },
      row(t('me.member'), member?.name ?? '', 'me-name'),
      row(t('me.role'), role),
      row(
        t('me.grids'),
        (grids ?? []).map((/** @type {any} */ grid) =>
          h('span', { class: 'grid-name' }, `${grid.community ?? ''} ${grid.name}`.trim()),
        ),
      ),
      row(t('me.device'), h('code', null, device?.id ?? ''), 'me-device'),
      row(t('me.method'), t(`method.${entry?.method}`) + (entry?.shared ? ` · ${t('me.shared')}` : ''), 'me-method'),
      row(t('me.lastSync'), lastSyncText(meta), 'me-last-sync'),
      meta.rules && row(t('me.rules'), rulesText(meta.rules, grids ?? []), 'me-rules'),
      row(t('me.storage'), persisted ? t('me.persisted') : t('me.notPersisted')),
      row(t('me.encryption'), t('me.encrypted')),
    ),
    h(
      'div',
      { class: 'actions stacked' },
      h('button', { type: 'button', class: 'secondary big', testid: 'switch-member', onclick: ctx.switchMember }, `⇄ ${t('members.switch')}`),
      h('button', { type: 'button', class: 'danger big', testid: 'logout', onclick: ctx.logout }, t('me.logout')),
    ),
    h('h2', null, t('me.language')),
    h(
      'div',
      { class: 'segmented', role: 'group', 'aria-label': t('me.language') },
      LANGUAGES.map((lang) =>
        h(
          'button',
          {
            type: 'button',
            class: lang === getLang() ? 'segment active' : 'segment',
            testid: `lang-${lang}`,
            'aria-pressed': String(lang === getLang()),
            onclick: () => ctx.switchLanguage(lang),
          },
          LANGUAGE_NAMES[lang],
        ),
      ),
    ),
  );
  return { el };
}

/**
 * The last successful sync (when, and how long ago), and the last failure if it came after it.
 * @param {Record<string, any>} meta
 */
function lastSyncText(meta) {
  const okAt = Math.max(meta.lastSyncOk ?? 0, meta.lastSync?.ok ? meta.lastSync.at : 0) || null;
  const lines = [okAt ? `${formatTime(okAt)}（${syncAge(okAt, Date.now())}）` : t('header.neverSynced')];
  if (meta.lastSync && !meta.lastSync.ok) lines.push(t('me.lastFailed', { time: formatTime(meta.lastSync.at) }));
  return lines.map((line) => h('span', { class: 'grid-name' }, line));
}

/**
 * The rules from /api/me this phone works by offline: each grid's curtain deadline, the visit cadence.
 * @param {any} rules
 * @param {any[]} grids
 */
function rulesText(rules, grids) {
  const deadlines = [...new Set(grids.map((grid) => rules.curtain_deadlines?.[String(grid.id)]).filter(Boolean))];
  const cadence = rules.visit_cadence_days ?? {};
  return [
    ...deadlines.map((time) => t('me.curtainDeadline', { time })),
    t('me.cadence', { orange: cadence.orange ?? '', yellow: cadence.yellow ?? '', blue: cadence.blue ?? '', green: cadence.green ?? '' }),
  ].map((line) => h('span', { class: 'grid-name' }, line));
}
