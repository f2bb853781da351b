/**
 * Hostile and malformed input, over real HTTP against the real server: each gets the right 4xx (or
 * a 503 at the deadline) with a message, the server stays up, and other requests keep succeeding.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as cheerio from 'cheerio';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../../src/config.js';
import type { RunningServer } from '../../src/server.js';
import { rawGet, rawPost, rawRequest } from '../util/raw.js';
import { startRecordingEndpoint, type RecordingEndpoint } from '../util/listener.js';
import { FIXTURES, MINI, startTestServer } from '../util/server.js';
import { until } from '../util/wait.js';

const HOSTILE = path.join(FIXTURES, 'hostile');
const H = 'https://w3id.org/cyber-diplomacy/id/hostile/';

let probe = 0;
/** A cheap query nobody asked before (so no cache answers it) must still be answered. */
async function expectServing(url: string): Promise<void> {
  probe++;
  const res = await request(url)
    .get('/sparql')
    .set('X-Forwarded-For', '198.51.100.1')
    .query({ query: `ASK { ?s ?p ${probe} }` });
  expect(res.status, res.text).toBe(200);
}

type Body = { results: { bindings: Array<Record<string, { value: string }>> } };

describe.each(ENGINES)('hostile queries on the %s engine', (engine) => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startTestServer({
      engine,
      dataPaths: [MINI, HOSTILE],
      queryTimeoutMs: 1500,
      maxBodyBytes: 256 * 1024,
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers malformed SPARQL with 400 and where it went wrong', async () => {
    for (const query of [
      'SELECT * WHERE { ?s ?p ?o',
      'SELECT * WHERE { ?s ?p }',
      'SELEKT * { }',
      'PREFIX : SELECT * {}',
      'SELECT * WHERE { ?s ?p "unterminated }',
      'ASK { FILTER(?x = ) }',
      '\u0000\u0001\u0002',
      '}{)(][',
    ]) {
      const res = await request(server.url).get('/sparql').query({ query });
      expect(res.status, query).toBe(400);
      expect(res.text.length, query).toBeGreaterThan(10);
    }
    await expectServing(server.url);
  });

  it('stops a cartesian product at the deadline while others are answered', async () => {
    const slow = request(server.url).get('/sparql').query({
      query:
        'SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o . ?p ?q ?r }',
    });
    const during = await request(server.url)
      .get('/sparql')
      .set('X-Forwarded-For', '198.51.100.2')
      .query({ query: 'SELECT ?l WHERE { <http://example.org/alpha> ?p ?l } LIMIT 1' });
    expect(during.status).toBe(200);
    const res = await slow;
    expect(res.status).toBe(503);
    expect(res.text).toMatch(/timed out/);
    await expectServing(server.url);
  });

  it('refuses queries nested or chained beyond the limits before an engine sees them', async () => {
    const cases: Array<[string, RegExp]> = [
      [`ASK { ${'{'.repeat(500)} ?s ?p ?o ${'}'.repeat(500)} }`, /levels deep/],
      [`ASK { FILTER(${'('.repeat(2000)}1${')'.repeat(2000)}) }`, /levels deep/],
      [`ASK { ${'OPTIONAL { ?s ?p ?o } '.repeat(1000)} }`, /clauses/],
      [
        `ASK { ${Array.from({ length: 1000 }, (_, i) => `BIND(1 AS ?b${i})`).join(' ')} }`,
        /clauses/,
      ],
      [`ASK { FILTER(${Array.from({ length: 3000 }, () => 'true').join(' && ')}) }`, /operators/],
      [`ASK { FILTER(${'!'.repeat(3000)}true) }`, /operators/],
    ];
    for (const [query, message] of cases) {
      const res = await request(server.url)
        .post('/sparql')
        .type('application/sparql-query')
        .send(query);
      expect(res.status, query.slice(0, 40)).toBe(400);
      expect(res.text).toMatch(message);
    }
    await expectServing(server.url);
  });

  it('answers a query that exhausts the engine stack with 400, and no worker is left broken', async () => {
    // Within the shape limits, yet too long for a recursive evaluator: a 20,000-item IN list.
    const res = await request(server.url)
      .post('/sparql')
      .type('application/sparql-query')
      .send(`ASK { FILTER(1 IN (${Array.from({ length: 20_000 }, () => '2').join(',')})) }`);
    // Oxigraph runs out of stack (400, and its worker is replaced); Comunica may simply be slow
    // (a 503 at the deadline, or while the worker replaced after an earlier deadline restarts).
    expect([200, 400, 503]).toContain(res.status);
    if (res.status === 400) expect(res.text).toMatch(/ran out of stack/);
    if (res.status === 503) expect(res.text).toMatch(/timed out|busy/);
    // Every worker answers afresh (distinct queries, so the cache does not).
    for (let i = 0; i < 4; i++) await expectServing(server.url);
  });

  it('runs deep and cyclic property paths to an answer or to the deadline', async () => {
    const nested = `${'('.repeat(40)}<http://example.org/next>${')*'.repeat(40)}`;
    for (const query of [
      'SELECT * WHERE { ?s (<http://example.org/next>|^<http://example.org/next>)* ?o }',
      'SELECT (COUNT(*) AS ?n) WHERE { ?s (!<x:none>|^!<x:none>)* ?o }',
      `SELECT * WHERE { ?s ${nested} ?o }`,
      'SELECT * WHERE { ?s (<http://example.org/next>+)/(<http://example.org/next>*)/(^<http://example.org/next>)+ ?o }',
    ]) {
      const res = await request(server.url).get('/sparql').query({ query });
      expect([200, 503], `${query}: ${res.text.slice(0, 200)}`).toContain(res.status);
      if (res.status === 503) expect(res.text).toMatch(/timed out|busy/);
    }
    await expectServing(server.url);
  });

  it('stops a regex backtracking bomb at the deadline (or runs it in linear time)', async () => {
    const bomb = `ASK { FILTER(REGEX("${'a'.repeat(64)}!", "^(a+)+$")) }`;
    const res = await request(server.url).get('/sparql').query({ query: bomb });
    // Oxigraph's regex engine is linear-time; Comunica's is JavaScript's, which backtracks.
    expect([200, 503]).toContain(res.status);
    if (res.status === 200) expect(res.body).toMatchObject({ boolean: false });
    else expect(res.text).toMatch(/timed out|busy/);
    await expectServing(server.url);
  });

  it('answers a large VALUES block under the body limit, and 413 over it', async () => {
    const values = Array.from({ length: 20_000 }, (_, i) => i).join(' ');
    const res = await request(server.url)
      .post('/sparql')
      .type('application/sparql-query')
      .send(`SELECT (COUNT(*) AS ?n) WHERE { VALUES ?x { ${values} } }`);
    if (engine === 'oxigraph') {
      expect(res.status).toBe(200);
      expect((res.body as Body).results.bindings[0]?.n?.value).toBe('20000');
    } else {
      // Comunica takes longer than this server's 1.5 s deadline over 20,000 rows.
      expect([200, 503]).toContain(res.status);
    }
    const huge = Array.from({ length: 100_000 }, (_, i) => i).join(' ');
    const over = await request(server.url)
      .post('/sparql')
      .type('form')
      .send({ query: `SELECT * WHERE { VALUES ?x { ${huge} } }` });
    expect(over.status).toBe(413);
    await expectServing(server.url);
  });
});

