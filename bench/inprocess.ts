/**
 * Child process: the in-process Oxigraph baseline. Loads one N-Quads file into an Oxigraph store,
 * reports load time and resident memory, then times the query mix with `store.query(q,
 * { results_format })` (serialized results, as the engine notes advise).
 *
 * Usage: tsx bench/inprocess.ts FILE BUDGET_JSON   → one JSON object on stdout
 */
import { readFileSync } from 'node:fs';
import oxigraph from 'oxigraph';
import { acceptFor, answerSize, QUERIES } from './queries.js';
import { sample, type Budget, type Latency } from './stats.js';

const [file, budgetJson] = process.argv.slice(2);
if (file === undefined || budgetJson === undefined)
  throw new Error('usage: inprocess.ts FILE BUDGET');
const budget = JSON.parse(budgetJson) as Budget;

const rssBefore = process.memoryUsage().rss;
const started = performance.now();
const text = readFileSync(file, 'utf8');
const store = new oxigraph.Store();
store.load(text, { format: 'application/n-quads' });
const loadMs = performance.now() - started;
const quads = store.size;
const rssMB = process.memoryUsage().rss / 2 ** 20;

const queries: Record<string, { latency: Latency; answer: string }> = {};
for (const q of QUERIES) {
  const run = (): string =>
    store.query(q.text, {
      results_format: acceptFor(q.kind),
      use_default_graph_as_union: true,
    }) as string;
  const answer = answerSize(q.kind, run());
  queries[q.id] = { latency: await sample(budget, run), answer };
}
process.stdout.write(
  `${JSON.stringify({ loadMs, quads, rssMB, rssBeforeMB: rssBefore / 2 ** 20, queries })}\n`,
);
