/**
 * data/paris-call.trig, as committed (loaded with data/states.ttl): the Call, its 9 principles, its
 * 1,222 supports, the links of State supporters and of organisations' nationalities to States, and
 * the nationality codes the build could not resolve. When ../shared/data/paris-call is present, the
 * file must also be exactly what the builder produces from it.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type oxigraph from 'oxigraph';
import { beforeAll, describe, expect, it } from 'vitest';
import { UNRESOLVED_LINE_PREFIX, buildParisCall } from '../../src/graph/build/parisCall.js';
import { buildStates, statesIndex } from '../../src/graph/build/states.js';
import { findDataSources } from '../../src/graph/files.js';
import { loadDataset } from '../../src/graph/load.js';
import { REPO_ROOT } from '../util/server.js';
import { storeQueries } from '../util/storeQueries.js';

const BASE = 'https://w3id.org/cyber-diplomacy/';
const FILE = path.join(REPO_ROOT, 'data', 'paris-call.trig');
const STATES = path.join(REPO_ROOT, 'data', 'states.ttl');
const SOURCE_DIR = path.resolve(REPO_ROOT, '..', 'shared', 'data', 'paris-call');
const HAS_SOURCE = existsSync(path.join(SOURCE_DIR, 'supporters.csv'));
const CALL = `${BASE}id/initiative/paris-call`;
const PREFIXES = `
PREFIX cdo: <${BASE}ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX schema: <https://schema.org/>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
`;

let store: oxigraph.Store;
let statesGraph: string;
const text = readFileSync(FILE, 'utf8');

const { select, count } = storeQueries(() => store, PREFIXES);

/** The header lines listing the nationalities the build could not link. */
function unresolvedLines(): string[] {
  return text.split('\n').filter((l) => l.startsWith(`# ${UNRESOLVED_LINE_PREFIX}`));
}

beforeAll(async () => {
  const sources = await findDataSources([STATES, FILE], BASE);
  statesGraph = sources[0]?.graph ?? '';
  store = (await loadDataset(sources)).store;
});

