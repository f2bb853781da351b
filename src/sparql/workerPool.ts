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
import {
  DataLoadError,
  HttpError,
  QueryTimeoutHttpError,
  ServiceUnavailableHttpError,
} from '../errors.js';
import type { LoadProgress } from '../graph/load.js';
import { mergeStatements, type SerializedStatements } from '../graph/statements.js';
import type { Logger } from '../log.js';
import {
  DecodedResponse,
  type DataChange,
  type EncodedResponse,
  type QueryEngine,
  type QueryOptions,
  type QueryRequest,
  type QueryResponse,
  type SerializedError,
} from './engine.js';
import type {
  WriteEvaluation,
  WriteEvaluatorOptions,
  WriteRequest,
} from '../graph/writeEvaluation.js';
import type { WorkerInit, WorkerMessage, WorkerOpen, WorkerReply } from './worker.js';
import type { Gazetteer } from '../linker/gazetteer.js';
import type { LinkJob, LinkOutcome } from '../linker/job.js';
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
  /** Changes to apply over the inputs before the first query (e.g. the user graphs). */
  readonly changes?: readonly DataChange[];
  /** The linker's names, when known now: the pool then also runs linking jobs (`link`). */
  readonly gazetteer?: Gazetteer;
}

export interface WorkerPoolOptions {
  readonly engine: EngineName;
  /** The dataset; the workers start while it is still being prepared. */
  readonly data: PoolData | Promise<PoolData>;
  readonly size: number;
  readonly maxRows: number;
  readonly serviceAllowlist: readonly string[];
  /** Time limit for one SERVICE request, and per endpoint. */
  readonly serviceTimeoutMs?: number;
  readonly serviceTimeouts?: Readonly<Record<string, number>>;
  /** Deadline when a query gives none. */
  readonly defaultTimeoutMs: number;
  readonly logger: Logger;
  /** Told about every query that reached a worker: its engine time and how it ended (metrics). */
  readonly onQueryDone?: (ms: number, outcome: QueryOutcome) => void;
  /** Makes this the writer pool: its (Oxigraph) workers work out writes. */
  readonly writes?: WriteEvaluatorOptions;
  /** Progress through the files (reported by one worker). */
  readonly onProgress?: (event: LoadProgress) => void;
}

/** What the workers found when they loaded the dataset. */
export interface PoolStartup {
  readonly report: DatasetReport;
  /** The statements asked for in `statements`, with the list of predicates. */
  readonly statements: SerializedStatements;
}

/** How a query that reached a worker ended. */
export type QueryOutcome = 'ok' | 'error' | 'timeout' | 'crash';

interface Task {
  readonly id: number;
  /** A query, a linking job, a write to work out, or a dump of the data. */
  readonly request: QueryRequest | undefined;
  readonly link: LinkJob | undefined;
  readonly write: WriteRequest | undefined;
  readonly dump: boolean;
  readonly timeoutMs: number;
  readonly enqueuedAt: number;
  readonly client: string | undefined;
  readonly onCost: ((ms: number) => void) | undefined;
  /** When a worker took it. */
  startedAt?: number;
  resolve(response: unknown): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker | undefined;
  ready: boolean;
  task: Task | undefined;
  timer: NodeJS.Timeout | undefined;
  /** The client whose query cost this slot its worker: it counts as theirs until the new one is up. */
  blamed: string | undefined;
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
  /**
   * The linker's names, once known. They go to the workers with the first linking job (a copy in
   * every worker costs seconds and hundreds of MB at a million triples): from then on to every
   * worker, present and future.
   */
  private gazetteer: Gazetteer | undefined;
  private gazetteerShared = false;
  /** Every change since the data was written, in order: a worker started later applies them all. */
  private changes: DataChange[] = [];
  private changeSeq = 0;
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;
  /** Workers replaced after a timeout or crash (exposed for tests and metrics). */
  public replacements = 0;
  /** Queries stopped at their deadline. */
  public timeouts = 0;
  /** Queries after which the engine could not be trusted, so their worker was replaced. */
  public crashes = 0;

  /** What the workers found at start (the first one's report, everyone's statements). */
  public startup: PoolStartup | undefined;

  /** What replacement workers load, and the SHA-256 each data file must still have. */
  private reopen: { inputs: readonly WorkerInput[]; expect: readonly string[] } | undefined;

