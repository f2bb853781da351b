/**
 * The benchmark (issue 7): `npm run bench` (full: 10k, 100k, 1M synthetic + the real dataset) or
 * `npm run bench -- --quick` (10k, 100k + real, short runs). Every peer runs in its own process on
 * loopback, one at a time; results go to bench/results/ as Markdown and JSON.
 */
import autocannon from 'autocannon';
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { DEFAULTS, resolveConfig } from '../src/config.js';
import { linkText } from '../src/linker/linkText.js';
import { loadServableDataset } from '../src/server.js';
import { BENCH_DIR, CACHE_DIR, generate, sizeLabel } from './generate.js';
import { acceptFor, answerSize, QUERIES, type BenchQuery } from './queries.js';
import { sample, type Budget, type Latency } from './stats.js';
import { startVirtuoso, virtuosoUnavailable } from './virtuoso.js';

const ROOT = path.resolve(BENCH_DIR, '..');
const QUICK = process.argv.includes('--quick');
const BUDGET: Budget = QUICK
  ? { warmup: 1, runs: 40, maxMs: 300, minRuns: 3 }
  : { warmup: 5, runs: 300, maxMs: 4000, minRuns: 20 };
/**
 * --quick times the Comunica peers (0.2-1 s a query at 100k) with no warm-up run beyond the one
 * that fetches the answer, and at least one timed run: their p50 there is one or two samples.
 */
const SLOW_BUDGET: Budget = QUICK ? { warmup: 0, runs: 40, maxMs: 300, minRuns: 1 } : BUDGET;
const CANNON_SECONDS = QUICK ? 1 : 5;
const CONNECTIONS = [1, 10, 50] as const;
const SIZES = QUICK ? [10_000, 100_000] : [10_000, 100_000, 1_000_000];
const PEERS = [
  'inprocess',
  'ours-oxigraph',
  'ours-cached',
  'ours-comunica',
  'comunica-endpoint',
  'virtuoso',
] as const;
type Peer = (typeof PEERS)[number];
const PEER_TITLE: Record<Peer, string> = {
  inprocess: 'Oxigraph in-process',
  'ours-oxigraph': 'our endpoint (Oxigraph)',
  'ours-cached': 'our endpoint as deployed (Oxigraph, result cache on)',
  'ours-comunica': 'our endpoint (Comunica)',
  'comunica-endpoint': "Comunica's endpoint",
  virtuoso: 'Virtuoso 7',
};

interface QueryResult {
  readonly latency?: Latency;
  readonly answer?: string;
  readonly error?: string;
}
interface PeerResult {
  /** Load (or start-up to first answer) in ms. */
  loadMs?: number;
  rssMB?: number;
  notes?: string;
  error?: string;
  queries: Record<string, QueryResult>;
}
interface Throughput {
  readonly target: string;
  readonly connections: number;
  readonly reqPerSec: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly errors: number;
}
interface DatasetResult {
  name: string;
  quads: number;
  file: string;
  bytes: number;
  peers: Partial<Record<Peer, PeerResult>>;
  server?: {
    firstAnswerMs: number;
    loadMs: number;
    processStartupMs: number;
    rssMB: number;
    rssAfterMB?: number;
  };
  pages?: Latency & { paths: string[] };
  autocomplete?: Latency & { queries: string[] };
  throughput: Throughput[];
}

const log = (...args: unknown[]): void =>
  console.error(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...args);
const fmt = (x: number | undefined, d = 1): string =>
  x === undefined || Number.isNaN(x) ? '–' : x.toFixed(d);
