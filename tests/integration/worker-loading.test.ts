/**
 * Large data is loaded by the query workers themselves, straight from disk, and the indexes are
 * built from what they read: the server must answer exactly as when the main thread loads the data.
 * `inProcessMaxBytes: 0` sends even the real dataset down that path.
 */
import { mkdtemp, readFile, rm, writeFile, cp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { Parser } from 'n3';
import pino from 'pino';
import { isomorphic } from 'rdf-isomorphic';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config.js';
import { DataLoadError } from '../../src/errors.js';
import type { LoadProgress } from '../../src/graph/load.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { dumpText } from '../util/dumps.js';
import { FIXTURES, MINI, REPO_ROOT, startTestServer } from '../util/server.js';
import { until } from '../util/wait.js';

const REAL = [path.join(REPO_ROOT, 'ontology'), path.join(REPO_ROOT, 'data')];
const TEXT =
  'In 2021 the GGE, France and the United Kingdom backed the Paris Call, norm 13(k) and A/70/174; NotPetya hit Ukraine.';

/**
 * What a page says, in any order: the statements of a page come in the order the engine lists
 * them, which follows how its store was filled (file by file here, from one N-Quads text there), and
 * its source notes are numbered in that order.
 */
function pageContent(html: string): string[] {
  return html
    .replace(/source-\d+/gu, 'source-n')
    .replace(/\[\d+\]/gu, '[n]')
    .split('<')
    .sort();
}

async function dump(server: RunningServer): Promise<string> {
  return dumpText(server.url, 'cyber-diplomacy.nq.gz');
}

describe.each(['oxigraph', 'comunica'] as const)(
  'the real data loaded by the workers (%s engine)',
  (engine) => {
    let inMain: RunningServer;
    let inWorkers: RunningServer;
    beforeAll(async () => {
      inMain = await startTestServer({ dataPaths: REAL, engine });
      inWorkers = await startTestServer({ dataPaths: REAL, engine }, { inProcessMaxBytes: 0 });
    });
    afterAll(async () => {
      await inMain.close();
      await inWorkers.close();
    });

    it('reports the same files, graphs, quads and data version', async () => {
      expect(inWorkers.quadCount).toBe(inMain.quadCount);
      expect(inWorkers.quadCount).toBeGreaterThan(20_000);
      expect(inWorkers.graphs).toEqual(inMain.graphs);
      const [a, b] = await Promise.all(
        [inMain, inWorkers].map((s) => request(s.url).get('/health').expect(200)),
      );
      expect((b!.body as { version: string }).version).toBe(
        (a!.body as { version: string }).version,
      );
    });

    it('serves the same pages, home page, autocomplete and VoID', async () => {
      for (const p of ['/', '/id/norm/13k', '/id/state/FRA', '/id/incident/notpetya-2017']) {
        const [a, b] = await Promise.all(
          [inMain, inWorkers].map((s) => request(s.url).get(p).set('Accept', 'text/html')),
        );
        expect(a!.status).toBe(200);
        expect(b!.status).toBe(200);
        expect(pageContent(b!.text)).toEqual(pageContent(a!.text));
      }
      for (const q of ['fra', '13(k', 'notp', 'A/70', 'unit', 'par', 'gge']) {
        const [a, b] = await Promise.all(
          [inMain, inWorkers].map((s) =>
            request(s.url).get('/api/autocomplete').query({ q }).expect(200),
          ),
        );
        expect(b!.body).toEqual(a!.body);
      }
      expect(
        (await request(inMain.url).get('/api/autocomplete').query({ q: 'fra' })).body,
      ).not.toEqual([]);
      const [va, vb] = await Promise.all(
        [inMain, inWorkers].map(async (s) =>
          new Parser({ format: 'Turtle' }).parse(
            (
              await request(s.url).get('/.well-known/void').set('Accept', 'text/turtle').expect(200)
            ).text
              .replaceAll(s.url, 'http://server')
              // When each server loaded its data (dct:created, dct:modified) differs, of course.
              .replace(/"\d{4}-\d\d-\d\dT[\d:.]+Z"/gu, '"loaded"'),
          ),
        ),
      );
      expect(isomorphic(va!, vb!)).toBe(true);
    });

    it('links a text the same way', async () => {
      const [a, b] = await Promise.all(
        [inMain, inWorkers].map((s) =>
          request(s.url).post('/api/link').set('Content-Type', 'text/plain').send(TEXT).expect(200),
        ),
      );
      const mentions = (r: request.Response): unknown =>
        (r.body as { mentions: unknown[] }).mentions;
      expect(mentions(b!)).toEqual(mentions(a!));
      expect((mentions(a!) as unknown[]).length).toBeGreaterThanOrEqual(6);
    });

    it('dumps the same dataset', async () => {
      const [a, b] = await Promise.all([dump(inMain), dump(inWorkers)]);
      const quads = (text: string) => new Parser({ format: 'N-Quads' }).parse(text);
      const qa = quads(a);
      const qb = quads(b);
      expect(qb.length).toBe(qa.length);
      expect(isomorphic(qa, qb)).toBe(true);
    });
  },
);

describe('data errors when the workers load the data', () => {
  it('stop start-up with the same file, line and column as the main thread gives', async () => {
    const broken = [path.join(FIXTURES, 'broken')];
    const inMain = await startTestServer({ dataPaths: broken }).catch((e: unknown) => e);
    const inWorkers = await startTestServer({ dataPaths: broken }, { inProcessMaxBytes: 0 }).catch(
      (e: unknown) => e,
    );
    expect(inMain).toBeInstanceOf(DataLoadError);
    expect(inWorkers).toBeInstanceOf(DataLoadError);
    expect((inWorkers as DataLoadError).message).toBe((inMain as DataLoadError).message);
    expect((inWorkers as DataLoadError).line).toBeGreaterThan(0);
  });
});

describe('a large file streamed from disk by the workers', () => {
  let dir: string;
  const line = (i: number): string =>
    `<http://example.org/s${i}> <http://example.org/p> "välue number ${i}, padded to make the file larger" .\n`;
  const bigFile = (edit?: (lines: string[]) => void): string => {
    const lines: string[] = [];
    for (let i = 0; i < 110_000; i++) lines.push(line(i));
    edit?.(lines);
    return lines.join('');
  };
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'cdg-workers-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is loaded whole, with progress, its hash and the same version as the main thread gives', async () => {
    const data = path.join(dir, 'ok');
    await cp(MINI, data, { recursive: true });
    await writeFile(path.join(data, 'big.nt'), bigFile());
    const events: LoadProgress['type'][] = [];
    const inWorkers = await startTestServer(
      { dataPaths: [data] },
      { inProcessMaxBytes: 0, onProgress: (e) => events.push(e.type) },
    );
    const inMain = await startTestServer({ dataPaths: [data] });
    try {
      expect(inWorkers.graphs).toEqual(inMain.graphs);
      expect(inWorkers.quadCount).toBe(inMain.quadCount);
      expect(inWorkers.graphs.find((g) => g.file.endsWith('big.nt'))?.quads).toBe(110_000);
      expect(events.filter((e) => e === 'file-progress').length).toBeGreaterThanOrEqual(2);
      const ask = (s: RunningServer) =>
        request(s.url)
          .get('/sparql')
          .query({ query: 'SELECT (COUNT(*) AS ?n) WHERE { ?s <http://example.org/p> ?o }' })
          .set('Accept', 'text/csv');
      expect((await ask(inWorkers)).text).toBe((await ask(inMain)).text);
    } finally {
      await inWorkers.close();
      await inMain.close();
    }
  });

  it('names the line of a syntax error or of bytes that are not UTF-8, as the main thread does', async () => {
    for (const [name, content] of [
      [
        'syntax',
        bigFile(
          (lines) => (lines[100_000] = '<http://example.org/broken> <http://example.org/p> .\n'),
        ),
      ],
      [
        'encoding',
        Buffer.concat([
          Buffer.from(bigFile().slice(0, 10_500_000)),
          Buffer.from([0x22, 0xff, 0x22]),
          Buffer.from(' .\n'),
        ]),
      ],
    ] as const) {
      const data = path.join(dir, name);
      await cp(MINI, data, { recursive: true });
      await writeFile(path.join(data, 'big.nt'), content);
      const inWorkers = await startTestServer(
        { dataPaths: [data] },
        { inProcessMaxBytes: 0 },
      ).catch((e: unknown) => e);
      const inMain = await startTestServer({ dataPaths: [data] }).catch((e: unknown) => e);
      expect(inWorkers).toBeInstanceOf(DataLoadError);
      expect((inWorkers as DataLoadError).message).toBe((inMain as DataLoadError).message);
      expect((inWorkers as DataLoadError).line).toBeGreaterThan(90_000);
    }
  });
});

