/**
 * The one small interface every query engine sits behind, whether it runs in this thread, in a
 * pool of worker threads, or in a remote SPARQL store.
 */
import type { EngineName } from '../config.js';
import type { QueryForm } from './inspect.js';

/** A query ready to run: form known, result format negotiated, dataset (if any) stated. */
export interface QueryRequest {
  readonly query: string;
  readonly form: QueryForm;
  /** The media type to serialize results in (one of `typesForForm(form)`). */
  readonly mediaType: string;
  /** The protocol's `default-graph-uri` values; with `namedGraphs`, replaces the union default graph. */
  readonly defaultGraphs?: readonly string[];
  /** The protocol's `named-graph-uri` values. */
  readonly namedGraphs?: readonly string[];
  /** Base IRI for relative IRIs in the query. */
  readonly baseIri?: string;
  /** Prefixes to use when writing Turtle/TriG output. */
  readonly prefixes?: Readonly<Record<string, string>>;
  /** Whether the query text states its own dataset (FROM, FROM NAMED), when already known. */
  readonly statesDataset?: boolean;
}

/** A serialized answer. */
export interface QueryResponse {
  readonly mediaType: string;
  readonly body: string;
  /** Rows (SELECT), 1 (ASK) or triples (CONSTRUCT/DESCRIBE); -1 when not counted. */
  readonly rows: number;
  /** True when the row cap cut the result. */
  readonly truncated: boolean;
  /** The body as UTF-8, when the engine wrote it so (a worker): sent as it is. */
  readonly bytes?: Uint8Array;
  /** The body's weak ETag (as Express computes it), when the engine worked it out. */
  readonly etag?: string;
}

/** An answer as a worker sends it: the body as UTF-8 bytes (transferred, not copied), its ETag. */
export interface EncodedResponse {
  readonly mediaType: string;
  readonly rows: number;
  readonly truncated: boolean;
  readonly bytes: Uint8Array;
  readonly etag: string;
}

/**
 * A worker's answer as a QueryResponse: the bytes go to the client as they are; the text is decoded
 * only when something reads `body` (pages, reports), once.
 */
export class DecodedResponse implements QueryResponse {
  public readonly mediaType: string;
  public readonly rows: number;
  public readonly truncated: boolean;
  public readonly bytes: Uint8Array;
  public readonly etag: string;
  private text: string | undefined;

  public constructor(encoded: EncodedResponse) {
    this.mediaType = encoded.mediaType;
    this.rows = encoded.rows;
    this.truncated = encoded.truncated;
    this.bytes = encoded.bytes;
    this.etag = encoded.etag;
  }

  public get body(): string {
    this.text ??= Buffer.from(
      this.bytes.buffer,
      this.bytes.byteOffset,
      this.bytes.byteLength,
    ).toString('utf8');
    return this.text;
  }
}

export interface QueryOptions {
  /** Stop the query after this many milliseconds (engines that can stop a query). */
  readonly timeoutMs?: number;
  /**
   * Who asked (a client key): a pool keeps one worker free of any one client's queries, so a
   * client running slow queries cannot take every worker.
   */
  readonly client?: string;
  /**
   * Told how many milliseconds of engine time the query cost, once it is over (not called for
   * answers that never reached an engine, such as cache hits).
   */
  readonly onCost?: (ms: number) => void;
}

/**
 * A change to the data, as N-Quads: the quads to remove, then the quads to add. Blank node labels
 * are kept as written, so a later change can remove a blank node an earlier one added.
 */
export interface DataChange {
  readonly delete: string;
  readonly insert: string;
}

/** What a query engine can do. */
export interface QueryEngine {
  /** The engine answering: one of ours, or `remote` for a SPARQL store elsewhere. */
  readonly name: EngineName | 'remote';
  /** Human-readable engine and version, for the service description. */
  readonly description: string;
  query(request: QueryRequest, options?: QueryOptions): Promise<QueryResponse>;
  close(): Promise<void>;
}

/** Errors crossing a worker boundary travel as plain data and are rebuilt on the other side. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly line?: number;
  readonly column?: number;
  /** True when the error is the query's fault (becomes a 400), false for internal failures. */
  readonly userError: boolean;
  /**
   * True when the engine may be left broken by the failure (a WebAssembly trap such as a stack
   * overflow): the worker that ran the query must be replaced.
   */
  readonly fatal?: boolean;
  /** An HTTP status other than 400/500 the error should become (502, 504 for a SERVICE that failed). */
  readonly status?: number;
}
