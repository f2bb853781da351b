/**
 * Authenticated writes over real HTTP, against the real server (real engines in worker threads, a
 * real journal on disk): SPARQL Update and the Graph Store Protocol, what is refused, SHACL, and
 * what survives a restart.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { truncate } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, resolveConfig, type ConfigInput } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { dumpText } from '../util/dumps.js';
import { FIXTURES, MINI, startTestServer } from '../util/server.js';

const TOKEN = 'test-write-token-0123456789';
const AUTH = `Bearer ${TOKEN}`;
const BASE = 'https://w3id.org/cyber-diplomacy/';
const NS = `${BASE}graph/user/`;
const EX = 'http://example.org/';
const SHAPES = path.join(FIXTURES, 'shacl', 'shapes.ttl');
const CURATED = `${BASE}graph/mini/things`;

interface JsonBody {
  results: { bindings: Array<Record<string, { value: string }>> };
  boolean?: boolean;
}

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function stateDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cdg-writes-'));
  made.push(dir);
  return dir;
}

function writable(dir: string, overrides: ConfigInput = {}): Promise<RunningServer> {
  return startTestServer({
    dataPaths: [MINI, SHAPES],
    stateDir: dir,
    writeToken: TOKEN,
    ...overrides,
  });
}

async function update(server: RunningServer, text: string, auth = AUTH): Promise<request.Response> {
  return request(server.url)
    .post('/sparql')
    .set('Authorization', auth)
    .set('Content-Type', 'application/sparql-update')
    .send(text);
}

async function ask(server: RunningServer, pattern: string): Promise<boolean> {
  const res = await request(server.url)
    .get('/sparql')
    .query({ query: `ASK { ${pattern} }` })
    .expect(200);
  return (res.body as JsonBody).boolean === true;
}

async function count(server: RunningServer, graph: string): Promise<number> {
  const res = await request(server.url)
    .get('/sparql')
    .query({ query: `SELECT (COUNT(*) AS ?n) WHERE { GRAPH <${graph}> { ?s ?p ?o } }` })
    .expect(200);
  return Number((res.body as JsonBody).results.bindings[0]!.n!.value);
}

describe.each(ENGINES)('SPARQL Update on the %s engine', (engine) => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await writable(stateDir(), { engine });
  });
  afterAll(async () => {
    await server.close();
  });

  it('asks for the token with 401, refuses a wrong one with 403, and changes nothing', async () => {
    const insert = `INSERT DATA { GRAPH <${NS}auth> { <${EX}a> <${EX}p> "x" } }`;
    const none = await request(server.url)
      .post('/sparql')
      .set('Content-Type', 'application/sparql-update')
      .send(insert)
      .expect(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer realm=/);
    await update(server, insert, 'Bearer not-the-token-at-all').then((r) =>
      expect(r.status).toBe(403),
    );
    expect(await count(server, `${NS}auth`)).toBe(0);
  });

  it('applies INSERT DATA and DELETE DATA, and the next query sees them', async () => {
    const g = `${NS}notes`;
    const res = await update(
      server,
      `PREFIX ex: <${EX}> INSERT DATA { GRAPH <${g}> { ex:alpha ex:note "first" . ex:alpha ex:note "second" } }`,
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', graphs: [g], inserted: 2, deleted: 0 });
    expect(await count(server, g)).toBe(2);
    await update(server, `DELETE DATA { GRAPH <${g}> { <${EX}alpha> <${EX}note> "first" } }`);
    expect(await count(server, g)).toBe(1);
    // The union default graph includes the user graphs.
    expect(await ask(server, `<${EX}alpha> <${EX}note> "second"`)).toBe(true);
  });

  it('evaluates WHERE over the union of all graphs, as queries do, and honours WITH', async () => {
    const g = `${NS}things`;
    const res = await update(
      server,
      `PREFIX ex: <${EX}> INSERT { GRAPH <${g}> { ?t ex:seen true } } WHERE { ?t a ex:Thing }`,
    );
    expect(res.body).toMatchObject({ inserted: 4 });
    await update(
      server,
      `PREFIX ex: <${EX}> WITH <${g}> DELETE { ?t ex:seen true } INSERT { ?t ex:checked true } WHERE { ?t ex:seen true ; ex:rank ?r FILTER(?r < 2) }`,
    );
    // ex:rank lives in a curated graph, not in WITH's graph: nothing matched, nothing changed.
    expect(await ask(server, `GRAPH <${g}> { ?t <${EX}checked> true }`)).toBe(false);
    await update(
      server,
      `PREFIX ex: <${EX}> WITH <${g}> DELETE { ?t ex:seen true } INSERT { ?t ex:checked true } WHERE { ?t ex:seen true }`,
    );
    expect(await ask(server, `GRAPH <${g}> { ?t <${EX}checked> true }`)).toBe(true);
    expect(await ask(server, `GRAPH <${g}> { ?t <${EX}seen> true }`)).toBe(false);
  });

  it('copies, adds, moves, clears and drops user graphs', async () => {
    await update(server, `COPY <${CURATED}> TO <${NS}copy>`);
    const copied = await count(server, `${NS}copy`);
    expect(copied).toBe(await count(server, CURATED));
    await update(server, `MOVE <${NS}copy> TO <${NS}moved>`);
    expect(await count(server, `${NS}copy`)).toBe(0);
    expect(await count(server, `${NS}moved`)).toBe(copied);
    await update(server, `CLEAR GRAPH <${NS}moved>`);
    expect(await count(server, `${NS}moved`)).toBe(0);
    // A graph exists while it has triples: the cleared one is gone.
    expect((await update(server, `DROP GRAPH <${NS}moved>`)).status).toBe(400);
    expect((await update(server, `DROP SILENT GRAPH <${NS}moved>`)).status).toBe(200);
  });

  it('refuses curated graphs, the default graph and LOAD with a reason, and changes nothing', async () => {
    const before = await count(server, CURATED);
    const curated = await update(
      server,
      `INSERT DATA { GRAPH <${CURATED}> { <${EX}x> <${EX}y> 1 } }`,
    );
    expect(curated.status).toBe(403);
    expect(curated.text).toMatch(/curated graph .* read-only/);
    const dflt = await update(server, `INSERT DATA { <${EX}x> <${EX}y> 1 }`);
    expect(dflt.status).toBe(403);
    expect(dflt.text).toMatch(/default graph/);
    expect((await update(server, `DROP GRAPH <${CURATED}>`)).status).toBe(403);
    expect((await update(server, 'CLEAR ALL')).status).toBe(403);
    expect(
      (await update(server, `LOAD <http://127.0.0.1:9/x.ttl> INTO GRAPH <${NS}x>`)).status,
    ).toBe(403);
    // An update with one refused operation is refused whole.
    const mixed = await update(
      server,
      `INSERT DATA { GRAPH <${NS}mixed> { <${EX}x> <${EX}y> 1 } }; CLEAR GRAPH <${CURATED}>`,
    );
    expect(mixed.status).toBe(403);
    expect(await count(server, `${NS}mixed`)).toBe(0);
    expect(await count(server, CURATED)).toBe(before);
  });

  it('answers a syntax error with 400 and its line, and a failing update changes nothing', async () => {
    const bad = await update(server, `INSERT DATA {\n GRAPH <${NS}bad> { <${EX}x> }\n}`);
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/line 2/);
    // The first operation succeeds in the engine, the second fails: neither stays.
    const failing = await update(
      server,
      `INSERT DATA { GRAPH <${NS}half> { <${EX}x> <${EX}y> 1 } }; CREATE GRAPH <${NS}half>`,
    );
    expect(failing.status).toBe(400);
    expect(await count(server, `${NS}half`)).toBe(0);
  });

  it('keeps blank nodes apart per write and can delete them by pattern', async () => {
    const g = `${NS}blank`;
    for (let i = 0; i < 2; i++) {
      await update(server, `INSERT DATA { GRAPH <${g}> { _:a <${EX}p> "same" ; <${EX}q> ${i} } }`);
    }
    const res = await request(server.url)
      .get('/sparql')
      .query({
        query: `SELECT (COUNT(DISTINCT ?b) AS ?n) WHERE { GRAPH <${g}> { ?b <${EX}p> "same" } }`,
      });
    expect((res.body as JsonBody).results.bindings[0]!.n!.value).toBe('2');
    await update(server, `DELETE WHERE { GRAPH <${g}> { ?b <${EX}q> 0 ; ?p ?o } }`);
    expect(await count(server, g)).toBe(2);
  });

  it('refuses a write that breaks a SHACL shape (422, with the report) and accepts a fixed one', async () => {
    const g = `${NS}shacl`;
    const broken = await update(
      server,
      `INSERT DATA { GRAPH <${g}> { <${EX}new> a <${EX}Thing> } }`,
    );
    expect(broken.status).toBe(422);
    expect(broken.text).toMatch(/<http:\/\/example\.org\/new> rdfs:label/);
    expect(broken.text).toMatch(/A Thing needs exactly one English rdfs:label\./);
    expect(await count(server, g)).toBe(0);
    const fixed = await update(
      server,
      `INSERT DATA { GRAPH <${g}> { <${EX}new> a <${EX}Thing> ; <http://www.w3.org/2000/01/rdf-schema#label> "New"@en } }`,
    );
    expect(fixed.status).toBe(200);
    // ex:script breaks the shape in the curated data already: a write about it is not blamed.
    expect(
      (await update(server, `INSERT DATA { GRAPH <${g}> { <${EX}script> <${EX}rank> 4 } }`)).status,
    ).toBe(200);
  });
});

describe('the Graph Store Protocol', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await writable(stateDir());
  });
  afterAll(async () => {
    await server.close();
  });
  const gsp = (graph: string): string => `/sparql/graph?graph=${encodeURIComponent(graph)}`;

  it('reads any graph by content negotiation, and answers 404 for a graph with no triples', async () => {
    const ttl = await request(server.url).get(gsp(CURATED)).expect(200);
    expect(ttl.headers['content-type']).toMatch(/^text\/turtle/);
    expect(ttl.text).toContain('"Alpha"@en');
    const nt = await request(server.url)
      .get(gsp(CURATED))
      .set('Accept', 'application/n-triples')
      .expect(200);
    expect(nt.text).toContain(`<${EX}alpha>`);
    await request(server.url).head(gsp(CURATED)).expect(200);
    await request(server.url)
      .get(gsp(`${NS}nothing-here`))
      .expect(404);
    await request(server.url).get('/sparql/graph?graph=not%20an%20iri').expect(400);
    const union = await request(server.url).get('/sparql/graph?default').expect(200);
    expect(union.text).toContain('Epsilon');
  });

  it('creates with PUT (201), replaces with PUT, merges with POST and deletes with DELETE', async () => {
    const g = `${NS}gsp`;
    const created = await request(server.url)
      .put(gsp(g))
      .set('Authorization', AUTH)
      .set('Content-Type', 'text/turtle')
      .send(`@prefix ex: <${EX}> . ex:a ex:p "one" ; ex:p "two" .`)
      .expect(201);
    expect(created.headers.location).toBe(gsp(g));
    expect(await count(server, g)).toBe(2);
    const replaced = await request(server.url)
      .put(gsp(g))
      .set('Authorization', AUTH)
      .set('Content-Type', 'application/n-triples')
      .send(`<${EX}a> <${EX}p> "two" .\n<${EX}a> <${EX}p> "three" .\n`)
      .expect(200);
    expect(replaced.body).toMatchObject({ inserted: 1, deleted: 1 });
    await request(server.url)
      .post(gsp(g))
      .set('Authorization', AUTH)
      .set('Content-Type', 'application/ld+json')
      .send(JSON.stringify({ '@id': `${EX}b`, [`${EX}p`]: 'four' }))
      .expect(200);
    expect(await count(server, g)).toBe(3);
    await request(server.url).delete(gsp(g)).set('Authorization', AUTH).expect(204);
    expect(await count(server, g)).toBe(0);
    await request(server.url).delete(gsp(g)).set('Authorization', AUTH).expect(404);
  });

  it('mints a graph for a POST that names none', async () => {
    const res = await request(server.url)
      .post('/sparql/graph')
      .set('Authorization', AUTH)
      .set('Content-Type', 'text/turtle')
      .send(`<${EX}minted> <${EX}p> 1 .`)
      .expect(201);
    const graph = (res.body as { graph: string }).graph;
    expect(graph.startsWith(NS)).toBe(true);
    expect(res.headers.location).toBe(gsp(graph));
    expect(await count(server, graph)).toBe(1);
  });

  it('refuses what it must, with the status the protocol gives', async () => {
    const put = (
      target: string,
      type = 'text/turtle',
      body = `<${EX}a> <${EX}p> 1 .`,
      auth = AUTH,
    ) =>
      request(server.url)
        .put(target)
        .set('Authorization', auth)
        .set('Content-Type', type)
        .send(body);
    expect(
      (
        await request(server.url)
          .put(gsp(`${NS}x`))
          .set('Content-Type', 'text/turtle')
          .send('')
      ).status,
    ).toBe(401);
    expect((await put(gsp(`${NS}x`), 'text/turtle', '', 'Bearer wrong-token-000000')).status).toBe(
      403,
    );
    expect((await put(gsp(CURATED))).status).toBe(403);
    expect((await put('/sparql/graph?default')).status).toBe(403);
    expect((await put(gsp(`${NS}x`), 'text/plain')).status).toBe(415);
    const bad = await put(gsp(`${NS}x`), 'text/turtle', `<${EX}a> <${EX}p> .`);
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/line 1/);
    expect(
      (await put(gsp(`${NS}x`), 'application/n-triples', '<urn:a> <urn:b> <urn:c> <urn:g> .'))
        .status,
    ).toBe(400);
    expect(
      (
        await request(server.url)
          .patch(gsp(`${NS}x`))
          .set('Authorization', AUTH)
      ).status,
    ).toBe(405);
    expect(await count(server, `${NS}x`)).toBe(0);
  });
});

describe('what the rest of the server sees after a write', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await writable(stateDir(), { queryTimeoutMs: 1500 });
  });
  afterAll(async () => {
    await server.close();
  });

  it('states in the service description that it takes updates, and where the graph store is', async () => {
    const res = await request(server.url)
      .get('/sparql')
      .set('Accept', 'application/n-triples')
      .expect(200);
    expect(res.text).toContain('<http://www.w3.org/ns/sparql-service-description#SPARQL11Update>');
    expect(res.text).toMatch(/service#graphStore> <http:\/\/127\.0\.0\.1:\d+\/sparql\/graph>/);
    expect(res.text).toContain(`service#userGraphNamespace> <${NS}>`);
  });

  it('answers a repeated query afresh after a write (the cache follows the data version)', async () => {
    const q = `SELECT ?l WHERE { <${EX}zeta> <http://www.w3.org/2000/01/rdf-schema#label> ?l }`;
    const first = await request(server.url).get('/sparql').query({ query: q }).expect(200);
    expect((first.body as JsonBody).results.bindings).toHaveLength(0);
    const v1 = (await request(server.url).get('/health')).body as { version: string };
    await update(
      server,
      `INSERT DATA { GRAPH <${NS}zeta> { <${EX}zeta> a <${EX}Thing> ; <http://www.w3.org/2000/01/rdf-schema#label> "Zeta"@en } }`,
    );
    const second = await request(server.url).get('/sparql').query({ query: q }).expect(200);
    expect((second.body as JsonBody).results.bindings).toHaveLength(1);
    const v2 = (await request(server.url).get('/health')).body as { version: string };
    expect(v2.version).not.toBe(v1.version);
  });

  it('shows new labels in autocomplete and on pages', async () => {
    const hits = await request(server.url).get('/api/autocomplete').query({ q: 'Zet' }).expect(200);
    expect(hits.body).toEqual([expect.objectContaining({ iri: `${EX}zeta`, label: 'Zeta' })]);
    const labels = await request(server.url)
      .get('/api/labels')
      .query({ iri: `${EX}zeta` });
    expect(labels.body).toMatchObject({ [`${EX}zeta`]: { label: 'Zeta' } });
  });

  it('includes the user graphs in the N-Quads dump', async () => {
    expect(await dumpText(server.url, 'cyber-diplomacy.nq.gz')).toContain(`"Zeta"@en <${NS}zeta>`);
  });

  it('stops a runaway update at its deadline (503), changing nothing, and answers queries meanwhile', async () => {
    let settled = false;
    const runaway = update(
      server,
      `INSERT { GRAPH <${NS}runaway> { ?a <${EX}x> ?o } } WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n ?o . ?p ?q ?r . ?s ?t ?u }`,
    ).then((res) => {
      settled = true;
      return res;
    });
    // The update runs in the writer worker, so the event loop and the query workers are free.
    const during = await request(server.url)
      .get('/sparql')
      .query({ query: `ASK { <${EX}alpha> ?p ?o }` })
      .expect(200);
    expect((during.body as JsonBody).boolean).toBe(true);
    expect(settled).toBe(false);
    const res = await runaway;
    expect(res.status).toBe(503);
    expect(res.text).toMatch(/stopped; nothing was changed/);
    expect(await count(server, `${NS}runaway`)).toBe(0);
    expect(server.writer!.replacements).toBeGreaterThan(0);
    // The writer that replaced it has every earlier write, and takes new ones once it has loaded.
    for (let i = 0; i < 600 && server.writer!.readyWorkers === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(server.writer!.readyWorkers).toBe(1);
    const next = await update(
      server,
      `DELETE DATA { GRAPH <${NS}zeta> { <${EX}zeta> a <${EX}Thing> } } ; INSERT DATA { GRAPH <${NS}zeta> { <${EX}zeta> a <${EX}Thing> } }`,
    );
    expect(next.status).toBe(200);
    expect(next.body).toMatchObject({ inserted: 0, deleted: 0 });
  });

  it('keeps writes in a worker that replaced one stopped at its deadline', async () => {
    const slow =
      'SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o . ?p ?q ?r . ?s ?t ?u }';
    await request(server.url).get('/sparql').query({ query: slow }).expect(503);
    expect(server.engine.replacements).toBeGreaterThan(0);
    for (let i = 0; i < 600 && server.engine.readyWorkers < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(server.engine.readyWorkers).toBe(2);
    // Every worker (two) answers with the written triple, the new one included.
    const q = `ASK { GRAPH <${NS}zeta> { <${EX}zeta> ?p "Zeta"@en } }`;
    const answers = await Promise.all(
      [1, 2, 3, 4].map((i) =>
        request(server.url)
          .get('/sparql')
          .query({ query: `${q} # ${i}` })
          .expect(200),
      ),
    );
    expect(answers.every((a) => (a.body as JsonBody).boolean === true)).toBe(true);
  });
});

describe('durability across restarts', () => {
  it('replays every write after a restart, through snapshots and compaction', async () => {
    const dir = stateDir();
    let server = await writable(dir, { journalCompactBytes: 2048 });
    for (let i = 0; i < 20; i++) {
      const res = await update(
        server,
        `INSERT DATA { GRAPH <${NS}log> { <${EX}entry${i}> <${EX}says> "entry number ${i}, long enough to fill the journal" } }`,
      );
      expect(res.status).toBe(200);
    }
    await update(
      server,
      `DELETE DATA { GRAPH <${NS}log> { <${EX}entry3> <${EX}says> "entry number 3, long enough to fill the journal" } }`,
    );
    await server.journal!.flush();
    const files = readdirSync(path.join(dir, 'writes'));
    expect(files).toContain('snapshot.nq');
    expect(statSync(path.join(dir, 'writes', 'journal.cdgj')).size).toBeLessThan(4096);
    const version = server.version;
    await server.close();

    server = await writable(dir);
    try {
      expect(await count(server, `${NS}log`)).toBe(19);
      expect(await ask(server, `<${EX}entry3> ?p ?o`)).toBe(false);
      expect(server.version).toBe(version);
    } finally {
      await server.close();
    }
    // A server without a token serves the user graphs read-only.
    const readOnly = await startTestServer({ dataPaths: [MINI], stateDir: dir });
    try {
      expect(await count(readOnly, `${NS}log`)).toBe(19);
      const res = await update(
        readOnly,
        `INSERT DATA { GRAPH <${NS}log> { <${EX}a> <${EX}b> 1 } }`,
      );
      expect(res.status).toBe(403);
      expect(res.text).toMatch(/read-only/);
    } finally {
      await readOnly.close();
    }
  });

  it('reports a torn last journal record at start-up, by offset, and serves everything before it', async () => {
    const dir = stateDir();
    let server = await writable(dir);
    const sizes: number[] = [];
    for (let i = 0; i < 3; i++) {
      await update(server, `INSERT DATA { GRAPH <${NS}torn> { <${EX}t${i}> <${EX}p> ${i} } }`);
      sizes.push(server.journal!.sizeBytes);
    }
    await server.close();
    const journal = path.join(dir, 'writes', 'journal.cdgj');
    await truncate(journal, sizes[2]! - 7);

    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    const config = resolveConfig({
      port: 0,
      dataPaths: [MINI, SHAPES],
      workers: 1,
      stateDir: dir,
      writeToken: TOKEN,
    });
    server = await startServer(config, pino({ level: 'warn' }, sink));
    try {
      const warning = lines
        .map((l) => JSON.parse(l) as { level: number; msg: string; offset?: number })
        .find((l) => /torn last record/.test(l.msg));
      expect(warning).toMatchObject({ level: 40, offset: sizes[1] });
      expect(warning!.msg).toContain(`at byte ${sizes[1]}`);
      expect(await ask(server, `<${EX}t0> ?p ?o`)).toBe(true);
      expect(await ask(server, `<${EX}t1> ?p ?o`)).toBe(true);
      expect(await ask(server, `<${EX}t2> ?p ?o`)).toBe(false);
      // Writing goes on from a clean end of file.
      expect(
        (await update(server, `INSERT DATA { GRAPH <${NS}torn> { <${EX}t9> <${EX}p> 9 } }`)).status,
      ).toBe(200);
    } finally {
      await server.close();
    }
    server = await writable(dir);
    try {
      expect(await count(server, `${NS}torn`)).toBe(3);
    } finally {
      await server.close();
    }
  });
});
