/**
 * Members picked from the colleagues this phone knows (同行人员, 调解人员, 转办给…): large check boxes,
 * names from GET /api/members as the sync client cached them, so it works offline.
 */

import { t } from '../i18n/index.js';
import { choiceGroup } from './choice-group.js';
import { h } from './dom.js';

/**
 * @param {{legend: string, colleagues: {id: number, name: string}[], selected?: number[], exclude?: number[],
 *          testid: string, nameOf: (id: number) => string, folded?: boolean}} props
 *   folded: an optional choice, shut until tapped (it says who is picked), so a long list of colleagues
 *   does not push the rest of the form down
 * @returns {{el: HTMLElement, read: () => number[]}}
 */
export function colleaguePicker({ legend, colleagues, selected = [], exclude = [], testid, nameOf, folded = false }) {
  const shown = colleagues.filter((colleague) => !exclude.includes(colleague.id));
  // Someone already picked whose name this phone does not know (yet) stays picked.
  const unknown = selected.filter((id) => !shown.some((colleague) => colleague.id === id) && !exclude.includes(id));
  const options = [
    ...shown.map((colleague) => ({ value: colleague.id, label: nameOf(colleague.id) || colleague.name })),
    ...unknown.map((id) => ({ value: id, label: nameOf(id) })),
  ];
  if (options.length === 0) {
    return {
      el: h('fieldset', { class: 'items choice', testid }, h('legend', null, legend), h('p', { class: 'muted' }, t('records.noColleagues'))),
      read: () => [],
    };
  }
  const group = choiceGroup({ name: testid, legend, options, selected, multiple: true, testid });
  const read = () => group.readAll().map(Number).sort((a, b) => a - b); // a set: stored in one order
  if (!folded) return { el: group.el, read };
  const picked = h('span', { class: 'picked' });
  const show = () => {
    const names = read().map(nameOf);
    picked.textContent = names.length > 0 ? names.join('、') : t('records.nobodyPicked');
  };
  show();
  group.el.addEventListener('change', show);
  const el = h(
    'details',
    { class: 'picker', testid: `${testid}-toggle`, open: selected.length > 0 },
    h('summary', null, h('span', { class: 'picker-legend' }, legend), picked),
    group.el,
  );
  return { el, read };
}
