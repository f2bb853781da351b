/**
 * A query worker thread: hosts one executor over its own copy of the dataset and answers queries
 * posted to it. Running queries here keeps the HTTP event loop free, and lets a runaway query be
 * stopped by terminating the thread. Changes to the data (writes) arrive as messages too, and are
 * applied in the order they were posted, between queries, never during one.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { EngineName } from '../config.js';
import type { WriteEvaluatorOptions, WriteRequest } from '../graph/writeEvaluation.js';
import type { DataChange, QueryRequest } from './engine.js';
import { createExecutor, isEngineTrap, serializeError } from './executor.js';
import { reviveGazetteer, runLinkJob, type LinkJob } from '../linker/job.js';

export interface WorkerInit {
  readonly engine: EngineName;
  /** The dataset as UTF-8 N-Quads in shared memory, so N workers do not hold N copies of the text. */
  readonly data: SharedArrayBuffer;
  readonly length: number;
  readonly maxRows: number;
  readonly serviceAllowlist: readonly string[];
  /** Changes made since the dataset was loaded, applied in order before the first query. */
  readonly changes: readonly DataChange[];
  /** Set for the writer worker, which works out writes (see graph/writeEvaluation.ts). */
  readonly writes?: WriteEvaluatorOptions;
  /** The linker's gazetteer (structured clone), for linking jobs; none: the worker only queries. */
  readonly gazetteer?: unknown;
  readonly serviceTimeoutMs?: number;
  readonly serviceTimeouts?: Readonly<Record<string, number>>;
}

/** What the pool posts to a worker. */
export type WorkerMessage =
  | { readonly type: 'query'; readonly id: number; readonly request: QueryRequest }
  | { readonly type: 'write'; readonly id: number; readonly request: WriteRequest }
  | { readonly type: 'link'; readonly id: number; readonly link: LinkJob }
  | { readonly type: 'apply'; readonly seq: number; readonly change: DataChange };

export type WorkerReply =
  | { readonly type: 'ready'; readonly description: string }
  | { readonly type: 'init-error'; readonly message: string }
  | { readonly type: 'result'; readonly id: number; readonly response: unknown }
  | { readonly type: 'error'; readonly id: number; readonly error: unknown }
  | { readonly type: 'applied'; readonly seq: number }
  | { readonly type: 'apply-error'; readonly seq: number; readonly message: string };

const port = parentPort;
if (port !== null) {
  const init = workerData as WorkerInit;
  try {
    const nquads = Buffer.from(init.data, 0, init.length).toString('utf8');
    const executor = await createExecutor(init.engine, nquads, {
      maxRows: init.maxRows,
      serviceAllowlist: init.serviceAllowlist,
      ...(init.writes === undefined ? {} : { writes: init.writes }),
      ...(init.serviceTimeoutMs === undefined ? {} : { serviceTimeoutMs: init.serviceTimeoutMs }),
      ...(init.serviceTimeouts === undefined ? {} : { serviceTimeouts: init.serviceTimeouts }),
    });
    for (const change of init.changes) executor.apply(change);
    const gazetteer = init.gazetteer === undefined ? undefined : reviveGazetteer(init.gazetteer);
    // One message at a time: an engine that answers asynchronously (Comunica) must not see a change
    // land in the middle of a query.
    let previous: Promise<unknown> = Promise.resolve();
    const handle = async (message: WorkerMessage): Promise<void> => {
      if (message.type === 'apply') {
        try {
          executor.apply(message.change);
          port.postMessage({ type: 'applied', seq: message.seq } satisfies WorkerReply);
        } catch (error) {
          port.postMessage({
            type: 'apply-error',
            seq: message.seq,
            message: (error as Error).message,
          } satisfies WorkerReply);
        }
        return;
      }
      try {
        // `execute` may throw synchronously (Oxigraph parses and runs in one call).
        let response: unknown;
        if (message.type === 'write') response = await executor.evaluateWrite(message.request);
        else if (message.type === 'link') {
          if (gazetteer === undefined)
            throw new Error('This worker was started without a gazetteer.');
          response = await runLinkJob(message.link, gazetteer);
        } else response = await executor.execute(message.request);
        port.postMessage({ type: 'result', id: message.id, response } satisfies WorkerReply);
      } catch (error) {
        const serialized = serializeError(error);
        // A WebAssembly trap can leave the engine's memory corrupt, and so can a JS stack
        // overflow unwinding through WebAssembly frames: the pool replaces this worker.
        const fatal =
          isEngineTrap(error) ||
          (init.engine === 'oxigraph' && serialized.name === 'QueryTooComplexError');
        port.postMessage({
          type: 'error',
          id: message.id,
          error: { ...serialized, fatal },
        } satisfies WorkerReply);
      }
    };
    port.on('message', (message: WorkerMessage) => {
      previous = previous.then(() => handle(message));
    });
    port.postMessage({ type: 'ready', description: executor.description } satisfies WorkerReply);
  } catch (error) {
    port.postMessage({
      type: 'init-error',
      message: (error as Error).message,
    } satisfies WorkerReply);
  }
}
