/**
 * What every record screen reads before drawing: the declaration (from the service worker's cache when
 * offline), the member and their role, colleagues' names (meta "authors", filled by the sync client from
 * GET /api/members), the households of my grids and the rules of /api/me (meta "rules").
 */

import { getLang, t } from './i18n/index.js';
import { labelOf, loadDeclaration, valueLabel } from './record-types.js';

/**
 * @typedef {object} RecordContext
 * @property {any} declaration
 * @property {string} lang
 * @property {{id: number, name?: string, role?: string} | null} member
 * @property {Map<string, any>} households
 * @property {any} rules
 * @property {{id: number, name: string}[]} colleagues   everyone whose name this phone knows, me included, by name
 * @property {(id: number | null) => string} nameOf      a member's name ("我" for me)
 * @property {(type: string, field?: string) => string} label
 * @property {(type: string, field: string, code: string) => string} valueText
 */

/**
 * @param {import('./app.js').Ctx} ctx
 * @returns {Promise<RecordContext>}
 */
export async function recordContext(ctx) {
  const [declaration, households, meta] = await Promise.all([
    loadDeclaration(),
    ctx.db.listHouseholds(),
    ctx.db.getMetaMany(['authors', 'rules']),
  ]);
  const lang = getLang();
  const member = ctx.session.member ?? null;
  /** @type {Record<string, string>} */
  const names = { ...(meta.authors ?? {}) };
  if (member?.id) names[member.id] = member.name ?? names[member.id] ?? '';
  const collator = new Intl.Collator('zh-CN');
  const colleagues = Object.entries(names)
    .map(([id, name]) => ({ id: Number(id), name }))
    .sort((a, b) => collator.compare(a.name, b.name));
  return {
    declaration,
    lang,
    member,
    households: new Map(households.map((household) => [household.id, household])),
    rules: meta.rules ?? null,
    colleagues,
    nameOf: (id) => {
      if (id === null || id === undefined) return '';
      if (id === member?.id) return t('records.me');
      return names[id] ?? t('visit.memberId', { id: String(id) });
    },
    label: (type, field) => {
      const recordType = declaration.types[type];
      if (!field) return labelOf(recordType, lang, type);
      return labelOf(recordType.fields[field] ?? recordType.logs[field], lang, field);
    },
    valueText: (type, field, code) => {
      const recordType = declaration.types[type];
      return valueLabel(recordType.fields[field] ?? recordType.logs[field], code, lang);
    },
  };
}

/**
 * "Address · head" of a household, or its id when this phone does not know it.
 * @param {any} household
 * @param {string} [fallback]
 */
export function householdText(household, fallback = '') {
  return household ? `${household.address} · ${household.head}` : fallback;
}
