/**
 * The curated graph as a whole: counts, and the rules every fact and entity must meet —
 * typed, labelled, sourced, and no IRI of ours used without being described.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import oxigraph from 'oxigraph';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/config.js';
import { findDataSources } from '../../src/graph/files.js';
import { loadDataset } from '../../src/graph/load.js';
import { REPO_ROOT } from '../util/server.js';
import { storeQueries } from '../util/storeQueries.js';

const BASE = DEFAULTS.baseIri;
const PREFIXES = `
PREFIX cdo: <${BASE}ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
`;

let store: oxigraph.Store;

const { select, count } = storeQueries(() => store, PREFIXES);

beforeAll(async () => {
  const sources = await findDataSources([path.join(REPO_ROOT, 'ontology'), path.join(REPO_ROOT, 'data')], BASE);
  store = (await loadDataset(sources)).store;
});

describe('the curated graph', () => {
  it('has the 11 norms of A/70/174 para. 13 (a)–(k), each with its official text', () => {
    const norms = select('SELECT ?n ?letter WHERE { ?n a cdo:Norm ; cdo:letter ?letter ; cdo:officialText ?t } ORDER BY ?letter');
    expect(norms.map((r) => r.letter)).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k']);
    expect(norms.map((r) => r.n)).toEqual(norms.map((r) => `${BASE}id/norm/13${r.letter}`));
  });

  it('has at least 30 incidents, each with a date or an attribution', () => {
    expect(count('SELECT (COUNT(DISTINCT ?i) AS ?n) WHERE { ?i a cdo:Incident }')).toBeGreaterThanOrEqual(30);
  });

  it('types and labels every entity it mints', () => {
    const untyped = select(`SELECT DISTINCT ?e WHERE { ?e ?p ?o FILTER(STRSTARTS(STR(?e), "${BASE}id/")) FILTER NOT EXISTS { ?e a ?t } }`);
    expect(untyped).toEqual([]);
    const unlabelled = select(`SELECT DISTINCT ?e WHERE {
      ?e a ?t FILTER(STRSTARTS(STR(?e), "${BASE}id/"))
      FILTER NOT EXISTS { ?t rdfs:subClassOf* cdo:Claim }
      FILTER NOT EXISTS { ?e rdfs:label|skos:prefLabel|dcterms:title|cdo:symbol ?l } }`);
    expect(unlabelled).toEqual([]);
  });

  it('names a source for every entity: a source graph that holds its facts, or prov:wasDerivedFrom', () => {
    const unsourced = select(`SELECT DISTINCT ?e WHERE {
      ?e a ?t FILTER(STRSTARTS(STR(?e), "${BASE}id/"))
      FILTER NOT EXISTS { ?e prov:wasDerivedFrom ?s }
      FILTER NOT EXISTS { GRAPH ?g { ?e ?p ?o } ?g prov:wasDerivedFrom ?src }
      FILTER NOT EXISTS { ?e a cdo:Source }
      FILTER NOT EXISTS { ?e a/rdfs:subClassOf* cdo:Document } }`);
    expect(unsourced).toEqual([]);
  });

  it('describes every IRI of its namespace that it uses', () => {
    const dangling = select(`SELECT DISTINCT ?x WHERE {
      { ?s ?p ?x } UNION { ?x ?p ?o }
      FILTER(isIRI(?x) && STRSTARTS(STR(?x), "${BASE}id/"))
      FILTER NOT EXISTS { ?x ?p2 ?o2 } }`);
    expect(dangling).toEqual([]);
    const undeclaredTerms = select(`SELECT DISTINCT ?term WHERE {
      { ?s ?term ?o } UNION { ?s a ?term }
      FILTER(STRSTARTS(STR(?term), "${BASE}ontology#"))
      FILTER NOT EXISTS { ?term rdfs:isDefinedBy ?onto } }`);
    expect(undeclaredTerms).toEqual([]);
  });

  it('gives every ontology term a label, a definition and rdfs:isDefinedBy', () => {
    const incomplete = select(`SELECT ?term WHERE {
      ?term rdfs:isDefinedBy <${BASE}ontology> .
      FILTER(NOT EXISTS { ?term rdfs:label ?l FILTER(LANG(?l) = "en") }
          || NOT EXISTS { ?term skos:definition|rdfs:comment ?d }) }`);
    expect(incomplete).toEqual([]);
    const terms = count(`SELECT (COUNT(DISTINCT ?t) AS ?n) WHERE { ?t rdfs:isDefinedBy <${BASE}ontology> }`);
    expect(terms).toBeGreaterThan(60);
  });

  it('has a SHACL shape for every class of the ontology', () => {
    const unshaped = select(`PREFIX sh: <http://www.w3.org/ns/shacl#>
      SELECT ?class WHERE { ?class a owl:Class ; rdfs:isDefinedBy <${BASE}ontology>
        FILTER NOT EXISTS { ?shape sh:targetClass ?class } }`);
    expect(unshaped).toEqual([]);
  });

  it('writes external identifiers in their registries\' forms', () => {
    const bad = select(`SELECT ?e ?id WHERE {
      { ?e cdo:wikidataId ?id FILTER(!REGEX(STR(?id), "^Q[1-9][0-9]*$")) }
      UNION { ?e cdo:attackId ?id FILTER(!REGEX(STR(?id), "^(G|S|C)[0-9]{4}$")) }
      UNION { ?e owl:sameAs ?id FILTER(STRSTARTS(STR(?id), "http://www.wikidata.org/") && !REGEX(STR(?id), "^http://www\\\\.wikidata\\\\.org/entity/Q[1-9][0-9]*$")) }
      UNION { ?e skos:exactMatch ?id FILTER(STRSTARTS(STR(?id), "https://attack.mitre.org/") && !REGEX(STR(?id), "^https://attack\\\\.mitre\\\\.org/(groups|software|campaigns)/[GSC][0-9]{4}/$")) }
      UNION { ?e cdo:symbol ?id FILTER(!REGEX(STR(?id), "^[A-Z]+(/[A-Za-z0-9.()-]+)+$")) }
    }`);
    expect(bad).toEqual([]);
  });

  it('matches each ATT&CK link to its id', () => {
    const mismatched = select(`SELECT ?e ?id ?link WHERE {
      ?e cdo:attackId ?id ; skos:exactMatch ?link
      FILTER(STRSTARTS(STR(?link), "https://attack.mitre.org/") && !CONTAINS(STR(?link), CONCAT("/", STR(?id), "/"))) }`);
    expect(mismatched).toEqual([]);
  });
});

describe('the saved queries', () => {
  const dir = path.join(REPO_ROOT, 'queries');
  const files = readdirSync(dir).filter((f) => f.endsWith('.rq'));

  it.each(files)('%s has a title and description and returns rows', (file) => {
    const text = readFileSync(path.join(dir, file), 'utf8');
    expect(text).toMatch(/^# title: .+$/m);
    expect(text).toMatch(/^# description: .+$/m);
    const rows = store.query(text, { use_default_graph_as_union: true });
    expect(Array.isArray(rows) ? rows.length : rows ? 1 : 0).toBeGreaterThan(0);
  });
});
