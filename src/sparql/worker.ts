/**
 * A query worker thread: loads its own copy of the dataset, hosts one executor over it and answers
 * queries posted to it. Running queries here keeps the HTTP event loop free, and lets a runaway
 * query be stopped by terminating the thread. It starts before the data is ready (so its start-up
 * overlaps the main thread's) and opens the dataset when told to. Changes to the data (writes)
 * arrive as messages too, and are applied in the order they were posted, between queries, never
 * during one.
 */
import { parentPort, workerData } from 'node:worker_threads';
import etag from 'etag';
import type { EngineName } from '../config.js';
import { DataLoadError } from '../errors.js';
import type { LoadProgress } from '../graph/load.js';
import type { WriteEvaluatorOptions, WriteRequest } from '../graph/writeEvaluation.js';
import type { DataChange, EncodedResponse, QueryRequest, QueryResponse } from './engine.js';
import { isEngineTrap, serializeError, type Executor } from './executor.js';
import { reviveGazetteer, runLinkJob, type LinkJob } from '../linker/job.js';
import type { Gazetteer } from '../linker/gazetteer.js';
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
  /** Set for the writer worker, which works out writes (see graph/writeEvaluation.ts). */
  readonly writes?: WriteEvaluatorOptions;
  readonly serviceTimeoutMs?: number;
  readonly serviceTimeouts?: Readonly<Record<string, number>>;
}

/** The first message a worker gets: what to load. */
export interface WorkerOpen {
  readonly type: 'open';
  readonly inputs: readonly WorkerInput[];
  /** Changes made since the dataset was written, applied in order before the first query. */
  readonly changes: readonly DataChange[];
  /** The linker's gazetteer (structured clone), for linking jobs, when already shared. */
  readonly gazetteer?: unknown;
  /** This worker's share of the statements the start-up indexes read (at start only). */
  readonly share?: StatementsShare;
  /** Report progress through the files. */
  readonly progress?: boolean;
  /** The SHA-256 each data file must have (a replacement worker loads what the others serve). */
  readonly expect?: readonly string[];
}

/** What the pool posts to a worker. */
export type WorkerMessage =
  | WorkerOpen
  | { readonly type: 'query'; readonly id: number; readonly request: QueryRequest }
  | { readonly type: 'write'; readonly id: number; readonly request: WriteRequest }
  | { readonly type: 'link'; readonly id: number; readonly link: LinkJob }
  /** The whole dataset as N-Quads. */
  | { readonly type: 'dump'; readonly id: number }
  | { readonly type: 'apply'; readonly seq: number; readonly change: DataChange }
  /** The linker's gazetteer, sent with the first linking job. */
  | { readonly type: 'gazetteer'; readonly gazetteer: unknown };

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
  | { readonly type: 'error'; readonly id: number; readonly error: unknown }
  | { readonly type: 'applied'; readonly seq: number }
  | { readonly type: 'apply-error'; readonly seq: number; readonly message: string };

/** An answer as UTF-8 in an ArrayBuffer of its own (never Node's shared pool), with its ETag. */
function encode(response: QueryResponse): EncodedResponse {
  const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(response.body));
  bytes.write(response.body, 'utf8');
  return {
    mediaType: response.mediaType,
    rows: response.rows,
    truncated: response.truncated,
    bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    // What Express computes for the same body (a weak ETag over its bytes).
    etag: etag(bytes, { weak: true }),
  };
}

const port = parentPort;
if (port !== null) {
  const init = workerData as WorkerInit;
  let executor: Executor | undefined;
  let gazetteer: Gazetteer | undefined;

  const open = async (message: WorkerOpen): Promise<void> => {
    try {
      const opened = await openDataset(
        init.engine,
        message.inputs,
        {
          maxRows: init.maxRows,
          serviceAllowlist: init.serviceAllowlist,
          ...(init.writes === undefined ? {} : { writes: init.writes }),
          ...(init.serviceTimeoutMs === undefined
            ? {}
            : { serviceTimeoutMs: init.serviceTimeoutMs }),
          ...(init.serviceTimeouts === undefined ? {} : { serviceTimeouts: init.serviceTimeouts }),
        },
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
      try {
        for (const change of message.changes) opened.executor.apply(change);
      } catch (error) {
        opened.executor.free();
        throw error;
      }
      if (message.gazetteer !== undefined) gazetteer = reviveGazetteer(message.gazetteer);
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

  const handle = async (message: WorkerMessage): Promise<void> => {
    if (message.type === 'open') return open(message);
    if (message.type === 'gazetteer') {
      gazetteer = reviveGazetteer(message.gazetteer);
      return;
    }
    if (message.type === 'apply') {
      try {
        if (executor === undefined) throw new Error('The worker has no dataset yet.');
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
      if (executor === undefined) throw new Error('The query worker has no dataset yet.');
      // `execute` may throw synchronously (Oxigraph parses and runs in one call).
      let response: unknown;
      if (message.type === 'write') response = await executor.evaluateWrite(message.request);
      else if (message.type === 'link') {
        if (gazetteer === undefined)
          throw new Error('This worker was started without a gazetteer.');
        response = await runLinkJob(message.link, gazetteer);
      } else if (message.type === 'dump') response = executor.dump();
      else {
        // The answer leaves as UTF-8 in a buffer of its own, moved to the main thread rather than
        // copied, with its ETag: the HTTP thread writes it as it is.
        const encoded = encode(await executor.execute(message.request));
        port.postMessage(
          { type: 'result', id: message.id, response: encoded } satisfies WorkerReply,
          [encoded.bytes.buffer as ArrayBuffer],
        );
        return;
      }
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

  // One message at a time: an engine that answers asynchronously (Comunica) must not see a change
  // land in the middle of a query, and nothing runs before the dataset is open.
  let previous: Promise<unknown> = Promise.resolve();
  port.on('message', (message: WorkerMessage) => {
    previous = previous.then(() => handle(message));
  });
}
