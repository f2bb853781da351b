/**
 * The linked-data web over real HTTP: dereferencing with content negotiation and extension URLs,
 * resource pages, 404s, escaping, caching, browse/search/autocomplete, self-description, dumps,
 * short links, and the query UI for browsers.
 */
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server.js';
import { dumpText } from '../util/dumps.js';
import { FIXTURES, startTestServer } from '../util/server.js';

const BASE = 'https://w3id.org/cyber-diplomacy/';
let server: RunningServer;

beforeAll(async () => {
  server = await startTestServer({ dataPaths: [path.join(FIXTURES, 'web')], workers: 1 });
});
afterAll(async () => {
  await server.close();
});

describe('dereferencing /id/*', () => {
  it.each([
    ['text/html', /^text\/html/, '.html', 'Alpha norm'],
    ['text/turtle', /^text\/turtle/, '.ttl', '"Alpha norm"@en'],
    ['application/ld+json', /^application\/ld\+json/, '.jsonld', '"@context": "/context.jsonld"'],
    ['application/n-triples', /^application\/n-triples/, '.nt', `<${BASE}id/test/alpha>`],
    ['application/rdf+xml', /^application\/rdf\+xml/, '.rdf', 'rdf:RDF'],
    ['application/trig', /^application\/trig/, '.trig', `<${BASE}graph/source/test>`],
  ])('answers Accept %s with Vary and Content-Location', async (accept, type, ext, marker) => {
    const res = await request(server.url).get('/id/test/alpha').set('Accept', accept).expect(200);
    expect(res.headers['content-type']).toMatch(type);
    expect(res.headers.vary).toMatch(/Accept/);
    expect(res.headers['content-location']).toBe(`/id/test/alpha${ext}`);
    expect(res.text).toContain(marker);
    // The extension URL gives the same representation without negotiation.
    const direct = await request(server.url).get(`/id/test/alpha${ext}`).expect(200);
    expect(direct.headers['content-type']).toMatch(type);
    expect(direct.text).toContain(marker);
  });

  it('compacts JSON-LD with the published context', async () => {
    const res = await request(server.url).get('/id/test/alpha.jsonld').expect(200);
    const doc = JSON.parse(res.text) as Record<string, unknown>;
    expect(doc['@context']).toBe('/context.jsonld');
    const ctx = await request(server.url).get('/context.jsonld').expect(200);
    expect((JSON.parse(ctx.text) as { '@context': Record<string, string> })['@context'].cdo).toBe(
      `${BASE}ontology#`,
    );
  });

  it('gives unknown IRIs a real 404 page, and 404 text to machines', async () => {
    const page = await request(server.url)
      .get('/id/test/nothing')
      .set('Accept', 'text/html')
      .expect(404);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('Not found');
    const rdf = await request(server.url)
      .get('/id/test/nothing')
      .set('Accept', 'text/turtle')
      .expect(404);
    expect(rdf.headers['content-type']).toMatch(/^text\/plain/);
  });

  it('answers 406 when no representation is acceptable', async () => {
    await request(server.url).get('/id/test/alpha').set('Accept', 'image/png').expect(406);
  });

  it('revalidates with ETags', async () => {
    const first = await request(server.url)
      .get('/id/test/alpha')
      .set('Accept', 'text/turtle')
      .expect(200);
    const etag = first.headers.etag;
    expect(etag).toBeTruthy();
    await request(server.url)
      .get('/id/test/alpha')
      .set('Accept', 'text/turtle')
      .set('If-None-Match', etag!)
      .expect(304);
  });
});

describe('named graphs', () => {
  it('dereference to their size, source and contents', async () => {
    const page = await request(server.url)
      .get('/graph/source/test')
      .set('Accept', 'text/html')
      .expect(200);
    expect(page.text).toContain('Test source');
    expect(page.text).toContain('href="/id/test/alpha"');
    const fileGraph = await request(server.url)
      .get('/graph/web/things')
      .set('Accept', 'text/html')
      .expect(200);
    expect(fileGraph.text).toMatch(/A named graph of \d+ statements/);
    const nt = await request(server.url).get('/graph/source/test.nt').expect(200);
    expect(nt.text).toContain(`<${BASE}id/test/gamma>`);
    const trig = await request(server.url).get('/graph/source/test.trig').expect(200);
    expect(trig.headers['content-type']).toMatch(/^application\/trig/);
    expect(trig.text).toContain(`<${BASE}graph/source/test> {`);
    await request(server.url).get('/graph/none').set('Accept', 'text/html').expect(404);
  });
});

