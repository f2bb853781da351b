/**
 * Statements by predicate, as the start-up indexes (labels, gazetteer) read them: plain objects
 * parsed from the engine's serialized SPARQL results rather than one WebAssembly-backed term object
 * per quad (millions of those at 1M triples left the garbage collector with most of the work).
 */
import type oxigraph from 'oxigraph';

/** A term as the indexes need it. */
export interface PlainTerm {
  readonly termType: 'NamedNode' | 'BlankNode' | 'Literal' | 'Quad';
  readonly value: string;
  /** Language tag of a literal ('' for none). */
  readonly language: string;
}

/** One statement of a given predicate. */
export interface Statement {
  readonly subject: PlainTerm;
  readonly object: PlainTerm;
}

/**
 * What the indexes are built from: for each predicate asked for, its statements in every graph
 * (the default graph included, a triple stated in two graphs listed twice), in the store's own order
 * — exactly what `store.match(null, predicate, null, null)` lists.
 */
export interface GraphStatements {
  /** Quads in the store. */
  readonly quadCount: number;
  /** Every predicate used anywhere, sorted. */
  readonly predicates: readonly string[];
  /** Statements of one predicate (empty when it was not asked for or has none). */
  statements(predicate: string): readonly Statement[];
}

/** The same facts as serialized text, small enough to post from a worker thread in one message. */
export interface SerializedStatements {
  readonly quadCount: number;
  /** SPARQL JSON results of `PREDICATES_QUERY`. */
  readonly predicates: string;
  /** Predicate → SPARQL JSON results of `statementsQuery(predicate)`. */
  readonly byPredicate: Readonly<Record<string, string>>;
}

/** Every predicate used in any graph. */
export const PREDICATES_QUERY =
  'SELECT DISTINCT ?p WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }';

/**
 * The statements of one predicate in every graph, in the order `store.match` gives them (run
 * without a union default graph, so the default graph and each named graph are listed in turn).
 * @param predicate - the predicate's IRI
 */
export function statementsQuery(predicate: string): string {
  if (/[\s<>"{}|\\^`]/u.test(predicate)) throw new Error(`Not an IRI: ${predicate}`);
  return `SELECT ?s ?o WHERE { { ?s <${predicate}> ?o } UNION { GRAPH ?g { ?s <${predicate}> ?o } } }`;
}

interface JsonTerm {
  readonly type: string;
  readonly value: string;
  readonly 'xml:lang'?: string;
}
interface JsonResults {
  readonly results: { readonly bindings: ReadonlyArray<Readonly<Record<string, JsonTerm>>> };
}

const EMPTY_TERM: PlainTerm = { termType: 'Quad', value: '', language: '' };

function plainTerm(t: JsonTerm | undefined): PlainTerm {
  if (t === undefined) return EMPTY_TERM;
  switch (t.type) {
    case 'uri':
      return { termType: 'NamedNode', value: t.value, language: '' };
    case 'bnode':
      return { termType: 'BlankNode', value: t.value, language: '' };
    case 'literal':
    case 'typed-literal':
      return { termType: 'Literal', value: t.value, language: t['xml:lang'] ?? '' };
    default:
      // A triple term (RDF 1.2): none of the indexes reads one.
      return EMPTY_TERM;
  }
}

/**
 * Runs the queries for `predicates` on a store, keeping the answers serialized.
 * @param store - the loaded dataset
 * @param predicates - the predicates the indexes read
 */
export function serializeStatements(
  store: oxigraph.Store,
  predicates: Iterable<string>,
): SerializedStatements {
  const json = (query: string): string =>
    store.query(query, {
      results_format: 'application/sparql-results+json',
    }) as unknown as string;
  const byPredicate: Record<string, string> = {};
  for (const p of predicates) byPredicate[p] ??= json(statementsQuery(p));
  return { quadCount: store.size, predicates: json(PREDICATES_QUERY), byPredicate };
}

/**
 * Parses serialized statements for the index builders.
 * @param serialized - from `serializeStatements` (here or in a worker thread)
 */
export function parseStatements(serialized: SerializedStatements): GraphStatements {
  const byPredicate = new Map<string, Statement[]>();
  for (const [p, text] of Object.entries(serialized.byPredicate)) {
    const rows = (JSON.parse(text) as JsonResults).results.bindings;
    byPredicate.set(
      p,
      rows.map((row) => ({ subject: plainTerm(row.s), object: plainTerm(row.o) })),
    );
  }
  const predicates = (JSON.parse(serialized.predicates) as JsonResults).results.bindings
    .map((row) => row.p?.value)
    .filter((p): p is string => p !== undefined)
    .sort();
  return {
    quadCount: serialized.quadCount,
    predicates,
    statements: (predicate) => byPredicate.get(predicate) ?? [],
  };
}

/**
 * The statements of `predicates` in a store, parsed.
 * @param store - the loaded dataset
 * @param predicates - the predicates the indexes read
 */
export function readStatements(
  store: oxigraph.Store,
  predicates: Iterable<string>,
): GraphStatements {
  return parseStatements(serializeStatements(store, predicates));
}
