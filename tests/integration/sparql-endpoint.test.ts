/**
 * The SPARQL 1.1 Protocol over real HTTP, against the real server on each engine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { ENGINES } from '../../src/config.js';
import type { RunningServer } from '../../src/server.js';
import { startTestServer } from '../util/server.js';

const EX = 'http://example.org/';
const BASE = 'https://w3id.org/cyber-diplomacy/';
const labels =
  'PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> SELECT ?l WHERE { ?s rdfs:label ?l } ORDER BY ?l';

interface JsonBody {
  head: { vars: string[] };
  results: {
    bindings: Array<Record<string, { type: string; value: string; 'xml:lang'?: string }>>;
  };
  boolean?: boolean;
}

describe.each(ENGINES)('GET and POST /sparql on the %s engine', (engine) => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startTestServer({ engine });
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers a GET query with SPARQL JSON over the union of all graphs', async () => {
    const res = await request(server.url).get('/sparql').query({ query: labels }).expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/sparql-results\+json/);
    expect(res.headers.vary).toMatch(/Accept/);
    const values = (res.body as JsonBody).results.bindings.map((b) => b.l?.value);
    // Labels from things.ttl, more.trig's own graph and its explicit named graph.
    expect(values).toEqual(expect.arrayContaining(['Alpha', 'Beta', 'Delta', 'Epsilon']));
    expect(values).toHaveLength(7);
  });

  it('tells where a triple came from with GRAPH ?g', async () => {
    const q = `SELECT ?g WHERE { GRAPH ?g { <${EX}delta> ?p ?o } } GROUP BY ?g`;
    const res = await request(server.url)
      .post('/sparql')
      .type('form')
      .send({ query: q })
      .expect(200);
    expect((res.body as JsonBody).results.bindings.map((b) => b.g?.value)).toEqual([
      `${BASE}graph/mini/more`,
    ]);
  });

  it('accepts POST application/sparql-query and returns CSV, TSV and XML by Accept', async () => {
    const q = `SELECT ?s ?r WHERE { ?s <${EX}rank> ?r } ORDER BY ?r`;
    const csv = await request(server.url)
      .post('/sparql')
      .set('Content-Type', 'application/sparql-query')
      .set('Accept', 'text/csv')
      .send(q)
      .expect(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.text).toBe(`s,r\r\n${EX}alpha,1\r\n${EX}beta,2\r\n${EX}gamma,3\r\n`);
    const tsv = await request(server.url)
      .post('/sparql')
      .set('Content-Type', 'application/sparql-query')
      .set('Accept', 'text/tab-separated-values')
      .send(q)
      .expect(200);
    expect(tsv.text.split('\n')[1]).toBe(`<${EX}alpha>\t1`);
    const xml = await request(server.url)
      .get('/sparql')
      .query({ query: q })
      .set('Accept', 'application/sparql-results+xml')
      .expect(200);
    expect(xml.text).toContain(`<binding name="s"><uri>${EX}alpha</uri></binding>`);
  });

  it('answers ASK with a boolean', async () => {
    const res = await request(server.url)
      .get('/sparql')
      .query({ query: `ASK { <${EX}alpha> ?p ?o }` })
      .expect(200);
    expect((res.body as JsonBody).boolean).toBe(true);
  });

  it('lets format= override Accept and picks by q-value otherwise', async () => {
    const q = `CONSTRUCT { ?s <${EX}rank> ?r } WHERE { ?s <${EX}rank> ?r }`;
    const nt = await request(server.url)
      .get('/sparql')
      .query({ query: q, format: 'nt' })
      .set('Accept', 'text/turtle')
      .expect(200);
    expect(nt.headers['content-type']).toMatch(/^application\/n-triples/);
    expect(nt.text.trim().split('\n')).toHaveLength(3);
    const q2 = await request(server.url)
      .get('/sparql')
      .query({ query: q })
      .set('Accept', 'text/turtle;q=0.2, application/ld+json;q=0.9')
      .expect(200);
    expect(q2.headers['content-type']).toMatch(/^application\/ld\+json/);
    expect(JSON.stringify(q2.body)).toContain(`${EX}alpha`);
  });

  it.each([
    ['text/turtle', '<http://example.org/alpha>'],
    ['application/rdf+xml', 'rdf:RDF'],
    ['application/trig', '<http://example.org/alpha>'],
    ['application/n-quads', '<http://example.org/alpha>'],
  ])('serializes DESCRIBE as %s', async (accept, marker) => {
    const res = await request(server.url)
      .get('/sparql')
      .query({ query: `DESCRIBE <${EX}alpha>` })
      .set('Accept', accept)
      .expect(200);
    expect(res.headers['content-type']).toMatch(new RegExp(`^${accept.replace('+', '\\+')}`));
    expect(res.text).toContain(marker);
  });

  it('restricts the dataset with default-graph-uri and named-graph-uri', async () => {
    const count = 'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }';
    const only = await request(server.url)
      .get('/sparql')
      .query({ query: count, 'default-graph-uri': `${EX}graph/explicit` })
      .expect(200);
    expect((only.body as JsonBody).results.bindings[0]?.n?.value).toBe('2');
    const named = await request(server.url)
      .post('/sparql')
      .type('form')
      .send(
        `query=${encodeURIComponent('SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g')}&named-graph-uri=${encodeURIComponent(`${EX}graph/explicit`)}`,
      )
      .expect(200);
    expect((named.body as JsonBody).results.bindings.map((b) => [b.g?.value, b.n?.value])).toEqual([
      [`${EX}graph/explicit`, '2'],
    ]);
    const emptyDefault = await request(server.url)
      .get('/sparql')
      .query({ query: count, 'named-graph-uri': `${EX}graph/explicit` })
      .expect(200);
    expect((emptyDefault.body as JsonBody).results.bindings[0]?.n?.value).toBe('0');
  });

  it("gives 400 with the parser's message and position for a malformed query", async () => {
    const res = await request(server.url)
      .get('/sparql')
      .query({ query: 'SELECT * WHERE {\n  ?s ?p \n}' })
      .expect(400);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toMatch(/line 3, column \d+/);
    // The server keeps serving.
    await request(server.url).get('/sparql').query({ query: 'ASK {}' }).expect(200);
  });

  it('refuses SPARQL Update with 403 and a reason', async () => {
    const res = await request(server.url)
      .post('/sparql')
      .set('Content-Type', 'application/sparql-update')
      .send(`INSERT DATA { <${EX}x> <${EX}y> <${EX}z> }`)
      .expect(403);
    expect(res.text).toMatch(/read-only/);
    const still = await request(server.url)
      .get('/sparql')
      .query({ query: `ASK { <${EX}x> ?p ?o }` })
      .expect(200);
    expect((still.body as JsonBody).boolean).toBe(false);
  });

  it('answers 405, 406 and 415 where the protocol says so', async () => {
    const put = await request(server.url).put('/sparql').send('x').expect(405);
    expect(put.headers.allow).toBe('GET, POST');
    await request(server.url)
      .get('/sparql')
      .query({ query: 'ASK {}' })
      .set('Accept', 'image/png')
      .expect(406);
    await request(server.url)
      .post('/sparql')
      .set('Content-Type', 'text/plain')
      .send('ASK {}')
      .expect(415);
  });

  it('describes the service on GET /sparql without a query', async () => {
    const res = await request(server.url).get('/sparql').set('Accept', 'text/turtle').expect(200);
    expect(res.text).toContain('sd:Service');
    expect(res.text).toContain('formats:SPARQL_Results_JSON');
    expect(res.text).toMatch(/svc:queryTimeoutMilliseconds 30000/);
    expect(res.text).toMatch(/svc:maxResultRows 100000/);
    expect(res.text).toMatch(/svc:maxRequestBodyBytes 1048576/);
    expect(res.text).toMatch(
      new RegExp(`svc:engine "${engine === 'oxigraph' ? 'Oxigraph' : 'Comunica'} `, 'i'),
    );
    expect(res.text).toContain(`${BASE}graph/mini/things`);
  });

  it('sends CORS headers', async () => {
    const res = await request(server.url)
      .options('/sparql')
      .set('Origin', 'https://example.com')
      .set('Access-Control-Request-Method', 'POST')
      .expect(204);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    const get = await request(server.url)
      .get('/sparql')
      .query({ query: 'ASK {}' })
      .set('Origin', 'https://example.com')
      .expect(200);
    expect(get.headers['access-control-allow-origin']).toBe('*');
  });
});

describe('GET /health', () => {
  it('reports liveness with engine and data version', async () => {
    const server = await startTestServer({ workers: 1 });
    try {
      const res = await request(server.url).get('/health').expect(200);
      expect(res.body).toMatchObject({ status: 'ok', engine: 'oxigraph' });
      expect((res.body as { version: string }).version).toMatch(/^[0-9a-f]{16}$/);
    } finally {
      await server.close();
    }
  });
});
