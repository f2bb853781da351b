/**
 * A query worker thread: loads its own copy of the dataset, hosts one executor over it and answers
 * queries posted to it. Running queries here keeps the HTTP event loop free, and lets a runaway
 * query be stopped by terminating the thread. It starts before the data is ready (so its start-up
 * overlaps the main thread's) and opens the dataset when told to.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { EngineName } from '../config.js';
import { DataLoadError } from '../errors.js';
import type { LoadProgress } from '../graph/load.js';
import type { QueryRequest } from './engine.js';
import { serializeError, type Executor } from './executor.js';
import {
  openDataset,
  type DatasetReport,
  type StatementsShare,
  type WorkerInput,
} from './workerDataset.js';

export interface WorkerInit {
  readonly engine: EngineName;
  readonly maxRows: number;
  readonly serviceAllowlist: readonly string[];
}

/** The first message a worker gets: what to load. */
export interface WorkerOpen {
  readonly type: 'open';
  readonly inputs: readonly WorkerInput[];
  /** This worker's share of the statements the start-up indexes read (at start only). */
  readonly share?: StatementsShare;
  /** Report progress through the files. */
  readonly progress?: boolean;
  /** The SHA-256 each data file must have (a replacement worker loads what the others serve). */
  readonly expect?: readonly string[];
}

/** A task for a worker: a query, or the whole dataset as N-Quads. */
export type WorkerTask =
  | { readonly id: number; readonly request: QueryRequest }
  | { readonly id: number; readonly dump: true };

/** A data file that does not parse, as plain data. */
export interface SerializedDataError {
  readonly file: string;
  readonly detail: string;
  readonly line?: number;
  readonly column?: number;
}

export type WorkerReply =
  | { readonly type: 'ready'; readonly description: string; readonly report: DatasetReport }
  | { readonly type: 'progress'; readonly event: LoadProgress }
  | {
      readonly type: 'init-error';
      readonly message: string;
      readonly dataError?: SerializedDataError;
    }
  | { readonly type: 'result'; readonly id: number; readonly response: unknown }
  | { readonly type: 'error'; readonly id: number; readonly error: unknown };

const port = parentPort;
if (port !== null) {
  const init = workerData as WorkerInit;
  let executor: Executor | undefined;

  const open = async (message: WorkerOpen): Promise<void> => {
    try {
      const opened = await openDataset(
        init.engine,
        message.inputs,
        { maxRows: init.maxRows, serviceAllowlist: init.serviceAllowlist },
        message.share,
        message.progress === true
          ? (event) => port.postMessage({ type: 'progress', event } satisfies WorkerReply)
          : undefined,
      );
      const changed = message.expect?.findIndex((sha, i) => opened.report.files[i]?.sha256 !== sha);
      if (changed !== undefined && changed !== -1) {
        const input = message.inputs[changed];
        opened.executor.free();
        throw new Error(
          `${input?.kind === 'file' ? input.source.displayPath : 'the data'} has changed since the server started; restart it to serve the new data.`,
        );
      }
      executor = opened.executor;
      port.postMessage({
        type: 'ready',
        description: executor.description,
        report: opened.report,
      } satisfies WorkerReply);
    } catch (error) {
      port.postMessage({
        type: 'init-error',
        message: (error as Error).message,
        ...(error instanceof DataLoadError
          ? {
              dataError: {
                file: error.file,
                detail: error.detail,
                ...(error.line === undefined ? {} : { line: error.line }),
                ...(error.column === undefined ? {} : { column: error.column }),
              },
            }
          : {}),
      } satisfies WorkerReply);
    }
  };

  port.on('message', (message: WorkerOpen | WorkerTask) => {
    if ('type' in message) {
      void open(message);
      return;
    }
    const ready = executor;
    // `execute` may throw synchronously (Oxigraph parses and runs in one call): wrap it.
    Promise.resolve()
      .then<unknown>(() => {
        if (ready === undefined) throw new Error('The query worker has no dataset yet.');
        return 'dump' in message ? ready.dump() : ready.execute(message.request);
      })
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
}