describe('hostile requests', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startTestServer({
      dataPaths: [MINI, HOSTILE],
      queryTimeoutMs: 2000,
      maxBodyBytes: 64 * 1024,
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it('refuses oversized bodies on every route that reads one, compressed or chunked', async () => {
    const big = Buffer.alloc(200 * 1024, 'a');
    const bomb = gzipSync(Buffer.concat([Buffer.from('query='), Buffer.alloc(20_000_000, 'a')]));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const posts: Array<[string, string]> = [
      ['/sparql', 'application/sparql-query'],
      ['/sparql', 'application/x-www-form-urlencoded'],
      ['/api/link', 'text/plain'],
      ['/api/link', 'application/pdf'],
      ['/link', 'application/x-www-form-urlencoded'],
      ['/reconcile', 'application/x-www-form-urlencoded'],
      ['/api/shorten', 'application/json'],
    ];
    for (const [route, type] of posts) {
      const res = await rawRequest(server.url, rawPost(route, type, big));
      expect(res.status, `${route} ${type}`).toBe(413);
      expect(res.body).toMatch(/limit is 65536 bytes/);
      const zipped = await rawRequest(
        server.url,
        rawPost(route, type, bomb, ['Content-Encoding: gzip']),
      );
      expect(zipped.status, `${route} ${type} gzip`).toBe(413);
    }
    const chunked = await rawRequest(
      server.url,
      Buffer.concat([
        Buffer.from(
          'POST /sparql HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/sparql-query\r\nTransfer-Encoding: chunked\r\n\r\n',
        ),
        ...Array.from({ length: 5 }, () =>
          Buffer.concat([Buffer.from('8000\r\n'), Buffer.alloc(0x8000, 'a'), Buffer.from('\r\n')]),
        ),
        Buffer.from('0\r\n\r\n'),
      ]),
    );
    expect(chunked.status).toBe(413);
    await expectServing(server.url);
  });

  it('answers malformed Accept headers with a default or 406, never an error', async () => {
    const accepts = [
      ';;;,,,',
      'text/html;q=abc',
      '*/*;q=-1',
      'application/json;q=1.5',
      '/',
      'text/',
      '*/html',
      `${'a/b,'.repeat(500)}x/y`,
      'text/turtle; charset="unterminated',
      '\u00e9/\u00e9',
    ];
    const targets = [
      '/sparql?query=ASK%20%7B%7D',
      '/sparql',
      '/id/hostile/script',
      '/',
      '/reports/coverage',
      '/api/autocomplete?q=sc',
      '/reconcile',
      '/.well-known/void',
      '/nothing-here',
    ];
    for (const accept of accepts) {
      for (const target of targets) {
        const res = await rawRequest(server.url, rawGet(target, [`Accept: ${accept}`]));
        expect([200, 404, 406], `${target} with Accept ${accept}`).toContain(res.status);
      }
    }
    await expectServing(server.url);
  });

  it('answers malformed Content-Type headers with 415 or 400', async () => {
    for (const type of [
      ';;;',
      'application/sparql-query; charset=bogus',
      'application/sparql-query; charset=utf-16',
      'text/plain',
      'application/x-www-form-urlencoded; charset=koi8-r-nope',
      'multipart/form-data; boundary=x',
      'application/sparql-query/extra',
    ]) {
      const res = await rawRequest(
        server.url,
        `POST /sparql HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: ${type}\r\nContent-Length: 5\r\n\r\nASK{}`,
      );
      expect([400, 415], `Content-Type: ${type}: ${res.body}`).toContain(res.status);
    }
    const none = await rawRequest(
      server.url,
      'POST /sparql HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 5\r\n\r\nASK{}',
    );
    expect(none.status).toBe(415);
    await expectServing(server.url);
  });

  it('refuses invalid UTF-8 and percent-encoding with 400, in URLs and bodies', async () => {
    const badBytes = Buffer.from([0x41, 0x53, 0x4b, 0x7b, 0xff, 0xfe, 0x7d]);
    const badJson = Buffer.concat([Buffer.from('{"text":"'), badBytes, Buffer.from('"}')]);
    for (const [route, type, body] of [
      ['/sparql', 'application/sparql-query', badBytes],
      ['/api/link', 'text/plain', badBytes],
      ['/api/link', 'application/json', badJson],
      ['/api/shorten', 'application/json', badJson],
    ] as const) {
      const res = await rawRequest(server.url, rawPost(route, type, body));
      expect(res.status, `${route} ${type}`).toBe(400);
      expect(res.body).toMatch(/not valid UTF-8/);
    }
    for (const body of ['query=ASK%7B%FF%7D', 'query=ASK%7B%G1%7D', 'query=ASK%']) {
      const res = await request(server.url).post('/sparql').type('form').send(body);
      expect(res.status, body).toBe(400);
      expect(res.text).toMatch(/percent-encoded UTF-8/);
    }
    const reconcile = await request(server.url).post('/reconcile').type('form').send('queries=%FF');
    expect(reconcile.status).toBe(400);
    for (const target of [
      '/sparql?query=ASK%7B%FF%7D',
      '/search?q=%E0%A4%A',
      '/id/%C0%AF',
      '/classes/%ZZ',
      '/q/%',
      '/api/autocomplete?q=100%',
    ]) {
      const res = await rawRequest(server.url, rawGet(target));
      expect(res.status, target).toBe(400);
      expect(res.body).toMatch(/percent-encoded/);
    }
    // Raw bytes outside ASCII in the request line.
    const raw = await rawRequest(
      server.url,
      Buffer.concat([
        Buffer.from('GET /search?q='),
        Buffer.from([0xc3, 0xa9, 0xff]),
        Buffer.from(' HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
      ]),
    );
    expect(raw.status).toBe(400);
    await expectServing(server.url);
  });

  it('serves nothing outside its routes for path traversal in IRIs, assets and dump names', async () => {
    for (const target of [
      '/dumps/../../package.json',
      '/dumps/..%2F..%2Fpackage.json',
      '/dumps/%2e%2e%2f%2e%2e%2fpackage.json',
      '/dumps/....//....//package.json',
      '/assets/../../package.json',
      '/assets/%2e%2e/%2e%2e/%2e%2e/package.json',
      '/assets/..%5c..%5c..%5cpackage.json',
      '/assets/yasgui/../../../../package.json',
      '/assets/yasgui/%2e%2e/%2e%2e/%2e%2e/%2e%2e/package.json',
      '/id/../../package.json',
      '/id/%2e%2e/%2e%2e/package.json',
      '/graph/..%2F..%2Fpackage.json',
      '/id/test/alpha.ttl/../../../../package.json',
      '//etc/passwd',
      '/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
    ]) {
      const res = await rawRequest(server.url, rawGet(target));
      expect([400, 403, 404], `${target}: ${res.status}`).toContain(res.status);
      expect(res.body, target).not.toMatch(/"name": "cyber-diplomacy-graph"|root:x:0:0/);
    }
    await expectServing(server.url);
  });

  it('answers header floods with 431 and keeps serving', async () => {
    const many = Array.from({ length: 3000 }, (_, i) => `X-F${i}: a`);
    const long = Array.from({ length: 200 }, (_, i) => `X-Long-${i}: ${'b'.repeat(100)}`);
    const huge = [`X-Huge: ${'c'.repeat(20_000)}`];
    for (const headers of [many, long, huge]) {
      const res = await rawRequest(server.url, rawGet('/health', headers));
      expect(res.status).toBe(431);
    }
    const longUrl = await rawRequest(server.url, rawGet(`/sparql?query=${'a'.repeat(20_000)}`));
    expect(longUrl.status).toBe(431);
    await expectServing(server.url);
  });
});

describe('a large text to link', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startTestServer({ dataPaths: [MINI, HOSTILE] });
  });
  afterAll(async () => {
    await server.close();
  });

  it('is linked in a worker: the server answers others meanwhile', async () => {
    // About a megabyte with a mention every few words: over a second of linking.
    const text = 'Alpha and Beta met the Script incident in Gamma. '
      .repeat(20_000)
      .slice(0, 1_000_000);
    const order: string[] = [];
    const linking = request(server.url)
      .post('/api/link')
      .type('text/plain')
      .send(text)
      .then((res) => {
        order.push('link');
        return res;
      });
    await until(() => server.engine.busyWorkers > 0, 'the text is being linked in a worker');
    const page = await request(server.url).get('/').set('X-Forwarded-For', '198.51.100.9');
    order.push('page');
    expect(page.status).toBe(200);
    const res = await linking;
    expect([200, 503]).toContain(res.status);
    if (res.status === 200) {
      expect((res.body as { mentions: unknown[] }).mentions.length).toBeGreaterThan(10_000);
    }
    expect(order).toEqual(['page', 'link']);
  });
});

