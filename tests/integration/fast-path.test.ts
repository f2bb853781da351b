/**
 * Cached answers skip the framework: the second identical GET is served from the cache, and a client
 * must not be able to tell — same status, body and headers as the first answer, which the engine gave
 * (direct-queries.test.ts checks that answer against the one through Express).
 */
import { get } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server.js';
import { startTestServer } from '../util/server.js';

let server: RunningServer;
beforeAll(async () => {
  server = await startTestServer({ maxResultRows: 2 });
});
afterAll(async () => {
  await server.close();
});

/** Headers that legitimately differ between two responses. */
const PER_RESPONSE = new Set(['date', 'keep-alive', 'connection']);

function headersOf(res: Response): Record<string, string> {
  const out: Record<string, string> = {};
  res.headers.forEach((v, k) => {
    if (!PER_RESPONSE.has(k)) out[k] = v;
  });
  return out;
}

async function twice(path: string, init: RequestInit = {}) {
  const hitsBefore = server.cache.stats.hits;
  const first = await fetch(`${server.url}${path}`, init);
  const firstBody = await first.text();
  const second = await fetch(`${server.url}${path}`, init);
  const secondBody = await second.text();
  return { first, firstBody, second, secondBody, hits: server.cache.stats.hits - hitsBefore };
}

describe('cached answers on the fast path', () => {
  it.each([
    ['ASK as SPARQL JSON', 'ASK { ?s ?p ?o }', 'application/sparql-results+json'],
    ['SELECT as CSV, truncated', 'SELECT ?s WHERE { ?s ?p ?o }', 'text/csv'],
    ['DESCRIBE as Turtle', 'DESCRIBE <https://example.org/a>', 'text/turtle'],
    ['CONSTRUCT as N-Triples', 'CONSTRUCT WHERE { ?s ?p ?o }', 'application/n-triples'],
  ])('%s: same status, body and headers as the full path', async (_name, query, accept) => {
    const r = await twice(`/sparql?query=${encodeURIComponent(query)}`, {
      headers: { accept },
    });
    expect(r.first.status).toBe(200);
    expect(r.hits).toBe(1);
    expect(r.second.status).toBe(r.first.status);
    expect(r.secondBody).toBe(r.firstBody);
    expect(headersOf(r.second)).toEqual(headersOf(r.first));
  });

  it('answers HEAD and a matching If-None-Match as the full path does', async () => {
    const path = `/sparql?query=${encodeURIComponent('SELECT * WHERE { ?s ?p ?o } LIMIT 1')}`;
    const full = await fetch(`${server.url}${path}`);
    const tag = full.headers.get('etag');
    expect(tag).toMatch(/^W\/"/);
    await full.text();
    const head = await fetch(`${server.url}${path}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('etag')).toBe(tag);
    expect(await head.text()).toBe('');
    // fetch() adds Cache-Control: no-cache to conditional requests, so ask with node:http.
    const notModified = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      get(`${server.url}${path}`, { headers: { 'if-none-match': tag! } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      }).on('error', reject);
    });
    expect(notModified).toEqual({ status: 304, body: '' });
  });

  it('leaves browsers to the query UI even when the answer is cached', async () => {
    const path = `/sparql?query=${encodeURIComponent('ASK { ?s ?p ?o }')}`;
    await (await fetch(`${server.url}${path}`)).text();
    const page = await fetch(`${server.url}${path}`, {
      headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' },
    });
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toMatch(/<html/i);
  });

  it('reads a repeated request once, keeping each Accept apart', async () => {
    const path = `/sparql?query=${encodeURIComponent('SELECT ?s WHERE { ?s ?p ?o } LIMIT 1')}`;
    const kinds: string[] = [];
    for (const accept of [
      'application/sparql-results+json',
      'text/html,application/xhtml+xml,*/*;q=0.8',
      'text/csv',
      'application/sparql-results+json',
      'text/html,application/xhtml+xml,*/*;q=0.8',
      'text/csv',
    ]) {
      const res = await fetch(`${server.url}${path}`, { headers: { accept } });
      await res.text();
      expect(res.status).toBe(200);
      kinds.push((res.headers.get('content-type') ?? '').split(';')[0]!);
    }
    expect(kinds).toEqual([
      'application/sparql-results+json',
      'text/html',
      'text/csv',
      'application/sparql-results+json',
      'text/html',
      'text/csv',
    ]);
  });

  it('leaves errors to the full path', async () => {
    const path = `/sparql?query=${encodeURIComponent('SELECT * WHERE { ?s ?p }')}`;
    const r = await twice(path);
    expect(r.first.status).toBe(400);
    expect(r.second.status).toBe(400);
    expect(r.secondBody).toBe(r.firstBody);
    expect(r.secondBody).toMatch(/line|column|position/i);
  });
});