describe('replacing a worker when the workers load the data', () => {
  const CARTESIAN =
    'SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o . ?p ?q ?r }';

  it('reloads the same data, and refuses a file changed on disk while the others keep serving', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cdg-replace-'));
    const lines: string[] = [];
    const logger = pino(
      { level: 'error' },
      new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    );
    const config = resolveConfig({
      port: 0,
      host: '127.0.0.1',
      dataPaths: [dir],
      workers: 2,
      stateDir: '',
      queryTimeoutMs: 1000,
      cacheBytes: 0,
    });
    await cp(MINI, dir, { recursive: true });
    const server = await startServer(config, logger, undefined, { inProcessMaxBytes: 0 });
    try {
      const sparql = (query: string) => request(server.url).get('/sparql').query({ query });
      // A timeout kills a worker; its replacement loads the unchanged files and serves.
      expect((await sparql(CARTESIAN)).status).toBe(503);
      const served = await Promise.all([1, 2, 3, 4].map(() => sparql('ASK { ?s ?p ?o }')));
      expect(served.map((r) => r.status)).toEqual([200, 200, 200, 200]);
      await until(() => server.engine.readyWorkers === 2, 'the replacement was ready');

      // Once a file has changed, a replacement refuses to load it; the other worker serves on.
      const file = path.join(dir, 'things.ttl');
      await writeFile(file, `${await readFile(file, 'utf8')}\n# changed\n`);
      // Under load a timed-out query may give its 503 before reaching a worker, killing none: ask
      // again while both workers are still up.
      await until(async () => {
        if (lines.some((l) => l.includes('has changed since the server started'))) return true;
        if (server.engine.readyWorkers === 2) expect((await sparql(CARTESIAN)).status).toBe(503);
        return false;
      }, 'a replacement refused the changed file');
      expect((await sparql('ASK { ?s ?p ?o }')).status).toBe(200);
      expect(server.engine.readyWorkers).toBe(1);
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('writes when the workers load the data', () => {
  const TOKEN = 'test-write-token-0123456789';
  const NS = 'https://w3id.org/cyber-diplomacy/graph/user/';
  const SHAPES = path.join(FIXTURES, 'shacl', 'shapes.ttl');

  const update = (server: RunningServer, text: string) =>
    request(server.url)
      .post('/sparql')
      .set('Authorization', `Bearer ${TOKEN}`)
      .set('Content-Type', 'application/sparql-update')
      .send(text);
  const notes = async (server: RunningServer): Promise<string[]> => {
    const res = await request(server.url)
      .get('/sparql')
      .query({ query: `SELECT ?o WHERE { GRAPH <${NS}notes> { ?s ?p ?o } } ORDER BY ?o` })
      .expect(200);
    return (
      res.body as { results: { bindings: Array<{ o: { value: string } }> } }
    ).results.bindings.map((b) => b.o.value);
  };

  it.each(['oxigraph', 'comunica'] as const)(
    'are worked out by a writer that loaded the files, seen by the next query, replayed after a restart (%s engine)',
    async (engine) => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'cdg-large-writes-'));
      const settings = {
        dataPaths: [MINI, SHAPES],
        stateDir: dir,
        writeToken: TOKEN,
        engine,
      };
      let server = await startTestServer(settings, { inProcessMaxBytes: 0 });
      try {
        expect(server.writer).toBeDefined();
        const before = server.version;
        const res = await update(
          server,
          `INSERT DATA { GRAPH <${NS}notes> { <http://example.org/a> <http://example.org/note> "first", "second" } }`,
        );
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ status: 'ok', inserted: 2 });
        expect(await notes(server)).toEqual(['first', 'second']);
        // WHERE is evaluated by the writer over the curated data it loaded from the files.
        const where = await update(
          server,
          `INSERT { GRAPH <${NS}things> { ?t <http://example.org/seen> true } } WHERE { ?t a <http://example.org/Thing> }`,
        );
        expect(where.body).toMatchObject({ inserted: 4 });
        expect(server.version).not.toBe(before);
        // The dump (written by a worker) has the user graphs.
        expect(await dump(server)).toContain('"second"');
        // HTML is linked in a worker, which has the gazetteer built after the workers loaded.
        const linked = await request(server.url)
          .post('/api/link')
          .set('Content-Type', 'text/html')
          .send('<p>Alpha and Beta.</p>')
          .expect(200);
        expect(Array.isArray((linked.body as { mentions: unknown }).mentions)).toBe(true);
        await server.journal!.flush();
        const version = server.version;
        await server.close();

        // After a restart, in either mode, the journal is replayed and the version is the same.
        server = await startTestServer(settings, { inProcessMaxBytes: 0 });
        expect(await notes(server)).toEqual(['first', 'second']);
        expect(server.version).toBe(version);
        expect((await update(server, `DROP GRAPH <${NS}notes>`)).status).toBe(200);
        expect(await notes(server)).toEqual([]);
        await server.journal!.flush();
        const dropped = server.version;
        await server.close();
        server = await startTestServer(settings);
        expect(await notes(server)).toEqual([]);
        expect(server.version).toBe(dropped);
      } finally {
        await server.close();
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
