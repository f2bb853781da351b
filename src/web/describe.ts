/**
 * Describing one resource: the SPARQL queries behind a resource page, run through the engine, and
 * the results turned into a view model (properties grouped, incoming links counted, sources named).
 */
import { BadRequestHttpError } from '../errors.js';
import type { QueryEngine } from '../sparql/engine.js';
import type { JsonResults, JsonTerm } from '../sparql/results.js';

const PROV_DERIVED = 'http://www.w3.org/ns/prov#wasDerivedFrom';

/** An RDF term as the views need it. */
export interface Term {
  readonly type: 'uri' | 'literal' | 'bnode';
  readonly value: string;
  readonly lang?: string;
  readonly datatype?: string;
}

/** One statement about the resource, with the graph that says it. */
export interface Statement {
  readonly predicate: string;
  readonly object: Term;
  readonly graph: string;
  /** For blank-node objects: their own statements (one level). */
  readonly nested?: ReadonlyArray<{ predicate: string; object: Term }>;
}

export interface IncomingGroup {
  readonly predicate: string;
  readonly count: number;
  readonly subjects: readonly string[];
}

export interface Description {
  readonly iri: string;
  readonly statements: readonly Statement[];
  readonly incoming: readonly IncomingGroup[];
  /** Graph → the sources it is derived from. */
  readonly graphSources: ReadonlyMap<string, readonly string[]>;
  /** The queries that produced the description, to show and to run. */
  readonly queries: { readonly outgoing: string; readonly incoming: string };
}

/**
 * Serializes an IRI for a query, refusing anything that could break out of `<…>` or that is not an
 * IRI (characters IRIs exclude, malformed percent-escapes).
 * @throws BadRequestHttpError (the IRI comes from a request path or parameter)
 */
