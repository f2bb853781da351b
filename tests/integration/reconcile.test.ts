/**
 * The reconciliation service (W3C Entity Reconciliation Service API v0.2, as OpenRefine uses it)
 * over the real graph: the manifest, a small "spreadsheet" of States, documents and incidents
 * reconciled with and without types and property constraints, suggest, previews (escaped and
 * frameable), data extension with property proposals, JSONP, and errors.
 */
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server.js';
import { REPO_ROOT, startTestServer } from '../util/server.js';

const ID = 'https://w3id.org/cyber-diplomacy/id/';
const CDO = 'https://w3id.org/cyber-diplomacy/ontology#';
const FRA = `${ID}state/FRA`;
const GBR = `${ID}state/GBR`;
const RUS = `${ID}state/RUS`;
const KOR = `${ID}state/KOR`;
const UKR = `${ID}state/UKR`;
const A_70_174 = `${ID}document/A-70-174`;
const NOTPETYA = `${ID}incident/notpetya-2017`;
const FCDO = `${ID}organization/uk-fcdo`;

interface Candidate {
  id: string;
  name: string;
  type: Array<{ id: string; name: string }>;
  score: number;
  match: boolean;
  description?: string;
  features?: Array<{ id: string; value: number | boolean }>;
}
type ResultBatch = Record<string, { result: Candidate[] }>;

interface Manifest {
  versions: string[];
  name: string;
  identifierSpace: string;
  schemaSpace: string;
  defaultTypes: Array<{ id: string; name: string }>;
  view: { url: string };
  preview: { url: string; width: number; height: number };
  suggest: Record<'entity' | 'type' | 'property', { service_url: string; service_path: string }>;
  extend: {
    propose_properties: { service_url: string; service_path: string };
    property_settings: Array<{ name: string; type: string; label: string }>;
  };
  batchSize: number;
}

let server: RunningServer;

beforeAll(async () => {
  server = await startTestServer({
    dataPaths: [path.join(REPO_ROOT, 'ontology'), path.join(REPO_ROOT, 'data')],
  });
});
afterAll(async () => {
  await server.close();
});

/** Sends a batch the way OpenRefine does: POST, form-encoded `queries`. */
async function reconcile(queries: Record<string, unknown>): Promise<ResultBatch> {
  const res = await request(server.url)
    .post('/reconcile')
    .type('form')
    .send({ queries: JSON.stringify(queries) })
    .expect(200);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  return res.body as ResultBatch;
}

function top(batch: ResultBatch, key: string): Candidate {
  const first = batch[key]?.result[0];
  expect(first, `no candidate for ${key}`).toBeDefined();
  return first!;
}

describe('service manifest', () => {
  it('is returned on GET without parameters, with every field OpenRefine reads', async () => {
    const res = await request(server.url).get('/reconcile').set('Origin', 'http://localhost:3333');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    const m = res.body as Manifest;
    expect(m.versions).toContain('0.2');
    expect(m.name).toBe('Cyber Diplomacy Graph');
    expect(m.identifierSpace).toBe(ID);
    expect(m.schemaSpace).toBe(CDO);
    expect(m.defaultTypes.map((t) => t.id)).toEqual(
      expect.arrayContaining([`${CDO}State`, `${CDO}Document`, `${CDO}Incident`]),
    );
    expect(m.defaultTypes.find((t) => t.id === `${CDO}State`)?.name).toBe('State');
    expect(m.view.url).toContain('{{id}}');
    expect(m.preview.url).toBe(`${server.url}/reconcile/preview?id={{id}}`);
    expect(m.preview.width).toBeGreaterThan(0);
    expect(m.preview.height).toBeGreaterThan(0);
    for (const kind of ['entity', 'type', 'property'] as const) {
      expect(m.suggest[kind].service_url).toBe(`${server.url}/reconcile`);
      expect(m.suggest[kind].service_path).toBe(`/suggest/${kind}`);
    }
    expect(m.extend.propose_properties.service_url + m.extend.propose_properties.service_path).toBe(
      `${server.url}/reconcile/properties`,
    );
    expect(m.extend.property_settings.map((s) => s.name)).toEqual(['limit', 'lang']);
    expect(m.batchSize).toBeGreaterThanOrEqual(10);
  });

  it('points at services that answer', async () => {
    const m = (await request(server.url).get('/reconcile').expect(200)).body as Manifest;
    for (const kind of ['entity', 'type', 'property'] as const) {
      const url = new URL(m.suggest[kind].service_url + m.suggest[kind].service_path);
      url.searchParams.set('prefix', 'fr');
      const res = await fetch(url);
      expect(res.status, kind).toBe(200);
    }
    const preview = await fetch(m.preview.url.replace('{{id}}', encodeURIComponent(FRA)));
    expect(preview.status).toBe(200);
  });
});

