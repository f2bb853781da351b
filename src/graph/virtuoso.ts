/**
 * A private Virtuoso 7 (Debian's `virtuoso-opensource`): a fresh database in a directory of its own,
 * bound to loopback ports, configured from the package's own `virtuoso.ini`. Used by the backend
 * parity tests and the benchmark; production users run their Virtuoso as they see fit and point
 * `--store` at it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The configuration Debian's package installs; every private instance starts from it. */
export const VIRTUOSO_INI_TEMPLATE = '/etc/virtuoso-opensource-7/virtuoso.ini';

/** Settings of a private instance. */
export interface VirtuosoOptions {
  /** Database directory; emptied first. */
  readonly dir: string;
  /** Directories the bulk loader may read (besides the database directory). */
  readonly dirsAllowed?: readonly string[];
  /** Database buffers (8 KB pages); the package default (10,000) suits small data only. */
  readonly buffers?: number;
  /** Most rows a SPARQL answer may carry (the package default is 10,000). */
  readonly maxRows?: number;
  /** Stack of the HTTP threads that compile and run SPARQL, in bytes (default 4 MB). */
  readonly httpThreadStack?: number;
}

/** A running private instance. */
export interface VirtuosoInstance {
  /** The public SPARQL endpoint (read-only for anonymous users). */
  readonly sparqlUrl: string;
  /** The authenticated SPARQL endpoint (HTTP Digest; updates allowed for `dba`). */
  readonly sparqlAuthUrl: string;
  /** The authenticated SPARQL 1.1 Graph Store Protocol endpoint. */
  readonly graphStoreUrl: string;
  readonly user: string;
  readonly password: string;
  readonly sqlPort: number;
  readonly httpPort: number;
  readonly version: string;
  readonly dir: string;
  readonly pid: number;
  /** Milliseconds from spawn to the first answer. */
  readonly startMs: number;
  /** Runs SQL through `isql-vt` and returns its output. */
  isql(sql: string): Promise<string>;
  /** Stops the server (SIGKILL: the database is scratch) and waits for it to exit. */
  stop(): Promise<void>;
}

/** Why Virtuoso cannot run here, or undefined when it can. */
export async function virtuosoUnavailable(): Promise<string | undefined> {
  if (!existsSync(VIRTUOSO_INI_TEMPLATE))
    return `${VIRTUOSO_INI_TEMPLATE} not found (apt-get install -y virtuoso-opensource)`;
  try {
    await run('which', ['virtuoso-t', 'isql-vt']);
    return undefined;
  } catch {
    return 'virtuoso-t or isql-vt not on PATH (apt-get install -y virtuoso-opensource)';
  }
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
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
 * The package's ini rewritten for a private instance: database files in `dir`, loopback ports,
 * plugins off, larger buffers and answers, no query-cost refusal.
 */
export function privateIni(
  template: string,
  options: VirtuosoOptions,
  sqlPort: number,
  httpPort: number,
): string {
  const allowed = ['.', ...(options.dirsAllowed ?? [])].join(', ');
  const buffers = options.buffers ?? 85_000;
  return (
    template
      .replaceAll('/var/lib/virtuoso-opensource-7/db', options.dir)
      .replace(/^ServerPort\s*=\s*1111.*$/mu, `ServerPort = 127.0.0.1:${sqlPort}`)
      .replace(/^ServerPort\s*=\s*8890.*$/mu, `ServerPort = 127.0.0.1:${httpPort}`)
      .replace(/^DirsAllowed\s*=.*$/mu, `DirsAllowed = ${allowed}`)
      .replace(/^ResultSetMaxRows\s*=.*$/mu, `ResultSetMaxRows = ${options.maxRows ?? 1_000_000}`)
      .replace(/^MaxQueryCostEstimationTime\s*=.*$/mu, 'MaxQueryCostEstimationTime = 0')
      .replace(/^NumberOfBuffers\s*=.*$/mu, `NumberOfBuffers = ${buffers}`)
      .replace(/^MaxDirtyBuffers\s*=.*$/mu, `MaxDirtyBuffers = ${Math.round(buffers * 0.75)}`)
      .replace(/^(Load\d+\s*=.*)$/gmu, ';$1')
      .replace(/^MaxClientConnections\s*=.*$/gmu, 'MaxClientConnections = 64')
      // The graph-exclusion pragmas deepen Virtuoso's query compiler's recursion: the package's HTTP
      // thread stack (280 KB) overflows on queries with FILTER NOT EXISTS (error SQ200).
      .replace(
        /^HTTPThreadSize\s*=.*$/mu,
        `HTTPThreadSize = ${options.httpThreadStack ?? 4_000_000}`,
      )
  );
}

/**
 * Starts a fresh Virtuoso on loopback ports and waits until its SPARQL endpoint answers.
 * @param options - database directory and sizes
 * @throws Error when it does not start within a minute
 */
export async function startVirtuoso(options: VirtuosoOptions): Promise<VirtuosoInstance> {
  const dir = path.resolve(options.dir);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const [sqlPort, httpPort] = [await freePort(), await freePort()];
  const ini = privateIni(
    readFileSync(VIRTUOSO_INI_TEMPLATE, 'utf8'),
    { ...options, dir },
    sqlPort,
    httpPort,
  );
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
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  const base = `http://127.0.0.1:${httpPort}`;
  try {
    await waitFor(`${base}/sparql?query=${encodeURIComponent('ASK {}')}`, child, 60_000);
    const startMs = performance.now() - started;
    const server = (await fetch(`${base}/sparql`)).headers.get('server') ?? '';
    const version = /Virtuoso\/([\d.]+)/u.exec(server)?.[1] ?? '7';
    return {
      sparqlUrl: `${base}/sparql`,
      sparqlAuthUrl: `${base}/sparql-auth`,
      graphStoreUrl: `${base}/sparql-graph-crud-auth`,
      user: 'dba',
      password: 'dba',
      sqlPort,
      httpPort,
      version,
      dir,
      pid: child.pid ?? 0,
      startMs,
      async isql(sql: string): Promise<string> {
        const out = await run('isql-vt', [`127.0.0.1:${sqlPort}`, 'dba', 'dba', `exec=${sql}`], {
          maxBuffer: 64 * 1024 * 1024,
        });
        return out.stdout;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Loads one file with Virtuoso's bulk loader (`ld_add` + `rdf_loader_run` + `checkpoint`). N-Quads
 * keep their graph names; triples go into `graph`. The file must be under a directory the instance
 * allows (`dirsAllowed`).
 * @param instance - a running instance
 * @param file - absolute path of the file
 * @param graph - graph for triples that name none
 * @throws Error with Virtuoso's message when a file fails to load
 */
export async function bulkLoad(
  instance: VirtuosoInstance,
  file: string,
  graph: string,
): Promise<void> {
  await instance.isql(`ld_add('${file}', '${graph}'); rdf_loader_run(); checkpoint;`);
  const errors = await instance.isql(
    'select ll_file, ll_error from DB.DBA.load_list where ll_error is not null;',
  );
  if (!/\b0 Rows\./u.test(errors)) throw new Error(`Virtuoso load failed: ${errors.trim()}`);
}
