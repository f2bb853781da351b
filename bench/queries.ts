/** The query mix: the same text for every engine, on the synthetic data and on the real dataset. */

const PREFIXES = `PREFIX cdo: <https://w3id.org/cyber-diplomacy/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
`;

export type QueryKind = 'select' | 'ask' | 'describe';

export interface BenchQuery {
  readonly id: string;
  readonly title: string;
  readonly kind: QueryKind;
  readonly text: string;
  /** Counts as a join for the "endpoint overhead on joins" target. */
  readonly join?: boolean;
}

export const QUERIES: readonly BenchQuery[] = [
  {
    id: 'star-date',
    title: 'star join + date filter',
    kind: 'select',
    join: true,
    text: `${PREFIXES}SELECT ?a ?by ?to ?incident ?date WHERE {
  ?a a cdo:Attribution ; cdo:attributedBy ?by ; cdo:attributedTo ?to ;
     cdo:incident ?incident ; cdo:date ?date .
  FILTER(?date >= "2020-01-01"^^xsd:date && ?date < "2022-01-01"^^xsd:date)
}`,
  },
  {
    id: 'chain',
    title: 'chain join (attribution → incident → victim state → code)',
    kind: 'select',
    join: true,
    text: `${PREFIXES}SELECT ?a ?incident ?code ?sector WHERE {
  ?a cdo:incident ?incident . ?incident cdo:targetsState ?victim .
  ?victim cdo:iso3166Alpha3 ?code . ?incident cdo:targetsSector ?sector .
  ?sector skos:prefLabel ?sectorLabel . FILTER(LANG(?sectorLabel) = "en")
}`,
  },
  {
    id: 'optional',
    title: 'OPTIONAL',
    kind: 'select',
    text: `${PREFIXES}SELECT ?i ?label ?alt ?desc WHERE {
  ?i a cdo:Incident ; rdfs:label ?label .
  OPTIONAL { ?i skos:altLabel ?alt }
  OPTIONAL { ?i dcterms:description ?desc }
}`,
  },
  {
    id: 'group-count',
    title: 'GROUP BY + COUNT',
    kind: 'select',
    text: `${PREFIXES}SELECT ?state (COUNT(?support) AS ?n) WHERE {
  ?support a cdo:Support ; cdo:supporter ?org . ?org cdo:nationality ?state .
} GROUP BY ?state ORDER BY DESC(?n) ?state LIMIT 20`,
  },
  {
    id: 'text-filter',
    title: 'FILTER on text (REGEX + CONTAINS)',
    kind: 'select',
    text: `${PREFIXES}SELECT ?i ?desc WHERE {
  ?i a cdo:Incident ; dcterms:description ?desc .
  FILTER(REGEX(?desc, "ransomware|wiper", "i") || CONTAINS(LCASE(STR(?desc)), "supply chain"))
}`,
  },
  {
    id: 'path',
    title: 'property path (a/rdfs:subClassOf*, sequence)',
    kind: 'select',
    text: `${PREFIXES}SELECT ?claim ?code WHERE {
  ?claim a/rdfs:subClassOf* cdo:Claim ; cdo:attributedBy/cdo:iso3166Alpha3 ?code .
}`,
  },
  {
    id: 'describe',
    title: 'DESCRIBE one subject',
    kind: 'describe',
    text: 'DESCRIBE <https://w3id.org/cyber-diplomacy/id/state/FRA>',
  },
  {
    id: 'ask',
    title: 'ASK',
    kind: 'ask',
    text: `${PREFIXES}ASK { <https://w3id.org/cyber-diplomacy/id/state/FRA> a cdo:State }`,
  },
  {
    id: 'rows-10k',
    title: '10k-row result',
    kind: 'select',
    text: 'SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 10000',
  },
];

/** Media type asked for, by query kind. */
export function acceptFor(kind: QueryKind): string {
  return kind === 'describe' ? 'application/n-triples' : 'application/sparql-results+json';
}

/** A cheap, order-independent size of an answer, to check that every engine agrees. */
export function answerSize(kind: QueryKind, body: string): string {
  if (kind === 'describe')
    return `${body.split('\n').filter((l) => l.trim() !== '').length} triples`;
  try {
    const json = JSON.parse(body) as { boolean?: boolean; results?: { bindings?: unknown[] } };
    if (kind === 'ask') return String(json.boolean);
    return `${json.results?.bindings?.length ?? '?'} rows`;
  } catch {
    return 'unparseable';
  }
}
