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
  DataChange,
  QueryEngine,
  QueryOptions,
  QueryRequest,
  QueryResponse,
  SerializedError,
} from './engine.js';
import type {
  WriteEvaluation,
  WriteEvaluatorOptions,
  WriteRequest,
} from '../graph/writeEvaluation.js';
import type { WorkerInit, WorkerMessage, WorkerReply } from './worker.js';

export interface WorkerPoolOptions {
  readonly engine: EngineName;
  /** The dataset as N-Quads text. */
  readonly nquads: string;
  readonly size: number;
  readonly maxRows: number;
  readonly serviceAllowlist: readonly string[];
  /** Deadline when a query gives none. */
  readonly defaultTimeoutMs: number;
  readonly logger: Logger;
  /** Changes to apply over `nquads` before the first query (e.g. the user graphs). */
  readonly changes?: readonly DataChange[];
  /** Makes this the writer pool: its (Oxigraph) workers work out writes. */
  readonly writes?: WriteEvaluatorOptions;
}

type Job =
  | { readonly type: 'query'; readonly request: QueryRequest }
  | { readonly type: 'write'; readonly request: WriteRequest };

interface Task {
  readonly id: number;
  readonly job: Job;
  readonly timeoutMs: number;
  readonly enqueuedAt: number;
  resolve(response: unknown): void;
  reject(error: Error): void;
}

/** A write stopped at its deadline. */
function writeTimeout(timeoutMs: number): HttpError {
  return new HttpError(
    503,
    `The update ran longer than the limit of ${timeoutMs} ms and was stopped; nothing was changed.`,
  );
}

function timeoutError(task: Task): HttpError {
  return task.job.type === 'write'
    ? writeTimeout(task.timeoutMs)
    : new QueryTimeoutHttpError(task.timeoutMs);
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
  private readonly init: Omit<WorkerInit, 'changes'>;
  /** Every change since `nquads`, in order: a worker started later applies them all. */
  private changes: DataChange[];
  private changeSeq = 0;
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
      ...(options.writes === undefined ? {} : { writes: options.writes }),
    };
    this.changes = [...(options.changes ?? [])];
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
    // The changes so far travel with the worker's start; later ones are posted to it like to the rest.
    const worker = startWorker({ ...this.init, changes: [...this.changes] });
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
        } else if (reply.type === 'apply-error') {
          // Its copy of the data is now unknown: start a fresh one, which applies every change.
          this.options.logger.error(
            { seq: reply.seq, message: reply.message },
            'a query worker could not apply a change; replacing it',
          );
          if (slot.worker === worker) this.retire(slot, worker);
        } else if (reply.type !== 'applied') this.settle(slot, reply);
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

  /** Takes a worker out of service: its query (if any) fails, and a fresh worker takes the slot. */
  private retire(slot: Slot, worker: Worker): void {
    const task = slot.task;
    this.clearSlot(slot);
    slot.ready = false;
    slot.worker = undefined;
    void worker.terminate();
    task?.reject(new HttpError(500, 'The query worker was replaced while answering.'));
    this.replace(slot);
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
        task.reject(
          task.job.type === 'write'
            ? new HttpError(
                503,
                `The update waited longer than the limit of ${task.timeoutMs} ms for the writer ` +
                  '(it was being restarted) and was not run; nothing was changed. Try again.',
              )
            : timeoutError(task),
        );
        continue;
      }
      slot.task = task;
      const worker = slot.worker;
      slot.timer = setTimeout(() => {
        // Stop the runaway query by terminating its thread; a new worker takes the slot.
        this.options.logger.warn(
          { timeoutMs: task.timeoutMs, job: task.job.type },
          `${task.job.type === 'write' ? 'update' : 'query'} timed out; replacing its worker`,
        );
        this.clearSlot(slot);
        slot.ready = false;
        slot.worker = undefined;
        void worker.terminate();
        task.reject(timeoutError(task));
        this.replace(slot);
      }, remaining);
      worker.postMessage({ ...task.job, id: task.id } satisfies WorkerMessage);
    }
  }

  /**
   * Applies a change to every worker's copy of the data. A worker handles its messages in order, so
   * every query dispatched after this call sees the change; a query already running finishes on the
   * data it started with.
   * @param change - quads to remove and to add, as N-Quads
   */
  public apply(change: DataChange): void {
    if (this.closed) return;
    this.changes.push(change);
    const seq = ++this.changeSeq;
    for (const slot of this.slots) {
      slot.worker?.postMessage({ type: 'apply', seq, change } satisfies WorkerMessage);
    }
  }

  /**
   * Replaces the list of changes a new worker applies at start (e.g. with one change that holds
   * the user graphs as they are now, after a compaction), without touching running workers.
   * @param changes - equivalent to every change so far
   */
  public rebaseChanges(changes: readonly DataChange[]): void {
    this.changes = [...changes];
  }

  private run(job: Job, options: QueryOptions): Promise<unknown> {
    if (this.closed)
      return Promise.reject(new HttpError(503, 'The query engine is shutting down.'));
    return new Promise<unknown>((resolve, reject) => {
      this.queue.push({
        id: this.nextId++,
        job,
        timeoutMs: options.timeoutMs ?? this.options.defaultTimeoutMs,
        enqueuedAt: performance.now(),
        resolve,
        reject,
      });
      this.dispatch();
    });
  }

  public query(request: QueryRequest, options: QueryOptions = {}): Promise<QueryResponse> {
    return this.run({ type: 'query', request }, options) as Promise<QueryResponse>;
  }

  /**
   * Works out a write in a worker (the writer pool's), under the deadline: at the deadline the
   * worker is replaced and the write fails with 503, having changed nothing.
   * @param request - the write
   */
  public evaluateWrite(
    request: WriteRequest,
    options: QueryOptions = {},
  ): Promise<WriteEvaluation> {
    return this.run({ type: 'write', request }, options) as Promise<WriteEvaluation>;
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
