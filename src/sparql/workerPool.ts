/**
 * A pool of query worker threads behind the QueryEngine interface. Each query runs in a worker with
 * a deadline; at the deadline the worker is terminated (the only way to stop a synchronous Oxigraph
 * query) and a fresh one takes its place, while the other workers keep serving.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { EngineName } from '../config.js';
import { DataLoadError, HttpError, QueryTimeoutHttpError } from '../errors.js';
import type { LoadProgress } from '../graph/load.js';
import { mergeStatements, type SerializedStatements } from '../graph/statements.js';
import type { Logger } from '../log.js';
import type {
  QueryEngine,
  QueryOptions,
  QueryRequest,
  QueryResponse,
  SerializedError,
} from './engine.js';
import type { WorkerInit, WorkerOpen, WorkerReply, WorkerTask } from './worker.js';
import type { DatasetReport, StatementsShare, WorkerInput } from './workerDataset.js';

/** What the workers load. */
export interface PoolData {
  /** Data files (each into its own graph, read by the workers) or prepared N-Quads. */
  readonly inputs: readonly WorkerInput[];
  /**
   * Predicates whose statements the start-up indexes read, heaviest first: the workers share the
   * reading (with the list of every predicate used) as they start.
   */
  readonly statements?: readonly string[];
}

export interface WorkerPoolOptions {
  readonly engine: EngineName;
  /** The dataset; the workers start while it is still being prepared. */
  readonly data: PoolData | Promise<PoolData>;
  readonly size: number;
  readonly maxRows: number;
  readonly serviceAllowlist: readonly string[];
  /** Deadline when a query gives none. */
  readonly defaultTimeoutMs: number;
  readonly logger: Logger;
  /** Progress through the files (reported by one worker). */
  readonly onProgress?: (event: LoadProgress) => void;
}

/** What the workers found when they loaded the dataset. */
export interface PoolStartup {
  readonly report: DatasetReport;
  /** The statements asked for in `statements`, with the list of predicates. */
  readonly statements: SerializedStatements;
}

interface Task {
  readonly id: number;
  readonly payload: { readonly request: QueryRequest } | { readonly dump: true };
  readonly timeoutMs: number;
  readonly enqueuedAt: number;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker | undefined;
  ready: boolean;
  task: Task | undefined;
  timer: NodeJS.Timeout | undefined;
}

/** A query failed in the engine; `userError` tells a bad query (400) from our failure (500). */
export class EngineError extends HttpError {
  public readonly line: number | undefined;
  public readonly column: number | undefined;

  public constructor(error: SerializedError) {
    super(error.userError ? 400 : 500, error.message);
    this.name = error.name;
    this.line = error.line;
    this.column = error.column;
  }
}

/**
 * Where the worker's code is. Running from TypeScript sources (tests, `tsx`), the worker first
 * registers tsx's loader, then imports the .ts module; from the build, it is plain JavaScript.
 */
function startWorker(init: WorkerInit): Worker {
  if (!import.meta.url.endsWith('.ts')) {
    return new Worker(new URL('./worker.js', import.meta.url), { workerData: init });
  }
  // tsx's ESM API entry, found through its package.json (import.meta.resolve is missing under vitest).
  const tsxPackage = createRequire(import.meta.url).resolve('tsx/package.json');
  const tsxApi = pathToFileURL(
    path.join(path.dirname(tsxPackage), 'dist', 'esm', 'api', 'index.mjs'),
  ).href;
  const source = new URL('./worker.ts', import.meta.url).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(source)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: init });
}

export class WorkerPool implements QueryEngine {
  public readonly name: EngineName;
  public description = '';
  private readonly options: WorkerPoolOptions;
  private readonly init: WorkerInit;
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;
  /** Workers replaced after a timeout or crash (exposed for tests and metrics). */
  public replacements = 0;

  /** What the workers found at start (the first one's report, everyone's statements). */
  public startup: PoolStartup | undefined;

  /** What replacement workers load, and the SHA-256 each data file must still have. */
  private reopen: WorkerOpen | undefined;

  private constructor(options: WorkerPoolOptions) {
    this.options = options;
    this.name = options.engine;
    this.init = {
      engine: options.engine,
      maxRows: options.maxRows,
      serviceAllowlist: options.serviceAllowlist,
    };
  }

