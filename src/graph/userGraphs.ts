/**
 * User graphs: the named graphs under `{base}graph/user/` that researchers write, through SPARQL
 * Update or the Graph Store Protocol, beside the curated graphs loaded from `ontology/` and `data/`
 * (which are read-only).
 *
 * A write runs against the master store (the whole dataset, in this thread), one at a time. Its
 * effect — the quads it removed and added in user graphs — is computed, checked (blank nodes,
 * SHACL), appended to the journal and fsynced; only then is it published to the query workers and
 * acknowledged. Anything failing on the way undoes it in the master store, so a refused or failed
 * write changes nothing.
 */
import path from 'node:path';
import oxigraph from 'oxigraph';
import {
  BadRequestHttpError,
  ForbiddenHttpError,
  HttpError,
  NotFoundHttpError,
  UnprocessableEntityHttpError,
} from '../errors.js';
import type { Logger } from '../log.js';
import type { DataChange } from '../sparql/engine.js';
import { planUpdate } from '../sparql/updatePlan.js';
import { Journal, type ChangeRecord, type JournalContents } from './journal.js';
import { parsePosition } from './load.js';
import { freeStore } from './oxigraphUtil.js';
import type { ShapeValidator, Violation } from './validate.js';

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
   * The whole dataset with the curated graphs loaded, when writes are enabled: the user graphs are
   * added to it and writes run against it. Without it, the user graphs are served read-only.
   */
  readonly master?: oxigraph.Store;
  /** The shapes to check writes against. */
  readonly validator?: ShapeValidator;
}

/** Listener called after a write is durable, to publish it (workers, caches, indexes). */
export type CommitListener = (change: DataChange, result: WriteResult) => void;

type Quad = oxigraph.Quad;
type Term = oxigraph.Term;

const quadKey = (q: Quad): string => q.toString();
const termKey = (t: Term): string => (t.termType === 'BlankNode' ? `_:${t.value}` : t.value);

/** Quads as N-Quads text (blank node labels kept). */
export function toNQuads(quads: Iterable<Quad>): string {
  let out = '';
  for (const q of quads) out += `${q.toString()} .\n`;
  return out;
}

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

