/**
 * The linker's surfaces over real HTTP and as a real process: POST /api/link, the /link page, and
 * `cdg link`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server.js';
import { makePdf } from '../util/pdf.js';
import { REPO_ROOT, startTestServer } from '../util/server.js';

const BASE = 'https://w3id.org/cyber-diplomacy/';
const TEXT = 'In 2021 the GGE and France backed the Paris Call and norm 13(k).';
let server: RunningServer;

beforeAll(async () => {
  server = await startTestServer({
    dataPaths: [path.join(REPO_ROOT, 'ontology'), path.join(REPO_ROOT, 'data')],
    workers: 1,
    maxBodyBytes: 64 * 1024,
  });
});
afterAll(async () => {
  await server.close();
});

interface LinkJson {
  document: { iri: string; sha256: string; length: number };
  mentions: Array<{
    start: number;
    end: number;
    text: string;
    iri: string;
    kind: string;
    confidence: number;
    rule: string;
  }>;
}

describe('POST /api/link', () => {
  it('links plain text and answers JSON', async () => {
    const res = await request(server.url)
      .post('/api/link')
      .set('Content-Type', 'text/plain')
      .send(TEXT)
      .expect(200);
    const body = res.body as LinkJson;
    expect(body.mentions.map((m) => [m.text, m.iri])).toEqual([
      ['GGE', `${BASE}id/process/gge-2019-2021`],
      ['France', `${BASE}id/state/FRA`],
      ['Paris Call', `${BASE}id/initiative/paris-call`],
      ['norm 13(k)', `${BASE}id/norm/13k`],
    ]);
    expect(body.document.sha256).toMatch(/^[0-9a-f]{64}$/);
    for (const m of body.mentions) expect(TEXT.slice(m.start, m.end)).toBe(m.text);
  });

  it('takes JSON with a year, HTML and PDF', async () => {
    const json = await request(server.url)
      .post('/api/link')
      .send({ text: 'The GGE met.', year: 2013 })
      .expect(200);
    expect((json.body as LinkJson).mentions[0]?.iri).toBe(`${BASE}id/process/gge-2012-2013`);
    const html = await request(server.url)
      .post('/api/link')
      .set('Content-Type', 'text/html')
      .send(
        '<html><body><nav>Germany</nav><main><p>The <em>United Kingdom</em> spoke.</p></main></body></html>',
      )
      .expect(200);
    expect((html.body as LinkJson).mentions.map((m) => m.iri)).toEqual([`${BASE}id/state/GBR`]);
    const pdf = await request(server.url)
      .post('/api/link')
      .set('Content-Type', 'application/pdf')
      .send(makePdf(['Egypt and France proposed it.']))
      .expect(200);
    expect((pdf.body as LinkJson).mentions.map((m) => m.iri)).toEqual([
      `${BASE}id/state/EGY`,
      `${BASE}id/state/FRA`,
    ]);
  });

  it('answers Web Annotation RDF by Accept', async () => {
    const res = await request(server.url)
      .post('/api/link')
      .set('Content-Type', 'text/plain')
      .set('Accept', 'text/turtle')
      .send(TEXT)
      .expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/turtle/);
    expect(res.text).toContain('oa:TextQuoteSelector');
    expect(res.text).toContain('oa:TextPositionSelector');
    expect(res.text).toContain('oa:exact "Paris Call"');
    const jsonld = await request(server.url)
      .post('/api/link')
      .set('Content-Type', 'text/plain')
      .set('Accept', 'application/ld+json')
      .send(TEXT)
      .expect(200);
    expect(jsonld.text).toContain('http://www.w3.org/ns/oa#TextQuoteSelector');
  });

  it('refuses a body over the limit with 413 and an unknown type with 415', async () => {
    const res = await request(server.url)
      .post('/api/link')
      .set('Content-Type', 'text/plain')
      .send('x'.repeat(70 * 1024))
      .expect(413);
    expect(res.text).toMatch(/limit is 65536 bytes/);
    await request(server.url)
      .post('/api/link')
      .set('Content-Type', 'image/png')
      .send(Buffer.from('x'))
      .expect(415);
    await request(server.url)
      .post('/api/link')
      .set('Content-Type', 'application/json')
      .send('{not json')
      .expect(400);
  });
});

describe('the /link page', () => {
  it('shows a form, then the text with mentions highlighted and linked', async () => {
    const form = await request(server.url).get('/link').expect(200);
    expect(form.text).toContain('<textarea id="link-text" name="text"');
    const res = await request(server.url)
      .post('/link')
      .type('form')
      .send({ text: 'France <script>x</script> and the UK.' })
      .expect(200);
    expect(res.text).toContain('href="/id/state/FRA"');
    expect(res.text).toContain('href="/id/state/GBR"');
    expect(res.text).not.toContain('<script>x</script>');
  });
});

describe('cdg link', () => {
  const TSX = path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  const MAIN = path.join(REPO_ROOT, 'src', 'cli', 'main.ts');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cdg-link-'));
  const file = path.join(dir, 'statement.html');
  writeFileSync(
    file,
    '<html><head><title>Statement</title></head><body><p>Germany endorsed the Paris Call.</p></body></html>',
  );

  it('links a file and writes JSON, Turtle or HTML', () => {
    const run = (format: string) =>
      spawnSync(process.execPath, [TSX, MAIN, 'link', file, '--format', format], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        env: { ...process.env, LOG_LEVEL: 'silent' },
        timeout: 60_000,
      });
    const json = run('json');
    expect(json.status).toBe(0);
    expect((JSON.parse(json.stdout) as LinkJson).mentions.map((m) => m.iri)).toEqual([
      `${BASE}id/state/DEU`,
      `${BASE}id/initiative/paris-call`,
    ]);
    expect(run('ttl').stdout).toContain('oa:Annotation');
    expect(run('html').stdout).toContain('href="/id/state/DEU"');
  });

  it('stores annotations with --add, and pages then show where an entity is mentioned', async () => {
    const store = path.join(dir, 'annotations');
    const add = spawnSync(
      process.execPath,
      [TSX, MAIN, 'link', file, '--add', '--annotations-dir', store],
      {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        env: { ...process.env, LOG_LEVEL: 'silent' },
        timeout: 60_000,
      },
    );
    expect(add.status).toBe(0);
    expect(add.stderr).toMatch(/Stored 2 annotations in/);
    const withAnnotations = await startTestServer({
      dataPaths: [path.join(REPO_ROOT, 'ontology'), path.join(REPO_ROOT, 'data'), store],
      workers: 1,
    });
    try {
      const page = await request(withAnnotations.url)
        .get('/id/state/DEU')
        .set('Accept', 'text/html')
        .expect(200);
      expect(page.text).toContain('Linked text: Statement');
      const q = `PREFIX cdo: <${BASE}ontology#> SELECT ?doc WHERE { ?doc cdo:mentions <${BASE}id/state/DEU> }`;
      const res = await request(withAnnotations.url).get('/sparql').query({ query: q }).expect(200);
      expect((res.body as { results: { bindings: unknown[] } }).results.bindings).toHaveLength(1);
    } finally {
      await withAnnotations.close();
    }
  });
});