const errorText = (e: unknown): string =>
  (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';

/** Resident memory of a process and its descendants, from /proc (MB). */
function rssTree(pid: number): number {
  let kb = 0;
  const walk = (p: number): void => {
    try {
      const status = readFileSync(`/proc/${p}/status`, 'utf8');
      kb += Number(/VmRSS:\s+(\d+)/u.exec(status)?.[1] ?? 0);
      for (const t of readdirSync(`/proc/${p}/task`)) {
        const kids = readFileSync(`/proc/${p}/task/${t}/children`, 'utf8').trim();
        for (const k of kids === '' ? [] : kids.split(/\s+/u)) walk(Number(k));
      }
    } catch {
      // gone
    }
  };
  walk(pid);
  return kb / 1024;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
/** One GET on a keep-alive connection; the whole body is read. */
function get(url: string, accept: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers: { accept } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}
const sparqlUrl = (endpoint: string, q: BenchQuery): string =>
  `${endpoint}?query=${encodeURIComponent(q.text)}`;

/** Times the query mix against a SPARQL endpoint over HTTP. */
async function runMix(
  endpoint: string,
  budget: Budget = BUDGET,
): Promise<Record<string, QueryResult>> {
  const out: Record<string, QueryResult> = {};
  for (const q of QUERIES) {
    const url = sparqlUrl(endpoint, q);
    const accept = acceptFor(q.kind);
    try {
      const first = await get(url, accept);
      if (first.status !== 200)
        throw new Error(`HTTP ${first.status}: ${first.body.slice(0, 160)}`);
      const latency = await sample(budget, async () => {
        const r = await get(url, accept);
        if (r.status !== 200) throw new Error(`HTTP ${r.status}`);
      });
      out[q.id] = { latency, answer: answerSize(q.kind, first.body) };
    } catch (e) {
      out[q.id] = { error: errorText(e) };
    }
  }
  return out;
}

/** Forks a TypeScript child and waits for its first JSON line on stdout. */
async function forkTs<T>(
  script: string,
  args: string[],
  timeoutMs = 600_000,
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; first: T }> {
  const child = fork(path.join(BENCH_DIR, script), args, {
    env: { ...process.env, ...env },
    execArgv: ['--import', 'tsx', '--max-old-space-size=8192'],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    cwd: ROOT,
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const first = await new Promise<T>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`${script} timed out`)), timeoutMs);
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(JSON.parse(buf.slice(0, nl)) as T);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(
        new Error(`${script} exited (${code}): ${stderr.trim().split('\n').slice(-3).join(' ')}`),
      );
    });
  });
  return { child, first };
}
function stopChild(child: ChildProcess): void {
  if (child.exitCode !== null) return;
  if (child.connected) child.send('stop');
  setTimeout(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  }, 3000).unref();
}
async function childRss(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(rssTree(child.pid ?? 0)), 2000);
    child.once('message', (m: unknown) => {
      clearTimeout(timer);
      resolve((m as { rssMB: number }).rssMB);
    });
    child.send('rss');
  });
}

async function cannon(
  target: string,
  url: string,
  accept: string,
  connections: number,
): Promise<Throughput> {
  const r = await autocannon({ url, connections, duration: CANNON_SECONDS, headers: { accept } });
  return {
    target,
    connections,
    reqPerSec: Math.round(r.requests.average),
    p99Ms: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
  };
}

/** Throughput rows of the endpoint as deployed (cached answers). */
const CACHED_TARGET = {
  ask: 'ASK (ours as deployed: cached)',
  describe: 'DESCRIBE (ours as deployed: cached)',
} as const;
const ENGINE_ASK = 'ASK (ours, Oxigraph)';

const QUICK_ONLY_100K =
  "not run by --quick here: --quick runs Comunica's endpoint at 100k only, where its target is evaluated; `npm run bench` runs it on every dataset below 1M";

/** Why a peer is not run on a dataset (reported as such); undefined when it is run. */
function notRunReason(peer: Peer, quads: number, real: boolean): string | undefined {
  if (peer === 'ours-cached' && !real && (quads < 50_000 || quads >= 1_000_000))
    return 'not run on this dataset: the endpoint as deployed is measured at 100k and on the real data, where the targets are evaluated';
  if (quads >= 1_000_000) {
    if (peer === 'ours-comunica')
      return 'not run at 1M: each worker would hold an N3.js copy of the data (1.34 GB for 1M triples, ../shared/ENGINE-NOTES.md), converted through a million JavaScript quads first; the 100k figures show its query times';
    if (peer === 'comunica-endpoint')
      return 'not run at 1M: it fetches and parses the whole file for every query (see the 100k figures)';
  }
  if (QUICK) {
    if (peer === 'ours-comunica' && !real && quads >= 100_000)
      return 'not run by --quick at 100k (its start-up alone takes about 16 s there); `npm run bench` runs it';
    if (peer === 'comunica-endpoint' && (real || quads < 100_000)) return QUICK_ONLY_100K;
  }
  return undefined;
}

