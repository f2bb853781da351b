/**
 * The remote-store backend against the embedded store: load time and the query mix through our
 * endpoint, on the synthetic data (bench/generate.ts), for Virtuoso 7 loaded by `cdg load` (SPARQL
 * Update over HTTP) and — for reference — by Virtuoso's own bulk loader, and for our embedded store.
 *
 * Usage: tsx bench/remote.ts [SIZE…]   (default: 100000 1000000)
 * Writes bench/results/remote-<date>.md and .json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveConfig } from '../src/config.js';
import { findDataSources } from '../src/graph/files.js';
import { loadIntoStore } from '../src/graph/remoteLoad.js';
import { RemoteStore } from '../src/graph/remoteStore.js';
import { bulkLoad, startVirtuoso, virtuosoUnavailable } from '../src/graph/virtuoso.js';
import { createLogger } from '../src/log.js';
import { startRemoteServer } from '../src/remoteServer.js';
import { loadServableDataset, startServer } from '../src/server.js';
import { BENCH_DIR, CACHE_DIR, generate, sizeLabel } from './generate.js';
import { acceptFor, answerSize, QUERIES } from './queries.js';
import { sample, type Latency } from './stats.js';

const BASE = 'https://w3id.org/cyber-diplomacy/';
const BUDGET = { warmup: 2, runs: 30, maxMs: 4_000, minRuns: 5 };

interface MixResult {
  readonly latency: Latency;
  readonly answer: string;
}

interface SizeResult {
  quads: number;
  embedded: { firstAnswerMs: number; mix: Record<string, MixResult> };
  virtuoso?: {
    version: string;
    cdgLoadMs: number;
    cdgLoadBatches: number;
    connectMs: number;
    bulkLoadMs: number;
    mix: Record<string, MixResult>;
    direct: Record<string, MixResult>;
  };
  virtuosoError?: string;
}

async function get(url: string, accept: string): Promise<string> {
  const res = await fetch(url, { headers: { accept } });
  const body = await res.text();
  if (!res.ok) throw new Error(`${res.status} ${body.slice(0, 200)}`);
  return body;
}

async function runMix(endpoint: string): Promise<Record<string, MixResult>> {
  const out: Record<string, MixResult> = {};
  for (const q of QUERIES) {
    const url = `${endpoint}?query=${encodeURIComponent(q.text)}`;
    let answer = '';
    const latency = await sample(BUDGET, async () => {
      answer = answerSize(q.kind, await get(url, acceptFor(q.kind)));
    });
    out[q.id] = { latency, answer };
    process.stderr.write(`    ${q.id}: p50 ${latency.p50.toFixed(2)} ms (${answer})\n`);
  }
  return out;
}

async function benchSize(target: number): Promise<SizeResult> {
  const { file, quads } = await generate(target);
  process.stderr.write(`\n${sizeLabel(target)} (${quads} quads)\n  embedded store…\n`);
  const config = resolveConfig({
    port: 0,
    stateDir: '',
    cacheBytes: 0,
    logLevel: 'silent',
    dataPaths: [file],
    workers: 2,
  });
  const started = performance.now();
  const embedded = await startServer(
    config,
    createLogger('silent'),
    await loadServableDataset(config),
  );
  await get(
    `${embedded.url}/sparql?query=${encodeURIComponent('ASK { ?s ?p ?o }')}`,
    'application/sparql-results+json',
  );
  const firstAnswerMs = performance.now() - started;
  const result: SizeResult = {
    quads,
    embedded: { firstAnswerMs, mix: await runMix(`${embedded.url}/sparql`) },
  };
  await embedded.close();

  const unavailable = await virtuosoUnavailable();
  if (unavailable !== undefined) {
    result.virtuosoError = unavailable;
    return result;
  }
  const buffers = target >= 1_000_000 ? 340_000 : 85_000;
  process.stderr.write('  Virtuoso, loaded by cdg load (SPARQL Update)…\n');
  const v = await startVirtuoso({
    dir: path.join(CACHE_DIR, 'virtuoso', `remote-${sizeLabel(target)}`),
    buffers,
  });
  try {
    const store = new RemoteStore({
      queryUrl: v.sparqlUrl,
      updateUrl: v.sparqlAuthUrl,
      user: v.user,
      password: v.password,
    });
    const load = await loadIntoStore({
      store,
      sources: await findDataSources([file], BASE),
      baseIri: BASE,
      checkpointFile: '',
    });
    const connectStarted = performance.now();
    const remote = await startRemoteServer(
      resolveConfig({
        port: 0,
        stateDir: '',
        cacheBytes: 0,
        logLevel: 'silent',
        store: v.sparqlUrl,
      }),
      createLogger('silent'),
    );
    const connectMs = performance.now() - connectStarted;
    process.stderr.write(`  our endpoint on Virtuoso…\n`);
    const mix = await runMix(`${remote.url}/sparql`);
    await remote.close();
    process.stderr.write(`  Virtuoso's own endpoint…\n`);
    const direct = await runMix(v.sparqlUrl);
    result.virtuoso = {
      version: v.version,
      cdgLoadMs: load.ms,
      cdgLoadBatches: load.batches,
      connectMs,
      bulkLoadMs: 0,
      mix,
      direct,
    };
  } finally {
    await v.stop();
  }
  process.stderr.write('  Virtuoso, bulk loader (for reference)…\n');
  const bulk = await startVirtuoso({
    dir: path.join(CACHE_DIR, 'virtuoso', `bulk-${sizeLabel(target)}`),
    dirsAllowed: [CACHE_DIR],
    buffers,
  });
  try {
    const t = performance.now();
    await bulkLoad(bulk, file, 'urn:bench:default');
    if (result.virtuoso !== undefined) result.virtuoso.bulkLoadMs = performance.now() - t;
  } finally {
    await bulk.stop();
  }
  return result;
}

function fmt(ms: number | undefined): string {
  return ms === undefined
    ? '—'
    : ms >= 1000
      ? `${(ms / 1000).toFixed(1)} s`
      : `${ms.toFixed(2)} ms`;
}

function markdown(results: Record<string, SizeResult>, date: string): string {
  let out = `# Remote store (Virtuoso 7) against the embedded store — ${date}\n\n`;
  out += `${os.cpus()[0]?.model ?? 'cpu'}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GB, Node ${process.version}. Result cache off.\n\n`;
  out +=
    '| size | embedded: start to first answer | cdg load into Virtuoso (SPARQL Update) | Virtuoso bulk loader | server connect to Virtuoso (index built) |\n| --- | ---: | ---: | ---: | ---: |\n';
  for (const [size, r] of Object.entries(results)) {
    const v = r.virtuoso;
    const rate =
      v === undefined
        ? ''
        : ` (${Math.round(r.quads / (v.cdgLoadMs / 1000)).toLocaleString('en')} quads/s)`;
    out += `| ${size} | ${fmt(r.embedded.firstAnswerMs)} | ${v === undefined ? (r.virtuosoError ?? '—') : `${fmt(v.cdgLoadMs)}${rate}`} | ${fmt(v?.bulkLoadMs)} | ${fmt(v?.connectMs)} |\n`;
  }
  for (const [size, r] of Object.entries(results)) {
    out += `\n## ${size}: query mix through our endpoint, p50 / p95 (ms)\n\n| query | embedded store | Virtuoso behind our endpoint | Virtuoso's own endpoint | answers |\n| --- | ---: | ---: | ---: | --- |\n`;
    for (const q of QUERIES) {
      const e = r.embedded.mix[q.id];
      const v = r.virtuoso?.mix[q.id];
      const d = r.virtuoso?.direct[q.id];
      const cell = (m: MixResult | undefined): string =>
        m === undefined ? '—' : `${m.latency.p50.toFixed(2)} / ${m.latency.p95.toFixed(2)}`;
      const answers = [...new Set([e?.answer, v?.answer].filter((a) => a !== undefined))];
      out += `| ${q.title} | ${cell(e)} | ${cell(v)} | ${cell(d)} | ${answers.join(' ≠ ')}${d !== undefined && d.answer !== v?.answer ? ` (direct: ${d.answer})` : ''} |\n`;
    }
  }
  return out;
}

const sizes = process.argv.slice(2).map(Number);
const targets = sizes.length > 0 ? sizes : [100_000, 1_000_000];
const results: Record<string, SizeResult> = {};
for (const t of targets) results[sizeLabel(t)] = await benchSize(t);
const date = new Date().toISOString();
const dir = path.join(BENCH_DIR, 'results');
mkdirSync(dir, { recursive: true });
const stem = `remote-${date.replace(/[:.]/gu, '-')}`;
writeFileSync(path.join(dir, `${stem}.json`), `${JSON.stringify({ date, results }, null, 2)}\n`);
const md = markdown(results, date);
writeFileSync(path.join(dir, `${stem}.md`), md);
process.stdout.write(md);