describe('reconciling a spreadsheet', () => {
  const sheet = {
    q0: { query: 'France' },
    q1: { query: 'United Kingdom' },
    q2: { query: 'Russian Federation' },
    q3: { query: 'A/70/174' },
    q4: { query: 'NotPetya' },
  };
  const expected: Record<string, string> = {
    q0: FRA,
    q1: GBR,
    q2: RUS,
    q3: A_70_174,
    q4: NOTPETYA,
  };

  it('matches each row by exact name, alternative name or symbol, without a type', async () => {
    const batch = await reconcile(sheet);
    expect(Object.keys(batch).sort()).toEqual(Object.keys(sheet).sort());
    for (const [key, iri] of Object.entries(expected)) {
      const c = top(batch, key);
      expect(c.id, key).toBe(iri);
      expect(c.score, key).toBe(100);
      expect(c.match, key).toBe(true);
      // Only the first, unique exact candidate is a match; the list is sorted by score.
      const results = batch[key]!.result;
      expect(results.slice(1).every((r) => !r.match)).toBe(true);
      const scores = results.map((r) => r.score);
      expect(scores).toEqual([...scores].sort((a, b) => b - a));
      for (const r of results) {
        expect(typeof r.name).toBe('string');
        expect(Array.isArray(r.type)).toBe(true);
      }
    }
    expect(top(batch, 'q2').name).toBe('Russia');
    expect(top(batch, 'q0').type).toEqual([{ id: `${CDO}State`, name: 'State' }]);
  });

  it('matches with types as OpenRefine sends them (one type, type_strict "should")', async () => {
    const batch = await reconcile({
      q0: { query: 'France', type: `${CDO}State`, type_strict: 'should' },
      q1: { query: 'United Kingdom', type: `${CDO}State`, type_strict: 'should' },
      q2: { query: 'Russian Federation', type: `${CDO}State`, type_strict: 'should' },
      // cdo:Document takes in its subclasses: A/70/174 is a cdo:Report.
      q3: { query: 'A/70/174', type: `${CDO}Document`, type_strict: 'should' },
      q4: { query: 'NotPetya', type: `${CDO}Incident`, type_strict: 'should' },
    });
    for (const [key, iri] of Object.entries(expected)) {
      expect(top(batch, key).id, key).toBe(iri);
      expect(top(batch, key).match, key).toBe(true);
      expect(top(batch, key).features).toContainEqual({ id: 'type_match', value: true });
    }
  });

  it('filters by type: only States for a State column, nothing for the wrong type', async () => {
    const batch = await reconcile({
      q0: { query: 'France', type: `${CDO}State`, limit: 50 },
      q1: { query: 'France', type: [`${CDO}Incident`] },
      q2: { query: 'NotPetya', type: [`${CDO}Incident`, `${CDO}Source`], type_strict: 'any' },
      q3: { query: 'NotPetya', type: [`${CDO}Incident`, `${CDO}Source`], type_strict: 'all' },
      q4: { query: 'France', type: 'cdo:Incident', type_strict: 'should' },
    });
    const states = batch.q0!.result;
    expect(states.length).toBeGreaterThan(0);
    expect(states.every((c) => c.type.some((t) => t.id === `${CDO}State`))).toBe(true);
    expect(batch.q1!.result.some((c) => c.id === FRA)).toBe(false);
    const kinds = new Set(batch.q2!.result.flatMap((c) => c.type.map((t) => t.id)));
    expect(kinds).toEqual(new Set([`${CDO}Incident`, `${CDO}Source`]));
    expect(batch.q3!.result).toEqual([]);
    // "should": off-type candidates stay, at a lower score and never as a match.
    const soft = batch.q4!.result.find((c) => c.id === FRA);
    expect(soft?.score).toBe(50);
    expect(soft?.match).toBe(false);
  });

  it('answers GET with queries= as POST does, and the v0.1 single query', async () => {
    const res = await request(server.url)
      .get('/reconcile')
      .query({ queries: JSON.stringify({ a: { query: 'united kingdom' } }) })
      .expect(200);
    expect(top(res.body as ResultBatch, 'a').id).toBe(GBR);
    const single = await request(server.url)
      .get('/reconcile')
      .query({ query: 'France' })
      .expect(200);
    expect((single.body as { result: Candidate[] }).result[0]?.id).toBe(FRA);
  });

  it('normalises case, accents and punctuation, and ranks near misses lower', async () => {
    const batch = await reconcile({
      q0: { query: '  FRANCE ' },
      q1: { query: 'République française' },
      q2: { query: 'a 70 174' },
      q3: { query: 'Russia Federation' },
      q4: { query: 'United' },
    });
    expect(top(batch, 'q0').id).toBe(FRA);
    expect(top(batch, 'q1').id).toBe(FRA);
    expect(top(batch, 'q1').match).toBe(true);
    expect(top(batch, 'q2').id).toBe(A_70_174);
    const near = top(batch, 'q3');
    expect(near.id).toBe(RUS);
    expect(near.score).toBeLessThan(100);
    expect(near.score).toBeGreaterThan(70);
    expect(near.match).toBe(false);
    // Several "United …" States: candidates, but no automatic match.
    expect(batch.q4!.result.length).toBeGreaterThan(1);
    expect(batch.q4!.result.some((c) => c.match)).toBe(false);
  });

  it('takes an entity identifier as the query', async () => {
    const batch = await reconcile({ q0: { query: NOTPETYA } });
    expect(top(batch, 'q0')).toMatchObject({ id: NOTPETYA, score: 100, match: true });
  });

  it('honours limit and returns an empty result for no candidates', async () => {
    const batch = await reconcile({
      q0: { query: 'France', limit: 2 },
      q1: { query: 'zzzzqqqq' },
    });
    expect(batch.q0!.result).toHaveLength(2);
    expect(batch.q1!.result).toEqual([]);
  });
});

