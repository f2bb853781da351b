/**
 * data/states.ttl, as committed: the 193 UN Member States and 2 observer States, with their codes,
 * labels and sources; and the file is exactly what the builder produces from the installed packages.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type oxigraph from 'oxigraph';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildStates } from '../../src/graph/build/states.js';
import { findDataSources } from '../../src/graph/files.js';
import { loadDataset } from '../../src/graph/load.js';
import { REPO_ROOT } from '../util/server.js';
import { storeQueries } from '../util/storeQueries.js';

const BASE = 'https://w3id.org/cyber-diplomacy/';
const FILE = path.join(REPO_ROOT, 'data', 'states.ttl');
const PREFIXES = `
PREFIX cdo: <${BASE}ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX schema: <https://schema.org/>
`;

let store: oxigraph.Store;

const { select, count } = storeQueries(() => store, PREFIXES);

beforeAll(async () => {
  store = (await loadDataset(await findDataSources([FILE], BASE))).store;
});

describe('data/states.ttl', () => {
  it('has 195 States: 193 Member States and the 2 observer States (Holy See, State of Palestine)', () => {
    expect(count('SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a cdo:State }')).toBe(195);
    expect(count('SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a cdo:State ; cdo:observerState false }')).toBe(193);
    const observers = select('SELECT ?s WHERE { ?s a cdo:State ; cdo:observerState true } ORDER BY ?s');
    expect(observers.map((r) => r.s)).toEqual([`${BASE}id/state/PSE`, `${BASE}id/state/VAT`]);
  });

  it('gives every State its alpha-2, alpha-3 (= IRI key = notation) and three-digit M49 code', () => {
    const rows = select(`SELECT ?s ?a2 ?a3 ?m49 ?notation WHERE {
      ?s a cdo:State ; cdo:iso3166Alpha2 ?a2 ; cdo:iso3166Alpha3 ?a3 ; cdo:m49Code ?m49 ; skos:notation ?notation }`);
    expect(rows).toHaveLength(195);
    for (const r of rows) {
      expect(r.a2).toMatch(/^[A-Z]{2}$/);
      expect(r.a3).toMatch(/^[A-Z]{3}$/);
      expect(r.m49).toMatch(/^[0-9]{3}$/);
      expect(r.s).toBe(`${BASE}id/state/${r.a3}`);
      expect(r.notation).toBe(r.a3);
    }
    expect(new Set(rows.map((r) => r.m49)).size).toBe(195);
    expect(select(`SELECT ?m WHERE { <${BASE}id/state/AFG> cdo:m49Code ?m }`)[0]?.m).toBe('004');
  });

  it('labels every State in English and French (rdfs:label and skos:prefLabel), one prefLabel per language', () => {
    for (const lang of ['en', 'fr']) {
      for (const p of ['rdfs:label', 'skos:prefLabel']) {
        const missing = select(`SELECT ?s WHERE { ?s a cdo:State
          FILTER NOT EXISTS { ?s ${p} ?l FILTER(LANG(?l) = "${lang}") } }`);
        expect(missing, `${p}@${lang}`).toEqual([]);
      }
    }
    const duplicated = select(`SELECT ?s ?lang WHERE { ?s a cdo:State ; skos:prefLabel ?a , ?b
      FILTER(LANG(?a) = LANG(?b) && STR(?a) < STR(?b)) BIND(LANG(?a) AS ?lang) }`);
    expect(duplicated).toEqual([]);
    expect(count('SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a cdo:State ; skos:prefLabel ?l FILTER(LANG(?l) = "zh") }')).toBe(195);
    const usa = select(`SELECT ?l WHERE { <${BASE}id/state/USA> skos:altLabel ?l }`).map((r) => r.l);
    expect(usa).toEqual(expect.arrayContaining(['United States of America', 'USA']));
    expect(usa).not.toContain('US'); // the bare alpha-2 code is cdo:iso3166Alpha2, not a label
  });

  it('gives English demonyms', () => {
    const missing = select(`SELECT ?s WHERE { ?s a cdo:State
      FILTER NOT EXISTS { ?s cdo:demonym ?d FILTER(LANG(?d) = "en") } }`);
    expect(missing).toEqual([]);
    expect(select(`SELECT ?d WHERE { <${BASE}id/state/FRA> cdo:demonym ?d FILTER(LANG(?d) = "en") }`)[0]?.d).toBe('French');
  });

  it('derives every State from described sources (the two npm packages; the UN page for the observers)', () => {
    const unsourced = select(`SELECT ?s WHERE { ?s a cdo:State
      FILTER NOT EXISTS { ?s prov:wasDerivedFrom ?src . ?src a cdo:Source ; schema:url ?u } }`);
    expect(unsourced).toEqual([]);
    const sources = select(`SELECT DISTINCT ?u WHERE { ?s a cdo:State ; prov:wasDerivedFrom/schema:url ?u } ORDER BY ?u`);
    expect(sources.map((r) => r.u)).toEqual([
      'https://research.un.org/en/unmembers/observers',
      'https://www.npmjs.com/package/i18n-iso-countries',
      'https://www.npmjs.com/package/world-countries',
    ]);
    const vat = select(`SELECT ?src WHERE { <${BASE}id/state/VAT> prov:wasDerivedFrom ?src }`).map((r) => r.src);
    expect(vat).toContain(`${BASE}id/source/un-research-guide-observers`);
  });

  it('records the package disagreement on the Holy See as a curation note', () => {
    const notes = select(`SELECT ?n WHERE { <${BASE}id/state/VAT> skos:editorialNote ?n }`);
    expect(notes).toHaveLength(1);
    expect(notes[0]?.n).toMatch(/unMember: true/);
    expect(readFileSync(FILE, 'utf8')).toMatch(/^# {3}- VAT \(Vatican City\) is flagged unMember: true by world-countries/m);
  });

  it('has no UN admission dates (no package provides them)', () => {
    expect(count('SELECT (COUNT(*) AS ?n) WHERE { ?s cdo:unMemberSince ?d }')).toBe(0);
  });

  it('is exactly what `npm run data:build` produces from the installed packages', async () => {
    const built = await buildStates();
    expect(built.report.members).toBe(193);
    expect(built.report.observers).toBe(2);
    expect(built.report.codeMismatches).toEqual([]);
    expect(built.turtle === readFileSync(FILE, 'utf8'), 'data/states.ttl is stale: run npm run data:build').toBe(true);
  });
});
