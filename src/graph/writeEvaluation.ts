/**
 * Working out what a write does, over a store holding the whole dataset: run it, take the quads it
 * removed and added in the user graphs, check them (blank nodes, SHACL), then put the store back as
 * it was. The caller makes the effect durable and only then applies it everywhere (this store
 * included), so a write that is refused, fails or is stopped at its deadline changes nothing.
 *
 * It runs in the writer worker thread, off the HTTP event loop, under the query time limit.
 */
import oxigraph from 'oxigraph';
import { withUnionDefault } from '../sparql/updatePlan.js';
import { ShapeValidator, type Violation } from './validate.js';

/** A write to work out. Quads travel as N-Quads (blank node labels kept). */
export type WriteRequest =
  | {
      readonly kind: 'update';
      readonly text: string;
      /** The graphs the update may write (checked before). */
      readonly targets: readonly string[];
      /** Where to state the union default graph (see `planUpdate`). */
      readonly unionAt: readonly number[];
    }
  | { readonly kind: 'put' | 'post'; readonly graph: string; readonly nquads: string }
  | { readonly kind: 'drop'; readonly graph: string };

/** What a write would do, or why it may not. */
export type WriteEvaluation =
  | {
      readonly ok: true;
      /** Quads removed and added, as N-Quads. */
      readonly delete: string;
      readonly insert: string;
      readonly deleted: number;
      readonly inserted: number;
      /** The user graphs it changes. */
      readonly graphs: readonly string[];
      /** The (single) target graph had no triples before. */
      readonly created: boolean;
    }
  | {
      readonly ok: false;
      readonly status: number;
      readonly message: string;
      readonly violations?: readonly Violation[];
    };

export interface WriteEvaluatorOptions {
  /** The user-graph namespace. */
  readonly namespace: string;
  readonly baseIri: string;
  /** Graphs that may supply SHACL shapes (the curated ones). */
  readonly curatedGraphs: readonly string[];
}

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

interface Diff {
  readonly deletes: Quad[];
  readonly inserts: Quad[];
}

export class WriteEvaluator {
  private readonly validator: ShapeValidator | undefined;

  public constructor(
    private readonly store: oxigraph.Store,
    private readonly options: WriteEvaluatorOptions,
  ) {
    const curated = new Set(options.curatedGraphs);
    this.validator = ShapeValidator.fromStore(store, options.baseIri, (g) => curated.has(g));
  }

  private graphQuads(graph: string): Quad[] {
    return this.store.match(null, null, null, oxigraph.namedNode(graph));
  }

  /**
   * Works a write out; the store is left as it was.
   * @param request - the write
   */
  public async evaluate(request: WriteRequest): Promise<WriteEvaluation> {
    if (request.kind === 'update')
      return this.update(request.text, request.targets, request.unionAt);
    const current = this.graphQuads(request.graph);
    if (request.kind === 'drop') {
      if (current.length === 0)
        return { ok: false, status: 404, message: `There is no graph <${request.graph}>.` };
      return this.check({ deletes: current, inserts: [] }, false);
    }
    const sent = oxigraph.parse(request.nquads, { format: 'application/n-quads' });
    const sentKeys = new Set(sent.map(quadKey));
    const seen = new Set<string>();
    const inserts = sent.filter((q) => {
      const k = quadKey(q);
      if (seen.has(k) || this.store.has(q)) return false;
      seen.add(k);
      return true;
    });
    // PUT replaces: what is there and not sent goes; POST only adds.
    const deletes = request.kind === 'put' ? current.filter((q) => !sentKeys.has(quadKey(q))) : [];
    return this.check({ deletes, inserts }, current.length === 0);
  }

  private async update(
    text: string,
    targets: readonly string[],
    unionAt: readonly number[],
  ): Promise<WriteEvaluation> {
    const before = new Map(targets.map((g) => [g, this.graphQuads(g)]));
    // After a failure part-way, the diff is unknown: rebuild the graphs as they were.
    const restore = (): void => {
      for (const [g, quads] of before) {
        this.store.update(`DROP SILENT GRAPH <${g}>`);
        for (const q of quads) this.store.add(q);
      }
    };
    try {
      this.store.update(
        withUnionDefault(text, unionAt, unionAt.length > 0 ? this.allGraphs() : []),
      );
    } catch (error) {
      restore();
      return { ok: false, status: 400, message: `The update failed: ${(error as Error).message}` };
    }
    const deletes: Quad[] = [];
    const inserts: Quad[] = [];
    for (const [g, old] of before) {
      const now = this.graphQuads(g);
      const oldKeys = new Set(old.map(quadKey));
      const nowKeys = new Set(now.map(quadKey));
      for (const q of old) if (!nowKeys.has(quadKey(q))) deletes.push(q);
      for (const q of now) if (!oldKeys.has(quadKey(q))) inserts.push(q);
    }
    try {
      return await this.verdict({ deletes, inserts }, false);
    } finally {
      // Undo by the diff (cheaper than rebuilding the graphs); a graph that had no triples before
      // is dropped, in case the update created it empty.
      for (const q of inserts) this.store.delete(q);
      for (const q of deletes) this.store.add(q);
      for (const [g, old] of before) {
        if (old.length === 0) this.store.update(`DROP SILENT GRAPH <${g}>`);
      }
    }
  }

