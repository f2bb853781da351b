/**
 * The endpoint's overhead over the in-process engine, measured in one run: our server
 * (bench/serve.ts, result cache off) in its own process, and an Oxigraph store over the same file in
 * this one; each round runs every query once in-process and once over HTTP (one keep-alive
 * connection), so both see the same machine. Prints p50 per query and their ratio, as Markdown.
 *
 * Usage: npm run bench:overhead [-- SIZE [ROUNDS]]   (SIZE 10000 | 100000, default 100000; 60 rounds)
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import oxigraph from 'oxigraph';
import { BENCH_DIR, generate } from './generate.js';
import { acceptFor, answerSize, QUERIES } from './queries.js';
import { percentile } from './stats.js';

const size = Number(process.argv[2] ?? 100_000);
const rounds = Number(process.argv[3] ?? 60);
const { file } = await generate(size);

const store = new oxigraph.Store();
store.load(readFileSync(file, 'utf8'), { format: 'application/n-quads' });

const child = fork(path.join(BENCH_DIR, 'serve.ts'), ['oxigraph', file], {
  execArgv: ['--import', 'tsx'],
  stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
});
const url = await new Promise<string>((resolve, reject) => {
  let buf = '';
  child.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    const nl = buf.indexOf('\n');
    if (nl >= 0) resolve((JSON.parse(buf.slice(0, nl)) as { url: string }).url);
  });
  child.once('exit', (code) => reject(new Error(`serve.ts exited with ${code}`)));
});

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function get(target: string, accept: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(target, { agent, headers: { accept } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode === 200) resolve(body);
          else reject(new Error(`HTTP ${res.statusCode}: ${body}`));
        });
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

const times = new Map<string, { local: number[]; http: number[] }>();
for (const q of QUERIES) {
  const accept = acceptFor(q.kind);
  const target = `${url}/sparql?query=${encodeURIComponent(q.text)}`;
  const local = (): string =>
    store.query(q.text, { results_format: accept, use_default_graph_as_union: true }) as string;
  // Warm-up, and both must give the same answer.
  const a = answerSize(q.kind, local());
  const b = answerSize(q.kind, await get(target, accept));
  if (a !== b) throw new Error(`${q.id}: in-process ${a}, endpoint ${b}`);
  times.set(q.id, { local: [], http: [] });
}
for (let r = 0; r < rounds; r++) {
  for (const q of QUERIES) {
    const accept = acceptFor(q.kind);
    const t = times.get(q.id)!;
    let started = performance.now();
    store.query(q.text, { results_format: accept, use_default_graph_as_union: true });
    t.local.push(performance.now() - started);
    started = performance.now();
    await get(`${url}/sparql?query=${encodeURIComponent(q.text)}`, accept);
    t.http.push(performance.now() - started);
  }
}
child.send('stop');

const p50 = (xs: number[]): number =>
  percentile(
    [...xs].sort((x, y) => x - y),
    50,
  );
const lines = [
  `Endpoint overhead at ${size} quads, ${rounds} rounds (p50 ms):`,
  '',
  '| query | in-process | endpoint | ratio | difference |',
  '| --- | ---: | ---: | ---: | ---: |',
];
for (const q of QUERIES) {
  const t = times.get(q.id)!;
  const [l, h] = [p50(t.local), p50(t.http)];
  lines.push(
    `| ${q.id} | ${l.toFixed(2)} | ${h.toFixed(2)} | ${(h / l).toFixed(2)}× | ${(h - l).toFixed(2)} |`,
  );
}
process.stdout.write(`${lines.join('\n')}\n`);
