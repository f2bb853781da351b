/**
 * Statements by predicate, as the start-up indexes (labels, gazetteer) read them: plain objects
 * parsed from the engine's serialized SPARQL results rather than one WebAssembly-backed term object
 * per quad (millions of those at 1M triples left the garbage collector with most of the work).
 * The results come as TSV, which Oxigraph writes several times faster than SPARQL JSON.
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
  /** SPARQL TSV results of `PREDICATES_QUERY` (absent when not asked for). */
  readonly predicates?: string;
  /** Predicate → SPARQL TSV results of `statementsQuery(predicate)`. */
  readonly byPredicate: Readonly<Record<string, string>>;
}

/** Every predicate used in any graph. */
export const PREDICATES_QUERY = 'SELECT DISTINCT ?p WHERE { ?s ?p ?o }';

/**
 * The statements of one predicate in every graph. Run over the union default graph, Oxigraph lists
 * them as `store.match` does: same order, and a triple stated in two graphs twice.
 * @param predicate - the predicate's IRI
 */
export function statementsQuery(predicate: string): string {
  if (/[\s<>"{}|\\^`]/u.test(predicate)) throw new Error(`Not an IRI: ${predicate}`);
  return `SELECT ?s ?o WHERE { ?s <${predicate}> ?o }`;
}

const TSV = 'text/tab-separated-values';
const EMPTY_TERM: PlainTerm = { termType: 'Quad', value: '', language: '' };
const ESCAPES: Readonly<Record<string, string>> = {
  t: '\t',
  n: '\n',
  r: '\r',
  b: '\b',
  f: '\f',
  '"': '"',
  "'": "'",
  '\\': '\\',
};

function unescapeLiteral(text: string): string {
  if (!text.includes('\\')) return text;
  return text.replace(
    /\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))/gsu,
    (all, u4: string | undefined, u8: string | undefined, c: string | undefined) =>
      u4 !== undefined || u8 !== undefined
        ? String.fromCodePoint(parseInt(u4 ?? u8 ?? '', 16))
        : (ESCAPES[c ?? ''] ?? all),
  );
}

/**
 * One cell of SPARQL TSV results: a term in Turtle syntax (`<iri>`, `_:b`, `"text"@lang`,
 * `"text"^^<datatype>`, or a number or boolean written bare); empty when unbound.
 */
function tsvTerm(cell: string | undefined): PlainTerm {
  if (cell === undefined || cell === '') return EMPTY_TERM;
  switch (cell.charCodeAt(0)) {
    case 60: // <
      // `<< … >>` is a triple term (RDF 1.2): none of the indexes reads one.
      return cell.startsWith('<<')
        ? EMPTY_TERM
        : { termType: 'NamedNode', value: cell.slice(1, -1), language: '' };
    case 95: // _
      return { termType: 'BlankNode', value: cell.slice(2), language: '' };
    case 34: {
      // Language tags and datatype IRIs hold no quote, so the last quote closes the text.
      let end = cell.length - 1;
      let language = '';
      if (cell.endsWith('>')) end = cell.lastIndexOf('"^^<');
      else if (cell.charCodeAt(end) !== 34) {
        end = cell.lastIndexOf('"@');
        language = cell.slice(end + 2);
      }
      return { termType: 'Literal', value: unescapeLiteral(cell.slice(1, end)), language };
    }
    default:
      return { termType: 'Literal', value: cell, language: '' };
  }
}

/** The rows of SPARQL TSV results (header left out), each split into cells. */
function tsvRows(text: string): string[][] {
  const lines = text.split('\n');
  const rows: string[][] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line !== '') rows.push(line.split('\t'));
  }
  return rows;
}

/** Runs a SELECT over the union of all graphs, its answer kept as TSV text. */
function tsv(store: oxigraph.Store, query: string): string {
  return store.query(query, {
    results_format: TSV,
    use_default_graph_as_union: true,
  }) as unknown as string;
}

/**
 * Runs the queries for `predicates` on a store, keeping the answers serialized.
 * @param store - the loaded dataset
 * @param predicates - the predicates the indexes read
 * @param listPredicates - also list every predicate used
 */
export function serializeStatements(
  store: oxigraph.Store,
  predicates: Iterable<string>,
  listPredicates = true,
): SerializedStatements {
  const byPredicate: Record<string, string> = {};
  for (const p of predicates) byPredicate[p] ??= tsv(store, statementsQuery(p));
  return {
    // Counting the quads walks the whole store: once.
    quadCount: store.size,
    ...(listPredicates ? { predicates: tsv(store, PREDICATES_QUERY) } : {}),
    byPredicate,
  };
}

/**
 * Reads statements for a share of `items` (predicates, and `''` for the list of every predicate)
 * claimed one at a time from a counter shared with other workers holding copies of the dataset:
 * whoever is free takes the next, so the reading is spread however long each item takes.
 * @param store - the loaded dataset
 * @param items - what to read, heaviest first
 * @param next - a shared counter: the index of the next item to claim
 * @param quadCount - the store's size (counting walks the whole store)
 */
export function serializeClaimed(
  store: oxigraph.Store,
  items: readonly string[],
  next: Int32Array,
  quadCount: number,
): SerializedStatements {
  const byPredicate: Record<string, string> = {};
  let predicates: string | undefined;
  // Claim one item, read it, then claim the next: a slow item does not hold back the others.
  for (let i = Atomics.add(next, 0, 1); i < items.length; i = Atomics.add(next, 0, 1)) {
    const item = items[i]!;
    if (item === '') predicates = tsv(store, PREDICATES_QUERY);
    else byPredicate[item] ??= tsv(store, statementsQuery(item));
  }
  return {
    quadCount,
    ...(predicates === undefined ? {} : { predicates }),
    byPredicate,
  };
}

/**
 * Puts together the shares of statements that several workers read from copies of one dataset.
 * @param parts - the shares
 */
export function mergeStatements(parts: readonly SerializedStatements[]): SerializedStatements {
  const predicates = parts.find((p) => p.predicates !== undefined)?.predicates;
  return {
    quadCount: parts[0]?.quadCount ?? 0,
    ...(predicates === undefined ? {} : { predicates }),
    byPredicate: Object.assign({}, ...parts.map((p) => p.byPredicate)) as Record<string, string>,
  };
}

/**
 * Parses serialized statements for the index builders.
 * @param serialized - from `serializeStatements` (here or in a worker thread)
 */
export function parseStatements(serialized: SerializedStatements): GraphStatements {
  const byPredicate = new Map<string, Statement[]>();
  for (const [p, text] of Object.entries(serialized.byPredicate)) {
    byPredicate.set(
      p,
      tsvRows(text).map(([s, o]) => ({ subject: tsvTerm(s), object: tsvTerm(o) })),
    );
  }
  const predicates = tsvRows(serialized.predicates ?? '')
    .map(([p]) => tsvTerm(p))
    .filter((p) => p.termType === 'NamedNode')
    .map((p) => p.value)
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
