/** Hash routes: the app is one page, and the hash survives an offline reload from the service worker. */

/** Where an unlocked member lands: after unlock, enrollment, and for any hash no screen knows. */
export const HOME = '#/today';

/**
 * @param {string} hash
 * @returns {{name: string, id?: string, household?: string, enrollCode?: string, fallback?: boolean,
 *            care?: string, tag?: string, overdue?: boolean, filter?: string, date?: string, visit?: string}}
 *   fallback: no screen knows this hash (the app shows HOME)
 */
export function parseRoute(hash) {
  const enroll = /^#enroll=(.*)$/.exec(hash);
  if (enroll) return { name: 'enroll', enrollCode: decodeURIComponent(enroll[1]) };
  const [path, query = ''] = hash.replace(/^#\/?/, '').split('?');
  const params = new URLSearchParams(query);
  const [section, id] = path.split('/');
  if (section === 'visits' && id === 'new') return { name: 'visit-new', household: params.get('household') ?? undefined };
  if (section === 'visits' && id) return { name: 'visit-edit', id: decodeURIComponent(id) };
  // records: curtain checks, requests, mediation (issue 6); query values only when present
  const withParams = (/** @type {any} */ route, /** @type {string[]} */ keys) =>
    Object.assign(route, Object.fromEntries(keys.filter((key) => params.has(key)).map((key) => [key === 'type' ? 'filter' : key, params.get(key)])));
  if (section === 'visits') return withParams({ name: 'visits' }, ['type']);
  if (section === 'curtain' && id) return withParams({ name: 'curtain-check', household: decodeURIComponent(id) }, ['date']);
  if (section === 'curtain') return { name: 'curtain' };
  if (section === 'requests' && id === 'new') return withParams({ name: 'request-new' }, ['household', 'visit']);
  if (section === 'requests' && id) return { name: 'request', id: decodeURIComponent(id) };
  if (section === 'mediation' && id === 'new') return withParams({ name: 'mediation-new' }, ['household']);
  if (section === 'mediation' && id && path.split('/')[2] === 'edit') return { name: 'mediation-edit', id: decodeURIComponent(id) };
  if (section === 'mediation' && id) return { name: 'mediation', id: decodeURIComponent(id) };
  if (section === 'me') return { name: 'me' };
  if (section === 'enroll') return { name: 'enroll', enrollCode: '' };
  if (section === 'members') return { name: 'members' };
  if (section === 'unlock' && id) return { name: 'unlock', id: decodeURIComponent(id) };
  if (section === 'today') return { name: 'today' };
  if (section === 'households' && id && path.split('/')[2] === 'edit') return { name: 'household-edit', id: decodeURIComponent(id) };
  if (section === 'households' && id) return { name: 'household', id: decodeURIComponent(id) };
  if (section === 'households') {
    return { name: 'households', care: params.get('care') ?? '', tag: params.get('tag') ?? '', overdue: params.get('overdue') === '1' };
  }
  return { name: 'today', fallback: true };
}

/** Whether some screen answers this hash (links to screens still being built are then left out). */
export const isKnownRoute = (/** @type {string} */ hash) => !parseRoute(hash).fallback;

/** Screens that need an unlocked member. */
export const MEMBER_ROUTES = new Set(['today', 'households', 'household', 'household-edit', 'visits', 'visit-new', 'visit-edit', 'me',
  'curtain', 'curtain-check', 'request-new', 'request', 'mediation-new', 'mediation-edit', 'mediation']);
