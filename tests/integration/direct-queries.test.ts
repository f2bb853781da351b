/**
 * Plain GET queries are answered straight from Node's HTTP server, past Express: a client must not
 * be able to tell. Two servers over the same data, one answering directly and one sending every
 * query through the Express app, must give the same status, body and headers — answers in every
 * result format, a truncated result, `304 Not Modified`, a syntax error, a query stopped at its
 * deadline — and log the same request lines.
 */
import { get } from 'node:http';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { MINI } from '../util/server.js';

/** Headers that legitimately differ between two responses. */
const PER_RESPONSE = new Set(['date', 'keep-alive', 'connection']);

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string>;
}

function ask(url: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => {
        const out: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers))
          if (!PER_RESPONSE.has(k)) out[k] = Array.isArray(v) ? v.join(', ') : String(v);
        resolve({ status: res.statusCode ?? 0, body, headers: out });
      });
    }).on('error', reject);
  });
}

const CARTESIAN =
  'SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o . ?p ?q ?r }';

let direct: RunningServer;
let full: RunningServer;
const logs = { direct: [] as string[], full: [] as string[] };

function logger(lines: string[]) {
  return pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    }),
  );
}

beforeAll(async () => {
  const config = resolveConfig({
    port: 0,
    host: '127.0.0.1',
    dataPaths: [MINI],
    workers: 2,
    stateDir: '',
    cacheBytes: 0,
    maxResultRows: 2,
    queryTimeoutMs: 1000,
  });
  direct = await startServer(config, logger(logs.direct));
  full = await startServer(config, logger(logs.full), undefined, { directQueries: false });
});
afterAll(async () => {
  await direct.close();
  await full.close();
});

describe('GET queries answered past Express', () => {
  it.each([
    ['ASK as SPARQL JSON', 'ASK { ?s ?p ?o }', 'application/sparql-results+json'],
    [
      'SELECT as SPARQL XML',
      'SELECT ?s ?o WHERE { ?s ?p ?o } LIMIT 2',
      'application/sparql-results+xml',
    ],
    ['SELECT as CSV, truncated', 'SELECT ?s WHERE { ?s ?p ?o }', 'text/csv'],
    [
      'SELECT as TSV',
      'SELECT * WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o LIMIT 2',
      'text/tab-separated-values',
    ],
    ['DESCRIBE as Turtle', 'DESCRIBE <https://example.org/a>', 'text/turtle'],
    ['CONSTRUCT as N-Triples, truncated', 'CONSTRUCT WHERE { ?s ?p ?o }', 'application/n-triples'],
    ['a syntax error', 'SELECT * WHERE { ?s ?p }', 'application/sparql-results+json'],
    ['a query stopped at its deadline', CARTESIAN, 'application/sparql-results+json'],
    ['an unknown prefix', 'SELECT * WHERE { ?s nope:p ?o }', 'text/csv'],
  ])('%s: same status, body and headers as through Express', async (_name, query, accept) => {
    const path = `/sparql?query=${encodeURIComponent(query)}`;
    const [a, b] = await Promise.all([
      ask(`${direct.url}${path}`, { accept }),
      ask(`${full.url}${path}`, { accept }),
    ]);
    expect(a.status).toBe(b.status);
    expect(a.body).toBe(b.body);
    expect(a.headers).toEqual(b.headers);
  });

  it('answers a matching If-None-Match with 304 as Express does', async () => {
    const path = `/sparql?query=${encodeURIComponent('SELECT * WHERE { ?s ?p ?o } LIMIT 1')}`;
    const first = await ask(`${direct.url}${path}`, {});
    expect(first.status).toBe(200);
    const tag = first.headers.etag!;
    expect(tag).toMatch(/^W\/"/);
    const [a, b] = await Promise.all([
      ask(`${direct.url}${path}`, { 'if-none-match': tag }),
      ask(`${full.url}${path}`, { 'if-none-match': tag }),
    ]);
    expect(a).toEqual({ ...b, headers: a.headers });
    expect(a.status).toBe(304);
    expect(a.headers).toEqual(b.headers);
  });

  it('logs the same request line, at error level for a 5xx', async () => {
    for (const lines of [logs.direct, logs.full]) lines.length = 0;
    const path = `/sparql?query=${encodeURIComponent(CARTESIAN)}`;
    await Promise.all([ask(`${direct.url}${path}`, {}), ask(`${full.url}${path}`, {})]);
    const requestLine = (lines: string[]) => {
      const line = lines
        .map((l) => JSON.parse(l) as { msg: string; level: number; url?: string; status?: number })
        .find((l) => l.msg === 'request');
      return { level: line?.level, url: line?.url, status: line?.status };
    };
    expect(requestLine(logs.direct)).toEqual(requestLine(logs.full));
    expect(requestLine(logs.direct)).toMatchObject({ level: 50, status: 503 });
  });
});
