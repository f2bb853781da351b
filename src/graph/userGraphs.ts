/**
 * User graphs: the named graphs under `{base}graph/user/` that researchers write, through SPARQL
 * Update or the Graph Store Protocol, beside the curated graphs loaded from `ontology/` and `data/`
 * (which are read-only).
 *
 * Writes run one at a time. Each is checked here (which graphs it may write), then worked out by
 * the writer worker over the whole dataset, off the HTTP event loop and under the query time limit
 * (see writeEvaluation.ts); its effect — the quads it removes and adds — is appended to the journal
 * and fsynced, and only then published (to the query workers, the writer, the indexes) and
 * acknowledged. A write refused, failing or stopped on the way has changed nothing.
 */
import path from 'node:path';
import oxigraph from 'oxigraph';
import {
  BadRequestHttpError,
  ForbiddenHttpError,
  HttpError,
  UnprocessableEntityHttpError,
} from '../errors.js';
import type { Logger } from '../log.js';
import type { DataChange } from '../sparql/engine.js';
import { planUpdate } from '../sparql/updatePlan.js';
import { Journal, type ChangeRecord, type JournalContents } from './journal.js';
import { parsePosition } from './load.js';
import { freeStore } from './oxigraphUtil.js';
import type { Violation } from './validate.js';
import { toNQuads, type WriteEvaluation, type WriteRequest } from './writeEvaluation.js';

/** The namespace of user graphs under a base IRI. */
export function userGraphNamespace(baseIri: string): string {
  return `${baseIri}graph/user/`;
}

// IRI characters allowed after the namespace: unreserved, sub-delims, ':', '@', '/', '%'-escapes.
const USER_GRAPH_REST = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/%]+$/u;

/**
 * Why a graph may not be written, or undefined when it may.
 * @param graph - the graph IRI
 * @param namespace - the user-graph namespace
 * @param curated - the curated graphs (read-only even if their names fall in the namespace)
 */
export function writeRefusal(
  graph: string,
  namespace: string,
  curated: ReadonlySet<string>,
): string | undefined {
  if (curated.has(graph)) {
    return (
      `<${graph}> is a curated graph (loaded from ontology/ or data/) and is read-only: ` +
      `write into a user graph under <${namespace}> instead.`
    );
  }
  const rest = graph.startsWith(namespace) ? graph.slice(namespace.length) : undefined;
  if (rest === undefined || rest === '') {
    return `<${graph}> is not a user graph: writes go to graphs under <${namespace}>, e.g. <${namespace}my-notes>.`;
  }
  if (!USER_GRAPH_REST.test(rest)) {
    return `<${graph}> is not a valid user graph name: after <${namespace}> use letters, digits and - . _ ~ / only.`;
  }
  return undefined;
}

/** What a write did. */
export interface WriteResult {
  readonly op: string;
  /** The user graphs it changed. */
  readonly graphs: readonly string[];
  readonly inserted: number;
  readonly deleted: number;
  /** The change's number in the journal; undefined when nothing changed (nothing was stored). */
  readonly seq: number | undefined;
  /** The data version after the write. */
  readonly version: string;
  /** For the Graph Store Protocol: the graph had no triples before. */
  readonly created: boolean;
}

/** SHACL violations a write would introduce, with the message listing them. */
export class ShaclViolationHttpError extends UnprocessableEntityHttpError {
  public readonly violations: readonly Violation[];

  public constructor(violations: readonly Violation[]) {
    const lines = violations.map((v) => {
      const where = v.path === '' ? '' : ` ${v.path}`;
      const value = v.value === undefined ? '' : ` = ${JSON.stringify(v.value)}`;
      return `  ${v.severity}: <${v.focusNode}>${where}${value}\n    ${v.message}`;
    });
    super(
      `The write was refused: it would break ${violations.length} SHACL constraint(s) of ` +
        `ontology/shapes.ttl; nothing was changed.\n${lines.join('\n')}`,
    );
    this.violations = violations;
  }
}