/** Every script is one of ours, no attribute is an event handler, and no link runs code. */
function expectInert(htmlText: string, where: string): void {
  const $ = cheerio.load(htmlText);
  $('script').each((_, el) => {
    expect($(el).attr('src'), `${where}: inline or foreign script`).toMatch(/^\/assets\//);
  });
  $('*').each((_, el) => {
    for (const [name, value] of Object.entries(
      (el as { attribs?: Record<string, string> }).attribs ?? {},
    )) {
      expect(name.toLowerCase().startsWith('on'), `${where}: attribute ${name}`).toBe(false);
      // (`data:,` is the empty favicon every page names, so browsers do not ask for one.)
      if (['href', 'src', 'action', 'formaction', 'xlink:href'].includes(name.toLowerCase())) {
        expect(value, `${where}: ${name}`).not.toMatch(
          /^\s*(?:javascript:|vbscript:|data:(?!,$))/iu,
        );
      }
    }
  });
  expect($('svg, iframe, object, embed, b[onclick], img[src="x"]').length, where).toBe(0);
}

describe('HTML and script in literals and IRIs', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startTestServer({ dataPaths: [MINI, HOSTILE], workers: 1 });
  });
  afterAll(async () => {
    await server.close();
  });

  const page = async (target: string): Promise<string> => {
    const res = await request(server.url).get(target).set('Accept', 'text/html');
    expect(res.headers['content-type'], target).toMatch(/^text\/html/);
    expect(res.headers['content-security-policy'], target).toMatch(/script-src 'self'/);
    return res.text;
  };

  it('shows hostile literals as text on resource, class, search and query pages', async () => {
    const script = await page('/id/hostile/script');
    expectInert(script, 'resource page');
    // The text is there, shown as text.
    const $ = cheerio.load(script);
    expect($('body').text()).toContain("<script>alert('label')</script>");
    expect($('body').text()).toContain("</textarea><script>alert('description')</script>");
    for (const target of [
      '/id/hostile/sector',
      '/id/hostile/typed',
      '/id/hostile/source',
      '/graph/source/hostile',
      `/classes/${encodeURIComponent('https://w3id.org/cyber-diplomacy/ontology#Incident')}`,
      `/search?q=${encodeURIComponent('<script>')}`,
      `/search?q=${encodeURIComponent('" onmouseover="')}`,
      `/sparql?query=${encodeURIComponent("</textarea><script>alert('ui')</script>")}`,
      `/id/${encodeURIComponent('<script>alert(1)</script>')}`,
      `/nothing/${encodeURIComponent('"><script>alert(1)</script>')}`,
      '/reports/incidents',
      '/reports/coverage',
      '/link',
    ]) {
      expectInert(await page(target), target);
    }
  });

  it('shows them as text in error pages built from raw paths', async () => {
    for (const target of [
      '/nothing/<script>alert(1)</script>',
      '/id/<img src=x onerror=alert(1)>',
    ]) {
      const res = await rawRequest(server.url, rawGet(target, ['Accept: text/html']));
      expect([400, 404]).toContain(res.status);
      expect(res.body).not.toMatch(/<script>alert|<img src=x/);
      expectInert(res.body, target);
    }
  });

  it('keeps linker output, reconciliation previews and JSONP inert', async () => {
    const text =
      "The Script incident <script>alert('label')</script> hit Sector <b onclick=alert('sector')>bold</b>.";
    const linked = await request(server.url)
      .post('/api/link')
      .set('Accept', 'text/html')
      .type('text/plain')
      .send(text)
      .expect(200);
    expectInert(linked.text, '/api/link html');
    expect(cheerio.load(linked.text)('a.mention').length).toBeGreaterThan(0);
    const form = await request(server.url).post('/link').type('form').send({ text }).expect(200);
    expectInert(form.text, 'POST /link');
    const preview = await request(server.url)
      .get('/reconcile/preview')
      .query({ id: `${H}script` })
      .expect(200);
    expectInert(preview.text, 'reconcile preview');
    const jsonp = await request(server.url)
      .get('/reconcile')
      .query({ callback: '<script>alert(1)</script>' });
    expect(jsonp.text).not.toContain('<script>');
    const auto = await request(server.url)
      .get('/api/autocomplete')
      .query({ q: '<script>' })
      .expect(200);
    expect(auto.headers['content-type']).toMatch(/^application\/json/);
    expect(auto.headers['x-content-type-options']).toBe('nosniff');
  });

  it('never links a javascript: or data: IRI from the data', async () => {
    for (const target of ['/id/hostile/script', '/id/hostile/source', '/reports/incidents']) {
      const body = await page(target);
      expect(body, target).not.toMatch(/href="\s*(javascript:|data:(?!,"))/iu);
    }
    const md = await request(server.url)
      .get('/reports/incidents')
      .query({ format: 'md' })
      .expect(200);
    expect(md.text).not.toMatch(/\]\(\s*(javascript|data):/iu);
  });
});

