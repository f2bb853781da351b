/**
 * The same server on two backends: the embedded store and Virtuoso 7 (a private instance on
 * loopback, loaded by `cdg load`'s code over SPARQL Update). Every saved query, sampled resource
 * pages, search, reports, reconciliation, the linker, VoID and the dumps must give the same answers.
 * Also: the load resumes after an interruption, a store that is down or slow gives a clear error,
 * and federation joins our entities with a graph Virtuoso holds.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig, type ConfigInput } from '../../src/config.js';
import { findDataSources } from '../../src/graph/files.js';
import {
  checkpointPath,
  loadIntoStore,
  type RemoteLoadProgress,
} from '../../src/graph/remoteLoad.js';
import { RemoteStore } from '../../src/graph/remoteStore.js';
import { diffTriples, recordGraphs, triplesByGraph } from '../../src/graph/versions.js';
import {
  startVirtuoso,
  virtuosoUnavailable,
  type VirtuosoInstance,
} from '../../src/graph/virtuoso.js';
import { createLogger } from '../../src/log.js';
import { startRemoteServer, type RunningRemoteServer } from '../../src/remoteServer.js';
import type { RunningServer } from '../../src/server.js';
import { MINI, REPO_ROOT, startTestServer } from '../util/server.js';
import { keyDiff, pageLinks, sameGraph, solutionKeys, sortedIriList } from './compare.js';

const BASE = 'https://w3id.org/cyber-diplomacy/';
const unavailable = await virtuosoUnavailable();
if (unavailable !== undefined)
  console.warn(`[backends] Virtuoso parity suite skipped: ${unavailable}`);

let virtuoso: VirtuosoInstance;
let scratch: string;
let embedded: RunningServer;
let remote: RunningRemoteServer;

function storeFor(v: VirtuosoInstance): RemoteStore {
  return new RemoteStore({
    queryUrl: v.sparqlUrl,
    updateUrl: v.sparqlAuthUrl,
    graphStoreUrl: v.graphStoreUrl,
    user: v.user,
    password: v.password,
  });
}

function remoteConfig(overrides: ConfigInput = {}) {
  return resolveConfig({
    port: 0,
    store: virtuoso.sparqlUrl,
    logLevel: 'silent',
    stateDir: '',
    ...overrides,
  });
}

describe.skipIf(unavailable !== undefined)(
  'the server on Virtuoso 7 and on the embedded store',
  () => {
    beforeAll(async () => {
      scratch = mkdtempSync(path.join(os.tmpdir(), 'cdg-backends-'));
      virtuoso = await startVirtuoso({ dir: path.join(scratch, 'db'), buffers: 20_000 });
      const sources = await findDataSources(
        [path.join(REPO_ROOT, 'ontology'), path.join(REPO_ROOT, 'data')],
        BASE,
      );
      await loadIntoStore({
        store: storeFor(virtuoso),
        sources,
        baseIri: BASE,
        checkpointFile: '',
      });
      [embedded, remote] = await Promise.all([
        startTestServer({
          dataPaths: [path.join(REPO_ROOT, 'ontology'), path.join(REPO_ROOT, 'data')],
        }),
        startRemoteServer(remoteConfig(), createLogger('silent')),
      ]);
    });

    afterAll(async () => {
      await Promise.all([embedded?.close(), remote?.close()]);
      await virtuoso?.stop();
      if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
    });

    const sparql = async (url: string, query: string, accept = 'application/sparql-results+json') =>
      request(url).post('/sparql').type('form').set('Accept', accept).send({ query });

    describe('the queries/ catalogue', () => {
      const dir = path.join(REPO_ROOT, 'queries');
      const files = readdirSync(dir).filter((f) => f.endsWith('.rq'));

      it.each(files)('%s gives the same solutions', async (file) => {
        const query = readFileSync(path.join(dir, file), 'utf8');
        const [a, b] = await Promise.all([sparql(embedded.url, query), sparql(remote.url, query)]);
        expect(a.status).toBe(200);
        expect(b.status, b.text).toBe(200);
        const ka = solutionKeys(a.text);
        const kb = solutionKeys(b.text);
        expect(ka.length).toBeGreaterThan(0);
        expect(kb, keyDiff(ka, kb)).toEqual(ka);
      });
    });

    describe('sampled resource pages', () => {
      let sample: string[] = [];
      beforeAll(async () => {
        const res = await sparql(
          embedded.url,
          `SELECT DISTINCT ?s WHERE { ?s a ?c FILTER(STRSTARTS(STR(?s), "${BASE}id/")) } ORDER BY ?s`,
        );
        const all = (
          JSON.parse(res.text) as { results: { bindings: Array<{ s: { value: string } }> } }
        ).results.bindings.map((r) => r.s.value);
        const step = Math.max(1, Math.floor(all.length / 24));
        sample = [
          ...all.filter((_, i) => i % step === 0),
          `${BASE}id/norm/13k`,
          `${BASE}id/state/FRA`,
          `${BASE}id/document/A-70-174`,
          `${BASE}id/incident/notpetya-2017`,
          `${BASE}graph/data/norms`,
        ];
      });

      it('answer the same RDF and show the same links', async () => {
        expect(sample.length).toBeGreaterThan(20);
        for (const iri of sample) {
          const p = `/${iri.slice(BASE.length)}`;
          for (const accept of ['application/n-triples', 'text/html']) {
            const [a, b] = await Promise.all([
              request(embedded.url).get(p).set('Accept', accept),
              request(remote.url).get(p).set('Accept', accept),
            ]);
            expect(b.status, `${p} ${accept}`).toBe(a.status);
            if (accept === 'text/html') expect(pageLinks(b.text), p).toEqual(pageLinks(a.text));
            else expect(sameGraph(a.text, b.text), p).toBe(true);
          }
        }
      });

      it('say 404 for the same unknown IRI', async () => {
        await request(remote.url).get('/id/state/XXX').set('Accept', 'text/html').expect(404);
      });
    });

    it('search and autocomplete agree', async () => {
      for (const q of ['fra', 'norm 13', 'A/70', 'notpetya', 'paris call', 'russian', 'energy']) {
        const [a, b] = await Promise.all([
          request(embedded.url).get('/api/autocomplete').query({ q, limit: 20 }),
          request(remote.url).get('/api/autocomplete').query({ q, limit: 20 }),
        ]);
        expect(a.body).not.toEqual([]);
        expect(b.body, q).toEqual(a.body);
        const [sa, sb] = await Promise.all([
          request(embedded.url).get('/search').query({ q }),
          request(remote.url).get('/search').query({ q }),
        ]);
        expect(pageLinks(sb.text)).toEqual(pageLinks(sa.text));
      }
    });

    it('every report has the same rows', async () => {
      const index = await request(embedded.url).get('/reports').expect(200);
      const names = [...index.text.matchAll(/href="\/reports\/([a-z-]+)"/gu)].map((m) => m[1]!);
      expect(names.length).toBeGreaterThan(5);
      for (const name of new Set(names)) {
        const [a, b] = await Promise.all([
          request(embedded.url).get(`/reports/${name}`).query({ format: 'csv' }),
          request(remote.url).get(`/reports/${name}`).query({ format: 'csv' }),
        ]);
        expect(b.status, name).toBe(200);
        // Lists of IRIs (a row's sources) in a fixed order: GROUP_CONCAT's order is the engine's.
        const rows = (t: string): string[] =>
          t
            .split('\r\n')
            .map((l) =>
              l.replace(/https?:\/\/[^\s,"]+(?: https?:\/\/[^\s,"]+)+/gu, (m) => sortedIriList(m)),
            )
            .sort();
        expect(rows(b.text), name).toEqual(rows(a.text));
      }
    });

    it('reconciliation gives the same candidates', async () => {
      const queries = JSON.stringify({
        q0: { query: 'France', type: 'cdo:State' },
        q1: { query: 'Korea', properties: [{ pid: 'cdo:iso3166Alpha3', v: 'KOR' }] },
        q2: { query: 'NotPetya' },
        q3: { query: 'A/70/174' },
      });
      const [a, b] = await Promise.all([
        request(embedded.url).post('/reconcile').type('form').send({ queries }),
        request(remote.url).post('/reconcile').type('form').send({ queries }),
      ]);
      expect(a.status).toBe(200);
      expect(b.body).toEqual(a.body);
      const extend = JSON.stringify({
        ids: [`${BASE}id/state/FRA`, `${BASE}id/state/DEU`],
        properties: [{ id: 'cdo:iso3166Alpha2' }, { id: 'skos:prefLabel' }],
      });
      const [ea, eb] = await Promise.all([
        request(embedded.url).post('/reconcile').type('form').send({ extend }),
        request(remote.url).post('/reconcile').type('form').send({ extend }),
      ]);
      expect(eb.body).toEqual(ea.body);
    });

    it('the linker finds the same mentions (its gazetteer came from the store)', async () => {
      const text =
        'In 2021 the OEWG and the GGE affirmed norm 13(k); France, the Russian Federation and the UK ' +
        'discussed NotPetya, the Paris Call and A/70/174 with the CyberPeace Institute.';
      const [a, b] = await Promise.all([
        request(embedded.url).post('/api/link').type('text/plain').send(text),
        request(remote.url).post('/api/link').type('text/plain').send(text),
      ]);
      expect((a.body as { mentions: unknown[] }).mentions.length).toBeGreaterThan(5);
      expect(b.body).toEqual(a.body);
    });

    it('VoID counts, the service description and the dumps agree', async () => {
      const [va, vb] = await Promise.all([
        request(embedded.url).get('/.well-known/void').set('Accept', 'application/n-triples'),
        request(remote.url).get('/.well-known/void').set('Accept', 'application/n-triples'),
      ]);
      const facts = (nt: string): string[] =>
        nt
          .split('\n')
          .filter((l) => /void#(triples|entities|classes|class)>|hasVersion/u.test(l))
          .map((l) => l.replace(/_:\S+/gu, '_:'))
          .sort();
      expect(facts(vb.text)).toEqual(facts(va.text));
      // fetch undoes the gzip content encoding.
      const dump = async (url: string): Promise<string> =>
        (await fetch(`${url}/dumps/cyber-diplomacy.nq.gz`)).text();
      const [nqA, nqB] = await Promise.all([dump(embedded.url), dump(remote.url)]);
      expect(nqA.length).toBeGreaterThan(1000);
      expect(diffTriples(await triplesByGraph(nqA), await triplesByGraph(nqB))).toEqual([]);
    });

    it('tells a store that answers too slowly from one that is down, and keeps serving', async () => {
      const slow = await startRemoteServer(
        remoteConfig({ queryTimeoutMs: 300 }),
        createLogger('silent'),
      );
      try {
        const res = await sparql(
          slow.url,
          'SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }',
        );
        expect(res.status).toBe(503);
        expect(res.text).toMatch(/timed out/u);
        const ok = await sparql(slow.url, 'ASK { ?s a ?c }');
        expect(ok.status).toBe(200);
      } finally {
        await slow.close();
      }
      // A store that stops answering: a 502 naming it, not a hang or a 500.
      const other = await startVirtuoso({ dir: path.join(scratch, 'down'), buffers: 5_000 });
      const down = await startRemoteServer(
        remoteConfig({ store: other.sparqlUrl, cacheBytes: 0 }),
        createLogger('silent'),
      );
      try {
        await other.stop();
        const res = await sparql(down.url, 'ASK { ?s ?p ?o }');
        expect(res.status).toBe(502);
        expect(res.text).toContain(other.sparqlUrl);
        expect((await request(down.url).get('/health')).status).toBe(200);
      } finally {
        await down.close();
      }
    });

    it('on Virtuoso, SERVICE joins the store with an allowlisted endpoint (Comunica federates)', async () => {
      const federating = await startRemoteServer(
        remoteConfig({ serviceAllowlist: [`${embedded.url}/sparql`] }),
        createLogger('silent'),
      );
      try {
        const res = await sparql(
          federating.url,
          `PREFIX cdo: <${BASE}ontology#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
         SELECT ?code ?label WHERE { ?state cdo:iso3166Alpha3 ?code FILTER(?code IN ("FRA", "DEU"))
           SERVICE <${embedded.url}/sparql> { ?state skos:prefLabel ?label FILTER(LANG(?label) = "en") } }`,
        );
        expect(res.status, res.text).toBe(200);
        expect(solutionKeys(res.text)).toEqual([
          'code=literal|DEU||\tlabel=literal|Germany|en|',
          'code=literal|FRA||\tlabel=literal|France|en|',
        ]);
        const refused = await sparql(
          federating.url,
          'SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }',
        );
        expect(refused.status).toBe(403);
      } finally {
        await federating.close();
      }
    });

    it('cdg serve --store serves the store', async () => {
      const child = spawn(
        process.execPath,
        [
          path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
          path.join(REPO_ROOT, 'src', 'cli', 'main.ts'),
          'serve',
          '--port',
          '0',
          '--store',
          virtuoso.sparqlUrl,
        ],
        {
          cwd: REPO_ROOT,
          env: { ...process.env, LOG_LEVEL: 'silent', CDG_STATE_DIR: '' },
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      try {
        let stderr = '';
        const endpoint = await new Promise<string>((resolve, reject) => {
          child.stderr.on('data', (chunk: Buffer) => {
            stderr += chunk.toString('utf8');
            const m = /SPARQL endpoint: (\S+)/u.exec(stderr);
            if (m?.[1] !== undefined) resolve(m[1]);
          });
          child.once('exit', (code) => reject(new Error(`cdg serve exited (${code}): ${stderr}`)));
        });
        expect(stderr).toMatch(/from the store at .*version [0-9a-f]{16}/u);
        const res = await fetch(
          `${endpoint}?query=${encodeURIComponent('ASK { ?n a <' + BASE + 'ontology#Norm> }')}`,
          {
            headers: { accept: 'application/sparql-results+json' },
          },
        );
        expect(await res.json()).toMatchObject({ boolean: true });
      } finally {
        child.kill('SIGTERM');
      }
    });

    it('federates: SERVICE joins our states with a graph Virtuoso holds', async () => {
      const store = storeFor(virtuoso);
      await store.update(
        `INSERT DATA { GRAPH <http://example.org/external-ids> {
        <${BASE}id/state/FRA> <http://example.org/ids#externalId> "ext-250" .
        <${BASE}id/state/DEU> <http://example.org/ids#externalId> "ext-276" . } }`,
      );
      const server = await startTestServer({
        engine: 'comunica',
        workers: 1,
        dataPaths: [path.join(REPO_ROOT, 'ontology'), path.join(REPO_ROOT, 'data', 'states.ttl')],
        serviceAllowlist: [virtuoso.sparqlUrl],
      });
      try {
        const res = await sparql(
          server.url,
          `PREFIX cdo: <${BASE}ontology#>
         SELECT ?code ?ext WHERE { ?state cdo:iso3166Alpha3 ?code .
           SERVICE <${virtuoso.sparqlUrl}> { ?state <http://example.org/ids#externalId> ?ext } }`,
        );
        expect(res.status, res.text).toBe(200);
        expect(solutionKeys(res.text)).toEqual([
          'code=literal|DEU||\text=literal|ext-276||',
          'code=literal|FRA||\text=literal|ext-250||',
        ]);
      } finally {
        await server.close();
      }
    });
  },
);

describe.skipIf(unavailable !== undefined)('cdg load into Virtuoso', () => {
  let v: VirtuosoInstance;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cdg-load-'));
    v = await startVirtuoso({ dir: path.join(dir, 'db'), buffers: 5_000 });
  });
  afterAll(async () => {
    await v?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('resumes from its checkpoint after an interruption, and keeps every named graph', async () => {
    const base = 'http://example.org/mini/';
    const sources = await findDataSources([MINI], base);
    const checkpointFile = checkpointPath(path.join(dir, 'state'), v.sparqlUrl);
    const store = storeFor(v);
    let batches = 0;
    await expect(
      loadIntoStore({
        store,
        sources,
        baseIri: base,
        checkpointFile,
        batchQuads: 3,
        attempts: 1,
        onProgress: (e) => {
          if (e.type === 'batch' && ++batches === 2) throw new Error('interrupted');
        },
      }),
    ).rejects.toThrow(/interrupted/u);
    expect(existsSync(checkpointFile)).toBe(true);
    const events: RemoteLoadProgress[] = [];
    const result = await loadIntoStore({
      store,
      sources,
      baseIri: base,
      checkpointFile,
      batchQuads: 3,
      onProgress: (e) => events.push(e),
    });
    expect(events.find((e) => e.type === 'resume')).toMatchObject({ type: 'resume', done: 2 });
    expect(result.resumedFrom).toBe(2);
    expect(existsSync(checkpointFile)).toBe(false);
    // What the store holds, graph by graph, is what the files say.
    const graphs = recordGraphs(result.record);
    const { rows } = await store.select(
      `SELECT ?s ?p ?o ?g WHERE { VALUES ?g { ${graphs.map((g) => `<${g}>`).join(' ')} } GRAPH ?g { ?s ?p ?o } }`,
    );
    const term = (t: { type: string; value: string; datatype?: string; 'xml:lang'?: string }) =>
      t.type === 'uri'
        ? `<${t.value}>`
        : t.type === 'bnode'
          ? `_:${t.value.replace(/\W/gu, '')}`
          : `${JSON.stringify(t.value)}${t['xml:lang'] !== undefined ? `@${t['xml:lang']}` : t.datatype !== undefined ? `^^<${t.datatype}>` : ''}`;
    const nquads = rows
      .map((r) => `${term(r.s!)} ${term(r.p!)} ${term(r.o!)} ${term(r.g!)} .`)
      .join('\n');
    expect(diffTriples(await triplesByGraph(result.nquads), await triplesByGraph(nquads))).toEqual(
      [],
    );
    expect(new Set(rows.map((r) => r.g!.value)).size).toBeGreaterThan(1);
  });
});