export function iriRef(iri: string): string {
  // eslint-disable-next-line no-control-regex -- IRIs exclude control characters by definition
  if (/[<>"{}|^`\\\u0000-\u0020]|%(?![0-9A-Fa-f]{2})/u.test(iri))
    throw new BadRequestHttpError(`Not a valid IRI: ${JSON.stringify(iri)}.`);
  return `<${iri}>`;
}

function toTerm(t: JsonTerm): Term {
  const value = typeof t.value === 'string' ? t.value : '';
  if (t.type === 'uri') return { type: 'uri', value };
  if (t.type === 'bnode') return { type: 'bnode', value };
  return {
    type: 'literal',
    value,
    ...(t['xml:lang'] === undefined ? {} : { lang: t['xml:lang'] }),
    ...(t.datatype === undefined ? {} : { datatype: t.datatype }),
  };
}

/**
 * Runs a SELECT through the engine and returns its JSON bindings.
 * @param engine - any QueryEngine
 * @param query - a SELECT query
 */
export async function selectRows(
  engine: QueryEngine,
  query: string,
): Promise<Array<Record<string, JsonTerm>>> {
  const res = await engine.query({
    query,
    form: 'SELECT',
    mediaType: 'application/sparql-results+json',
  });
  return (JSON.parse(res.body) as JsonResults).results?.bindings ?? [];
}

/** The outgoing-statements query of a resource page. */
export function outgoingQuery(iri: string): string {
  return `SELECT ?p ?o ?g ?np ?no WHERE {
  GRAPH ?g { ${iriRef(iri)} ?p ?o }
  OPTIONAL { FILTER(isBlank(?o)) GRAPH ?g { ?o ?np ?no } }
}`;
}

/**
 * The incoming-links query of a resource page. Unordered: the groups are sorted here, because
 * Virtuoso cannot sort rows holding a long GROUP_CONCAT (error SR478).
 */
export function incomingQuery(iri: string): string {
  return `SELECT ?p (COUNT(DISTINCT ?s) AS ?n) (GROUP_CONCAT(DISTINCT STR(?s); separator=" ") AS ?subjects) WHERE {
  ?s ?p ${iriRef(iri)} FILTER(isIRI(?s))
}
GROUP BY ?p`;
}

/**
 * Describes a resource; undefined when the graph says nothing about it, in either direction.
 * @param engine - the query engine
 * @param iri - the resource
 */
export async function describeResource(
  engine: QueryEngine,
  iri: string,
): Promise<Description | undefined> {
  const outgoing = outgoingQuery(iri);
  const incoming = incomingQuery(iri);
  const [outRows, inRows] = await Promise.all([
    selectRows(engine, outgoing),
    selectRows(engine, incoming),
  ]);
  if (outRows.length === 0 && inRows.length === 0) return undefined;
  const statements = new Map<
    string,
    {
      predicate: string;
      object: Term;
      graph: string;
      nested: Array<{ predicate: string; object: Term }>;
    }
  >();
  for (const row of outRows) {
    if (row.p === undefined || row.o === undefined || row.g === undefined) continue;
    const object = toTerm(row.o);
    const graph = typeof row.g.value === 'string' ? row.g.value : '';
    const predicate = typeof row.p.value === 'string' ? row.p.value : '';
    const key = `${predicate}\u0000${object.type}\u0000${object.value}\u0000${object.lang ?? ''}\u0000${object.datatype ?? ''}\u0000${graph}`;
    let st = statements.get(key);
    if (st === undefined) {
      st = { predicate, object, graph, nested: [] };
      statements.set(key, st);
    }
    if (row.np !== undefined && row.no !== undefined) {
      st.nested.push({
        predicate: typeof row.np.value === 'string' ? row.np.value : '',
        object: toTerm(row.no),
      });
    }
  }
  const groups: IncomingGroup[] = inRows
    .map((row) => ({
      predicate: typeof row.p?.value === 'string' ? row.p.value : '',
      count: Number(row.n?.value ?? 0),
      subjects: (typeof row.subjects?.value === 'string' ? row.subjects.value : '')
        .split(' ')
        .filter(Boolean)
        .sort()
        .slice(0, 200),
    }))
    .sort((a, b) => b.count - a.count || (a.predicate < b.predicate ? -1 : 1));
  const graphs = [...new Set([...statements.values()].map((s) => s.graph))];
  const graphSources = new Map<string, string[]>();
  if (graphs.length > 0) {
    const rows = await selectRows(
      engine,
      `SELECT ?g ?src WHERE { VALUES ?g { ${graphs.map(iriRef).join(' ')} } ?g <${PROV_DERIVED}> ?src }`,
    );
    for (const row of rows) {
      const g = typeof row.g?.value === 'string' ? row.g.value : '';
      const src = typeof row.src?.value === 'string' ? row.src.value : '';
      if (!(graphSources.get(g) ?? []).includes(src))
        graphSources.set(g, [...(graphSources.get(g) ?? []), src]);
    }
  }
  // Rows come in the store's order; sorted, a page (and its footnote numbers) is the same everywhere.
  const key = (p: string, o: Term): string =>
    `${p}\u0000${o.type}\u0000${o.value}\u0000${o.lang ?? ''}\u0000${o.datatype ?? ''}`;
  const sorted = [...statements.values()]
    .map((st) => ({
      ...st,
      nested: st.nested.sort((a, b) =>
        key(a.predicate, a.object) < key(b.predicate, b.object) ? -1 : 1,
      ),
    }))
    .sort((a, b) => {
      const ka = `${key(a.predicate, a.object)}\u0000${a.graph}`;
      const kb = `${key(b.predicate, b.object)}\u0000${b.graph}`;
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    });
  return {
    iri,
    statements: sorted,
    incoming: groups,
    graphSources,
    queries: { outgoing, incoming },
  };
}

/** A named graph as a resource: how big it is, what it is derived from, what it describes. */
export interface GraphSummary {
  readonly iri: string;
  readonly triples: number;
  readonly subjects: readonly string[];
  readonly sources: readonly string[];
  readonly query: string;
}

/**
 * Summarises a named graph; undefined when no graph has that name.
 * @param engine - the query engine
 * @param iri - the graph name
 */
export async function describeGraph(
  engine: QueryEngine,
  iri: string,
): Promise<GraphSummary | undefined> {
  const query = `SELECT (COUNT(*) AS ?triples) (COUNT(DISTINCT ?s) AS ?subjects) WHERE { GRAPH ${iriRef(iri)} { ?s ?p ?o } }`;
  const [counts] = await selectRows(engine, query);
  const triples = Number(counts?.triples?.value ?? 0);
  if (triples === 0) return undefined;
  const subjects = await selectRows(
    engine,
    `SELECT DISTINCT ?s WHERE { GRAPH ${iriRef(iri)} { ?s ?p ?o } FILTER(isIRI(?s)) } ORDER BY ?s LIMIT 1000`,
  );
  const sources = await selectRows(
    engine,
    `SELECT DISTINCT ?src WHERE { ${iriRef(iri)} <${PROV_DERIVED}> ?src }`,
  );
  return {
    iri,
    triples,
    subjects: subjects
      .map((r) => (typeof r.s?.value === 'string' ? r.s.value : ''))
      .filter(Boolean),
    sources: sources
      .map((r) => (typeof r.src?.value === 'string' ? r.src.value : ''))
      .filter(Boolean),
    query: `SELECT ?s ?p ?o WHERE { GRAPH ${iriRef(iri)} { ?s ?p ?o } }`,
  };
}

/**
 * The whole content of a named graph, as N-Triples.
 * @param engine - the query engine
 * @param iri - the graph name
 */
export async function graphTriples(engine: QueryEngine, iri: string): Promise<string> {
  const res = await engine.query({
    query: `CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ${iriRef(iri)} { ?s ?p ?o } }`,
    form: 'CONSTRUCT',
    mediaType: 'application/n-triples',
  });
  return res.body;
}
