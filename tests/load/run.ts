/**
 * The load test (`npm run test:load`; not part of `npm test`): the real server as its own process
 * on loopback, over the real data, under 60 s of mixed traffic at 50 connections — SPARQL queries,
 * resource pages, autocomplete and linking — each connection a client of its own (X-Forwarded-For
 * through the loopback proxy trust), one of them abusive (cartesian products from two connections)
 * to show that deadlines, the query-time budget and fair worker sharing keep it from starving the
 * others. Reports per-route p50/p90/p99, status counts, and resident memory over time; exits 1 when
 * a criterion fails:
 *
 * - no error for well-behaved clients (every answer 2xx, no socket error or client timeout);
 * - the abusive client gets only 503 at the deadline, 503 while waiting for a worker, or 429;
 * - resident memory grows by at most 10% from the end of warm-up to the end.
 *
 * The traffic runs for a warm-up (30 s) and then the measured 60 s: latencies and rates are of the
 * measured period, statuses and errors of the whole run. The server runs with its default settings.
 * Options (environment): LOAD_SECONDS (60), LOAD_CONNECTIONS (50), LOAD_WARMUP_SECONDS (30),
 * LOAD_TIMEOUT_MS (the server's query deadline; default: the server's own, 30 s).
 */
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULTS } from '../../src/config.js';
import { loadSavedQueries } from '../../src/reports/savedQueries.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SECONDS = Number(process.env.LOAD_SECONDS ?? 60);
const CONNECTIONS = Number(process.env.LOAD_CONNECTIONS ?? 50);
const WARMUP_SECONDS = Number(process.env.LOAD_WARMUP_SECONDS ?? 30);
/** The server's query deadline: its default unless LOAD_TIMEOUT_MS says otherwise. */
const TIMEOUT_MS = Number(process.env.LOAD_TIMEOUT_MS ?? DEFAULTS.queryTimeoutMs);
const RSS_GROWTH_LIMIT = 0.1;
/** Resident memory is sampled every second; growth compares the medians of two 10 s windows. */
const RSS_WINDOW_SECONDS = 10;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** Least-squares slope of (t, v) samples, per second. */
function slope(samples: ReadonlyArray<readonly [number, number]>): number {
  const n = samples.length;
  const mt = samples.reduce((a, [t]) => a + t, 0) / n;
  const mv = samples.reduce((a, [, v]) => a + v, 0) / n;
  const num = samples.reduce((a, [t, v]) => a + (t - mt) * (v - mv), 0);
  const den = samples.reduce((a, [t]) => a + (t - mt) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

type Route = 'query' | 'page' | 'autocomplete' | 'link' | 'abusive';

/** A tiny seeded generator, so two runs send the same requests. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
const pick = <T>(rand: () => number, list: readonly T[]): T =>
  list[Math.floor(rand() * list.length)]!;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

// ---------------------------------------------------------------- the server

async function startServerProcess(): Promise<{ url: string; stop: () => Promise<number | null> }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(ROOT, 'src', 'cli', 'main.ts'),
      'serve',
      '--port',
      '0',
      '--timeout',
      String(TIMEOUT_MS),
      '--log-level',
      'warn',
    ],
    { cwd: ROOT, env: { ...process.env, CDG_STATE_DIR: '' }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  // The server's own log (warnings and errors) goes to test-output/load-server.log.
  mkdirSync(path.join(ROOT, 'test-output'), { recursive: true });
  const log = createWriteStream(path.join(ROOT, 'test-output', 'load-server.log'));
  child.stderr.pipe(log);
  const url = await new Promise<string>((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      const m = /SPARQL endpoint: (http:\/\/\S+)\/sparql/u.exec(err);
      if (m?.[1] !== undefined) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`the server exited (${code}): ${err}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = new RegExp(`^${name} ([0-9.e+]+)$`, 'mu').exec(text);
  return m === null ? NaN : Number(m[1]);
}

async function select(url: string, query: string): Promise<string[]> {
  const res = await fetch(`${url}/sparql?query=${encodeURIComponent(query)}`, {
    headers: { accept: 'application/sparql-results+json', 'x-forwarded-for': '10.255.0.1' },
  });
  const json = (await res.json()) as {
    results: { bindings: Array<Record<string, { value: string }>> };
  };
  return json.results.bindings.map((b) => Object.values(b)[0]!.value);
}

// ---------------------------------------------------------------- the traffic

interface Workload {
  readonly queries: readonly string[];
  readonly pages: readonly string[];
  readonly prefixes: readonly string[];
  readonly texts: readonly string[];
}

async function workload(url: string): Promise<Workload> {
  const saved = (await loadSavedQueries(path.join(ROOT, 'queries'))).map((q) => q.query);
  const base = 'https://w3id.org/cyber-diplomacy/';
  const entities = await select(
    url,
    `SELECT DISTINCT ?s WHERE { ?s a ?t FILTER(STRSTARTS(STR(?s), "${base}id/")) }`,
  );
  const labels = await select(
    url,
    'SELECT DISTINCT ?l WHERE { ?s <http://www.w3.org/2004/02/skos/core#prefLabel>|<http://www.w3.org/2000/01/rdf-schema#label> ?l FILTER(LANG(?l) = "en") }',
  );
  const some = entities.filter((_, i) => i % 7 === 0).slice(0, 200);
  const queries = [
    ...saved,
    'ASK { ?s a <https://w3id.org/cyber-diplomacy/ontology#Norm> }',
    'SELECT ?t (COUNT(?s) AS ?n) WHERE { ?s a ?t } GROUP BY ?t ORDER BY DESC(?n)',
    'SELECT ?s ?l WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l FILTER(CONTAINS(LCASE(?l), "cyber")) } LIMIT 50',
    // Not cacheable answers too: each DESCRIBE names another entity.
    ...some.map((iri) => `DESCRIBE <${iri}>`),
    ...some.map((iri) => `SELECT ?p ?o WHERE { <${iri}> ?p ?o } LIMIT 100`),
  ];
  const pages = entities.map((iri) => `/${iri.slice(base.length)}`);
  const prefixes = [
    ...new Set(
      labels
        .flatMap((l) => [l.slice(0, 2), l.slice(0, 3), l.slice(0, 5)])
        .filter((p) => p.trim().length >= 2),
    ),
  ];
  const sources = path.resolve(ROOT, '..', 'shared', 'sources');
  let texts: string[] = [];
  try {
    texts = readdirSync(sources)
      .filter((f) => /\.(txt|md)$/u.test(f) && f !== 'README.md')
      .flatMap((f) => readFileSync(path.join(sources, f), 'utf8').split(/\n\s*\n/u))
      .map((p) => p.trim())
      .filter((p) => p.length >= 200 && p.length <= 4000);
  } catch {
    // ../shared/sources is not everywhere: a fixed paragraph stands in.
  }
  if (texts.length === 0) {
    texts = [
      'In 2015 the UN Group of Governmental Experts (A/70/174) agreed eleven norms of responsible ' +
        'State behaviour. Norm 13(f) says a State should not conduct ICT activity that damages ' +
        'critical infrastructure. France, Germany and the United States supported the Paris Call, ' +
        'and the OEWG took the work forward after NotPetya hit the health sector.',
    ];
  }
  return { queries, pages, prefixes, texts };
}

/**
 * The abusive client's query: every pair of triples, each through a regex, which runs past any
 * deadline. (A six-way product does too, but holds some 160 MB in its worker until the deadline,
 * which would make the memory figures measure where in its run the abuse happens to be.)
 */
const CARTESIAN =
  'SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f FILTER(REGEX(CONCAT(STR(?c), STR(?f)), "^(x|y)+z$")) }';

function requestFor(route: Route, w: Workload, rand: () => number): autocannon.Request {
  switch (route) {
    case 'query':
    case 'abusive': {
      const q =
        route === 'abusive'
          ? `${CARTESIAN} LIMIT ${1 + Math.floor(rand() * 1e6)}`
          : pick(rand, w.queries);
      if (rand() < 0.5) {
        return {
          method: 'GET',
          path: `/sparql?query=${encodeURIComponent(q)}`,
          headers: { accept: 'application/sparql-results+json, text/turtle;q=0.9' },
        };
      }
      return {
        method: 'POST',
        path: '/sparql',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/sparql-results+json, text/turtle;q=0.9',
        },
        body: `query=${encodeURIComponent(q)}`,
      };
    }
    case 'page':
      return {
        method: 'GET',
        path: pick(rand, w.pages),
        headers: { accept: rand() < 0.8 ? 'text/html' : 'text/turtle' },
      };
    case 'autocomplete':
      return {
        method: 'GET',
        path: `/api/autocomplete?q=${encodeURIComponent(pick(rand, w.prefixes))}&limit=10`,
        headers: { accept: 'application/json' },
      };
    case 'link':
      return {
        method: 'POST',
        path: '/api/link',
        headers: { 'content-type': 'text/plain; charset=utf-8', accept: 'application/json' },
        body: pick(rand, w.texts),
      };
  }
}

/** Which route each of the connections exercises (two abusive ones share one client address). */
function plan(connections: number): Array<{ route: Route; client: string }> {
  const share: Array<[Route, number]> = [
    ['query', 0.36],
    ['page', 0.3],
    ['autocomplete', 0.2],
    ['link', 0.1],
  ];
  const out: Array<{ route: Route; client: string }> = [];
  for (const [route, fraction] of share) {
    const n = Math.max(1, Math.round(fraction * connections));
    for (let i = 0; i < n && out.length < connections - 2; i++) {
      out.push({ route, client: `10.0.${Math.floor(out.length / 250)}.${(out.length % 250) + 1}` });
    }
  }
  while (out.length < connections - 2)
    out.push({ route: 'query', client: `10.1.0.${out.length + 1}` });
  out.push({ route: 'abusive', client: '10.66.6.6' }, { route: 'abusive', client: '10.66.6.6' });
  return out;
}

interface Tally {
  latencies: number[];
  statuses: Map<number, number>;
  errors: number;
}

async function main(): Promise<void> {
  const started = new Date();
  const loadStart = os.loadavg()[0] ?? NaN;
  process.stdout.write(
    `Load test: ${SECONDS} s, ${CONNECTIONS} connections, warm-up ${WARMUP_SECONDS} s, query deadline ${TIMEOUT_MS} ms\n`,
  );
  const server = await startServerProcess();
  process.stdout.write(`Server: ${server.url}\n`);
  const w = await workload(server.url);
  process.stdout.write(
    `Workload: ${w.queries.length} queries, ${w.pages.length} pages, ${w.prefixes.length} prefixes, ${w.texts.length} texts\n`,
  );
  const rssStart = await metric(server.url, 'cdg_process_resident_memory_bytes');
  const tallies = new Map<Route, Tally>();
  const tally = (route: Route): Tally => {
    let t = tallies.get(route);
    if (t === undefined) {
      t = { latencies: [], statuses: new Map(), errors: 0 };
      tallies.set(route, t);
    }
    return t;
  };
  const rss: Array<[number, number]> = [[0, rssStart]];
  const t0 = performance.now();
  const sampler = setInterval(() => {
    void metric(server.url, 'cdg_process_resident_memory_bytes').then((v) =>
      rss.push([(performance.now() - t0) / 1000, v]),
    );
  }, 1000);
  const instances = plan(CONNECTIONS).map(({ route, client }, index) => {
    const rand = random(1000 + index);
    const t = tally(route);
    let finished: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      finished = resolve;
    });
    const options: autocannon.Options = {
      url: server.url,
      connections: 1,
      duration: WARMUP_SECONDS + SECONDS,
      timeout: Math.ceil((2 * TIMEOUT_MS) / 1000) + 5,
      headers: { 'x-forwarded-for': client },
      requests: [
        {
          setupRequest: (req: autocannon.Request) => {
            const next = requestFor(route, w, rand);
            return { ...req, ...next, headers: { 'x-forwarded-for': client, ...next.headers } };
          },
        },
      ],
    };
    const instance = autocannon(options, () => finished());
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      if (performance.now() - t0 >= WARMUP_SECONDS * 1000) t.latencies.push(ms);
      t.statuses.set(status, (t.statuses.get(status) ?? 0) + 1);
    });
    instance.on('reqError', () => {
      t.errors++;
    });
    return done;
  });
  await Promise.all(instances);
  clearInterval(sampler);
  const timeouts = await metric(server.url, 'cdg_query_timeouts_total');
  const replacements = await metric(server.url, 'cdg_query_worker_replacements_total');
  const metricsText = await (await fetch(`${server.url}/metrics`)).text();
  const refusals = (reason: string): number =>
    Number(
      new RegExp(`cdg_client_limit_refusals_total\\{reason="${reason}"\\} (\\d+)`, 'u').exec(
        metricsText,
      )?.[1] ?? 0,
    );
  const cacheHits = await metric(server.url, 'cdg_cache_hits_total');
  const cacheBytes = await metric(server.url, 'cdg_cache_bytes');
  const loadEnd = os.loadavg()[0] ?? NaN;
  const cacheMisses = await metric(server.url, 'cdg_cache_misses_total');
  const exitCode = await server.stop();

  // ---------------------------------------------------------------- report
  const failures: string[] = [];
  const rows: string[] = [];
  const ms = (v: number): string => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
  const summary: Record<string, unknown> = {};
  let total = 0;
  for (const [route, t] of tallies) {
    const sorted = [...t.latencies].sort((a, b) => a - b);
    total += sorted.length;
    const statuses = Object.fromEntries([...t.statuses.entries()].sort((a, b) => a[0] - b[0]));
    const bad = [...t.statuses.entries()].filter(([s]) =>
      route === 'abusive' ? ![503, 429].includes(s) && (s < 200 || s >= 300) : s < 200 || s >= 300,
    );
    const badCount = bad.reduce((n, [, c]) => n + c, 0) + t.errors;
    if (badCount > 0)
      failures.push(
        `${route}: ${badCount} unexpected answers ${JSON.stringify(Object.fromEntries(bad))}, ${t.errors} socket errors`,
      );
    const figures = {
      requests: sorted.length,
      perSecond: Math.round(sorted.length / SECONDS),
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      max: sorted.at(-1) ?? NaN,
      statuses,
      socketErrors: t.errors,
    };
    summary[route] = figures;
    rows.push(
      `| ${route} | ${figures.requests} | ${figures.perSecond} | ${ms(figures.p50)} | ${ms(figures.p90)} | ${ms(figures.p99)} | ${ms(figures.max)} | ${Object.entries(
        statuses,
      )
        .map(([s, n]) => `${s}: ${n}`)
        .join(', ')}${t.errors > 0 ? `, errors: ${t.errors}` : ''} |`,
    );
  }
  // Memory swings with the deliberate timeouts (a worker's memory is freed when it is replaced), so
  // single samples are noisy: compare the medians of the first and the last 10 s after warm-up,
  // and report the trend over the whole period.
  const after = rss.filter(([t]) => t >= WARMUP_SECONDS);
  const rssWarm = median(
    after.filter(([t]) => t < WARMUP_SECONDS + RSS_WINDOW_SECONDS).map(([, v]) => v),
  );
  const end = WARMUP_SECONDS + SECONDS;
  const rssEnd = median(after.filter(([t]) => t > end - RSS_WINDOW_SECONDS).map(([, v]) => v));
  const growth = (rssEnd - rssWarm) / rssWarm;
  const trend = (slope(after) * SECONDS) / rssWarm;
  const rssMin = Math.min(...after.map(([, v]) => v));
  const rssMax = Math.max(...after.map(([, v]) => v));
  if (!(growth <= RSS_GROWTH_LIMIT))
    failures.push(`resident memory grew ${(growth * 100).toFixed(1)}% after warm-up (limit 10%)`);
  if (exitCode !== 0) failures.push(`the server exited with ${exitCode} on SIGTERM`);
  const mb = (b: number): string => (b / 2 ** 20).toFixed(0);
  const report = [
    `Load test, ${started.toISOString()}: ${os.cpus()[0]?.model ?? 'CPU'}, ${os.availableParallelism()} cores, Node ${process.version}; ${WARMUP_SECONDS} s warm-up, then ${SECONDS} s measured, ${CONNECTIONS} connections (each its own client; one client abusive on two), query deadline ${TIMEOUT_MS} ms`,
    '',
    '| route | requests (measured) | req/s | p50 ms | p90 ms | p99 ms | max ms | statuses (whole run) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...rows,
    '',
    `${total} requests in the measured ${SECONDS} s (${Math.round(total / SECONDS)} req/s); statuses are of the whole run. Query timeouts: ${timeouts}; workers replaced: ${replacements}; 429s: ${refusals('budget')} for the query-time budget, ${refusals('concurrency')} for concurrency; cache hits/misses: ${cacheHits}/${cacheMisses} (${mb(cacheBytes)} MB cached at the end).`,
    `Machine load average (1 min) at start and end: ${loadStart.toFixed(1)}, ${loadEnd.toFixed(1)} (the load generator shares the machine with the server).`,
    `Resident memory (median of 1 s samples over 10 s): ${mb(rssStart)} MB at start, ${mb(rssWarm)} MB after the ${WARMUP_SECONDS} s warm-up, ${mb(rssEnd)} MB at the end: ${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)}% (limit +10%); least-squares trend after warm-up ${trend >= 0 ? '+' : ''}${(trend * 100).toFixed(1)}%; range after warm-up ${mb(rssMin)}–${mb(rssMax)} MB; every 5 s: ${rss
      .filter((_, i) => i % 5 === 0)
      .map(([t, v]) => `${Math.round(t)}s ${mb(v)}`)
      .join(', ')}.`,
    `SIGTERM: exit code ${exitCode}.`,
    '',
    failures.length === 0
      ? 'All criteria met.'
      : `FAILED:\n${failures.map((f) => `- ${f}`).join('\n')}`,
  ].join('\n');
  process.stdout.write(`\n${report}\n`);
  const out = path.join(ROOT, 'test-output');
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'load.md'), `${report}\n`);
  writeFileSync(
    path.join(out, 'load.json'),
    `${JSON.stringify({ started, seconds: SECONDS, connections: CONNECTIONS, routes: summary, rss: { start: rssStart, warm: rssWarm, end: rssEnd, growth, trend, samples: rss }, timeouts, replacements, failures }, null, 2)}\n`,
  );
  process.exitCode = failures.length === 0 ? 0 : 1;
}

await main();
