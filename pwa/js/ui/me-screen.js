/** Me 我的: who this phone records as, its grids and device id, offline storage, and the language switch. */

import { formatTime, getLang, LANGUAGES, t } from '../i18n/index.js';
import { h } from './dom.js';

const LANGUAGE_NAMES = { 'zh-CN': '中文', en: 'English' };

/**
 * @param {import('../app.js').Ctx} ctx
 */
export async function meScreen(ctx) {
  const { member, device, grids } = ctx.session;
  const meta = await ctx.db.getMetaMany(['lastSync', 'persisted']);
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
      row(t('me.lastSync'), meta.lastSync ? formatTime(meta.lastSync.at) : t('header.neverSynced')),
      row(t('me.storage'), meta.persisted ? t('me.persisted') : t('me.notPersisted')),
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
