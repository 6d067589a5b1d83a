// Backstage's own catalog client against a running Portico (PORTICO_URL), for every
// entity call it makes. end2end/run.sh starts the server with the demo catalog.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CatalogClient, CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import {
  EntityPolicies,
  DefaultNamespaceEntityPolicy,
  NoForeignRootFieldsEntityPolicy,
  FieldFormatEntityPolicy,
  SchemaValidEntityPolicy,
  componentEntityV1alpha1Validator,
  apiEntityV1alpha1Validator,
  groupEntityV1alpha1Validator,
  systemEntityV1alpha1Validator,
  stringifyEntityRef,
} from '@backstage/catalog-model';

const base = process.env.PORTICO_URL;
assert.ok(base, 'PORTICO_URL must name the running portal, e.g. http://127.0.0.1:3000');

// API tokens made with `portico token create` (end2end/run.sh): an admin's with the
// catalog.write scope, and a read-only one. The portal runs the default policy, so
// nothing is readable without one.
const token = process.env.PORTICO_TOKEN;
const readToken = process.env.PORTICO_READ_TOKEN;
assert.ok(token && readToken, 'PORTICO_TOKEN and PORTICO_READ_TOKEN must hold API tokens');

// As in a Backstage backend: the fetch API adds the caller's token to every request.
const withToken = (t) => ({
  fetch: (input, init = {}) => {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${t}`);
    return fetch(input, { ...init, headers });
  },
});
const discoveryApi = { getBaseUrl: async () => `${base}/api/catalog` };
const client = new CatalogClient({ discoveryApi, fetchApi: withToken(token) });

const names = items => items.map(e => e.metadata.name).sort();

test('getEntities: filters, OR of filters, exists, fields, order, paging', async () => {
  const all = await client.getEntities();
  assert.ok(all.items.length >= 25, `${all.items.length} entities`);
  for (const e of all.items) {
    assert.ok(e.metadata.uid && e.metadata.etag, 'uid and etag');
    assert.ok(Array.isArray(e.relations));
  }

  const components = await client.getEntities({ filter: { kind: 'Component' } });
  assert.ok(components.items.length > 3);
  assert.ok(components.items.every(e => e.kind === 'Component'));

  const services = await client.getEntities({ filter: { kind: 'component', 'spec.type': 'SERVICE' } });
  assert.ok(services.items.length > 0 && services.items.every(e => e.spec.type === 'service'));

  const either = await client.getEntities({ filter: { kind: 'component', 'spec.type': ['service', 'website'] } });
  assert.ok(either.items.every(e => ['service', 'website'].includes(e.spec.type)));
  assert.ok(either.items.some(e => e.spec.type === 'website'));

  const groupsOrUsers = await client.getEntities({ filter: [{ kind: 'group' }, { kind: 'user' }] });
  const groups = await client.getEntities({ filter: { kind: 'group' } });
  const users = await client.getEntities({ filter: { kind: 'user' } });
  assert.equal(groupsOrUsers.items.length, groups.items.length + users.items.length);

  const owned = await client.getEntities({ filter: { kind: 'component', 'spec.owner': CATALOG_FILTER_EXISTS } });
  assert.equal(owned.items.length, components.items.length);

  const byRelation = await client.getEntities({ filter: { 'relations.ownedBy': 'group:default/checkout-team' } });
  assert.ok(byRelation.items.length > 0);
  assert.ok(byRelation.items.every(e => e.relations.some(r => r.type === 'ownedBy' && r.targetRef === 'group:default/checkout-team')));

  const projected = await client.getEntities({ filter: { kind: 'component' }, fields: ['kind', 'metadata.name'] });
  for (const e of projected.items) assert.deepEqual(Object.keys(e).sort(), ['kind', 'metadata']);

  const ordered = await client.getEntities({ filter: { kind: 'component' }, order: { field: 'metadata.name', order: 'desc' } });
  const got = ordered.items.map(e => e.metadata.name);
  assert.deepEqual(got, [...got].sort().reverse());

  const page = await client.getEntities({ filter: { kind: 'component' }, order: [{ field: 'metadata.name', order: 'asc' }], offset: 1, limit: 2 });
  assert.deepEqual(page.items.map(e => e.metadata.name), [...got].reverse().slice(1, 3));
});

test('queryEntities: cursors, totalItems, orderFields, full text, fields', async () => {
  const total = (await client.getEntities({ filter: { kind: 'component' } })).items.length;
  let response = await client.queryEntities({ filter: { kind: 'component' }, limit: 2, orderFields: { field: 'metadata.name', order: 'asc' } });
  assert.equal(response.totalItems, total);
  assert.equal(response.pageInfo.prevCursor, undefined);
  const seen = response.items.map(e => e.metadata.name);
  let last = response;
  while (response.pageInfo.nextCursor) {
    response = await client.queryEntities({ cursor: response.pageInfo.nextCursor });
    assert.ok(response.pageInfo.prevCursor, 'later pages can go back');
    seen.push(...response.items.map(e => e.metadata.name));
    last = response;
  }
  assert.equal(seen.length, total);
  assert.deepEqual(seen, [...seen].sort(), 'ordered by name across pages');
  const back = await client.queryEntities({ cursor: last.pageInfo.prevCursor });
  assert.equal(back.items.length, 2);

  const text = await client.queryEntities({ fullTextFilter: { term: 'BASKET', fields: ['metadata.name', 'metadata.title'] } });
  assert.ok(text.items.some(e => e.metadata.name === 'basket-service'));
  assert.ok(text.items.every(e => `${e.metadata.name} ${e.metadata.title ?? ''}`.toLowerCase().includes('basket')));

  const excluded = await client.queryEntities({ filter: { kind: 'api' }, totalItems: 'exclude', fields: ['metadata.name'] });
  assert.equal(excluded.totalItems, 0);
  assert.ok(excluded.items.length > 0);
  assert.deepEqual(Object.keys(excluded.items[0]), ['metadata']);

  const streamed = [];
  for await (const batch of client.streamEntities({ filter: { kind: 'component' }, pageSize: 3 })) streamed.push(...batch);
  assert.equal(streamed.length, total);

  await assert.rejects(client.queryEntities({ cursor: 'not-a-cursor' }), err => err.name === 'ResponseError' && err.response.status === 400);
});

test('queryEntities with a predicate goes through POST, and so do its cursors', async () => {
  const query = { $all: [{ kind: 'component' }, { $not: { 'spec.type': { $in: ['website'] } } }] };
  let response = await client.queryEntities({ query, limit: 1 });
  const expected = (await client.getEntities({ filter: { kind: 'component' } })).items.filter(e => e.spec.type !== 'website');
  assert.equal(response.totalItems, expected.length);
  const seen = [...response.items];
  while (response.pageInfo.nextCursor) {
    response = await client.queryEntities({ cursor: response.pageInfo.nextCursor });
    seen.push(...response.items);
  }
  assert.deepEqual(names(seen), names(expected));
});

test('getEntityByRef, getEntitiesByRefs, getEntityAncestors', async () => {
  const shop = await client.getEntityByRef('component:default/web-shop');
  assert.equal(shop.metadata.name, 'web-shop');
  assert.ok(shop.relations.some(r => r.type === 'ownedBy'));
  assert.equal(await client.getEntityByRef('component:default/no-such-thing'), undefined);
  const sameIgnoringCase = await client.getEntityByRef('Component:Default/Web-Shop');
  assert.equal(sameIgnoringCase.metadata.uid, shop.metadata.uid);

  const refs = await client.getEntitiesByRefs({
    entityRefs: ['group:default/checkout-team', 'component:default/nope', 'component:default/web-shop'],
    fields: ['kind', 'metadata.name'],
  });
  assert.deepEqual(refs.items, [
    { kind: 'Group', metadata: { name: 'checkout-team' } },
    undefined,
    { kind: 'Component', metadata: { name: 'web-shop' } },
  ]);
  const filtered = await client.getEntitiesByRefs({ entityRefs: ['group:default/checkout-team', 'component:default/web-shop'], filter: { kind: 'group' } });
  assert.equal(filtered.items[0].kind, 'Group');
  assert.equal(filtered.items[1], undefined);

  const ancestry = await client.getEntityAncestors({ entityRef: 'component:default/web-shop' });
  assert.equal(ancestry.rootEntityRef, 'component:default/web-shop');
  assert.equal(ancestry.items[0].entity.metadata.name, 'web-shop');
  await assert.rejects(client.getEntityAncestors({ entityRef: 'component:default/nope' }), err => err.response.status === 404);
});

test('getEntityFacets, by query string and by predicate', async () => {
  const components = (await client.getEntities({ filter: { kind: 'component' } })).items;
  const { facets } = await client.getEntityFacets({ facets: ['spec.lifecycle', 'metadata.tags'], filter: { kind: 'component' } });
  const sum = facets['spec.lifecycle'].reduce((n, f) => n + f.count, 0);
  assert.equal(sum, components.filter(e => e.spec.lifecycle).length);
  const java = facets['metadata.tags'].find(f => f.value === 'java');
  assert.equal(java?.count, components.filter(e => (e.metadata.tags ?? []).includes('java')).length);
  const byPredicate = await client.getEntityFacets({ facets: ['spec.lifecycle'], query: { kind: 'component' } });
  assert.deepEqual(byPredicate.facets['spec.lifecycle'], facets['spec.lifecycle']);
});

test('tokens: the per-call token option, read-only tokens refused writes, no token refused', async () => {
  const bare = new CatalogClient({ discoveryApi, fetchApi: { fetch: (...args) => fetch(...args) } });
  await assert.rejects(bare.getEntities(), err => {
    assert.equal(err.response.status, 401);
    assert.equal(err.body.error.name, 'AuthenticationError');
    return true;
  });
  const shop = await bare.getEntityByRef('component:default/web-shop', { token: readToken });
  assert.equal(shop.metadata.name, 'web-shop');
  await assert.rejects(bare.removeEntityByUid(shop.metadata.uid, { token: readToken }), err => {
    assert.equal(err.response.status, 403);
    assert.equal(err.body.error.name, 'NotAllowedError');
    assert.match(err.body.error.message, /catalog\.write scope/);
    return true;
  });
  await bare.refreshEntity('component:default/web-shop', { token });
  await assert.rejects(bare.getEntities({}, { token: `pt_${'0'.repeat(64)}` }), err => err.response.status === 401);
});

test('removeEntityByUid removes, and unknown uids are 404 in Backstage error shape', async () => {
  const victim = await client.getEntityByRef('component:default/payment-service');
  assert.ok(victim);
  await client.removeEntityByUid(victim.metadata.uid);
  assert.equal(await client.getEntityByRef('component:default/payment-service'), undefined);
  await assert.rejects(client.removeEntityByUid(victim.metadata.uid), err => {
    assert.equal(err.name, 'ResponseError');
    assert.equal(err.response.status, 404);
    assert.equal(err.body.error.name, 'NotFoundError');
    assert.equal(err.body.response.statusCode, 404);
    return true;
  });
});

test('locations: add (dry run and real), list, query, stream, by id, ref and entity, update, refresh, analyze, remove', async () => {
  const dir = process.env.PORTICO_CATALOG_DIR;
  assert.ok(dir, 'PORTICO_CATALOG_DIR must name a folder the portal reads file locations from');
  const file = (name) => {
    const path = join(dir, `${name}.yaml`);
    writeFileSync(path, [
      'apiVersion: backstage.io/v1alpha1', 'kind: Component',
      `metadata:\n  name: ${name}`,
      'spec:\n  type: service\n  lifecycle: production\n  owner: checkout-team', '',
    ].join('\n'));
    return path;
  };
  const [first, second] = [file('cc-located-a'), file('cc-located-b')];

  const dry = await client.addLocation({ type: 'file', target: first, dryRun: true });
  assert.equal(dry.exists, false);
  assert.deepEqual(dry.entities.map(e => e.metadata.name), ['cc-located-a']);
  assert.equal(await client.getEntityByRef('component:default/cc-located-a'), undefined, 'a dry run writes nothing');

  const added = await client.addLocation({ type: 'file', target: first });
  const id = added.location.id;
  assert.deepEqual(added.entities.map(e => e.metadata.name), ['cc-located-a']);
  assert.ok(await client.getEntityByRef('component:default/cc-located-a'), 'browsable at once');
  await assert.rejects(client.addLocation({ type: 'file', target: first }), err => err.response.status === 409);

  const all = await client.getLocations();
  assert.ok(all.items.some(l => l.id === id && l.target === first));
  assert.equal((await client.getLocationById(id)).target, first);
  assert.equal((await client.getLocationByRef(`file:${first}`)).id, id);
  assert.equal((await client.getLocationByEntity('component:default/cc-located-a')).id, id);

  const files = await client.queryLocations({ query: { type: 'file' } });
  assert.deepEqual(files.items.map(l => l.id), [id]);
  assert.equal(files.totalItems, 1);
  const streamed = [];
  for await (const page of client.streamLocations({ limit: 1 })) {
    assert.equal(page.length, 1);
    streamed.push(...page);
  }
  assert.deepEqual(streamed.map(l => l.id).sort(), all.items.map(l => l.id).sort());
  const others = await client.queryLocations({ query: { $not: { type: 'file' } } });
  assert.equal(others.totalItems, all.items.length - 1);

  const updated = await client.updateLocation(id, { type: 'file', target: second });
  assert.deepEqual(updated, { id, type: 'file', target: second });
  assert.ok(await client.getEntityByRef('component:default/cc-located-b'), 'read again at once');
  assert.equal(await client.getEntityByRef('component:default/cc-located-a'), undefined, 'what it no longer provides goes');
  await assert.rejects(client.updateLocation('no-such-id', { type: 'file', target: first }), err => err.response.status === 404);

  await client.refreshEntity('component:default/cc-located-b');
  const analysis = await client.analyzeLocation({ location: { type: 'file', target: second } });
  assert.equal(analysis.existingEntityFiles[0].isRegistered, true);
  assert.equal(analysis.existingEntityFiles[0].entity.metadata.name, 'cc-located-b');

  await client.removeLocationById(id);
  assert.equal(await client.getLocationById(id), undefined);
  assert.equal(await client.getEntityByRef('component:default/cc-located-b'), undefined);
});

// Backstage's own validation, as the catalog backend applies it, is the oracle.
const policies = EntityPolicies.allOf([
  new DefaultNamespaceEntityPolicy(),
  new NoForeignRootFieldsEntityPolicy(),
  new FieldFormatEntityPolicy(),
  new SchemaValidEntityPolicy(),
]);
const kindValidators = [componentEntityV1alpha1Validator, apiEntityV1alpha1Validator, groupEntityV1alpha1Validator, systemEntityV1alpha1Validator];
async function backstageSaysValid(entity) {
  try {
    const enforced = await policies.enforce(structuredClone(entity));
    for (const validator of kindValidators) await validator.check(enforced);
    return true;
  } catch {
    return false;
  }
}

const component = (patch = {}) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'checked', tags: ['java'], labels: { 'acme.com/tier': 'one' }, ...patch.metadata },
  spec: { type: 'service', lifecycle: 'production', owner: 'team-a', ...patch.spec },
  ...patch.root,
});

const cases = {
  'a valid component': component(),
  'a name with a space': component({ metadata: { name: 'not valid' } }),
  'a name of 64 characters': component({ metadata: { name: 'a'.repeat(64) } }),
  'an upper-case tag': component({ metadata: { tags: ['Java'] } }),
  'a bad label key': component({ metadata: { labels: { 'bad key': 'x' } } }),
  'a missing owner': component({ spec: { owner: undefined } }),
  'an unknown root field': component({ root: { extra: true } }),
  'a valid API': { apiVersion: 'backstage.io/v1alpha1', kind: 'API', metadata: { name: 'pets' }, spec: { type: 'openapi', lifecycle: 'production', owner: 'team-a', definition: 'openapi: 3.0.0' } },
  'an API without definition': { apiVersion: 'backstage.io/v1alpha1', kind: 'API', metadata: { name: 'pets' }, spec: { type: 'openapi', lifecycle: 'production', owner: 'team-a' } },
  'a valid group': { apiVersion: 'backstage.io/v1alpha1', kind: 'Group', metadata: { name: 'team-a' }, spec: { type: 'team', children: [] } },
  'a group without children': { apiVersion: 'backstage.io/v1alpha1', kind: 'Group', metadata: { name: 'team-a' }, spec: { type: 'team' } },
};

for (const [label, entity] of Object.entries(cases)) {
  test(`validateEntity agrees with @backstage/catalog-model on ${label}`, async () => {
    const expected = await backstageSaysValid(JSON.parse(JSON.stringify(entity)));
    // The oracle itself must tell the cases apart, or agreeing with it proves nothing.
    assert.equal(expected, label.startsWith('a valid'), `oracle on ${label}`);
    const result = await client.validateEntity(JSON.parse(JSON.stringify(entity)), 'url:https://example.com/catalog-info.yaml');
    assert.equal(result.valid, expected, JSON.stringify(result));
    if (!result.valid) {
      assert.ok(result.errors.length > 0);
      for (const error of result.errors) assert.ok(error.name && error.message, JSON.stringify(error));
    }
  });
}

test('every demo entity passes @backstage/catalog-model validation and the server agrees', async () => {
  const { items } = await client.getEntities({ filter: { kind: ['component', 'api', 'group', 'system'] } });
  for (const entity of items) {
    const { uid, etag, ...metadata } = entity.metadata;
    const { relations, ...rest } = entity;
    const plain = { ...rest, metadata };
    assert.ok(await backstageSaysValid(plain), stringifyEntityRef(entity));
    assert.deepEqual(await client.validateEntity(plain, 'url:https://example.com/x.yaml'), { valid: true });
  }
});