describe('resource pages', () => {
  it('shows label, type, description, grouped properties, sources, the query and downloads', async () => {
    const res = await request(server.url).get('/id/test/alpha.html').expect(200);
    const html = res.text;
    expect(html).toContain('<h1>Alpha norm</h1>');
    expect(html).toContain('A test norm with &lt;b&gt;markup&lt;/b&gt; in its description.');
    expect(html).toMatch(/<span class="lang" title="language">@fr<\/span>/);
    expect(html).toContain('class="external" href="https://example.org/external/alpha"');
    expect(html).toContain('Test source');
    expect(html).toContain('The queries behind this page');
    expect(html).toContain('href="/sparql?query=SELECT');
    for (const ext of ['.ttl', '.jsonld', '.nt', '.rdf', '.trig'])
      expect(html).toContain(`href="/id/test/alpha${ext}"`);
  });

  it('lists incoming links grouped by property, with counts', async () => {
    const res = await request(server.url).get('/id/test/alpha.html').expect(200);
    expect(res.text).toContain('What links here');
    expect(res.text).toMatch(/targets sector|targetsSector/);
    expect(res.text).toMatch(/<span class="count">\(2\)<\/span>/);
    expect(res.text).toContain('href="/id/test/gamma"');
  });

  it('escapes HTML and script in literals everywhere', async () => {
    const res = await request(server.url).get('/id/test/beta.html').expect(200);
    expect(res.text).not.toContain('<script>alert(1)</script>');
    expect(res.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    const alpha = await request(server.url).get('/id/test/alpha.html').expect(200);
    expect(alpha.text).not.toContain('<script>alert');
    const search = await request(server.url).get('/search').query({ q: '<script>' }).expect(200);
    expect(search.text).not.toContain('<script>alert');
    expect(search.text).not.toContain('“<script>”');
  });

  it('sends security headers with no inline script allowed', async () => {
    const res = await request(server.url).get('/').expect(200);
    expect(res.headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.text).not.toMatch(/<script>(?!<\/script>)/);
  });
});

describe('browse and find', () => {
  it('shows live counts per class on the home page and lists instances on class pages', async () => {
    const home = await request(server.url).get('/').expect(200);
    expect(home.text).toMatch(/Incident<\/a><\/td><td class="num">2</);
    const cls = await request(server.url)
      .get(`/classes/${encodeURIComponent(`${BASE}ontology#Incident`)}`)
      .expect(200);
    expect(cls.text).toContain('Gamma incident');
    expect(cls.text).toContain('&lt;script&gt;');
  });

  it('autocompletes over labels, alternative labels and notations', async () => {
    const byNotation = await request(server.url)
      .get('/api/autocomplete')
      .query({ q: 't(a)' })
      .expect(200);
    expect(byNotation.body).toEqual([
      expect.objectContaining({
        iri: `${BASE}id/test/alpha`,
        label: 'Alpha norm',
        matched: 'T(a)',
        href: '/id/test/alpha',
      }),
    ]);
    const byAlt = await request(server.url)
      .get('/api/autocomplete')
      .query({ q: 'alpha r' })
      .expect(200);
    expect((byAlt.body as Array<{ iri: string }>)[0]?.iri).toBe(`${BASE}id/test/alpha`);
    const byWord = await request(server.url)
      .get('/api/autocomplete')
      .query({ q: 'incid' })
      .expect(200);
    expect((byWord.body as unknown[]).length).toBe(1);
  });

  it('serves search results without JavaScript', async () => {
    const res = await request(server.url).get('/search').query({ q: 'gamma' }).expect(200);
    expect(res.text).toContain('href="/id/test/gamma"');
  });

  it('gives labels for IRIs', async () => {
    const res = await request(server.url)
      .get('/api/labels')
      .query({ iri: `${BASE}id/test/gamma` })
      .expect(200);
    expect(res.body).toEqual({
      [`${BASE}id/test/gamma`]: { label: 'Gamma incident', href: '/id/test/gamma' },
    });
  });
});

describe('self-description', () => {
  it('publishes VoID at /.well-known/void', async () => {
    const res = await request(server.url)
      .get('/.well-known/void')
      .set('Accept', 'text/turtle')
      .expect(200);
    expect(res.text).toContain('void:Dataset');
    expect(res.text).toMatch(/void:triples \d+/);
    expect(res.text).toContain('void:classPartition');
    expect(res.text).toContain('void:Linkset');
    expect(res.text).toContain('/dumps/cyber-diplomacy.nq.gz');
    expect(res.text).toContain('void:sparqlEndpoint');
  });

  it('shows VoID to browsers as a page', async () => {
    const res = await request(server.url)
      .get('/.well-known/void')
      .set('Accept', 'text/html')
      .expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('void:Dataset');
  });

  it('publishes the saved queries as SHACL-SPARQL executables', async () => {
    const res = await request(server.url)
      .get('/.well-known/sparql-examples')
      .set('Accept', 'text/turtle')
      .expect(200);
    expect(res.text).toContain('sh:SPARQLSelectExecutable');
    expect(res.text).toContain('sh:select');
    expect(res.text).toContain('schema:target');
  });

  it('serves gzipped dumps and nothing outside them', async () => {
    const text = await dumpText(server.url, 'cyber-diplomacy.nq.gz');
    expect(text).toContain(`<${BASE}id/test/alpha>`);
    expect(text).toContain(`<${BASE}graph/source/test> .`);
    await request(server.url).get('/dumps/..%2Fpackage.json').expect(404);
    await request(server.url).get('/dumps/../package.json').expect(404);
    const index = await request(server.url).get('/dumps/').expect(200);
    expect(index.text).toContain('cyber-diplomacy.ttl.gz');
  });
});

describe('the query UI', () => {
  it('serves YASGUI to browsers at /sparql, locally, with the examples', async () => {
    const res = await request(server.url)
      .get('/sparql')
      .set('Accept', 'text/html,application/xhtml+xml,*/*;q=0.8')
      .expect(200);
    expect(res.text).toContain('id="yasgui"');
    expect(res.text).toContain('/assets/yasgui/yasgui.min.js');
    expect(res.text).toContain('class="example"');
    await request(server.url).get('/assets/yasgui/yasgui.min.js').expect(200);
    await request(server.url).get('/assets/query.js').expect(200);
  });

  it('still speaks the protocol to machines at the same URL', async () => {
    const sd = await request(server.url).get('/sparql').set('Accept', '*/*').expect(200);
    expect(sd.headers['content-type']).toMatch(/^text\/turtle/);
  });

  it('stores short links and redirects them to the query', async () => {
    const query = 'SELECT * WHERE { ?s ?p ?o } LIMIT 3';
    const res = await request(server.url).post('/api/shorten').send({ query }).expect(201);
    const { id, url } = res.body as { id: string; url: string };
    expect(url).toBe(`${server.url}/q/${id}`);
    const again = await request(server.url).post('/api/shorten').send({ query }).expect(201);
    expect((again.body as { id: string }).id).toBe(id);
    const go = await request(server.url).get(`/q/${id}`).expect(303);
    expect(go.headers.location).toBe(`/sparql?query=${encodeURIComponent(query)}`);
    await request(server.url).get('/q/nope').expect(404);
  });

  it("completes from the dataset's own prefixes, classes and properties", async () => {
    const prefixes = await request(server.url).get('/api/prefixes').expect(200);
    expect((prefixes.body as Record<string, string>).cdo).toBe(`${BASE}ontology#`);
    const classes = await request(server.url)
      .get('/api/terms')
      .query({ kind: 'class' })
      .expect(200);
    expect(classes.body).toContain(`${BASE}ontology#Incident`);
    const props = await request(server.url)
      .get('/api/terms')
      .query({ kind: 'property' })
      .expect(200);
    expect(props.body).toContain(`${BASE}ontology#targetsSector`);
  });
});