  /** Applies a diff, judges it, and takes it back. */
  private async check(diff: Diff, created: boolean): Promise<WriteEvaluation> {
    for (const q of diff.deletes) this.store.delete(q);
    for (const q of diff.inserts) this.store.add(q);
    try {
      return await this.verdict(diff, created);
    } finally {
      for (const q of diff.inserts) this.store.delete(q);
      for (const q of diff.deletes) this.store.add(q);
    }
  }

  /** With the diff in the store: is it acceptable? */
  private async verdict(diff: Diff, created: boolean): Promise<WriteEvaluation> {
    const graphs = [
      ...new Set([...diff.deletes, ...diff.inserts].map((q) => q.graph.value)),
    ].sort();
    const outside = graphs.find((g) => !g.startsWith(this.options.namespace));
    if (outside !== undefined) {
      // The update plan rules this out; a disagreement between parsers must not slip through.
      return { ok: false, status: 400, message: `The update would change <${outside}>.` };
    }
    if (this.linksCuratedBlankNode(diff.inserts)) {
      return {
        ok: false,
        status: 400,
        message:
          'The write links a blank node of a curated graph into a user graph; curated blank ' +
          'nodes have no stable identity. Refer to IRIs instead.',
      };
    }
    const violations = graphs.length === 0 ? [] : await this.newViolations(diff, graphs);
    if (violations.length > 0) {
      return { ok: false, status: 422, message: 'SHACL violations', violations };
    }
    return {
      ok: true,
      delete: toNQuads(diff.deletes),
      insert: toNQuads(diff.inserts),
      deleted: diff.deletes.length,
      inserted: diff.inserts.length,
      graphs,
      created,
    };
  }

  private allGraphs(): string[] {
    return (
      this.store.query('SELECT DISTINCT ?g WHERE { GRAPH ?g { } }') as Array<Map<string, Term>>
    )
      .map((row) => row.get('g'))
      .filter((g): g is oxigraph.NamedNode => g?.termType === 'NamedNode')
      .map((g) => g.value);
  }

  /** Curated blank nodes are renamed at every load: a user graph cannot refer to them. */
  private linksCuratedBlankNode(inserts: readonly Quad[]): boolean {
    const seen = new Set<string>();
    for (const q of inserts) {
      for (const t of [q.subject, q.object]) {
        if (t.termType !== 'BlankNode' || seen.has(t.value)) continue;
        seen.add(t.value);
        const uses = [
          ...this.store.match(t, null, null, null),
          ...this.store.match(null, null, t, null),
        ];
        if (uses.some((u) => !u.graph.value.startsWith(this.options.namespace))) return true;
      }
    }
    return false;
  }

  /**
   * SHACL violations the diff introduces. The focus nodes are the subjects the diff touches and the
   * user-graph subjects that link to them; each is checked with its description from every graph
   * and the descriptions of what it links to (types for sh:class). Violations that were there
   * before the write are not its doing and do not refuse it.
   */
  private async newViolations(diff: Diff, graphs: readonly string[]): Promise<Violation[]> {
    const validator = this.validator;
    if (validator === undefined) return [];
    const touched = new Map<string, Term>();
    for (const q of [...diff.deletes, ...diff.inserts]) touched.set(termKey(q.subject), q.subject);
    const focus = new Map(touched);
    for (const g of graphs) {
      const graph = oxigraph.namedNode(g);
      for (const t of touched.values()) {
        for (const q of this.store.match(null, null, t, graph))
          focus.set(termKey(q.subject), q.subject);
      }
    }
    const after = this.neighbourhood([...focus.values()]);
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
  private neighbourhood(nodes: readonly Term[]): Quad[] {
    const out: Quad[] = [];
    const seen = new Set<string>();
    const visit = (t: Term, depth: number): void => {
      if (t.termType !== 'NamedNode' && t.termType !== 'BlankNode') return;
      const k = termKey(t);
      if (seen.has(k)) return;
      seen.add(k);
      const description = this.store.match(t, null, null, null);
      out.push(...description);
      for (const q of description) {
        if (q.object.termType === 'BlankNode') visit(q.object, depth);
        else if (depth > 0) visit(q.object, depth - 1);
      }
    };
    for (const n of nodes) visit(n, 1);
    return out;
  }
}
