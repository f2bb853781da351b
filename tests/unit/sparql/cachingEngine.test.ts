import { describe, expect, it } from 'vitest';
import { CachingEngine } from '../../../src/sparql/cachingEngine.js';
import { createLocalEngine } from '../../../src/sparql/localEngine.js';

const NQUADS =
  '<http://e/a> <http://e/p> "1" <http://e/g> .\n<http://e/b> <http://e/p> "2" <http://e/g> .\n';
const JSON_TYPE = 'application/sparql-results+json';

describe('CachingEngine', () => {
  it('answers a repeated query from memory, keyed by query, format and version', async () => {
    const engine = new CachingEngine(
      await createLocalEngine('oxigraph', NQUADS, { maxRows: 100, serviceAllowlist: [] }),
      'v1',
    );
    const q = {
      query: 'SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s',
      form: 'SELECT' as const,
      mediaType: JSON_TYPE,
    };
    const first = await engine.query(q);
    const second = await engine.query(q);
    expect(second).toBe(first);
    expect(engine.stats).toMatchObject({ hits: 1, misses: 1, entries: 1 });
    await engine.query({ ...q, mediaType: 'text/csv' });
    expect(engine.stats.misses).toBe(2);
    engine.invalidate('v2');
    await engine.query(q);
    expect(engine.stats).toMatchObject({ hits: 1, misses: 3, entries: 1 });
    await engine.close();
  });

  it('never caches answers that may change: RAND, NOW, fresh blank nodes', async () => {
    const engine = new CachingEngine(
      await createLocalEngine('oxigraph', NQUADS, { maxRows: 100, serviceAllowlist: [] }),
      'v1',
    );
    const q = {
      query: 'SELECT (RAND() AS ?r) WHERE {}',
      form: 'SELECT' as const,
      mediaType: JSON_TYPE,
    };
    await engine.query(q);
    await engine.query(q);
    expect(engine.stats).toMatchObject({ hits: 0, misses: 0, entries: 0 });
    await engine.close();
  });

  it('keeps within its byte budget, dropping the least recently used', async () => {
    const engine = new CachingEngine(
      await createLocalEngine('oxigraph', NQUADS, { maxRows: 100, serviceAllowlist: [] }),
      'v1',
      600,
    );
    for (let i = 0; i < 5; i++) {
      await engine.query({
        query: `SELECT ?s WHERE { ?s ?p ?o } LIMIT ${i + 1}`,
        form: 'SELECT',
        mediaType: JSON_TYPE,
      });
    }
    expect(engine.stats.bytes).toBeLessThanOrEqual(600);
    expect(engine.stats.entries).toBeLessThan(5);
    await engine.close();
  });
});

describe('CachingEngine with queries in flight', () => {
  it('runs a query asked again before its first answer only once', async () => {
    const inner = await createLocalEngine('oxigraph', NQUADS, {
      maxRows: 100,
      serviceAllowlist: [],
    });
    let runs = 0;
    const counting = {
      name: inner.name,
      description: inner.description,
      query: (...args: Parameters<typeof inner.query>) => {
        runs++;
        return inner.query(...args);
      },
      close: () => inner.close(),
    };
    const engine = new CachingEngine(counting, 'v1');
    const q = {
      query: 'SELECT * WHERE { ?s ?p ?o }',
      form: 'SELECT' as const,
      mediaType: JSON_TYPE,
    };
    const answers = await Promise.all([engine.query(q), engine.query(q), engine.query(q)]);
    expect(runs).toBe(1);
    expect(answers[1]).toBe(answers[0]);
    expect(engine.stats).toMatchObject({ hits: 2, misses: 1 });
    await engine.close();
  });
});