describe('property constraints', () => {
  const alpha3 = `${CDO}iso3166Alpha3`;

  it('boosts the candidate whose property matches', async () => {
    const batch = await reconcile({
      plain: { query: 'Korea', type: `${CDO}State` },
      coded: { query: 'Korea', type: `${CDO}State`, properties: [{ pid: alpha3, v: 'KOR' }] },
      prefixed: { query: 'Korea', properties: [{ pid: 'cdo:iso3166Alpha3', v: 'kor' }] },
    });
    const plain = batch.plain!.result;
    const coded = top(batch, 'coded');
    expect(coded.id).toBe(KOR);
    expect(coded.score).toBeGreaterThan(plain.find((c) => c.id === KOR)!.score);
    expect(coded.features).toContainEqual({ id: 'property_match', value: 1 });
    const other = batch.coded!.result.find((c) => c.id === `${ID}state/PRK`);
    expect(other === undefined || other.score < coded.score).toBe(true);
    expect(top(batch, 'prefixed').id).toBe(KOR);
  });

  it('reconciles by properties alone, and refuses a match when a property disagrees', async () => {
    const batch = await reconcile({
      code: { properties: [{ pid: alpha3, v: 'FRA' }] },
      clash: { query: 'France', properties: [{ pid: alpha3, v: 'GBR' }] },
      many: { query: 'France', properties: [{ pid: alpha3, v: ['XXX', 'FRA'] }] },
    });
    expect(top(batch, 'code')).toMatchObject({ id: FRA, score: 100, match: true });
    const clash = batch.clash!.result;
    expect(clash.some((c) => c.match)).toBe(false);
    expect(clash.find((c) => c.id === FRA)!.score).toBeLessThan(100);
    expect(clash.some((c) => c.id === GBR)).toBe(true);
    expect(top(batch, 'many')).toMatchObject({ id: FRA, score: 100, match: true });
  });

  it('compares entity-valued properties by id or by name', async () => {
    const targetsState = `${CDO}targetsState`;
    const batch = await reconcile({
      byId: { query: 'NotPetya', properties: [{ pid: targetsState, v: { id: UKR, name: 'x' } }] },
      byName: { query: 'NotPetya', properties: [{ pid: targetsState, v: 'Ukraine' }] },
      wrong: { query: 'NotPetya', properties: [{ pid: targetsState, v: { id: FRA } }] },
    });
    expect(top(batch, 'byId')).toMatchObject({ id: NOTPETYA, score: 100, match: true });
    expect(top(batch, 'byName')).toMatchObject({ id: NOTPETYA, score: 100, match: true });
    expect(top(batch, 'wrong').match).toBe(false);
  });
});

