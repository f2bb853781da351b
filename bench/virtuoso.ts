/**
 * Virtuoso 7 (Debian `virtuoso-opensource`) as a peer: a fresh database per dataset in the cache,
 * bound to loopback ports, loaded with the bulk loader, its SPARQL endpoint at /sparql (whose
 * default graph is the union of all graphs, as ours is — plus Virtuoso's own few system graphs).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { CACHE_DIR } from './generate.js';

const run = promisify(execFile);
const TEMPLATE = '/etc/virtuoso-opensource-7/virtuoso.ini';

export interface Virtuoso {
  readonly url: string;
  readonly version: string;
  readonly startMs: number;
  readonly loadMs: number;
  readonly pid: number;
  stop(): void;
}

/** Why Virtuoso cannot run here, or undefined when it can. */
export async function virtuosoUnavailable(): Promise<string | undefined> {
  if (!existsSync(TEMPLATE))
    return `${TEMPLATE} not found (apt-get install -y virtuoso-opensource)`;
  try {
    await run('virtuoso-t', ['-?']).catch((e: { stdout?: string; stderr?: string }) => e);
    await run('which', ['virtuoso-t', 'isql-vt']);
    return undefined;
  } catch {
    return 'virtuoso-t or isql-vt not on PATH (apt-get install -y virtuoso-opensource)';
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(url: string, child: ChildProcess, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`virtuoso-t exited with code ${child.exitCode}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Virtuoso did not answer within ${ms} ms`);
}

/**
 * Starts a fresh Virtuoso on loopback and bulk-loads one N-Quads file.
 * @param name - a name for its database directory
 * @param file - absolute path of the N-Quads file
 */
export async function startVirtuoso(name: string, file: string): Promise<Virtuoso> {
  const dir = path.join(CACHE_DIR, 'virtuoso', name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const [sqlPort, httpPort] = [await freePort(), await freePort()];
  let ini = readFileSync(TEMPLATE, 'utf8')
    .replaceAll('/var/lib/virtuoso-opensource-7/db', dir)
    .replace(/^ServerPort\s*=\s*1111.*$/mu, `ServerPort = 127.0.0.1:${sqlPort}`)
    .replace(/^ServerPort\s*=\s*8890.*$/mu, `ServerPort = 127.0.0.1:${httpPort}`)
    .replace(/^DirsAllowed\s*=.*$/mu, `DirsAllowed = ., ${CACHE_DIR}`)
    .replace(/^ResultSetMaxRows\s*=.*$/mu, 'ResultSetMaxRows = 1000000')
    .replace(/^MaxQueryCostEstimationTime\s*=.*$/mu, 'MaxQueryCostEstimationTime = 0')
    .replace(/^NumberOfBuffers\s*=.*$/mu, 'NumberOfBuffers = 85000')
    .replace(/^MaxDirtyBuffers\s*=.*$/mu, 'MaxDirtyBuffers = 65000')
    .replace(/^(Load\d+\s*=.*)$/gmu, ';$1');
  ini = ini.replace(/^MaxClientConnections\s*=.*$/gmu, 'MaxClientConnections = 64');
  writeFileSync(path.join(dir, 'virtuoso.ini'), ini);
  const started = performance.now();
  const child = spawn(
    'virtuoso-t',
    ['+configfile', path.join(dir, 'virtuoso.ini'), '+foreground'],
    {
      cwd: dir,
      stdio: 'ignore',
    },
  );
  const url = `http://127.0.0.1:${httpPort}/sparql`;
  const stop = (): void => {
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  try {
    await waitFor(`${url}?query=${encodeURIComponent('ASK {}')}`, child, 60_000);
    const startMs = performance.now() - started;
    const loadStarted = performance.now();
    const isql = async (sql: string): Promise<string> =>
      (await run('isql-vt', [`127.0.0.1:${sqlPort}`, 'dba', 'dba', `exec=${sql}`])).stdout;
    await isql(`ld_add('${file}', 'urn:bench:default'); rdf_loader_run(); checkpoint;`);
    const loadMs = performance.now() - loadStarted;
    const errors = await isql('select ll_error from DB.DBA.load_list where ll_error is not null;');
    if (!/\b0 Rows\./u.test(errors)) throw new Error(`Virtuoso load failed: ${errors.trim()}`);
    const version = /Virtuoso\/([\d.]+)/u.exec((await fetch(url)).headers.get('server') ?? '')?.[1];
    return { url, version: version ?? '7', startMs, loadMs, pid: child.pid ?? 0, stop };
  } catch (error) {
    stop();
    throw error;
  }
}
