/**
 * The SPARQL 1.1 Service Description of the endpoint: what it speaks, in which formats, with which
 * limits, over which graphs. Returned for `GET /sparql` with no query, in any RDF syntax by conneg.
 */
import oxigraph from 'oxigraph';
import type { GraphInfo } from '../graph/load.js';
import { freeStore } from '../graph/oxigraphUtil.js';
import { convertNTriples } from './executor.js';
import { QUERY_SHAPE_LIMITS } from './inspect.js';
import { DCT, FORMATS, RDF_TYPE, SD, VOID, XSD } from '../vocab.js';

/** Everything the description states. */
export interface ServiceFacts {
  readonly endpoint: string;
  /** The project's base IRI; limits are stated with terms under `{base}service#`. */
  readonly baseIri: string;
  readonly engineDescription: string;
  readonly queryTimeoutMs: number;
  readonly maxResultRows: number;
  readonly maxBodyBytes: number;
  readonly serviceAllowlist: readonly string[];
  /** Requests one client may have in flight at once (0: no limit). */
  readonly clientConcurrency: number;
  /** Query time one client may use per window, in ms (0: no budget). */
  readonly clientBudgetMs: number;
  readonly clientWindowMs: number;
  readonly graphs: readonly GraphInfo[];
  readonly version: string;
  /** When writes are enabled: the user-graph namespace (the Graph Store is at `{endpoint}/graph`). */
  readonly userGraphNamespace?: string;
}

const RESULT_FORMATS = [
  'SPARQL_Results_JSON',
  'SPARQL_Results_XML',
  'SPARQL_Results_CSV',
  'SPARQL_Results_TSV',
  'Turtle',
  'N-Triples',
  'JSON-LD',
  'RDF_XML',
  'TriG',
  'N-Quads',
];

/**
 * Builds the description as an RDF string in the requested syntax.
 * @param facts - endpoint, engine, limits and graphs
 * @param mediaType - an RDF media type
 */
export function serviceDescription(facts: ServiceFacts, mediaType: string): string {
  const { namedNode: iri, literal, blankNode, quad, defaultGraph } = oxigraph;
  const svc = `${facts.baseIri}service#`;
  const store = new oxigraph.Store();
  const add = (
    s: oxigraph.NamedNode | oxigraph.BlankNode,
    p: string,
    o: oxigraph.NamedNode | oxigraph.BlankNode | oxigraph.Literal,
  ): void => store.add(quad(s, iri(p), o, defaultGraph()));
  const int = (n: number): oxigraph.Literal => literal(String(n), iri(`${XSD}integer`));
  try {
    const service = iri(facts.endpoint);
    add(service, RDF_TYPE, iri(`${SD}Service`));
    add(service, `${SD}endpoint`, iri(facts.endpoint));
    add(service, `${SD}supportedLanguage`, iri(`${SD}SPARQL11Query`));
    add(service, `${SD}feature`, iri(`${SD}UnionDefaultGraph`));
    add(service, `${SD}feature`, iri(`${SD}BasicFederatedQuery`));
    for (const f of RESULT_FORMATS) add(service, `${SD}resultFormat`, iri(`${FORMATS}${f}`));
    add(service, `${svc}engine`, literal(facts.engineDescription));
    add(service, `${svc}queryTimeoutMilliseconds`, int(facts.queryTimeoutMs));
    add(service, `${svc}maxResultRows`, int(facts.maxResultRows));
    add(service, `${svc}maxRequestBodyBytes`, int(facts.maxBodyBytes));
    add(service, `${svc}maxQueryNestingDepth`, int(QUERY_SHAPE_LIMITS.depth));
    add(service, `${svc}maxQueryClauses`, int(QUERY_SHAPE_LIMITS.clauses));
    add(service, `${svc}maxQueryOperators`, int(QUERY_SHAPE_LIMITS.operators));
    // Per client (IP address; IPv6 by /64): requests in flight, and query time per window.
    if (facts.clientConcurrency > 0)
      add(service, `${svc}perClientConcurrentRequests`, int(facts.clientConcurrency));
    if (facts.clientBudgetMs > 0) {
      add(service, `${svc}perClientQueryMilliseconds`, int(facts.clientBudgetMs));
      add(service, `${svc}perClientWindowMilliseconds`, int(facts.clientWindowMs));
    }
    for (const allowed of facts.serviceAllowlist)
      add(service, `${svc}allowedService`, iri(allowed));
    const writable = facts.userGraphNamespace !== undefined;
    add(service, `${svc}readOnly`, literal(String(!writable), iri(`${XSD}boolean`)));
    // The Graph Store Protocol answers reads at {endpoint}/graph always, writes with the token.
    add(service, `${svc}graphStore`, iri(`${facts.endpoint}/graph`));
    if (writable) {
      add(service, `${SD}supportedLanguage`, iri(`${SD}SPARQL11Update`));
      add(service, `${svc}userGraphNamespace`, iri(facts.userGraphNamespace));
      add(
        service,
        `${svc}writeAuthentication`,
        literal(
          'Authorization: Bearer <token> (RFC 6750), for SPARQL Update and Graph Store writes',
          'en',
        ),
      );
    }
    const dataset = blankNode();
    add(service, `${SD}defaultDataset`, dataset);
    add(dataset, RDF_TYPE, iri(`${SD}Dataset`));
    add(dataset, `${DCT}hasVersion`, literal(facts.version));
    const union = blankNode();
    add(dataset, `${SD}defaultGraph`, union);
    add(union, RDF_TYPE, iri(`${SD}Graph`));
    add(union, `${DCT}description`, literal('The union of all named graphs.', 'en'));
    add(union, `${VOID}triples`, int(facts.graphs.reduce((n, g) => n + g.quads, 0)));
    for (const g of facts.graphs) {
      const named = blankNode();
      const graph = blankNode();
      add(dataset, `${SD}namedGraph`, named);
      add(named, RDF_TYPE, iri(`${SD}NamedGraph`));
      add(named, `${SD}name`, iri(g.graph));
      add(named, `${SD}graph`, graph);
      add(graph, RDF_TYPE, iri(`${SD}Graph`));
      add(graph, `${VOID}triples`, int(g.quads));
      add(graph, `${DCT}source`, literal(g.file));
    }
    const nt = store.dump({ format: 'application/n-triples', from_graph_name: defaultGraph() });
    return convertNTriples(nt, mediaType, {
      sd: SD,
      formats: FORMATS,
      void: VOID,
      dcterms: DCT,
      xsd: XSD,
      svc,
    });
  } finally {
    freeStore(store);
  }
}