describe('errors', () => {
  it('refuses malformed batches with 400 and a JSON reason', async () => {
    const notJson = await request(server.url)
      .post('/reconcile')
      .type('form')
      .send({ queries: '{nope' })
      .expect(400);
    expect(notJson.headers['content-type']).toMatch(/^application\/json/);
    expect((notJson.body as { message: string }).message).toMatch(/queries/);
    await request(server.url)
      .post('/reconcile')
      .type('form')
      .send({
        queries: JSON.stringify({ q0: { query: 'x', properties: [{ pid: '<bad>', v: 'x' }] } }),
      })
      .expect(400);
    await request(server.url)
      .post('/reconcile')
      .type('form')
      .send({ queries: JSON.stringify({ q0: { query: 'x', type: 'a"b> }' } }) })
      .expect(400);
    await request(server.url).post('/reconcile').type('form').send({}).expect(400);
  });

  it('refuses batches larger than the announced batchSize with 413', async () => {
    const queries = Object.fromEntries(
      Array.from({ length: 101 }, (_, i) => [`q${i}`, { query: 'France' }]),
    );
    await request(server.url)
      .post('/reconcile')
      .type('form')
      .send({ queries: JSON.stringify(queries) })
      .expect(413);
  });
});

describe('suggest', () => {
  it('suggests entities by prefix, with types and paging', async () => {
    const res = await request(server.url)
      .get('/reconcile/suggest/entity')
      .query({ prefix: 'Fran' })
      .expect(200);
    const result = (res.body as { result: Array<{ id: string; name: string; notable: unknown[] }> })
      .result;
    expect(result[0]).toMatchObject({ id: FRA, name: 'France' });
    expect(result[0]!.notable).toEqual([{ id: `${CDO}State`, name: 'State' }]);
    const second = await request(server.url)
      .get('/reconcile/suggest/entity')
      .query({ prefix: 'Fran', cursor: 1, limit: 1 })
      .expect(200);
    expect((second.body as { result: Array<{ id: string }> }).result).toEqual([
      expect.objectContaining({ id: result[1]!.id }),
    ]);
    const typed = await request(server.url)
      .get('/reconcile/suggest/entity')
      .query({ prefix: 'not', type: `${CDO}Incident` })
      .expect(200);
    expect((typed.body as { result: Array<{ id: string }> }).result[0]?.id).toBe(NOTPETYA);
    const byIri = await request(server.url)
      .get('/reconcile/suggest/entity')
      .query({ prefix: GBR })
      .expect(200);
    expect((byIri.body as { result: Array<{ id: string }> }).result[0]?.id).toBe(GBR);
  });

  it('suggests types and properties', async () => {
    const types = await request(server.url)
      .get('/reconcile/suggest/type')
      .query({ prefix: 'stat' })
      .expect(200);
    expect((types.body as { result: Array<{ id: string }> }).result[0]?.id).toBe(`${CDO}State`);
    const props = await request(server.url)
      .get('/reconcile/suggest/property')
      .query({ prefix: 'ISO 3166-1 alpha-3' })
      .expect(200);
    expect((props.body as { result: Array<{ id: string; name: string }> }).result[0]).toEqual({
      id: `${CDO}iso3166Alpha3`,
      name: 'ISO 3166-1 alpha-3 code',
      description: 'cdo:iso3166Alpha3',
    });
    const compact = await request(server.url)
      .get('/reconcile/suggest/property')
      .query({ prefix: 'cdo:iso' })
      .expect(200);
    expect((compact.body as { result: Array<{ id: string }> }).result.map((r) => r.id)).toContain(
      `${CDO}iso3166Alpha3`,
    );
  });

  it('asks for a prefix', async () => {
    await request(server.url).get('/reconcile/suggest/entity').expect(400);
  });
});

