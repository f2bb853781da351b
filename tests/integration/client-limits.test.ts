/**
 * Per-client limits over real HTTP: requests in flight per client, a query-time budget per client
 * (429 with Retry-After beyond either), and one worker always left for other clients. Clients are
 * told apart by address; behind a proxy on loopback, by X-Forwarded-For.
 */
import net from 'node:net';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server.js';
import { startTestServer } from '../util/server.js';
import { until } from '../util/wait.js';

const CARTESIAN =
  'SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o . ?p ?q ?r }';

/** A request whose body never finishes arriving: it stays in flight until `finish`. */
function hangingPost(url: string, client: string): { finish: () => Promise<string> } {
  const { hostname, port } = new URL(url);
  const socket = net.connect({ host: hostname, port: Number(port) });
  const body = 'ASK { ?s ?p ?o }';
  socket.write(
    `POST /sparql HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Forwarded-For: ${client}\r\n` +
      `Content-Type: application/sparql-query\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 3)}`,
  );
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  const closed = new Promise<string>((resolve) =>
    socket.on('close', () => resolve(Buffer.concat(chunks).toString())),
  );
  return {
    finish: () => {
      socket.write(body.slice(3));
      return closed;
    },
  };
}

describe('requests in flight per client', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startTestServer({ clientConcurrency: 2 });
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers 429 with Retry-After beyond the limit, for that client only', async () => {
    const a = hangingPost(server.url, '203.0.113.1');
    const b = hangingPost(server.url, '203.0.113.1');
    await until(async () => {
      const metrics = await request(server.url).get('/metrics');
      return /cdg_http_requests_in_flight [23]\b/.test(metrics.text);
    }, 'both requests are in flight');
    const refused = await request(server.url)
      .get('/sparql')
      .set('X-Forwarded-For', '203.0.113.1')
      .query({ query: 'ASK {}' });
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.text).toMatch(/at most 2 may be in flight/);
    // Pages count too; probes never do.
    await request(server.url).get('/').set('X-Forwarded-For', '203.0.113.1').expect(429);
    for (const probe of ['/health', '/ready', '/metrics']) {
      await request(server.url).get(probe).set('X-Forwarded-For', '203.0.113.1').expect(200);
    }
    // Another client is served meanwhile.
    await request(server.url)
      .get('/sparql')
      .set('X-Forwarded-For', '203.0.113.2')
      .query({ query: 'ASK {}' })
      .expect(200);
    expect(await a.finish()).toMatch(/^HTTP\/1\.1 200/);
    await request(server.url)
      .get('/sparql')
      .set('X-Forwarded-For', '203.0.113.1')
      .query({ query: 'ASK { ?s ?p ?o }' })
      .expect(200);
    expect(await b.finish()).toMatch(/^HTTP\/1\.1 200/);
    const metrics = await request(server.url).get('/metrics');
    expect(metrics.text).toMatch(/cdg_client_limit_refusals_total\{reason="concurrency"\} 2/);
    expect(metrics.text).toMatch(
      /cdg_http_requests_total\{route="\/sparql",method="GET",status="429"\} 1/,
    );
  });
});

describe('query time per client', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startTestServer({
      queryTimeoutMs: 600,
      clientBudgetMs: 1000,
      clientWindowMs: 60_000,
      clientConcurrency: 4,
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it('refuses queries with 429 once a client has used its budget, and says when to retry', async () => {
    const heavy = '198.51.100.10';
    for (let i = 0; i < 2; i++) {
      // Until the worker its last query broke is back, the client has no worker to run on.
      await until(() => server.engine.readyWorkers === 2, 'the pool is whole');
      const res = await request(server.url)
        .get('/sparql')
        .set('X-Forwarded-For', heavy)
        .query({ query: `${CARTESIAN} LIMIT ${i + 1}` });
      expect(res.status).toBe(503);
    }
    expect(server.limits.used(heavy)).toBeGreaterThanOrEqual(1000);
    const refused = await request(server.url)
      .get('/sparql')
      .set('X-Forwarded-For', heavy)
      .query({ query: 'ASK {}' });
    expect(refused.status).toBe(429);
    const retry = Number(refused.headers['retry-after']);
    expect(retry).toBeGreaterThan(1);
    expect(retry).toBeLessThanOrEqual(60);
    expect(refused.text).toMatch(/budget used up.*1\.0 s per 60 s/s);
    // Other clients query on; the heavy client still gets pages (the budget is for /sparql).
    await request(server.url)
      .get('/sparql')
      .set('X-Forwarded-For', '198.51.100.11')
      .query({ query: 'ASK {}' })
      .expect(200);
    await request(server.url).get('/').set('X-Forwarded-For', heavy).expect(200);
    const metrics = await request(server.url).get('/metrics');
    expect(metrics.text).toMatch(/cdg_client_limit_refusals_total\{reason="budget"\} 1/);
    expect(metrics.text).toMatch(/cdg_query_timeouts_total 2/);
  });

  it('states the limits in the service description', async () => {
    const res = await request(server.url)
      .get('/sparql')
      .set('Accept', 'application/n-triples')
      .expect(200);
    expect(res.text).toMatch(/service#perClientConcurrentRequests> "4"/);
    expect(res.text).toMatch(/service#perClientQueryMilliseconds> "1000"/);
    expect(res.text).toMatch(/service#perClientWindowMilliseconds> "60000"/);
    expect(res.text).toMatch(/service#maxQueryNestingDepth> "100"/);
  });
});

describe('workers shared between clients', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startTestServer({ workers: 2, queryTimeoutMs: 1500 });
  });
  afterAll(async () => {
    await server.close();
  });

  it("never gives one client's queries every worker: others are answered during its slow queries", async () => {
    const order: string[] = [];
    const slow = (n: number) =>
      request(server.url)
        .get('/sparql')
        .set('X-Forwarded-For', '192.0.2.50')
        .query({ query: `${CARTESIAN} LIMIT ${n}` })
        .then((res) => {
          order.push(`slow${n}`);
          return res;
        });
    const first = slow(1);
    const second = slow(2);
    // The second waits although a worker is free: the client already holds its share (1 of 2).
    await until(() => server.engine.queueLength === 1, "the client's second query is queued");
    const other = await request(server.url)
      .get('/sparql')
      .set('X-Forwarded-For', '192.0.2.51')
      .query({ query: 'SELECT * WHERE { ?s ?p ?o } LIMIT 1' });
    order.push('other');
    expect(other.status).toBe(200);
    const results = await Promise.all([first, second]);
    expect(order[0]).toBe('other');
    expect(results[0].status).toBe(503);
  });
});