  /**
   * Starts `size` workers, gives them the dataset once it is ready, and resolves once every one
   * has loaded it.
   * @throws DataLoadError when a data file does not parse (nothing is served)
   * @throws Error when a worker cannot start (its message says why)
   */
  public static async start(options: WorkerPoolOptions): Promise<WorkerPool> {
    const pool = new WorkerPool(options);
    const n = options.size;
    try {
      for (let i = 0; i < n; i++)
        pool.slots.push({ worker: undefined, ready: false, task: undefined, timer: undefined });
      const started = pool.slots.map((slot) => pool.spawn(slot));
      const ready = Promise.all(started.map((s) => s.ready));
      ready.catch(() => undefined); // awaited below; a worker may fail before the data is ready
      const data = await options.data;
      const share: StatementsShare | undefined =
        data.statements === undefined
          ? undefined
          : {
              // The list of every predicate (a scan of the whole store) first: it takes longest.
              items: ['', ...data.statements],
              next: new Int32Array(new SharedArrayBuffer(4)),
            };
      started.forEach((s, i) =>
        s.worker.postMessage({
          type: 'open',
          inputs: data.inputs,
          ...(share === undefined ? {} : { share }),
          progress: i === 0 && options.onProgress !== undefined,
        } satisfies WorkerOpen),
      );
      const reports = await ready;
      const expect = reports[0]!.files.map((f) => f.sha256);
      const differs = reports.find((r) => r.files.some((f, i) => f.sha256 !== expect[i]));
      if (differs !== undefined)
        throw new Error('The data files changed while the server was starting; start it again.');
      pool.reopen = { type: 'open', inputs: data.inputs, expect };
      pool.startup = {
        report: reports[0]!,
        statements: mergeStatements(reports.flatMap((r) => r.statements ?? [])),
      };
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  /** Starts a worker in `slot`; `ready` settles when it has loaded the dataset it is sent. */
  private spawn(slot: Slot): { worker: Worker; ready: Promise<DatasetReport> } {
    const worker = startWorker(this.init);
    slot.worker = worker;
    slot.ready = false;
    const ready = new Promise<DatasetReport>((resolve, reject) => {
      let started = false;
      worker.on('message', (reply: WorkerReply) => {
        if (reply.type === 'ready') {
          started = true;
          this.description = reply.description;
          slot.ready = true;
          resolve(reply.report);
          this.dispatch();
        } else if (reply.type === 'progress') {
          this.options.onProgress?.(reply.event);
        } else if (reply.type === 'init-error') {
          const d = reply.dataError;
          reject(
            d === undefined
              ? new Error(`Query worker failed to start: ${reply.message}`)
              : new DataLoadError(d.file, d.detail, d.line, d.column),
          );
          void worker.terminate();
        } else this.settle(slot, reply);
      });
      worker.on('error', (error) => {
        this.options.logger.error({ err: error }, 'query worker crashed');
        if (!started) reject(error);
      });
      worker.on('exit', (code) => {
        if (slot.worker !== worker || this.closed) return;
        // Unexpected exit (a crash, or out of memory): fail its query and replace it.
        const task = slot.task;
        this.clearSlot(slot);
        task?.reject(
          new HttpError(500, `The query worker stopped unexpectedly (exit code ${code}).`),
        );
        if (started) this.replace(slot);
        else reject(new Error(`Query worker stopped while loading the data (exit code ${code}).`));
      });
    });
    return { worker, ready };
  }

  private replace(slot: Slot, attempt = 0): void {
    if (this.closed || this.reopen === undefined) return;
    this.replacements++;
    const { worker, ready } = this.spawn(slot);
    worker.postMessage(this.reopen);
    ready.catch((error: unknown) => {
      const seconds = Math.min(60, 2 ** attempt);
      this.options.logger.error(
        { err: error },
        `could not replace a query worker; retrying in ${seconds} s`,
      );
      setTimeout(() => this.replace(slot, attempt + 1), seconds * 1000).unref();
    });
  }

  private clearSlot(slot: Slot): void {
    if (slot.timer !== undefined) clearTimeout(slot.timer);
    slot.timer = undefined;
    slot.task = undefined;
  }

  private settle(slot: Slot, reply: WorkerReply): void {
    const task = slot.task;
    if (task === undefined || !('id' in reply) || reply.id !== task.id) return;
    this.clearSlot(slot);
    if (reply.type === 'result') task.resolve(reply.response);
    else if (reply.type === 'error') task.reject(new EngineError(reply.error as SerializedError));
    this.dispatch();
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (!slot.ready || slot.task !== undefined || slot.worker === undefined) continue;
      const task = this.queue.shift()!;
      const remaining = task.timeoutMs - (performance.now() - task.enqueuedAt);
      if (remaining <= 0) {
        task.reject(new QueryTimeoutHttpError(task.timeoutMs));
        continue;
      }
      slot.task = task;
      const worker = slot.worker;
      slot.timer = setTimeout(() => {
        // Stop the runaway query by terminating its thread; a new worker takes the slot.
        this.options.logger.warn(
          { timeoutMs: task.timeoutMs },
          'query timed out; replacing its worker',
        );
        this.clearSlot(slot);
        slot.ready = false;
        slot.worker = undefined;
        void worker.terminate();
        task.reject(new QueryTimeoutHttpError(task.timeoutMs));
        this.replace(slot);
      }, remaining);
      worker.postMessage({ id: task.id, ...task.payload } satisfies WorkerTask);
    }
  }

  public query(request: QueryRequest, options: QueryOptions = {}): Promise<QueryResponse> {
    return this.enqueue<QueryResponse>({ request }, options.timeoutMs);
  }

  /**
   * The whole dataset as N-Quads, written by one of the workers (for the dumps).
   * @param timeoutMs - deadline (the default query deadline when absent)
   */
  public dump(timeoutMs?: number): Promise<string> {
    return this.enqueue<string>({ dump: true }, timeoutMs);
  }

  private enqueue<T>(payload: Task['payload'], timeoutMs: number | undefined): Promise<T> {
    if (this.closed)
      return Promise.reject(new HttpError(503, 'The query engine is shutting down.'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({
        id: this.nextId++,
        payload,
        timeoutMs: timeoutMs ?? this.options.defaultTimeoutMs,
        enqueuedAt: performance.now(),
        resolve: resolve,
        reject,
      });
      this.dispatch();
    });
  }

  /** Workers currently able to take a query. */
  public get readyWorkers(): number {
    return this.slots.filter((s) => s.ready).length;
  }

  public async close(): Promise<void> {
    this.closed = true;
    for (const task of this.queue.splice(0))
      task.reject(new HttpError(503, 'The query engine is shutting down.'));
    await Promise.all(
      this.slots.map(async (slot) => {
        const worker = slot.worker;
        slot.task?.reject(new HttpError(503, 'The query engine is shutting down.'));
        this.clearSlot(slot);
        slot.worker = undefined;
        if (worker !== undefined) await worker.terminate();
      }),
    );
  }
}