async function benchDataset(
  name: string,
  file: string,
  quads: number,
  dataPath: string | undefined,
): Promise<DatasetResult> {
  const result: DatasetResult = {
    name,
    quads,
    file: path.relative(ROOT, file),
    bytes: readFileSync(file).length,
    peers: {},
    throughput: [],
  };
  const real = dataPath === undefined;

  // (a) in-process Oxigraph.
  log(name, 'in-process Oxigraph');
  try {
    const { child, first } = await forkTs<{
      loadMs: number;
      rssMB: number;
      quads: number;
      queries: Record<string, QueryResult>;
    }>('inprocess.ts', [file, JSON.stringify(BUDGET)]);
    child.kill();
    result.peers.inprocess = {
      loadMs: first.loadMs,
      rssMB: first.rssMB,
      queries: first.queries,
      notes: `${first.quads} distinct quads`,
    };
    result.quads = first.quads;
  } catch (e) {
    result.peers.inprocess = { error: errorText(e), queries: {} };
  }

  // (d) the bare server (also serves the file to Comunica's endpoint).
  const bare = await forkTs<{ url: string }>('bare.ts', [file]);

  // (b) our endpoint on Oxigraph: mix, pages, autocomplete, throughput.
  for (const engine of ['oxigraph', 'comunica'] as const) {
    const peer: Peer = engine === 'oxigraph' ? 'ours-oxigraph' : 'ours-comunica';
    log(name, PEER_TITLE[peer]);
    const skip = notRunReason(peer, quads, real);
    if (skip !== undefined) {
      result.peers[peer] = { error: skip, queries: {} };
      continue;
    }
    let child: ChildProcess | undefined;
    try {
      const started = await forkTs<{
        url: string;
        firstAnswerMs: number;
        loadMs: number;
        processStartupMs: number;
        rssMB: number;
      }>('serve.ts', real ? [engine] : [engine, dataPath]);
      child = started.child;
      const { url } = started.first;
      const queries = await runMix(`${url}/sparql`, engine === 'comunica' ? SLOW_BUDGET : BUDGET);
      const rssAfter = await childRss(child);
      result.peers[peer] = {
        loadMs: started.first.firstAnswerMs,
        rssMB: rssAfter,
        queries,
        notes: `start-up to first answer; RSS after the mix (at first answer ${fmt(started.first.rssMB, 0)} MB)`,
      };
      if (engine === 'oxigraph') {
        result.server = { ...started.first, rssAfterMB: rssAfter };
        const paths = real
          ? ['/id/state/FRA', '/id/norm/13k', '/id/incident/notpetya-2017', '/id/document/A-70-174']
          : ['/id/state/FRA', '/id/incident/incident-1', '/id/norm/13k', '/id/state/USA'];
        let i = 0;
        for (const p of paths) {
          const r = await get(`${url}${p}`, 'text/html');
          if (r.status !== 200) log(`  page ${p}: HTTP ${r.status}`);
        }
        const pages = await sample(BUDGET, () =>
          get(`${url}${paths[i++ % paths.length] ?? ''}`, 'text/html'),
        );
        result.pages = { ...pages, paths };
        const terms = ['fra', '13(k', 'notp', 'A/70', 'unit', 'par'];
        i = 0;
        const ac = await sample(BUDGET, () =>
          get(
            `${url}/api/autocomplete?q=${encodeURIComponent(terms[i++ % terms.length] ?? '')}`,
            'application/json',
          ),
        );
        result.autocomplete = { ...ac, queries: terms };
        const ask = QUERIES.find((q) => q.id === 'ask') as BenchQuery;
        const join = QUERIES.find((q) => q.id === 'star-date') as BenchQuery;
        // --quick measures throughput where the targets are evaluated (100k, real) only.
        for (const c of QUICK && name === 'synthetic 10k' ? [] : CONNECTIONS) {
          log(name, `autocannon ${c} connections`);
          result.throughput.push(
            await cannon('bare server', `${bare.first.url}/`, 'application/json', c),
          );
          result.throughput.push(
            await cannon(ENGINE_ASK, sparqlUrl(`${url}/sparql`, ask), acceptFor('ask'), c),
          );
          result.throughput.push(
            await cannon(
              'star join (ours, Oxigraph)',
              sparqlUrl(`${url}/sparql`, join),
              acceptFor('select'),
              c,
            ),
          );
        }
      }
    } catch (e) {
      result.peers[peer] = { error: errorText(e), queries: result.peers[peer]?.queries ?? {} };
    } finally {
      if (child !== undefined) stopChild(child);
    }
    await new Promise((r) => setTimeout(r, 300));
  }

  // (b') The same endpoint as deployed: the result cache on, at its default size. The first request
  // of each query fills the cache and the timed runs are answered from it, a cached GET /sparql by
  // the fast path outside the framework (src/sparql/fastPath.ts). The engine-path rows above are the
  // figures for a query asked for the first time.
  {
    const peer: Peer = 'ours-cached';
    const skip = notRunReason(peer, quads, real);
    if (skip !== undefined) result.peers[peer] = { error: skip, queries: {} };
    else {
      log(name, PEER_TITLE[peer]);
      let child: ChildProcess | undefined;
      try {
        const started = await forkTs<{ url: string; firstAnswerMs: number }>(
          'serve.ts',
          real ? ['oxigraph'] : ['oxigraph', dataPath ?? ''],
          600_000,
          { CDG_CACHE_BYTES: String(DEFAULTS.cacheBytes) },
        );
        child = started.child;
        const { url } = started.first;
        const queries = await runMix(`${url}/sparql`);
        result.peers[peer] = {
          loadMs: started.first.firstAnswerMs,
          rssMB: await childRss(child),
          queries,
          notes: `result cache on (${DEFAULTS.cacheBytes / 2 ** 20} MiB, the default): each query's first request fills it, the timed runs are answered from it`,
        };
        for (const c of CONNECTIONS)
          for (const id of ['ask', 'describe'] as const) {
            const q = QUERIES.find((x) => x.id === id) as BenchQuery;
            result.throughput.push(
              await cannon(CACHED_TARGET[id], sparqlUrl(`${url}/sparql`, q), acceptFor(q.kind), c),
            );
          }
      } catch (e) {
        result.peers[peer] = { error: errorText(e), queries: result.peers[peer]?.queries ?? {} };
      } finally {
        if (child !== undefined) stopChild(child);
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  // (e) Comunica's own SPARQL endpoint over the same file (fetched from the bare server on loopback).
  // At 1M it re-reads the whole file for every query (≈ 0.5 s per ASK already at 100k): it would take
  // most of the run's time, so it is reported as not run there.
  log(name, "Comunica's endpoint");
  const endpointSkip = notRunReason('comunica-endpoint', quads, real);
  if (endpointSkip !== undefined) {
    result.peers['comunica-endpoint'] = { error: endpointSkip, queries: {} };
  } else {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const bin = path.join(ROOT, 'node_modules/@comunica/query-sparql/bin/http.js');
    const started = performance.now();
    const child = spawn(
      process.execPath,
      [
        '--max-old-space-size=8192',
        bin,
        `${bare.first.url}/data.nq`,
        '--unionDefaultGraph',
        '-p',
        String(port),
        '-w',
        '1',
        '-t',
        '120',
        '-l',
        'error',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], cwd: ROOT },
    );
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-1000)));
    try {
      const endpoint = `http://127.0.0.1:${port}/sparql`;
      const until = Date.now() + 300_000;
      let up = false;
      while (!up && Date.now() < until) {
        if (child.exitCode !== null)
          throw new Error(`exited (${child.exitCode}): ${stderr.trim()}`);
        try {
          const r = await get(
            `${endpoint}?query=${encodeURIComponent('ASK { ?s ?p ?o }')}`,
            'application/sparql-results+json',
          );
          up = r.status === 200;
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      if (!up) throw new Error('did not answer within 300 s');
      const loadMs = performance.now() - started;
      const queries = await runMix(endpoint, SLOW_BUDGET);
      result.peers['comunica-endpoint'] = {
        loadMs,
        rssMB: rssTree(child.pid ?? 0),
        queries,
        notes:
          'start-up to first answer (the file fetched once over loopback); RSS after the mix, all its processes',
      };
    } catch (e) {
      result.peers['comunica-endpoint'] = { error: errorText(e), queries: {} };
    } finally {
      child.kill('SIGKILL');
    }
  }
  stopChild(bare.child);

  // (f) Virtuoso.
  log(name, 'Virtuoso');
  const unavailable = await virtuosoUnavailable();
  if (unavailable !== undefined) {
    result.peers.virtuoso = { error: `not run: ${unavailable}`, queries: {} };
  } else {
    try {
      const v = await startVirtuoso(name, file);
      try {
        const queries = await runMix(v.url);
        result.peers.virtuoso = {
          loadMs: v.loadMs,
          rssMB: rssTree(v.pid),
          queries,
          notes: `Virtuoso ${v.version}; bulk load + checkpoint (server start ${fmt(v.startMs / 1000, 1)} s not included)`,
        };
      } finally {
        v.stop();
      }
    } catch (e) {
      result.peers.virtuoso = { error: errorText(e), queries: {} };
    }
  }
  return result;
}

function linkerThroughput(gazetteer: Parameters<typeof linkText>[1]): {
  mbPerSec: number;
  bytes: number;
  runs: number;
  mentions: number;
  texts: string[];
} {
  const dir = path.resolve(ROOT, '../shared/sources');
  const files = existsSync(dir)
    ? readdirSync(dir).filter((f) => /\.(txt|md)$/u.test(f) && f !== 'README.md')
    : [];
  const texts =
    files.length > 0 ? files.map((f) => path.join(dir, f)) : [path.join(ROOT, 'README.md')];
  const text = texts.map((f) => readFileSync(f, 'utf8')).join('\n\n');
  const bytes = Buffer.byteLength(text);
  let mentions = linkText(text, gazetteer).length; // warm-up
  let runs = 0;
  const started = performance.now();
  while (performance.now() - started < (QUICK ? 1500 : 5000)) {
    mentions = linkText(text, gazetteer).length;
    runs++;
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    mbPerSec: (bytes * runs) / 2 ** 20 / seconds,
    bytes,
    runs,
    mentions,
    texts: texts.map((f) => path.relative(ROOT, f)),
  };
}

function machine(): Record<string, string | number> {
  const version = (pkg: string): string => {
    try {
      return (
        JSON.parse(readFileSync(path.join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as {
          version: string;
        }
      ).version;
    } catch {
      return '?';
    }
  };
  let virtuoso = 'not installed';
  try {
    virtuoso = execFileSync('dpkg-query', ['-W', '-f=${Version}', 'virtuoso-opensource-7'], {
      encoding: 'utf8',
    });
  } catch {
    // not installed
  }
  return {
    cpu: os.cpus()[0]?.model ?? '?',
    cores: os.availableParallelism(),
    memoryGB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    oxigraph: version('oxigraph'),
    comunica: version('@comunica/query-sparql'),
    autocannon: version('autocannon'),
    virtuoso,
  };
}

interface Target {
  readonly name: string;
  readonly measured: string;
  readonly met: boolean | undefined;
}

function p50(d: DatasetResult | undefined, peer: Peer, q: string): number | undefined {
  return d?.peers[peer]?.queries[q]?.latency?.p50;
}

function evaluate(
  datasets: DatasetResult[],
  linker: ReturnType<typeof linkerThroughput> | undefined,
): Target[] {
  const at100k = datasets.find((d) => d.name === 'synthetic 100k');
  const realD = datasets.find((d) => d.name === 'real');
  const at1M = datasets.find((d) => d.name === 'synthetic 1M');
  const targets: Target[] = [];
  // Endpoint overhead on joins at 100k.
  const joins = QUERIES.filter((q) => q.join === true).map((q) => {
    const ours = p50(at100k, 'ours-oxigraph', q.id);
    const base = p50(at100k, 'inprocess', q.id);
    return { id: q.id, ratio: ours !== undefined && base !== undefined ? ours / base : undefined };
  });
  targets.push({
    name: 'endpoint overhead ≤ 1.3× in-process on joins at 100k (p50)',
    measured: joins.map((j) => `${j.id} ${fmt(j.ratio, 2)}×`).join(', '),
    met: joins.every((j) => j.ratio !== undefined)
      ? joins.every((j) => (j.ratio ?? Infinity) <= 1.3)
      : undefined,
  });
  // Cheap queries vs the bare server: on the engine path (every request evaluated) and as deployed
  // (the answer cached, as it is for any query asked before).
  const bareShare = (target: string) =>
    CONNECTIONS.map((c) => {
      const x = at100k?.throughput.find((t) => t.connections === c && t.target === target);
      const bare = at100k?.throughput.find(
        (t) => t.connections === c && t.target === 'bare server',
      );
      return {
        c,
        ratio: x && bare && bare.reqPerSec > 0 ? x.reqPerSec / bare.reqPerSec : undefined,
      };
    });
  for (const [label, rows] of [
    ['ASK evaluated every time (cache off)', [ENGINE_ASK]],
    ['ASK and DESCRIBE as deployed (answers cached)', [CACHED_TARGET.ask, CACHED_TARGET.describe]],
  ] as const) {
    const shares = rows.map((r) => ({ r, ratios: bareShare(r) }));
    const all = shares.flatMap((x) => x.ratios);
    targets.push({
      name: `cheap queries ≥ 50% of bare-server req/s (100k; 1, 10, 50 connections): ${label}`,
      measured: shares
        .map(
          (x) =>
            `${x.r.split(' ')[0]} ${x.ratios.map((q) => `${q.c}c ${fmt((q.ratio ?? NaN) * 100, 0)}%`).join(', ')}`,
        )
        .join('; '),
      met: all.every((q) => q.ratio !== undefined)
        ? all.every((q) => (q.ratio ?? 0) >= 0.5)
        : undefined,
    });
  }
  // Faster than Virtuoso and Comunica's endpoint on ≥ 80% of the mix at 100k.
  for (const [peer, ourPeer] of [
    ['virtuoso', 'ours-oxigraph'],
    ['comunica-endpoint', 'ours-oxigraph'],
    ['virtuoso', 'ours-cached'],
    ['comunica-endpoint', 'ours-cached'],
  ] as const) {
    const compared = QUERIES.map((q) => ({
      ours: p50(at100k, ourPeer, q.id),
      theirs: p50(at100k, peer, q.id),
    }));
    const both = compared.filter((c) => c.ours !== undefined && c.theirs !== undefined);
    const wins = both.filter((c) => (c.ours ?? Infinity) < (c.theirs ?? 0)).length;
    targets.push({
      name: `faster than ${PEER_TITLE[peer]} on ≥ 80% of the mix at 100k (p50): ${ourPeer === 'ours-cached' ? 'as deployed (repeated queries answered from the result cache)' : 'engine path (result cache off)'}`,
      measured:
        both.length === 0
          ? `not measured (${at100k?.peers[peer]?.error ?? 'no data'})`
          : `${wins}/${QUERIES.length} queries faster${both.length < QUERIES.length ? ` (${QUERIES.length - both.length} not answered by one side: counted as not faster)` : ''}${at100k?.peers[ourPeer]?.error === undefined ? '' : ` (${at100k.peers[ourPeer]?.error})`}`,
      met: both.length === 0 ? undefined : wins / QUERIES.length >= 0.8,
    });
  }
  const server = realD?.server;
  targets.push({
    name: 'real dataset: start-up to first answer ≤ 2 s',
    measured: server
      ? `${fmt(server.firstAnswerMs / 1000, 2)} s (+ ${fmt(server.processStartupMs / 1000, 2)} s Node/tsx process start)`
      : 'not measured',
    met: server ? server.firstAnswerMs <= 2000 : undefined,
  });
  targets.push({
    name: 'real dataset: resource pages p95 ≤ 20 ms',
    measured: realD?.pages ? `p95 ${fmt(realD.pages.p95, 2)} ms` : 'not measured',
    met: realD?.pages ? realD.pages.p95 <= 20 : undefined,
  });
  targets.push({
    name: 'real dataset: autocomplete p95 ≤ 5 ms',
    measured: realD?.autocomplete ? `p95 ${fmt(realD.autocomplete.p95, 2)} ms` : 'not measured',
    met: realD?.autocomplete ? realD.autocomplete.p95 <= 5 : undefined,
  });
  targets.push({
    name: 'linker ≥ 1 MB/s per core',
    measured: linker ? `${fmt(linker.mbPerSec, 2)} MB/s on one core` : 'not measured',
    met: linker ? linker.mbPerSec >= 1 : undefined,
  });
  const s1M = at1M?.server;
  targets.push({
    name: '1M: load ≤ 10 s and RSS ≤ 1.5 GB with the worker pool running',
    measured: s1M
      ? `${fmt(s1M.firstAnswerMs / 1000, 1)} s to first answer, RSS ${fmt(Math.max(s1M.rssMB, s1M.rssAfterMB ?? 0), 0)} MB`
      : QUICK
        ? 'not measured (--quick leaves out 1M; run `npm run bench`)'
        : 'not measured',
    met: s1M
      ? s1M.firstAnswerMs <= 10_000 && Math.max(s1M.rssMB, s1M.rssAfterMB ?? 0) <= 1536
      : undefined,
  });
  return targets;
}

function markdown(report: Report): string {
  const L: string[] = [];
  const m = report.machine;
  L.push(`# Benchmark results (${report.mode})`, '');
  L.push(
    `${report.date} — ${m.cpu}, ${m.cores} cores, ${m.memoryGB} GB, Node ${m.node}; oxigraph ${m.oxigraph}, Comunica ${m.comunica}, Virtuoso ${m.virtuoso}; ${fmt(report.seconds, 0)} s in all.`,
    '',
  );
  L.push(
    `Latency: ${BUDGET.warmup} warm-up runs, then up to ${BUDGET.runs} timed runs or ${BUDGET.maxMs} ms per query and peer (at least ${BUDGET.minRuns})${SLOW_BUDGET === BUDGET ? '' : `; the Comunica peers ${SLOW_BUDGET.warmup} warm-up runs beyond the one that fetches the answer, at least ${SLOW_BUDGET.minRuns} timed run`}; n is the number of timed runs. HTTP peers are asked over one keep-alive loopback connection (GET, SPARQL JSON / N-Triples). Each peer runs alone, in its own process.`,
    '',
  );
  L.push('## Targets', '', '| target | measured | met |', '| --- | --- | --- |');
  for (const t of report.targets)
    L.push(
      `| ${t.name} | ${t.measured} | ${t.met === undefined ? 'not measured' : t.met ? 'yes' : '**no**'} |`,
    );
  L.push('');
  for (const d of report.datasets) {
    L.push(
      `## ${d.name} (${d.quads.toLocaleString('en')} quads, ${fmt(d.bytes / 2 ** 20, 1)} MB N-Quads)`,
      '',
    );
    L.push('| peer | load (ms) | RSS (MB) | notes |', '| --- | ---: | ---: | --- |');
    for (const p of PEERS) {
      const r = d.peers[p];
      if (r === undefined) continue;
      L.push(
        `| ${PEER_TITLE[p]} | ${fmt(r.loadMs, 0)} | ${fmt(r.rssMB, 0)} | ${r.error === undefined ? (r.notes ?? '') : r.error.startsWith('not run') ? r.error : `**failed:** ${r.error}`} |`,
      );
    }
    L.push('', `Query latency, ms: p50 / p95 / p99 (n) and answer size.`, '');
    const peers = PEERS.filter((p) => d.peers[p] !== undefined);
    L.push(
      `| query | ${peers.map((p) => PEER_TITLE[p]).join(' | ')} | ours/in-process | ours vs Comunica endpoint | ours vs Virtuoso |`,
    );
    L.push(`| --- | ${peers.map(() => '---').join(' | ')} | ---: | ---: | ---: |`);
    for (const q of QUERIES) {
      const answers = new Set<string>();
      const cells = peers.map((p) => {
        const r = d.peers[p]?.queries[q.id];
        if (r?.latency === undefined)
          return r?.error !== undefined ? `error: ${r.error.slice(0, 60)}` : '–';
        if (r.answer !== undefined) answers.add(r.answer);
        const l = r.latency;
        return `${fmt(l.p50, 2)} / ${fmt(l.p95, 2)} / ${fmt(l.p99, 2)} (${l.n}) ${r.answer ?? ''}`;
      });
      const ours = p50(d, 'ours-oxigraph', q.id);
      const ratio = (other: number | undefined): string =>
        ours !== undefined && other !== undefined ? `${fmt(ours / other, 2)}×` : '–';
      L.push(
        `| ${q.title}${answers.size > 1 ? ' ⚠ answers differ' : ''} | ${cells.join(' | ')} | ${ratio(p50(d, 'inprocess', q.id))} | ${ratio(p50(d, 'comunica-endpoint', q.id))} | ${ratio(p50(d, 'virtuoso', q.id))} |`,
      );
    }
    L.push(
      '',
      "Ratios are our endpoint (Oxigraph) p50 divided by the peer's p50: below 1× means we are faster.",
      '',
    );
    if (d.pages || d.autocomplete || d.server) {
      L.push('| our server | p50 | p95 | p99 | n |', '| --- | ---: | ---: | ---: | ---: |');
      if (d.pages)
        L.push(
          `| resource page (text/html: ${d.pages.paths.join(', ')}) | ${fmt(d.pages.p50, 2)} | ${fmt(d.pages.p95, 2)} | ${fmt(d.pages.p99, 2)} | ${d.pages.n} |`,
        );
      if (d.autocomplete)
        L.push(
          `| /api/autocomplete (${d.autocomplete.queries.join(', ')}) | ${fmt(d.autocomplete.p50, 2)} | ${fmt(d.autocomplete.p95, 2)} | ${fmt(d.autocomplete.p99, 2)} | ${d.autocomplete.n} |`,
        );
      if (d.server)
        L.push(
          '',
          `Start-up (Oxigraph engine): data loaded and indexed in ${fmt(d.server.loadMs, 0)} ms, first answer at ${fmt(d.server.firstAnswerMs, 0)} ms (Node + tsx process start before that: ${fmt(d.server.processStartupMs, 0)} ms); RSS ${fmt(d.server.rssMB, 0)} MB at first answer, ${fmt(d.server.rssAfterMB, 0)} MB after the runs.`,
        );
      L.push('');
    }
    if (d.throughput.length > 0) {
      L.push(
        `HTTP throughput (autocannon, ${CANNON_SECONDS} s per cell, loopback): req/s (p99 ms)`,
        '',
      );
      const targets = [...new Set(d.throughput.map((t) => t.target))];
      L.push(
        `| target | ${CONNECTIONS.map((c) => `${c} conn.`).join(' | ')} |`,
        `| --- | ${CONNECTIONS.map(() => '---:').join(' | ')} |`,
      );
      for (const t of targets) {
        L.push(
          `| ${t} | ${CONNECTIONS.map((c) => {
            const x = d.throughput.find((y) => y.target === t && y.connections === c);
            return x
              ? `${x.reqPerSec} (${x.p99Ms})${x.non2xx + x.errors > 0 ? ` ⚠ ${x.non2xx} non-2xx, ${x.errors} errors` : ''}`
              : '–';
          }).join(' | ')} |`,
        );
      }
      const shares = targets
        .filter((t) => t !== 'bare server' && !t.startsWith('star'))
        .map((t) => {
          const per = CONNECTIONS.map((c) => {
            const a = d.throughput.find((y) => y.connections === c && y.target === t);
            const b = d.throughput.find((y) => y.connections === c && y.target === 'bare server');
            return a && b ? `${c} conn. ${fmt((100 * a.reqPerSec) / b.reqPerSec, 0)}%` : '';
          });
          return `${t} / bare server: ${per.join(', ')}.`;
        });
      L.push('', ...shares, '');
    }
  }
  if (report.linker) {
    const k = report.linker;
    L.push(
      '## Linker',
      '',
      `\`linkText\` with \`Gazetteer.fromStore\` over the real dataset, one thread: **${fmt(k.mbPerSec, 2)} MB/s** (${k.runs} passes over ${k.bytes.toLocaleString('en')} bytes from ${k.texts.join(', ')}; ${k.mentions} mentions per pass).`,
      '',
    );
  }
  if (report.notDone.length > 0) {
    L.push('## Not measured or failed', '');
    for (const n of report.notDone) L.push(`- ${n}`);
    L.push('');
  }
  return L.join('\n');
}

interface Report {
  mode: string;
  date: string;
  seconds: number;
  machine: Record<string, string | number>;
  budget: Budget;
  /** The Comunica peers' budget. */
  slowBudget: Budget;
  autocannonSeconds: number;
  datasets: DatasetResult[];
  linker?: ReturnType<typeof linkerThroughput>;
  targets: Target[];
  notDone: string[];
}

async function main(): Promise<void> {
  const started = performance.now();
  const datasets: DatasetResult[] = [];
  mkdirSync(CACHE_DIR, { recursive: true });
  for (const n of SIZES) {
    const g = await generate(n);
    log(
      `synthetic ${sizeLabel(n)}: ${g.quads} quads ${g.cached ? '(cached)' : `generated in ${fmt(g.ms, 0)} ms`}`,
    );
    datasets.push(await benchDataset(`synthetic ${sizeLabel(n)}`, g.file, g.quads, g.file));
  }
  // The real dataset, through the server's own loader; dumped for the peers.
  log('real dataset');
  const real = await loadServableDataset(resolveConfig({ stateDir: '' }));
  const realFile = path.join(CACHE_DIR, 'real.nq');
  writeFileSync(realFile, real.nquads);
  datasets.push(await benchDataset('real', realFile, real.quadCount, undefined));
  let linker: ReturnType<typeof linkerThroughput> | undefined;
  if (real.gazetteer !== undefined) {
    log('linker');
    linker = linkerThroughput(real.gazetteer);
  }
  const targets = evaluate(datasets, linker);
  const notDone: string[] = [];
  for (const d of datasets) {
    for (const p of PEERS) {
      const r = d.peers[p];
      if (r?.error !== undefined) notDone.push(`${d.name}, ${PEER_TITLE[p]}: ${r.error}`);
      for (const [q, qr] of Object.entries(r?.queries ?? {}))
        if (qr.error !== undefined) notDone.push(`${d.name}, ${PEER_TITLE[p]}, ${q}: ${qr.error}`);
    }
  }
  if (QUICK)
    notDone.push('1M triples: left out by --quick (run `npm run bench` for the full set).');
  const report: Report = {
    mode: QUICK ? 'quick' : 'full',
    date: new Date().toISOString(),
    seconds: (performance.now() - started) / 1000,
    machine: machine(),
    budget: BUDGET,
    slowBudget: SLOW_BUDGET,
    autocannonSeconds: CANNON_SECONDS,
    datasets,
    ...(linker === undefined ? {} : { linker }),
    targets,
    notDone,
  };
  const dir = path.join(BENCH_DIR, 'results');
  mkdirSync(dir, { recursive: true });
  const md = markdown(report);
  const json = `${JSON.stringify(report, null, 2)}\n`;
  const stamp = report.date.replace(/[:.]/gu, '-');
  writeFileSync(path.join(dir, 'latest.md'), md);
  writeFileSync(path.join(dir, 'latest.json'), json);
  writeFileSync(path.join(dir, `${stamp}-${report.mode}.md`), md);
  writeFileSync(path.join(dir, `${stamp}-${report.mode}.json`), json);
  console.log(md);
  console.log('\nTargets:');
  for (const t of targets)
    console.log(
      `  ${t.met === undefined ? 'NOT MEASURED' : t.met ? 'MET        ' : 'NOT MET    '}  ${t.name}: ${t.measured}`,
    );
  agent.destroy();
}

await main();
process.exit(0);
