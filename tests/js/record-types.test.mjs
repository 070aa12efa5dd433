// The PWA's reading of the record-type declaration (pwa/js/record-types.js) agrees with the server's:
// the same verdict on every vector of server/domain/vectors.json, the same derived ids, the same
// workflow progress.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { derivedRecordId, loadDeclaration, progress, roleMay, schemaProblem } from '../../pwa/js/record-types.js';

const declaration = JSON.parse(readFileSync(new URL('../../server/domain/record-types.json', import.meta.url), 'utf8'));
const vectors = JSON.parse(readFileSync(new URL('../../server/domain/vectors.json', import.meta.url), 'utf8'));

test('every validation vector gets the server validator\'s verdict', () => {
  assert.ok(vectors.validation.length > 500);
  const disagreements = [];
  for (const c of vectors.validation) {
    const spec = declaration.types[c.type][c.kind === 'field' ? 'fields' : 'logs'][c.name];
    const problem = schemaProblem(spec.schema, c.value);
    if ((problem === null) !== c.valid) disagreements.push({ ...c, problem });
  }
  assert.deepEqual(disagreements, []);
});

test('derived record ids match the server\'s', async () => {
  for (const { type, parts, id } of vectors.derived_ids) assert.equal(await derivedRecordId(type, parts), id);
});

test('the declaration is fetched once and its roles are read as the server reads them', async () => {
  let calls = 0;
  const fakeFetch = async () => {
    calls += 1;
    return new Response(JSON.stringify(declaration), { status: 200 });
  };
  const [a, b] = await Promise.all([loadDeclaration(fakeFetch), loadDeclaration(fakeFetch)]);
  assert.equal(a, b);
  assert.equal(calls, 1);
  const stages = declaration.types.request.workflow.stages;
  assert.equal(roleMay(declaration, stages.assign, 'member'), false);
  assert.equal(roleMay(declaration, stages.assign, 'grid_leader'), true);
  assert.equal(roleMay(declaration, declaration.types.household.fields.care_level, 'member'), false);
  assert.equal(roleMay(declaration, declaration.types.household.fields.phone, 'member'), true);
});

test('workflow progress follows the last step and the 1-2-3 due times', () => {
  const request = declaration.types.request;
  const day = 24 * 3600 * 1000;
  const at = (ms, n = 0) => `${String(ms).padStart(15, '0')}-${String(n).padStart(5, '0')}`;
  const start = 1_764_000_000_000;
  assert.deepEqual(progress(request, [], start).due, { stage: 'assign', at: start + day });
  const assigned = [{ value: { step: 'assign', to: '物业' }, clock: at(start + 3600_000) }];
  const p = progress(request, assigned, start);
  assert.equal(p.stage, 'assign');
  assert.deepEqual(p.due, { stage: 'reply', at: start + 3600_000 + 2 * day });
  const visited = [...assigned, { value: { step: 'reply', notes: '已修' }, clock: at(start + day) },
    { value: { step: 'return_visit', satisfaction: 'satisfied' }, clock: at(start + 2 * day) }];
  assert.deepEqual([progress(request, visited, start).stage, progress(request, visited, start).closed], ['return_visit', true]);
  const unhappy = [...visited.slice(0, 2), { value: { step: 'return_visit', satisfaction: 'unsatisfied' }, clock: at(start + 2 * day) }];
  assert.equal(progress(request, unhappy, start).closed, false);
});
