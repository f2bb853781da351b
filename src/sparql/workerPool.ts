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
import { HttpError, QueryTimeoutHttpError } from '../errors.js';
import type { Logger } from '../log.js';
import type {
  QueryEngine,
  QueryOptions,
  QueryRequest,
  QueryResponse,
  SerializedError,
} from './engine.js';
import type { WorkerInit, WorkerReply } from './worker.js';

export interface WorkerPoolOptions {
  readonly engine: EngineName;
  /** The dataset as N-Quads text. */
  readonly nquads: string;
  readonly size: number;
  readonly maxRows: number;
  readonly serviceAllowlist: readonly string[];
  /** Time limit for one SERVICE request, and per endpoint. */
  readonly serviceTimeoutMs?: number;
  readonly serviceTimeouts?: Readonly<Record<string, number>>;
  /** Deadline when a query gives none. */
  readonly defaultTimeoutMs: number;
  readonly logger: Logger;
}

interface Task {
  readonly id: number;
  readonly request: QueryRequest;
  readonly timeoutMs: number;
  readonly enqueuedAt: number;
  resolve(response: QueryResponse): void;
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
    super(error.status ?? (error.userError ? 400 : 500), error.message);
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

  private constructor(options: WorkerPoolOptions) {
    this.options = options;
    this.name = options.engine;
    const bytes = Buffer.from(options.nquads, 'utf8');
    const data = new SharedArrayBuffer(bytes.length);
    bytes.copy(Buffer.from(data));
    this.init = {
      engine: options.engine,
      data,
      length: bytes.length,
      maxRows: options.maxRows,
      serviceAllowlist: options.serviceAllowlist,
      ...(options.serviceTimeoutMs === undefined
        ? {}
        : { serviceTimeoutMs: options.serviceTimeoutMs }),
      ...(options.serviceTimeouts === undefined
        ? {}
        : { serviceTimeouts: options.serviceTimeouts }),
    };
  }

  /**
   * Starts `size` workers and resolves once every one has loaded the dataset.
   * @throws Error when a worker cannot start (its message says why)
   */
  public static async start(options: WorkerPoolOptions): Promise<WorkerPool> {
    const pool = new WorkerPool(options);
    await Promise.all(Array.from({ length: options.size }, () => pool.addSlot()));
    return pool;
  }

  private addSlot(): Promise<void> {
    const slot: Slot = { worker: undefined, ready: false, task: undefined, timer: undefined };
    this.slots.push(slot);
    return this.spawn(slot);
  }

  private spawn(slot: Slot): Promise<void> {
    const worker = startWorker(this.init);
    slot.worker = worker;
    slot.ready = false;
    return new Promise<void>((resolve, reject) => {
      let started = false;
      worker.on('message', (reply: WorkerReply) => {
        if (reply.type === 'ready') {
          started = true;
          this.description = reply.description;
          slot.ready = true;
          resolve();
          this.dispatch();
        } else if (reply.type === 'init-error') {
          reject(new Error(`Query worker failed to start: ${reply.message}`));
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
      });
    });
  }

  private replace(slot: Slot): void {
    if (this.closed) return;
    this.replacements++;
    this.spawn(slot).catch((error: unknown) => {
      this.options.logger.error(
        { err: error },
        'could not replace a query worker; retrying in 1 s',
      );
      setTimeout(() => this.replace(slot), 1000).unref();
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
    if (reply.type === 'result') task.resolve(reply.response as QueryResponse);
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
      worker.postMessage({ id: task.id, request: task.request });
    }
  }

  public query(request: QueryRequest, options: QueryOptions = {}): Promise<QueryResponse> {
    if (this.closed)
      return Promise.reject(new HttpError(503, 'The query engine is shutting down.'));
    return new Promise<QueryResponse>((resolve, reject) => {
      this.queue.push({
        id: this.nextId++,
        request,
        timeoutMs: options.timeoutMs ?? this.options.defaultTimeoutMs,
        enqueuedAt: performance.now(),
        resolve,
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