describe('requests that try to reach loopback and private addresses', () => {
  let endpoint: RecordingEndpoint;
  let target = '';
  let hits: string[] = [];
  beforeAll(async () => {
    endpoint = await startRecordingEndpoint();
    ({ url: target, hits } = endpoint);
  });
  afterAll(() => endpoint.close());

  it.each(ENGINES)('refuses SERVICE, FROM and LOAD tricks on the %s engine', async (engine) => {
    const server = await startTestServer({ engine, workers: 1 });
    try {
      const port = new URL(target).port;
      for (const endpoint of [
        `${target}/sparql`,
        `http://localhost:${port}/sparql`,
        `http://[::1]:${port}/sparql`,
        `http://2130706433:${port}/sparql`,
        `http://0x7f.0.0.1:${port}/sparql`,
        `http://127.1:${port}/sparql`,
        'http://10.0.0.1/sparql',
        'http://169.254.169.254/latest/meta-data/',
        'http://192.168.1.1/sparql',
        `http://example.org@127.0.0.1:${port}/sparql`,
        `file:///etc/passwd`,
      ]) {
        const res = await request(server.url)
          .get('/sparql')
          .query({ query: `SELECT * WHERE { SERVICE <${endpoint}> { ?s ?p ?o } }` });
        expect(res.status, endpoint).toBe(403);
      }
      for (const query of [
        `SELECT * FROM <${target}/a.ttl> WHERE { ?s ?p ?o }`,
        `SELECT * FROM NAMED <http://169.254.169.254/latest/> WHERE { GRAPH ?g { ?s ?p ?o } }`,
      ]) {
        await request(server.url).get('/sparql').query({ query }).expect(200);
      }
      await request(server.url)
        .get('/sparql')
        .query({ query: 'ASK { ?s ?p ?o }', 'default-graph-uri': `${target}/g.ttl` })
        .expect(200);
      for (const update of [
        `LOAD <${target}/x.ttl>`,
        `LOAD <http://169.254.169.254/> INTO GRAPH <urn:x>`,
      ]) {
        await request(server.url).post('/sparql').type('form').send({ update }).expect(403);
      }
    } finally {
      await server.close();
    }
    expect(hits).toEqual([]);
  });

  it('does not follow a redirect from an allowlisted endpoint to a private address', async () => {
    const redirector = http.createServer((_req, res) => {
      res.writeHead(307, { Location: `${target}/sparql` });
      res.end();
    });
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    const allowed = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}/sparql`;
    const server = await startTestServer({
      engine: 'comunica',
      workers: 1,
      serviceAllowlist: [allowed],
    });
    try {
      const res = await request(server.url)
        .get('/sparql')
        .query({ query: `SELECT * WHERE { SERVICE <${allowed}> { ?s ?p ?o } }` });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.text).toMatch(/redirect/);
      expect(hits).toEqual([]);
      await expectServing(server.url);
    } finally {
      await server.close();
      await new Promise<void>((resolve) => redirector.close(() => resolve()));
    }
  });
});

describe('malformed Turtle at start-up', () => {
  it('refuses to serve, naming file, line and column, and stops listening', async () => {
    let url = '';
    let readyWhileLoading = 0;
    await expect(
      startTestServer(
        { dataPaths: [path.join(FIXTURES, 'broken')] },
        {
          onListening: async (u) => {
            url = u;
            readyWhileLoading = (await fetch(`${u}/ready`)).status;
          },
        },
      ),
    ).rejects.toThrow(/bad\.ttl:4:\d+/);
    expect(readyWhileLoading).toBe(503);
    // It listened before loading; nothing half-loaded is left answering.
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });
});
