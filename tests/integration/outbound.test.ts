/**
 * No outbound requests by surprise: SERVICE, FROM <url> and LOAD never reach a URL off the
 * allowlist. A listener on 127.0.0.1 must receive nothing.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { ENGINES } from '../../src/config.js';
import type { RunningServer } from '../../src/server.js';
import { startRecordingEndpoint, type RecordingEndpoint } from '../util/listener.js';
import { startTestServer } from '../util/server.js';

let endpoint: RecordingEndpoint;
let target = '';
let hits: string[] = [];
beforeAll(async () => {
  endpoint = await startRecordingEndpoint();
  ({ url: target, hits } = endpoint);
});
afterAll(() => endpoint.close());

describe.each(ENGINES)('outbound requests on the %s engine', (engine) => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startTestServer({ engine, workers: 1 });
  });
  afterAll(async () => {
    await server.close();
  });

  it('refuses SERVICE to an endpoint off the (empty) allowlist', async () => {
    for (const q of [
      `SELECT * WHERE { SERVICE <${target}/sparql> { ?s ?p ?o } }`,
      `SELECT * WHERE { SERVICE SILENT <${target}/sparql> { ?s ?p ?o } }`,
      `PREFIX r: <${target}/> SELECT * WHERE { SERVICE r:sparql { ?s ?p ?o } }`,
      `SELECT * WHERE { BIND(<${target}/sparql> AS ?x) SERVICE ?x { ?s ?p ?o } }`,
    ]) {
      const res = await request(server.url).get('/sparql').query({ query: q });
      expect(res.status).toBe(403);
      expect(res.text).toMatch(/allowlist|not allowed/);
    }
  });

  it('does not fetch FROM or FROM NAMED IRIs: they name local graphs only', async () => {
    const res = await request(server.url)
      .get('/sparql')
      .query({
        query: `SELECT * FROM <${target}/data.ttl> FROM NAMED <${target}/named.ttl> WHERE { ?s ?p ?o }`,
      })
      .expect(200);
    expect((res.body as { results: { bindings: unknown[] } }).results.bindings).toEqual([]);
  });

  it('refuses LOAD (an update) before any engine sees it', async () => {
    await request(server.url)
      .post('/sparql')
      .set('Content-Type', 'application/sparql-update')
      .send(`LOAD <${target}/x.ttl>`)
      .expect(403);
    await request(server.url)
      .post('/sparql')
      .type('form')
      .send({ update: `LOAD <${target}/x.ttl>` })
      .expect(403);
    await request(server.url)
      .get('/sparql')
      .query({ query: `LOAD <${target}/x.ttl>` })
      .expect(403);
  });

  it('left the listener untouched', () => {
    expect(hits).toEqual([]);
  });
});

describe('an allowlisted SERVICE on the comunica engine', () => {
  it('joins with a second real endpoint on loopback, and reaches nothing else', async () => {
    const remote = await startTestServer({ workers: 1 });
    const remoteEndpoint = `${remote.url}/sparql`;
    const server = await startTestServer({
      engine: 'comunica',
      workers: 1,
      serviceAllowlist: [remoteEndpoint],
    });
    try {
      const before = hits.length;
      const q = `PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?s ?l WHERE { ?s <http://example.org/next> <http://example.org/alpha> .
          SERVICE <${remoteEndpoint}> { ?s rdfs:label ?l } }`;
      const res = await request(server.url).get('/sparql').query({ query: q }).expect(200);
      const rows = (res.body as { results: { bindings: Array<Record<string, { value: string }>> } })
        .results.bindings;
      expect(rows.map((r) => [r.s?.value, r.l?.value])).toEqual([
        ['http://example.org/beta', 'Beta'],
      ]);
      await request(server.url)
        .get('/sparql')
        .query({ query: `ASK { SERVICE <${target}/other> { ?s ?p ?o } }` })
        .expect(403);
      expect(hits.length).toBe(before);
    } finally {
      await server.close();
      await remote.close();
    }
  });
});

describe('a SERVICE that is down, failing or too slow', () => {
  let server: RunningServer;
  let silent: http.Server;
  let failing: http.Server;
  let silentUrl = '';
  let failingUrl = '';
  let closedUrl = '';
  beforeAll(async () => {
    // Accepts the request and never answers.
    silent = http.createServer(() => undefined);
    failing = http.createServer((_req, res) => {
      res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end('internal error');
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
    silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/sparql`;
    failingUrl = `http://127.0.0.1:${(failing.address() as AddressInfo).port}/sparql`;
    // A port nobody listens on: bound, then closed.
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    closedUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}/sparql`;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    server = await startTestServer({
      engine: 'comunica',
      workers: 1,
      serviceAllowlist: [silentUrl, failingUrl, closedUrl],
      serviceTimeoutMs: 5_000,
      serviceTimeouts: { [silentUrl]: 300 },
    });
  });
  afterAll(async () => {
    await server.close();
    silent.closeAllConnections();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
    await new Promise<void>((resolve) => failing.close(() => resolve()));
  });

  const ask = (endpoint: string, silentKeyword = false) =>
    request(server.url)
      .get('/sparql')
      .query({
        query: `SELECT * WHERE { SERVICE ${silentKeyword ? 'SILENT ' : ''}<${endpoint}> { ?s ?p ?o } }`,
      });

  it('answers 504 naming the endpoint and its time limit when it does not answer in time', async () => {
    const res = await ask(silentUrl);
    expect(res.status).toBe(504);
    expect(res.text).toContain(`SERVICE <${silentUrl}> did not answer within 300 ms`);
  });

  it('answers 502 when nothing listens there', async () => {
    const res = await ask(closedUrl);
    expect(res.status).toBe(502);
    expect(res.text).toContain(`SERVICE <${closedUrl}> could not be reached`);
  });

  it('answers 502 when the service fails', async () => {
    const res = await ask(failingUrl);
    expect(res.status).toBe(502);
    expect(res.text).toContain(`SERVICE <${failingUrl}> failed: it answered 500`);
  });

  it('ignores the failure under SERVICE SILENT, and keeps serving', async () => {
    const res = await ask(closedUrl, true);
    expect(res.status).toBe(200);
    await request(server.url).get('/sparql').query({ query: 'ASK { ?s ?p ?o }' }).expect(200);
  });
});
