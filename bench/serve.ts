/**
 * Child process: our server (`startServer`, the real start-up path: every file validated and
 * loaded, labels and gazetteer built, the worker pool started) on a loopback port. Prints one JSON
 * line when the first query has been answered over HTTP; then answers `rss` and `stop` over IPC.
 *
 * Usage: tsx bench/serve.ts ENGINE [DATA_PATH…]   (no path: the project's own ontology/ and data/)
 */
import { resolveConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { startServer } from '../src/server.js';

const [engine = 'oxigraph', ...dataPaths] = process.argv.slice(2);
const started = performance.now();
const uptimeAtStart = process.uptime();
const config = resolveConfig({
  engine,
  port: 0,
  host: '127.0.0.1',
  stateDir: '',
  // The query mix measures the engine path: the result cache is off unless asked for.
  cacheBytes: Number(process.env.CDG_CACHE_BYTES ?? 0),
  // One client (the benchmark) opens many connections: the per-client limits would refuse them.
  clientConcurrency: 0,
  clientBudgetMs: 0,
  ...(dataPaths.length > 0 ? { dataPaths } : {}),
});
const running = await startServer(config, createLogger('silent'));
const listeningMs = performance.now() - started;
// The workers load the files themselves; loading ends when the server listens.
const loadMs = listeningMs;
const ask = 'ASK { ?s ?p ?o }';
const res = await fetch(`${running.url}/sparql?query=${encodeURIComponent(ask)}`, {
  headers: { accept: 'application/sparql-results+json' },
});
await res.text();
const firstAnswerMs = performance.now() - started;
const rssMB = (): number => process.memoryUsage().rss / 2 ** 20;
process.stdout.write(
  `${JSON.stringify({
    url: running.url,
    quads: running.quadCount,
    loadMs,
    listeningMs,
    firstAnswerMs,
    processStartupMs: uptimeAtStart * 1000,
    rssMB: rssMB(),
    status: res.status,
  })}\n`,
);
process.on('message', (m: unknown) => {
  if (m === 'rss') process.send?.({ rssMB: rssMB() });
  if (m === 'stop') void running.close().then(() => process.exit(0));
});
process.on('disconnect', () => void running.close().then(() => process.exit(0)));