describe('preview and view', () => {
  it('serves a small HTML preview that OpenRefine can frame', async () => {
    const res = await request(server.url).get('/reconcile/preview').query({ id: FRA }).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['x-frame-options']).toBeUndefined();
    expect(res.headers['content-security-policy']).toContain('frame-ancestors *');
    expect(res.headers['content-security-policy']).not.toMatch(/script-src/);
    expect(res.text).toContain('<title>France</title>');
    expect(res.text).toContain('href="/id/state/FRA"');
    expect(res.text).toContain('FRA');
    expect(res.text).not.toContain('<script');
  });

  it('escapes what it shows', async () => {
    const res = await request(server.url).get('/reconcile/preview').query({ id: FCDO }).expect(200);
    expect(res.text).toContain('Foreign, Commonwealth &amp; Development Office');
    expect(res.text).not.toContain('Commonwealth & Development');
  });

  it('answers unknown or hostile ids with a plain-text 404', async () => {
    const res = await request(server.url)
      .get('/reconcile/preview')
      .query({ id: '"><script>alert(1)</script>' })
      .expect(404);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
  });

  it('redirects view links to the entity page, and nowhere else', async () => {
    const res = await request(server.url).get('/reconcile/view').query({ id: FRA }).expect(303);
    expect(res.headers.location).toBe('/id/state/FRA');
    await request(server.url)
      .get('/reconcile/view')
      .query({ id: 'https://evil.example/' })
      .expect(404);
  });
});