export interface UserGraphsOptions {
  readonly baseIri: string;
  /** The journal directory, `{stateDir}/writes`. */
  readonly dir: string;
  /** Journal size above which it is compacted into a snapshot. */
  readonly compactBytes: number;
  /** Graph names of the curated dataset. */
  readonly curatedGraphs: ReadonlySet<string>;
  /** The curated data's version; the user graphs' change number is appended to it. */
  readonly curatedVersion: string;
  readonly logger: Logger;
  /**
   * Works writes out (the writer worker), when writes are enabled. Without it, the user graphs are
   * served read-only.
   */
  readonly evaluate?: (request: WriteRequest) => Promise<WriteEvaluation>;
}

/** Listener called after a write is durable, to publish it (workers, caches, indexes). */
export type CommitListener = (change: DataChange, result: WriteResult) => void;

type Quad = oxigraph.Quad;
type Term = oxigraph.Term;

/** The RDF syntaxes a graph can be sent in (Graph Store Protocol bodies). */
export const GRAPH_BODY_TYPES = [
  'text/turtle',
  'application/n-triples',
  'application/rdf+xml',
  'application/ld+json',
] as const;

/**
 * Parses a graph sent in a request body into quads of `graph`, each blank node made fresh (two
 * requests that both say `_:a` mean two different nodes).
 * @param text - the body
 * @param mediaType - one of GRAPH_BODY_TYPES
 * @param graph - the target graph, also the base IRI for relative IRIs
 * @throws BadRequestHttpError with the parser's line and column
 */
export function parseGraphBody(text: string, mediaType: string, graph: string): Quad[] {
  let parsed: Quad[];
  try {
    parsed = oxigraph.parse(text, { format: mediaType, base_iri: graph });
  } catch (error) {
    const message = (error as Error).message;
    const { line, column } = parsePosition(message);
    const where =
      line === undefined
        ? ''
        : ` at line ${line}${column === undefined ? '' : `, column ${column}`}`;
    throw new BadRequestHttpError(`The ${mediaType} body does not parse${where}: ${message}`);
  }
  const fresh = new Map<string, oxigraph.BlankNode>();
  const rename = <T extends Term>(t: T): T => {
    if (t.termType !== 'BlankNode') return t;
    let b = fresh.get(t.value);
    if (b === undefined) {
      b = oxigraph.blankNode();
      fresh.set(t.value, b);
    }
    return b as T;
  };
  const target = oxigraph.namedNode(graph);
  return parsed.map((q) => {
    if (q.graph.termType !== 'DefaultGraph') {
      throw new BadRequestHttpError(
        'The body names a graph of its own; send the triples of one graph (the one in ?graph=).',
      );
    }
    return oxigraph.quad(rename(q.subject), q.predicate, rename(q.object), target);
  });
}

export class UserGraphs {
  /** The user graphs alone: what the journal and snapshots hold. */
  private readonly users = new oxigraph.Store();
  private readonly listeners: CommitListener[] = [];
  /** Writes run one at a time. */
  private queue: Promise<unknown> = Promise.resolve();
  private compacting = false;
  private closed = false;
  /** The number of the last change applied. */
  private seq: number;
  public readonly namespace: string;

  private constructor(
    private readonly options: UserGraphsOptions,
    /**
     * The journal, when writes are enabled; `flush()`, `close()` and `sizeBytes` are for shutdown
     * and metrics.
     */
    public readonly journal: Journal | undefined,
    seq: number,
  ) {
    this.namespace = userGraphNamespace(options.baseIri);
    this.seq = seq;
  }