interface Diff {
  readonly deletes: Quad[];
  readonly inserts: Quad[];
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
   * Reads the snapshot and the journal into the user graphs (and into the master store). With a
   * master store (writes enabled) the journal is opened for appending: its directory is locked, a
   * torn tail is cut off, and it is compacted when over its threshold. Without one, the files are
   * only read.
   * @throws JournalCorruptError, JournalLockedError (start-up should stop)
   */
  public static async open(options: UserGraphsOptions): Promise<UserGraphs> {
    const log = options.logger.child({ module: 'writes' });
    const opened =
      options.master === undefined
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
      if (options.master !== undefined) {
        for (const q of graphs.users.match(null, null, null, null)) options.master.add(q);
      }
      log.info(
        {
          snapshotSeq: contents.snapshotSeq,
          changes: contents.records.length,
          quads: graphs.users.size,
          journalBytes: journal?.sizeBytes,
          writable: options.master !== undefined,
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

  /** True when writes are accepted (a master store was given). */
  public get writable(): boolean {
    return this.options.master !== undefined;
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

  /** True when the user graph holds triples. */
  public hasGraph(graph: string): boolean {
    return this.users.match(null, null, null, oxigraph.namedNode(graph)).length > 0;
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

  private master(): oxigraph.Store {
    if (this.options.master === undefined) {
      throw new ForbiddenHttpError(
        'Writes are disabled on this server: no write token is configured.',
      );
    }
    return this.options.master;
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

  /**
   * Runs a SPARQL Update against the user graphs.
   * @param text - the update
   * @throws HttpError 400 (syntax, unsupported form), 403 (refused graph, LOAD), 422 (SHACL),
   *   503 (the journal could not be written)
   */
  public update(text: string): Promise<WriteResult> {
    const master = this.master();
    const plan = planUpdate(text, (g) => this.refusal(g));
    return this.exclusive(async () => {
      const before = new Map(
        plan.targets.map((g) => [g, master.match(null, null, null, oxigraph.namedNode(g))]),
      );
      const restore = (): void => {
        for (const [g, quads] of before) {
          master.update(`DROP SILENT GRAPH <${g}>`);
          for (const q of quads) master.add(q);
        }
      };
      const runnable = plan.needsUnion ? plan.withUnionDefault(this.allGraphs(master)) : text;
      try {
        master.update(runnable);
      } catch (error) {
        restore();
        throw new BadRequestHttpError(`The update failed: ${(error as Error).message}`);
      }
      const deletes: Quad[] = [];
      const inserts: Quad[] = [];
      for (const [g, old] of before) {
        const now = master.match(null, null, null, oxigraph.namedNode(g));
        // Here a graph exists while it has triples (Oxigraph keeps emptied graphs).
        if (now.length === 0) master.update(`DROP SILENT GRAPH <${g}>`);
        const oldKeys = new Set(old.map(quadKey));
        const nowKeys = new Set(now.map(quadKey));
        for (const q of old) if (!nowKeys.has(quadKey(q))) deletes.push(q);
        for (const q of now) if (!oldKeys.has(quadKey(q))) inserts.push(q);
      }
      return this.commit('update', { deletes, inserts }, restore, false);
    });
  }

  /**
   * Graph Store Protocol PUT: the graph's triples become `quads`.
   * @param graph - a user graph
   * @param quads - from `parseGraphBody`
   */
  public replaceGraph(graph: string, quads: readonly Quad[]): Promise<WriteResult> {
    const master = this.master();
    this.check(graph);
    return this.exclusive(async () => {
      const current = master.match(null, null, null, oxigraph.namedNode(graph));
      const wanted = new Set(quads.map(quadKey));
      const currentKeys = new Set(current.map(quadKey));
      const seen = new Set<string>();
      const inserts = quads.filter((q) => {
        const k = quadKey(q);
        if (currentKeys.has(k) || seen.has(k)) return false;
        seen.add(k);
        return true;
      });
      return this.applyDiff(
        'put',
        { deletes: current.filter((q) => !wanted.has(quadKey(q))), inserts },
        current.length === 0,
      );
    });
  }

  /**
   * Graph Store Protocol POST: `quads` are added to the graph.
   * @param graph - a user graph
   * @param quads - from `parseGraphBody`
   */
  public addToGraph(graph: string, quads: readonly Quad[]): Promise<WriteResult> {
    const master = this.master();
    this.check(graph);
    return this.exclusive(async () => {
      const created = master.match(null, null, null, oxigraph.namedNode(graph)).length === 0;
      const seen = new Set<string>();
      const inserts = quads.filter((q) => {
        const k = quadKey(q);
        if (seen.has(k) || master.has(q)) return false;
        seen.add(k);
        return true;
      });
      return this.applyDiff('post', { deletes: [], inserts }, created);
    });
  }

  /**
   * Graph Store Protocol DELETE: the graph is dropped.
   * @throws NotFoundHttpError when the graph holds no triples
   */
  public dropGraph(graph: string): Promise<WriteResult> {
    const master = this.master();
    this.check(graph);
    return this.exclusive(async () => {
      const current = master.match(null, null, null, oxigraph.namedNode(graph));
      if (current.length === 0) throw new NotFoundHttpError(`There is no graph <${graph}>.`);
      return this.applyDiff('delete', { deletes: current, inserts: [] }, false);
    });
  }

  private check(graph: string): void {
    const why = this.refusal(graph);
    if (why !== undefined) throw new ForbiddenHttpError(why);
  }

  private allGraphs(master: oxigraph.Store): string[] {
    return (master.query('SELECT DISTINCT ?g WHERE { GRAPH ?g { } }') as Array<Map<string, Term>>)
      .map((row) => row.get('g'))
      .filter((g): g is oxigraph.NamedNode => g?.termType === 'NamedNode')
      .map((g) => g.value);
  }

  /** Applies a diff to the master store, then commits it (undoing it if the commit fails). */
  private applyDiff(op: string, diff: Diff, created: boolean): Promise<WriteResult> {
    const master = this.master();
    for (const q of diff.deletes) master.delete(q);
    for (const q of diff.inserts) master.add(q);
    const undo = (): void => {
      for (const q of diff.inserts) master.delete(q);
      for (const q of diff.deletes) master.add(q);
    };
    return this.commit(op, diff, undo, created);
  }

  /**
   * The diff is in the master store already: check it, make it durable, publish it. Any failure
   * calls `undo` and leaves everything as it was.
   */
  private async commit(
    op: string,
    diff: Diff,
    undo: () => void,
    created: boolean,
  ): Promise<WriteResult> {
    const graphs = [
      ...new Set([...diff.deletes, ...diff.inserts].map((q) => q.graph.value)),
    ].sort();
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
      this.checkBlankNodes(diff.inserts);
      const violations = await this.newViolations(diff, graphs);
      if (violations.length > 0) throw new ShaclViolationHttpError(violations);
      record = await this.openJournal().append({
        op,
        graphs,
        delete: toNQuads(diff.deletes),
        insert: toNQuads(diff.inserts),
      });
    } catch (error) {
      undo();
      if (error instanceof HttpError) throw error;
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
      inserted: diff.inserts.length,
      deleted: diff.deletes.length,
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

  /**
   * Blank nodes of the curated graphs are renamed at every load: a user graph cannot refer to them.
   */
  private checkBlankNodes(inserts: readonly Quad[]): void {
    const master = this.master();
    const seen = new Set<string>();
    for (const q of inserts) {
      for (const t of [q.subject, q.object]) {
        if (t.termType !== 'BlankNode' || seen.has(t.value)) continue;
        seen.add(t.value);
        const uses = [...master.match(t, null, null, null), ...master.match(null, null, t, null)];
        if (uses.some((u) => !u.graph.value.startsWith(this.namespace))) {
          throw new BadRequestHttpError(
            'The write links a blank node of a curated graph into a user graph; curated blank ' +
              'nodes have no stable identity. Refer to IRIs instead.',
          );
        }
      }
    }
  }

  /**
   * SHACL violations the diff introduces. The focus nodes are the subjects the diff touches and the
   * user-graph subjects that link to them; each is checked with its description from every graph
   * and the descriptions of what it links to (types for sh:class), before and after the change.
   * Violations that were there before are not the write's doing and do not refuse it.
   */
  private async newViolations(diff: Diff, graphs: readonly string[]): Promise<Violation[]> {
    const validator = this.options.validator;
    if (validator === undefined) return [];
    const master = this.master();
    const touched = new Map<string, Term>();
    for (const q of [...diff.deletes, ...diff.inserts]) touched.set(termKey(q.subject), q.subject);
    const focus = new Map(touched);
    for (const g of graphs) {
      const graph = oxigraph.namedNode(g);
      for (const t of touched.values()) {
        if (t.termType === 'Literal' || t.termType === 'DefaultGraph') continue;
        for (const q of master.match(null, null, t, graph))
          focus.set(termKey(q.subject), q.subject);
      }
    }
    const after = this.neighbourhood(master, [...focus.values()]);
    const focusValues = new Set([...focus.values()].map((t) => t.value));
    const found = await validator.validate(after, focusValues);
    if (found.length === 0) return [];
    // Only when something is wrong: was it wrong before this write too?
    const subjects = new Set(after.map((q) => termKey(q.subject)));
    const inserted = new Set(diff.inserts.map(quadKey));
    const before = [
      ...after.filter((q) => !inserted.has(quadKey(q))),
      ...diff.deletes.filter((q) => subjects.has(termKey(q.subject))),
    ];
    const key = (v: Violation): string =>
      JSON.stringify([v.focusNode, v.path, v.constraint, v.value, v.message]);
    const old = new Set((await validator.validate(before, focusValues)).map(key));
    return found.filter((v) => !old.has(key(v)));
  }

  /** Descriptions of the nodes, of what they link to, and of blank nodes reached on the way. */
  private neighbourhood(master: oxigraph.Store, nodes: readonly Term[]): Quad[] {
    const out: Quad[] = [];
    const seen = new Set<string>();
    const visit = (t: Term, depth: number): void => {
      if (t.termType !== 'NamedNode' && t.termType !== 'BlankNode') return;
      const k = termKey(t);
      if (seen.has(k)) return;
      seen.add(k);
      const description = master.match(t, null, null, null);
      out.push(...description);
      for (const q of description) {
        if (q.object.termType === 'BlankNode') visit(q.object, depth);
        else if (depth > 0) visit(q.object, depth - 1);
      }
    };
    for (const n of nodes) visit(n, 1);
    return out;
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