describe('data/paris-call.trig', () => {
  it('describes the Call: labels in English and French, launch date, home page', () => {
    const rows = select(`SELECT ?en ?fr ?issued ?page WHERE {
      <${CALL}> a cdo:Initiative ; rdfs:label ?en , ?fr ; dcterms:issued ?issued ; foaf:page ?page
      FILTER(LANG(?en) = "en" && LANG(?fr) = "fr") }`);
    expect(rows).toEqual([
      {
        en: 'Paris Call for Trust and Security in Cyberspace',
        fr: 'Appel de Paris pour la confiance et la sécurité dans le cyberespace',
        issued: '2018-11-12',
        page: 'https://pariscall.international/en/',
      },
    ]);
  });

  it('has the 9 principles, numbered 1–9, each with short labels and official text in English and French', () => {
    const rows = select(`SELECT ?p ?n ?labelEn ?labelFr ?textEn ?textFr WHERE {
      <${CALL}> cdo:hasPrinciple ?p .
      ?p a cdo:Principle ; cdo:number ?n ; skos:prefLabel ?labelEn , ?labelFr ; cdo:officialText ?textEn , ?textFr
      FILTER(LANG(?labelEn) = "en" && LANG(?labelFr) = "fr" && LANG(?textEn) = "en" && LANG(?textFr) = "fr")
    } ORDER BY ?n`);
    expect(rows.map((r) => Number(r.n))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(rows.map((r) => r.p)).toEqual(rows.map((r) => `${BASE}id/principle/paris-call-${r.n}`));
    expect(rows[0]?.labelEn).toBe('Protect individuals and infrastructure');
    expect(rows[7]?.textEn).toMatch(/^Take steps to prevent non-State actors, including the private sector, from hacking-back/);
    expect(count('SELECT (COUNT(*) AS ?n) WHERE { ?p cdo:alignsWithNorm ?norm }')).toBe(0);
  });

  it('has 1,222 supports, each with one supporter, the Call as initiative, and its source', () => {
    expect(count('SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a cdo:Support }')).toBe(1222);
    const bad = select(`SELECT ?s WHERE { ?s a cdo:Support
      FILTER(NOT EXISTS { ?s cdo:supporter ?x } || NOT EXISTS { ?s cdo:initiative <${CALL}> }
        || NOT EXISTS { ?s prov:wasDerivedFrom <${BASE}id/source/pariscall-international-repo> }) }`);
    expect(bad).toEqual([]);
    const multi = select('SELECT ?s WHERE { ?s cdo:supporter ?x , ?y FILTER(?x != ?y) }');
    expect(multi).toEqual([]);
    const categories = select(`SELECT ?c (COUNT(?s) AS ?n) WHERE { ?s a cdo:Support ; cdo:supporterCategory ?c } GROUP BY ?c ORDER BY ?c`);
    expect(Object.fromEntries(categories.map((r) => [r.c, Number(r.n)]))).toEqual({
      'civil-society': 391,
      'private-sector': 708,
      'public-authority': 37,
      state: 81,
    });
  });

  it('links every State supporter to a cdo:State described in data/states.ttl', () => {
    const stateSupports = select(`SELECT ?s ?state WHERE { ?s a cdo:Support ; cdo:supporterCategory "state" ; cdo:supporter ?state }`);
    expect(stateSupports).toHaveLength(81);
    const notInStates = select(`SELECT ?s ?x WHERE { ?s cdo:supporterCategory "state" ; cdo:supporter ?x
      FILTER NOT EXISTS { GRAPH <${statesGraph}> { ?x a cdo:State ; cdo:iso3166Alpha3 ?code } } }`);
    expect(notInStates).toEqual([]);
    // Every other supporter is an organisation described here.
    const others = select(`SELECT ?s ?x WHERE { ?s a cdo:Support ; cdo:supporter ?x
      FILTER NOT EXISTS { ?x a cdo:State } FILTER NOT EXISTS { ?x a cdo:Organization ; rdfs:label ?l } }`);
    expect(others).toEqual([]);
    // ROM (legacy code of Romania) was mapped by a recorded curation decision.
    const romania = select(`SELECT ?s WHERE { ?s cdo:supporter <${BASE}id/state/ROU> ; skos:editorialNote ?note
      FILTER(CONTAINS(?note, "ROM")) }`);
    expect(romania).toHaveLength(1);
  });

  it('points every organisation nationality at a cdo:State of data/states.ttl', () => {
    const dangling = select(`SELECT ?o ?st WHERE { ?o cdo:nationality ?st
      FILTER NOT EXISTS { GRAPH <${statesGraph}> { ?st a cdo:State } } }`);
    expect(dangling).toEqual([]);
  });

  it('leaves exactly the nationalities the build reported unresolved, each with a note', () => {
    const reported = unresolvedLines();
    expect(reported.length).toBeGreaterThan(0);
    const withoutNationality = select(`SELECT ?o WHERE { ?o a cdo:Organization
      FILTER(STRSTARTS(STR(?o), "${BASE}id/organization/"))
      FILTER NOT EXISTS { ?o cdo:nationality ?st } }`);
    expect(withoutNationality).toHaveLength(reported.length);
    const noted = select(`SELECT ?o WHERE { ?o a cdo:Organization ; skos:editorialNote ?n
      FILTER(STRSTARTS(?n, "Curation: nationality not linked")) FILTER NOT EXISTS { ?o cdo:nationality ?st } }`);
    expect(noted).toHaveLength(reported.length);
    for (const line of reported) {
      const slug = line.slice(`# ${UNRESOLVED_LINE_PREFIX}`.length).split(' ')[0] ?? '';
      const org = `${BASE}id/organization/${slug.replace(/_/g, '-')}`;
      expect(withoutNationality.map((r) => r.o)).toContain(org);
    }
  });

  it('keeps the facts in source graphs that say where they come from', () => {
    const graphs = select(`SELECT DISTINCT ?g ?src WHERE { GRAPH ?g { ?s a ?t } ?g prov:wasDerivedFrom ?src .
      ?src a cdo:Source ; schema:url ?u } ORDER BY ?g ?src`);
    expect(graphs.map((r) => (r.g ?? '').slice(BASE.length))).toEqual(
      expect.arrayContaining(['graph/source/paris-call-text', 'graph/source/pariscall-international-repo']),
    );
    const unsourced = select(`SELECT ?s WHERE { ?s a cdo:Support
      FILTER NOT EXISTS { GRAPH ?g { ?s ?p ?o } ?g prov:wasDerivedFrom ?src } }`);
    expect(unsourced).toEqual([]);
  });
});

if (!HAS_SOURCE) {
  console.log(`paris-call: ${SOURCE_DIR} not found; the rebuild comparison tests are skipped.`);
}

describe.skipIf(!HAS_SOURCE)('data/paris-call.trig against ../shared/data/paris-call (skipped when absent)', () => {
  it('is exactly what `npm run data:build` produces, with the same unresolved codes', async () => {
    const states = await buildStates();
    const built = await buildParisCall(SOURCE_DIR, statesIndex(states.records));
    expect(built.report.supporters).toBe(1222);
    expect(built.report.principles).toBe(9);
    expect(built.report.unresolved).toHaveLength(unresolvedLines().length);
    expect(built.report.curated.map((c) => `${c.code}->${c.iso}`)).toEqual(['MTG->MNE', 'ROM->ROU', 'SCG->SRB']);
    expect(built.trig === text, 'data/paris-call.trig is stale: run npm run data:build').toBe(true);
  });
});
