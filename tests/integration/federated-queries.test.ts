/**
 * The ready-made federated queries (`queries/federated/`): they name Wikidata's real endpoint, so
 * by default they are refused (not on the allowlist), and the tests never go online. Their joins
 * are checked against a stand-in endpoint on loopback in Wikidata's shape (example.org items).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSavedQuery } from '../../src/reports/savedQueries.js';
import { inspectQuery } from '../../src/sparql/inspect.js';
import type { RunningServer } from '../../src/server.js';
import { FIXTURES, REPO_ROOT, startTestServer } from '../util/server.js';

const WIKIDATA = 'https://query.wikidata.org/sparql';
const dir = path.join(REPO_ROOT, 'queries', 'federated');
const files = readdirSync(dir).filter((f) => f.endsWith('.rq'));

type Rows = Array<Record<string, { value: string }>>;

describe('the federated example queries', () => {
  let standIn: RunningServer;
  let ours: RunningServer;
  beforeAll(async () => {
    standIn = await startTestServer({
      workers: 1,
      dataPaths: [path.join(FIXTURES, 'federation', 'standin.ttl')],
    });
    ours = await startTestServer({
      engine: 'comunica',
      workers: 1,
      dataPaths: [path.join(REPO_ROOT, 'ontology'), path.join(FIXTURES, 'federation', 'ours.ttl')],
      serviceAllowlist: [`${standIn.url}/sparql`],
    });
  });
  afterAll(async () => {
    await Promise.all([ours.close(), standIn.close()]);
  });

  it.each(files)(
    '%s names Wikidata, says what it needs, and is refused off the allowlist',
    async (file) => {
      const text = readFileSync(path.join(dir, file), 'utf8');
      const saved = parseSavedQuery(file.slice(0, -3), text);
      expect(saved.title).not.toBe(saved.id);
      expect(saved.description).not.toBe('');
      expect(text).toMatch(/^# service: https:\/\/query\.wikidata\.org\/sparql$/mu);
      expect(inspectQuery(text).services).toEqual([WIKIDATA]);
      const res = await request(ours.url).get('/sparql').query({ query: text });
      expect(res.status).toBe(403);
      expect(res.text).toContain('allowlist');
    },
  );

  const run = async (file: string): Promise<Rows> => {
    const text = readFileSync(path.join(dir, file), 'utf8').replaceAll(
      WIKIDATA,
      `${standIn.url}/sparql`,
    );
    const res = await request(ours.url).get('/sparql').query({ query: text });
    expect(res.status, res.text).toBe(200);
    return (res.body as { results: { bindings: Rows } }).results.bindings;
  };

  it('joins States through owl:sameAs', async () => {
    const rows = await run('wikidata-states.rq');
    expect(
      rows.map((r) => [r.stateLabel?.value, r.population?.value, r.capitalLabel?.value]),
    ).toEqual([['Testland Alpha', '1000', 'Alpha City']]);
  });

  it('joins States by ISO code, with no sameAs links needed', async () => {
    const rows = await run('wikidata-states-by-iso-code.rq');
    expect(rows.map((r) => [r.code?.value, r.item?.value, r.population?.value])).toEqual([
      ['XAA', 'http://example.org/test-item/alpha', '1000'],
      ['XAB', 'http://example.org/test-item/beta', '2000'],
    ]);
  });

  it('joins incidents and documents through owl:sameAs', async () => {
    const incidents = await run('wikidata-incidents.rq');
    expect(incidents.map((r) => [r.wikidataDescription?.value, r.wikidataDate?.value])).toEqual([
      ['a test incident', '2020-05-02T00:00:00Z'],
    ]);
    const documents = await run('wikidata-documents.rq');
    expect(documents.map((r) => [r.symbol?.value, r.subjectLabel?.value])).toEqual([
      ['TEST/1', 'Test topic'],
    ]);
  });
});