  /**
   * Reads the snapshot and the journal into the user graphs. With writes enabled (`evaluate` given)
   * the journal is opened for appending: its directory is locked, a torn tail is cut off, and it is
   * compacted when over its threshold. Without, the files are only read.
   * @throws JournalCorruptError, JournalLockedError (start-up should stop)
   */
  public static async open(options: UserGraphsOptions): Promise<UserGraphs> {
    const log = options.logger.child({ module: 'writes' });
    const opened =
      options.evaluate === undefined
        ? { journal: undefined, contents: await Journal.read(options.dir) }
        : await Journal.open(options.dir);
    const { journal, contents } = opened;
    const graphs = new UserGraphs(
      options,
      journal,
      contents.records.at(-1)?.seq ?? contents.snapshotSeq,
    );
    try {
      if (contents.torn !== undefined) {
        const t = contents.torn;
        const kept =
          t.savedAs === ''
            ? 'it stays in the file until a server with writes enabled starts.'
            : `its ${t.bytes} bytes are saved in ${path.basename(t.savedAs)}.`;
        log.warn(
          { offset: t.offset, bytes: t.bytes, reason: t.reason, savedAs: t.savedAs },
          `journal: torn last record at byte ${t.offset} skipped (${t.reason}); it was never ` +
            `acknowledged, and ${kept}`,
        );
      }
      graphs.replay(contents);
      const clash = graphs.graphNames().filter((g) => options.curatedGraphs.has(g));
      if (clash.length > 0) {
        log.warn(
          { graphs: clash },
          'user graphs share their names with curated graphs; both sets of triples are served',
        );
      }
      log.info(
        {
          snapshotSeq: contents.snapshotSeq,
          changes: contents.records.length,
          quads: graphs.users.size,
          journalBytes: journal?.sizeBytes,
          writable: options.evaluate !== undefined,
        },
        'user graphs loaded',
      );
      if (journal !== undefined && journal.sizeBytes > options.compactBytes)
        await graphs.compact(journal);
    } catch (error) {
      await journal?.close();
      freeStore(graphs.users);
      throw error;
    }
    return graphs;
  }

  private replay(contents: JournalContents): void {
    if (contents.snapshot !== '') {
      for (const q of oxigraph.parse(contents.snapshot, { format: 'application/n-quads' }))
        this.users.add(q);
    }
    for (const record of contents.records) this.applyToUsers(record);
  }

  private applyToUsers(change: DataChange): void {
    for (const q of oxigraph.parse(change.delete, { format: 'application/n-quads' }))
      this.users.delete(q);
    for (const q of oxigraph.parse(change.insert, { format: 'application/n-quads' }))
      this.users.add(q);
  }

  /** True when writes are accepted. */
  public get writable(): boolean {
    return this.options.evaluate !== undefined;
  }

  /** The data version: the curated data's, then the number of the last change. */
  public get version(): string {
    return this.seq === 0
      ? this.options.curatedVersion
      : `${this.options.curatedVersion}.${this.seq}`;
  }

  /** Quads in the user graphs. */
  public get quadCount(): number {
    return this.users.size;
  }

  /** The user graphs as N-Quads (blank node labels kept). */
  public nquads(): string {
    return this.users.dump({ format: 'application/n-quads' });
  }

  /** The names of the user graphs that hold triples. */
  public graphNames(): string[] {
    return (
      this.users.query('SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }') as Array<
        Map<string, Term>
      >
    )
      .map((row) => row.get('g')!.value)
      .sort();
  }

  /** Runs `fn` on the user graphs' own store (for building indexes over them). */
  public withStore<T>(fn: (store: oxigraph.Store) => T): T {
    return fn(this.users);
  }

  /** Calls `listener` after every durable write. */
  public onCommit(listener: CommitListener): void {
    this.listeners.push(listener);
  }

  /** Why `graph` may not be written, or undefined. */
  public refusal(graph: string): string | undefined {
    return writeRefusal(graph, this.namespace, this.options.curatedGraphs);
  }

  private evaluator(): (request: WriteRequest) => Promise<WriteEvaluation> {
    if (this.options.evaluate === undefined) {
      throw new ForbiddenHttpError(
        'Writes are disabled on this server: no write token is configured.',
      );
    }
    return this.options.evaluate;
  }

