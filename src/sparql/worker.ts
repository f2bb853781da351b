/**
 * A query worker thread: hosts one executor over its own copy of the dataset and answers queries
 * posted to it. Running queries here keeps the HTTP event loop free, and lets a runaway query be
 * stopped by terminating the thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { EngineName } from '../config.js';
import type { QueryRequest } from './engine.js';
import { createExecutor, isEngineTrap, serializeError } from './executor.js';
import { reviveGazetteer, runLinkJob, type LinkJob } from '../linker/job.js';

export interface WorkerInit {
  readonly engine: EngineName;
  /** The dataset as UTF-8 N-Quads in shared memory, so N workers do not hold N copies of the text. */
  readonly data: SharedArrayBuffer;
  readonly length: number;
  readonly maxRows: number;
  readonly serviceAllowlist: readonly string[];
  /** The linker's gazetteer (structured clone), for linking jobs; none: the worker only queries. */
  readonly gazetteer?: unknown;
}

export type WorkerReply =
  | { readonly type: 'ready'; readonly description: string }
  | { readonly type: 'init-error'; readonly message: string }
  | { readonly type: 'result'; readonly id: number; readonly response: unknown }
  | { readonly type: 'error'; readonly id: number; readonly error: unknown };

const port = parentPort;
if (port !== null) {
  const init = workerData as WorkerInit;
  try {
    const nquads = Buffer.from(init.data, 0, init.length).toString('utf8');
    const executor = await createExecutor(init.engine, nquads, {
      maxRows: init.maxRows,
      serviceAllowlist: init.serviceAllowlist,
    });
    const gazetteer = init.gazetteer === undefined ? undefined : reviveGazetteer(init.gazetteer);
    port.on('message', (message: { id: number; request?: QueryRequest; link?: LinkJob }) => {
      // `execute` may throw synchronously (Oxigraph parses and runs in one call): wrap it.
      Promise.resolve()
        .then((): Promise<unknown> => {
          if (message.link === undefined) return executor.execute(message.request!);
          if (gazetteer === undefined)
            throw new Error('This worker was started without a gazetteer.');
          return runLinkJob(message.link, gazetteer);
        })
        .then(
          (response) =>
            port.postMessage({ type: 'result', id: message.id, response } satisfies WorkerReply),
          (error: unknown) => {
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
          },
        );
    });
    port.postMessage({ type: 'ready', description: executor.description } satisfies WorkerReply);
  } catch (error) {
    port.postMessage({
      type: 'init-error',
      message: (error as Error).message,
    } satisfies WorkerReply);
  }
}
