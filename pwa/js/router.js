/** Hash routes: the app is one page, and the hash survives an offline reload from the service worker. */

/**
 * @param {string} hash
 * @returns {{name: string, id?: string, household?: string, enrollCode?: string}}
 */
export function parseRoute(hash) {
  const enroll = /^#enroll=(.*)$/.exec(hash);
  if (enroll) return { name: 'enroll', enrollCode: decodeURIComponent(enroll[1]) };
  const [path, query = ''] = hash.replace(/^#\/?/, '').split('?');
  const params = new URLSearchParams(query);
  const [section, id] = path.split('/');
  if (section === 'visits' && id === 'new') return { name: 'visit-new', household: params.get('household') ?? undefined };
  if (section === 'visits' && id) return { name: 'visit-edit', id: decodeURIComponent(id) };
  if (section === 'visits') return { name: 'visits' };
  if (section === 'me') return { name: 'me' };
  if (section === 'enroll') return { name: 'enroll', enrollCode: '' };
  if (section === 'members') return { name: 'members' };
  if (section === 'unlock' && id) return { name: 'unlock', id: decodeURIComponent(id) };
  return { name: 'households' };
}

/** Screens that need an unlocked member. */
export const MEMBER_ROUTES = new Set(['households', 'visits', 'visit-new', 'visit-edit', 'me']);
