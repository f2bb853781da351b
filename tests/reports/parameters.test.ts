/**
 * The catalogue headers and parameter binding: typed parameters, render specs, and values bound as
 * RDF terms — a malicious value is rejected or escaped, never spliced into the query.
 */
import path from 'node:path';
import oxigraph from 'oxigraph';
import { describe, expect, it } from 'vitest';
import { buildCatalogue } from '../../src/reports/catalogue.js';
import {
  bindParameters,
  loadSavedQueries,
  ParameterError,
  parseParameters,
  parseRenderSpec,
  parseSavedQuery,
} from '../../src/reports/savedQueries.js';
import { REPO_ROOT } from '../util/server.js';

describe('# parameters:', () => {
  it('parses a typed list with defaults', () => {
    expect(parseParameters('none')).toEqual([]);
    expect(parseParameters('')).toEqual([]);
    expect(
      parseParameters(
        'state (IRI, default https://w3id.org/cyber-diplomacy/id/state/FRA), since (integer, default 2000), q (string)',
      ),
    ).toEqual([
      { name: 'state', type: 'iri', default: 'https://w3id.org/cyber-diplomacy/id/state/FRA' },
      { name: 'since', type: 'integer', default: '2000' },
      { name: 'q', type: 'string' },
    ]);
    expect(parseParameters('label (string, default "a, b")')).toEqual([
      { name: 'label', type: 'string', default: 'a, b' },
    ]);
  });

  it('refuses unknown types and malformed entries', () => {
    expect(() => parseParameters('x (colour)')).toThrow(ParameterError);
    expect(() => parseParameters('not a name')).toThrow(ParameterError);
  });
});

describe('# report:', () => {
  it('parses table, matrix, timeline and bar', () => {
    expect(parseRenderSpec('table')).toEqual({ kind: 'table' });
    expect(parseRenderSpec('matrix norm document')).toEqual({
      kind: 'matrix',
      row: 'norm',
      col: 'document',
    });
    expect(parseRenderSpec('matrix ?norm ?document ?strength')).toEqual({
      kind: 'matrix',
      row: 'norm',
      col: 'document',
      value: 'strength',
    });
    expect(parseRenderSpec('timeline date')).toEqual({ kind: 'timeline', date: 'date' });
    expect(parseRenderSpec('bar category supporters')).toEqual({
      kind: 'bar',
      label: 'category',
      value: 'supporters',
    });
    expect(parseRenderSpec('something else')).toEqual({ kind: 'table' });
  });
});

describe('binding parameters', () => {
  const query = `# title: t
# description: mentions WHERE { in a comment }
SELECT ?s ?label WHERE {
  VALUES ?entity { <https://w3id.org/cyber-diplomacy/id/state/FRA> }
  ?s ?p ?entity . OPTIONAL { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label }
}`;
  const params = parseParameters(
    'entity (IRI, default https://w3id.org/cyber-diplomacy/id/state/FRA), name (string, default en), n (integer, default 1)',
  );

  it('replaces the default VALUES block with the given IRI', () => {
    const bound = bindParameters(query, params, {
      entity: 'https://w3id.org/cyber-diplomacy/id/state/DEU',
    });
    expect(bound).toContain('VALUES ?entity { <https://w3id.org/cyber-diplomacy/id/state/DEU> }');
    expect(bound).not.toContain('state/FRA');
    // Parameters without a block in the query get one injected into the outermost WHERE.
    expect(bound).toMatch(
      /SELECT \?s \?label WHERE \{\n {2}VALUES \?n \{ "1"\^\^<http:\/\/www\.w3\.org\/2001\/XMLSchema#integer> \}/u,
    );
    expect(bound).toContain('VALUES ?name { "en" }');
    // The comment is left alone.
    expect(bound).toContain('# description: mentions WHERE { in a comment }');
  });

  it.each([
    'https://w3id.org/cyber-diplomacy/id/state/FRA> } ; DROP ALL ; SELECT * { <x:y',
    '>} ; DROP',
    'https://example.org/a b',
    'https://example.org/{x}',
    'not an iri',
    'javascript"alert(1)',
  ])('rejects the IRI %s', (bad) => {
    expect(() => bindParameters(query, params, { entity: bad })).toThrow(ParameterError);
  });

  it('rejects a non-integer for an integer and an unknown parameter name', () => {
    expect(() => bindParameters(query, params, { n: '1 } ; DROP ALL' })).toThrow(ParameterError);
    expect(() => bindParameters(query, params, { n: '1.5' })).toThrow(/not an integer/u);
    expect(() => bindParameters(query, params, { evil: 'x' })).toThrow(/Unknown parameter evil/u);
  });

  it('escapes quotes, backslashes and newlines in a string, which stays one literal', () => {
    const evil = 'en" } ; DROP ALL ; SELECT * { "\\\n#';
    const bound = bindParameters(query, params, { name: evil });
    expect(bound).toContain('VALUES ?name { "en\\" } ; DROP ALL ; SELECT * { \\"\\\\\\n#" }');
    // The bound query parses and runs as one SELECT, with the value as a single literal.
    const store = new oxigraph.Store();
    store.add(
      oxigraph.quad(
        oxigraph.namedNode('https://example.org/s'),
        oxigraph.namedNode('https://example.org/p'),
        oxigraph.namedNode('https://w3id.org/cyber-diplomacy/id/state/FRA'),
      ),
    );
    const check = bindParameters(
      'SELECT ?name WHERE { VALUES ?name { "x" } ?s ?p ?o }',
      parseParameters('name (string, default x)'),
      { name: evil },
    );
    const rows = store.query(check) as Array<Map<string, oxigraph.Term>>;
    expect(rows).toHaveLength(1);
    expect(rows[0]!.get('name')!.value).toBe(evil);
  });
});

describe('the catalogue', () => {
  it('parses every saved query header and makes the six cross-reference reports', async () => {
    const queries = await loadSavedQueries(path.join(REPO_ROOT, 'queries'));
    const reports = buildCatalogue(queries);
    expect(reports.map((r) => r.id)).toEqual(
      expect.arrayContaining([
        'norms-documents',
        'sectors',
        'incidents',
        'states',
        'document-crossref',
        'coverage',
      ]),
    );
    for (const q of queries) {
      expect(() => parseParameters(q.parameters), q.id).not.toThrow();
      expect(q.report, q.id).toMatch(/^(table|matrix \w+ \w+( \w+)?|timeline \w+|bar \w+ \w+)$/u);
      // Every query's default binding is a valid query (no parameter given).
      expect(() => bindParameters(q.query, parseParameters(q.parameters), {}), q.id).not.toThrow();
    }
    const states = reports.find((r) => r.id === 'states')!;
    expect(states.parameters).toEqual([
      { name: 'state', type: 'iri', default: 'https://w3id.org/cyber-diplomacy/id/state/FRA' },
    ]);
    expect(states.sections.map((s) => s.id)).toEqual(['states', 'state-profile']);
  });

  it('skips a composite report whose queries are missing', () => {
    const only = buildCatalogue([
      parseSavedQuery('norms', '# title: N\nSELECT * WHERE { ?s ?p ?o }'),
    ]);
    expect(only.map((r) => r.id)).toEqual(['norms']);
  });
});
