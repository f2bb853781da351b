/**
 * Limits that hold: a runaway query is stopped at its deadline while other queries are served;
 * results are capped; oversized bodies are refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { ENGINES } from '../../src/config.js';
import type { RunningServer } from '../../src/server.js';
import { startTestServer } from '../util/server.js';
import { until } from '../util/wait.js';

const CARTESIAN =
  'SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o . ?p ?q ?r }';

describe.each(ENGINES)('limits on the %s engine', (engine) => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startTestServer({
      engine,
      queryTimeoutMs: 1500,
      maxResultRows: 5,
      maxBodyBytes: 2048,
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it('stops a cartesian product at the deadline while a cheap query sent during it is answered', async () => {
    const order: string[] = [];
    const slow = request(server.url)
      .get('/sparql')
      .query({ query: CARTESIAN })
      .then((res) => {
        order.push('slow');
        return res;
      });
    // Give the slow query time to reach a worker, then send a cheap one from another client (one
    // client's queries never hold every worker; see client-limits.test.ts).
    await new Promise((r) => setTimeout(r, 200));
    const cheap = await request(server.url)
      .get('/sparql')
      .set('X-Forwarded-For', '192.0.2.7')
      .query({ query: 'ASK { ?s ?p ?o }' });
    order.push('cheap');
    expect(cheap.status).toBe(200);
    const res = await slow;
    expect(order).toEqual(['cheap', 'slow']);
    expect(res.status).toBe(503);
    expect(res.text).toMatch(/timed out.*1500 ms/);
    // The killed worker is replaced: the pool serves again at full strength.
    await until(() => server.engine.readyWorkers === 2, 'the worker is replaced');
    const after = await Promise.all(
      [1, 2, 3].map(() => request(server.url).get('/sparql').query({ query: 'ASK {}' })),
    );
    expect(after.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(server.engine.replacements).toBeGreaterThanOrEqual(1);
  });

  it('caps result rows and says so in a header', async () => {
    const res = await request(server.url)
      .get('/sparql')
      .query({ query: 'SELECT * WHERE { ?s ?p ?o }' })
      .expect(200);
    expect((res.body as { results: { bindings: unknown[] } }).results.bindings).toHaveLength(5);
    expect(res.headers['x-result-truncated']).toBe('true; limit=5');
    const construct = await request(server.url)
      .get('/sparql')
      .query({ query: 'CONSTRUCT WHERE { ?s ?p ?o }', format: 'nt' })
      .expect(200);
    expect(construct.text.trim().split('\n')).toHaveLength(5);
    const small = await request(server.url)
      .get('/sparql')
      .query({ query: 'SELECT * WHERE { ?s a ?t } LIMIT 2' })
      .expect(200);
    expect(small.headers['x-result-truncated']).toBeUndefined();
  });

  it('refuses a body over the limit with 413', async () => {
    const big = `ASK { ${'?s ?p ?o . '.repeat(400)} }`;
    const res = await request(server.url)
      .post('/sparql')
      .set('Content-Type', 'application/sparql-query')
      .send(big)
      .expect(413);
    expect(res.text).toMatch(/limit is 2048 bytes/);
  });
});