  private constructor(options: WorkerPoolOptions) {
    this.options = options;
    this.name = options.engine;
    this.init = {
      engine: options.engine,
      maxRows: options.maxRows,
      serviceAllowlist: options.serviceAllowlist,
      ...(options.writes === undefined ? {} : { writes: options.writes }),
      ...(options.serviceTimeoutMs === undefined
        ? {}
        : { serviceTimeoutMs: options.serviceTimeoutMs }),
      ...(options.serviceTimeouts === undefined
        ? {}
        : { serviceTimeouts: options.serviceTimeouts }),
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
        pool.slots.push({
          worker: undefined,
          ready: false,
          task: undefined,
          timer: undefined,
          blamed: undefined,
        });
      const started = pool.slots.map((slot) => pool.spawn(slot));
      const ready = Promise.all(started.map((s) => s.ready));
      ready.catch(() => undefined); // awaited below; a worker may fail before the data is ready
      const data = await options.data;
      pool.changes = [...(data.changes ?? [])];
      pool.gazetteer = data.gazetteer;
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
          ...pool.openMessage(data.inputs),
          ...(share === undefined ? {} : { share }),
          progress: i === 0 && options.onProgress !== undefined,
        } satisfies WorkerOpen),
      );
      const reports = await ready;
      const expect = reports[0]!.files.map((f) => f.sha256);
      const differs = reports.find((r) => r.files.some((f, i) => f.sha256 !== expect[i]));
      if (differs !== undefined)
        throw new Error('The data files changed while the server was starting; start it again.');
      pool.reopen = { inputs: data.inputs, expect };
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

  /** What a worker loads: the inputs, then every change so far; and the gazetteer, if shared. */
  private openMessage(inputs: readonly WorkerInput[]): WorkerOpen {
    return {
      type: 'open',
      inputs,
      changes: [...this.changes],
      ...(this.gazetteer === undefined || !this.gazetteerShared
        ? {}
        : { gazetteer: this.gazetteer }),
    };
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
          slot.blamed = undefined;
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
        } else if (reply.type === 'apply-error') {
          // Its copy of the data is now unknown: start a fresh one, which applies every change.
          this.options.logger.error(
            { seq: reply.seq, message: reply.message },
            'a query worker could not apply a change; replacing it',
          );
          if (slot.worker === worker) {
            const task = slot.task;
            this.retire(slot, worker, undefined);
            task?.reject(new HttpError(500, 'The query worker was replaced while answering.'));
          }
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
        if (task !== undefined) {
          slot.blamed = task.client;
          this.crashes++;
          this.finish(task, 'crash', this.options.defaultTimeoutMs);
          task.reject(
            new HttpError(500, `The query worker stopped unexpectedly (exit code ${code}).`),
          );
        }
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
    // The changes so far travel with the worker's start; later ones are posted to it like to the rest.
    worker.postMessage({
      ...this.openMessage(this.reopen.inputs),
      expect: this.reopen.expect,
    } satisfies WorkerOpen);
    ready.catch((error: unknown) => {
      // The client it was blamed on is not held to it while no worker can take its place.
      slot.blamed = undefined;
      this.dispatch();
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

  /** Reports a finished query's cost to its caller and to the pool's observer. */
  private finish(task: Task, outcome: QueryOutcome, chargeMs?: number): void {
    const ms = performance.now() - (task.startedAt ?? performance.now());
    try {
      task.onCost?.(chargeMs ?? ms);
      this.options.onQueryDone?.(ms, outcome);
    } catch (error) {
      this.options.logger.error({ err: error }, 'query cost callback failed');
    }
  }

  /**
   * Takes a worker out of service (terminating its thread) and starts a fresh one in its slot. The
   * slot counts as the client's until then, so that a client cannot take the other workers while
   * the one its query broke restarts.
   */
  private retire(slot: Slot, worker: Worker, client: string | undefined): void {
    slot.blamed = client;
    this.clearSlot(slot);
    slot.ready = false;
    slot.worker = undefined;
    void worker.terminate();
    this.replace(slot);
  }

  private settle(slot: Slot, reply: WorkerReply): void {
    const task = slot.task;
    if (task === undefined || !('id' in reply) || reply.id !== task.id) return;
    this.clearSlot(slot);
    if (reply.type === 'result') {
      this.finish(task, 'ok');
      task.resolve(
        task.request !== undefined
          ? new DecodedResponse(reply.response as EncodedResponse)
          : reply.response,
      );
    } else if (reply.type === 'error') {
      const error = reply.error as SerializedError;
      if (error.fatal === true && slot.worker !== undefined) {
        // The engine may be corrupt after this query: never let it answer another. A crash costs
        // the client as much as a timeout (both cost us a worker restart).
        this.options.logger.warn(
          { error: error.message },
          'the engine trapped on a query; replacing its worker',
        );
        this.crashes++;
        this.finish(task, 'crash', task.timeoutMs);
        this.retire(slot, slot.worker, task.client);
      } else this.finish(task, 'error');
      task.reject(new EngineError(error));
    }
    this.dispatch();
  }

  /** The most workers one client's queries may hold at once: all but one, so others get one. */
  private get perClientWorkers(): number {
    return Math.max(1, this.slots.length - 1);
  }

  /** The first queued task whose client is under its share of workers. */
  private nextTask(): Task | undefined {
    const busy = new Map<string, number>();
    for (const slot of this.slots) {
      const client = slot.task?.client ?? slot.blamed;
      if (client !== undefined) busy.set(client, (busy.get(client) ?? 0) + 1);
    }
    const index = this.queue.findIndex(
      (task) => task.client === undefined || (busy.get(task.client) ?? 0) < this.perClientWorkers,
    );
    return index === -1 ? undefined : this.queue.splice(index, 1)[0];
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (!slot.ready || slot.task !== undefined || slot.worker === undefined) continue;
      const task = this.nextTask();
      if (task === undefined) return;
      // The deadline is for running; waiting for a worker (one being replaced, say) is bounded
      // separately, by the same length of time.
      if (performance.now() - task.enqueuedAt > task.timeoutMs) {
        task.reject(
          task.write !== undefined
            ? new HttpError(
                503,
                `The update waited longer than the limit of ${task.timeoutMs} ms for the writer ` +
                  '(it was being restarted) and was not run; nothing was changed. Try again.',
              )
            : new ServiceUnavailableHttpError(
                `The server is busy: the query waited more than ${task.timeoutMs} ms for a worker. Try again shortly.`,
                5,
              ),
        );
        continue;
      }
      slot.task = task;
      task.startedAt = performance.now();
      const worker = slot.worker;
      slot.timer = setTimeout(() => {
        // Stop the runaway query by terminating its thread; a new worker takes the slot.
        const what = task.write !== undefined ? 'update' : 'query';
        this.options.logger.warn(
          { timeoutMs: task.timeoutMs },
          `${what} timed out; replacing its worker`,
        );
        this.timeouts++;
        this.finish(task, 'timeout');
        this.retire(slot, worker, task.client);
        task.reject(
          task.write !== undefined
            ? new HttpError(
                503,
                `The update ran longer than the limit of ${task.timeoutMs} ms and was stopped; nothing was changed.`,
              )
            : new QueryTimeoutHttpError(task.timeoutMs),
        );
      }, task.timeoutMs);
      worker.postMessage(
        (task.write !== undefined
          ? { type: 'write', id: task.id, request: task.write }
          : task.link !== undefined
            ? { type: 'link', id: task.id, link: task.link }
            : task.dump
              ? { type: 'dump', id: task.id }
              : { type: 'query', id: task.id, request: task.request! }) satisfies WorkerMessage,
      );
    }
  }

  private enqueue<T>(
    job: { request?: QueryRequest; link?: LinkJob; write?: WriteRequest; dump?: true },
    options: QueryOptions,
  ): Promise<T> {
    if (this.closed)
      return Promise.reject(new HttpError(503, 'The query engine is shutting down.'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({
        id: this.nextId++,
        request: job.request,
        link: job.link,
        write: job.write,
        dump: job.dump === true,
        timeoutMs: options.timeoutMs ?? this.options.defaultTimeoutMs,
        enqueuedAt: performance.now(),
        client: options.client,
        onCost: options.onCost,
        resolve,
        reject,
      });
      this.dispatch();
    });
  }

  public query(request: QueryRequest, options: QueryOptions = {}): Promise<QueryResponse> {
    return this.enqueue<QueryResponse>({ request }, options);
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
    return this.enqueue<WriteEvaluation>({ write: request }, options);
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

  /**
   * Runs a linking job in a worker, under the same deadline and sharing rules as a query.
   * @param job - text or a body to extract text from
   * @param options - deadline, client, cost callback
   * @throws Error when the pool was started without a gazetteer
   */
  public link(job: LinkJob, options: QueryOptions = {}): Promise<LinkOutcome> {
    if (this.gazetteer === undefined)
      return Promise.reject(new Error('The worker pool was started without a gazetteer.'));
    if (!this.gazetteerShared && !this.closed) {
      // A worker handles its messages in order: the names arrive before any linking job.
      this.gazetteerShared = true;
      for (const slot of this.slots)
        slot.worker?.postMessage({
          type: 'gazetteer',
          gazetteer: this.gazetteer,
        } satisfies WorkerMessage);
    }
    return this.enqueue<LinkOutcome>({ link: job }, options);
  }

  /**
   * Gives the pool the linker's names (built once the workers have loaded large data), so that it
   * runs linking jobs (`link`); the workers get them with the first one.
   * @param gazetteer - the linker's names
   */
  public setGazetteer(gazetteer: Gazetteer): void {
    this.gazetteer = gazetteer;
    this.gazetteerShared = false;
  }

  /**
   * The whole dataset as N-Quads, changes applied, written by one of the workers (for the dumps).
   * @param timeoutMs - deadline (the default query deadline when absent)
   */
  public dump(timeoutMs?: number): Promise<string> {
    return this.enqueue<string>({ dump: true }, timeoutMs === undefined ? {} : { timeoutMs });
  }

  /** Queries waiting for a worker. */
  public get queueLength(): number {
    return this.queue.length;
  }

  /** Workers running a query or a linking job now. */
  public get busyWorkers(): number {
    return this.slots.filter((s) => s.task !== undefined).length;
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
        slot.ready = false;
        if (worker !== undefined) await worker.terminate();
      }),
    );
  }
}