describe('data extension', () => {
  it('proposes the properties a type uses', async () => {
    const res = await request(server.url)
      .get('/reconcile/properties')
      .query({ type: `${CDO}State`, limit: 50 })
      .expect(200);
    const body = res.body as { type: string; limit: number; properties: Array<{ id: string }> };
    expect(body.type).toBe(`${CDO}State`);
    expect(body.limit).toBe(50);
    expect(body.properties.map((p) => p.id)).toEqual(
      expect.arrayContaining([`${CDO}iso3166Alpha3`, `${CDO}iso3166Alpha2`, `${CDO}m49Code`]),
    );
    const few = await request(server.url)
      .get('/reconcile/properties')
      .query({ type: `${CDO}State`, limit: 2 })
      .expect(200);
    expect((few.body as { properties: unknown[] }).properties).toHaveLength(2);
  });

  it('fetches property values for reconciled ids', async () => {
    const attribution = `${ID}attribution/notpetya-2017-gbr`;
    const extend = {
      ids: [FRA, GBR, attribution, NOTPETYA, `${ID}state/NOPE`],
      properties: [
        { id: `${CDO}iso3166Alpha2` },
        { id: 'http://www.w3.org/2004/02/skos/core#prefLabel', settings: { lang: 'fr' } },
        { id: 'cdo:attributedBy' },
        { id: `${CDO}date` },
        { id: `${CDO}targetsState` },
      ],
    };
    const res = await request(server.url)
      .post('/reconcile')
      .type('form')
      .send({ extend: JSON.stringify(extend) })
      .expect(200);
    const body = res.body as {
      meta: Array<{ id: string; name: string; type?: { id: string } }>;
      rows: Record<string, Record<string, unknown[]>>;
    };
    expect(body.meta.map((m) => m.id)).toEqual([
      `${CDO}iso3166Alpha2`,
      'http://www.w3.org/2004/02/skos/core#prefLabel',
      `${CDO}attributedBy`,
      `${CDO}date`,
      `${CDO}targetsState`,
    ]);
    expect(body.meta[0]!.name).toBe('ISO 3166-1 alpha-2 code');
    // Entity-valued properties name their range when it is a class of the graph.
    expect(body.meta[4]!.type).toEqual({ id: `${CDO}State`, name: 'State' });
    expect(Object.keys(body.rows)).toEqual(extend.ids);
    expect(body.rows[FRA]![`${CDO}iso3166Alpha2`]).toEqual([{ str: 'FR' }]);
    expect(body.rows[GBR]!['http://www.w3.org/2004/02/skos/core#prefLabel']).toEqual([
      { str: 'Royaume-Uni' },
    ]);
    expect(body.rows[attribution]![`${CDO}attributedBy`]).toEqual([
      { id: GBR, name: 'United Kingdom' },
    ]);
    expect(body.rows[attribution]![`${CDO}date`]).toEqual([{ date: '2018-02-15T00:00:00Z' }]);
    expect(body.rows[NOTPETYA]![`${CDO}targetsState`]).toEqual([{ id: UKR, name: 'Ukraine' }]);
    expect(body.rows[`${ID}state/NOPE`]![`${CDO}iso3166Alpha2`]).toEqual([]);
  });

  it('applies the limit setting and answers GET too', async () => {
    const extend = {
      ids: [FRA],
      properties: [
        { id: 'http://www.w3.org/2004/02/skos/core#altLabel', settings: { lang: '*', limit: '2' } },
      ],
    };
    const res = await request(server.url)
      .get('/reconcile')
      .query({ extend: JSON.stringify(extend) })
      .expect(200);
    const rows = (res.body as { rows: Record<string, Record<string, unknown[]>> }).rows;
    expect(rows[FRA]!['http://www.w3.org/2004/02/skos/core#altLabel']).toHaveLength(2);
  });

  it('refuses malformed extend queries', async () => {
    await request(server.url)
      .get('/reconcile')
      .query({ extend: JSON.stringify({ ids: [FRA] }) })
      .expect(400);
  });
});

describe('JSONP', () => {
  it('wraps suggest answers in the callback, as the suggest widget asks', async () => {
    const res = await request(server.url)
      .get('/reconcile/suggest/entity')
      .query({ prefix: 'France', callback: 'jQuery123_456' })
      .expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/javascript/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    const text = res.text;
    expect(text).toMatch(/^\/\*\*\/ typeof jQuery123_456 === 'function' && jQuery123_456\(/);
    const json = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
    expect((JSON.parse(json) as { result: Array<{ id: string }> }).result[0]?.id).toBe(FRA);
  });

  it('wraps the manifest, reconciliation results, proposals and errors', async () => {
    const manifest = await request(server.url)
      .get('/reconcile')
      .query({ callback: 'cb' })
      .expect(200);
    expect(manifest.text).toMatch(/^\/\*\*\/ typeof cb === 'function' && cb\(\{"versions"/);
    const results = await request(server.url)
      .get('/reconcile')
      .query({ queries: JSON.stringify({ q0: { query: 'France' } }), callback: 'cb' })
      .expect(200);
    expect(results.text).toContain(`"id":"${FRA}"`);
    const props = await request(server.url)
      .get('/reconcile/properties')
      .query({ type: `${CDO}State`, callback: 'cb' })
      .expect(200);
    expect(props.text).toMatch(/^\/\*\*\/ typeof cb === 'function' && cb\(/);
    const error = await request(server.url)
      .get('/reconcile')
      .query({ queries: '{', callback: 'cb' })
      .expect(400);
    expect(error.text).toMatch(/^\/\*\*\/ typeof cb === 'function' && cb\(\{"status":"error"/);
  });

  it('strips anything from the callback name that is not an identifier', async () => {
    const res = await request(server.url)
      .get('/reconcile')
      .query({ callback: 'alert(1);cb' })
      .expect(200);
    expect(res.text).not.toContain('alert(1)');
  });
});