  private openJournal(): Journal {
    if (this.journal === undefined) throw new Error('Writes are disabled: there is no journal.');
    return this.journal;
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private check(graph: string): void {
    const why = this.refusal(graph);
    if (why !== undefined) throw new ForbiddenHttpError(why);
  }

  /**
   * Runs a SPARQL Update against the user graphs.
   * @param text - the update
   * @throws HttpError 400 (syntax, unsupported form, failure), 403 (refused graph, LOAD),
   *   422 (SHACL), 503 (deadline passed, or the journal could not be written)
   */
  public update(text: string): Promise<WriteResult> {
    const evaluate = this.evaluator();
    const plan = planUpdate(text, (g) => this.refusal(g));
    return this.exclusive(async () =>
      this.commit(
        'update',
        await evaluate({ kind: 'update', text, targets: plan.targets, unionAt: plan.unionAt }),
      ),
    );
  }

  /**
   * Graph Store Protocol PUT: the graph's triples become `quads`.
   * @param graph - a user graph
   * @param quads - from `parseGraphBody`
   */
  public replaceGraph(graph: string, quads: readonly Quad[]): Promise<WriteResult> {
    return this.graphWrite('put', graph, quads);
  }

  /**
   * Graph Store Protocol POST: `quads` are added to the graph.
   * @param graph - a user graph
   * @param quads - from `parseGraphBody`
   */
  public addToGraph(graph: string, quads: readonly Quad[]): Promise<WriteResult> {
    return this.graphWrite('post', graph, quads);
  }

  /**
   * Graph Store Protocol DELETE: the graph is dropped.
   * @throws HttpError 404 when the graph holds no triples
   */
  public dropGraph(graph: string): Promise<WriteResult> {
    const evaluate = this.evaluator();
    this.check(graph);
    return this.exclusive(async () =>
      this.commit('delete', await evaluate({ kind: 'drop', graph })),
    );
  }

  private graphWrite(
    kind: 'put' | 'post',
    graph: string,
    quads: readonly Quad[],
  ): Promise<WriteResult> {
    const evaluate = this.evaluator();
    this.check(graph);
    const nquads = toNQuads(quads);
    return this.exclusive(async () => this.commit(kind, await evaluate({ kind, graph, nquads })));
  }

  /** A worked-out write: refuse it, or make it durable and publish it. */
  private async commit(op: string, evaluation: WriteEvaluation): Promise<WriteResult> {
    if (!evaluation.ok) {
      if (evaluation.violations !== undefined)
        throw new ShaclViolationHttpError(evaluation.violations);
      throw new HttpError(evaluation.status, evaluation.message);
    }
    const { graphs, created } = evaluation;
    if (graphs.length === 0) {
      return {
        op,
        graphs,
        inserted: 0,
        deleted: 0,
        seq: undefined,
        version: this.version,
        created,
      };
    }
    let record: ChangeRecord;
    try {
      record = await this.openJournal().append({
        op,
        graphs,
        delete: evaluation.delete,
        insert: evaluation.insert,
      });
    } catch (error) {
      this.options.logger.error({ err: error }, 'a write could not be stored; nothing changed');
      throw new HttpError(
        503,
        `The write could not be stored durably (${(error as Error).message}); nothing was changed.`,
      );
    }
    const change: DataChange = { delete: record.delete, insert: record.insert };
    this.applyToUsers(change);
    this.seq = record.seq;
    const result: WriteResult = {
      op,
      graphs,
      inserted: evaluation.inserted,
      deleted: evaluation.deleted,
      seq: record.seq,
      version: this.version,
      created,
    };
    for (const listener of this.listeners) {
      try {
        listener(change, result);
      } catch (error) {
        // The write is durable; a publisher's failure must not turn it into an error.
        this.options.logger.error({ err: error }, 'publishing a write failed');
      }
    }
    const journal = this.openJournal();
    if (journal.sizeBytes > this.options.compactBytes && !this.compacting) {
      // Within the write queue, so no write lands between the snapshot and the emptied journal.
      this.compacting = true;
      void this.exclusive(() => this.compact(journal)).finally(() => {
        this.compacting = false;
      });
    }
    return result;
  }

  /** Writes a snapshot of the user graphs and empties the journal. Failures are logged, not lost. */
  private async compact(journal: Journal): Promise<void> {
    const log = this.options.logger.child({ module: 'writes' });
    const bytes = journal.sizeBytes;
    try {
      await journal.compact(this.nquads());
      log.info({ journalBytes: bytes, seq: journal.seq }, 'journal compacted into a snapshot');
    } catch (error) {
      // The journal is intact: nothing is lost, compaction is tried again after the next write.
      log.error({ err: error }, 'journal compaction failed; the journal is kept as it is');
    }
  }

  /** Waits for the writes under way, then closes the journal (flushed) and releases the directory. */
  public async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    await this.journal?.close();
    freeStore(this.users);
  }
}
