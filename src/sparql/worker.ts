/**
 * A query worker thread: hosts one executor over its own copy of the dataset and answers queries
 * posted to it. Running queries here keeps the HTTP event loop free, and lets a runaway query be
 * stopped by terminating the thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { EngineName } from '../config.js';
import type { QueryRequest } from './engine.js';
import { createExecutor, serializeError } from './executor.js';

export interface WorkerInit {
  readonly engine: EngineName;
  /** The dataset as UTF-8 N-Quads in shared memory, so N workers do not hold N copies of the text. */
  readonly data: SharedArrayBuffer;
  readonly length: number;
  readonly maxRows: number;
  readonly serviceAllowlist: readonly string[];
  readonly serviceTimeoutMs?: number;
  readonly serviceTimeouts?: Readonly<Record<string, number>>;
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
      ...(init.serviceTimeoutMs === undefined ? {} : { serviceTimeoutMs: init.serviceTimeoutMs }),
      ...(init.serviceTimeouts === undefined ? {} : { serviceTimeouts: init.serviceTimeouts }),
    });
    port.on('message', (message: { id: number; request: QueryRequest }) => {
      // `execute` may throw synchronously (Oxigraph parses and runs in one call): wrap it.
      Promise.resolve()
        .then(() => executor.execute(message.request))
        .then(
          (response) =>
            port.postMessage({ type: 'result', id: message.id, response } satisfies WorkerReply),
          (error: unknown) =>
            port.postMessage({
              type: 'error',
              id: message.id,
              error: serializeError(error),
            } satisfies WorkerReply),
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
