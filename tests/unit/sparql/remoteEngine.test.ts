import { describe, expect, it } from 'vitest';
import { serviceTimeoutFor } from '../../../src/sparql/executor.js';
import {
  canonicalTriples,
  exclusionPragmas,
  normalizeResults,
} from '../../../src/sparql/remoteEngine.js';
import { graphConstantsAsValues, plainStringLiterals } from '../../../src/sparql/rewrite.js';

const XSD = 'http://www.w3.org/2001/XMLSchema#';

describe('normalizeResults', () => {
  it('makes a store’s SPARQL JSON standard and its literals canonical', () => {
    const out = normalizeResults({
      head: { vars: ['b', 'd', 'n', 's', 'x', 'l', '__cdg_g0'], link: [] },
      results: {
        bindings: [
          {
            b: { type: 'typed-literal', datatype: `${XSD}boolean`, value: '1' },
            d: { type: 'typed-literal', datatype: `${XSD}double`, value: '1e+06' },
            n: { type: 'bnode', value: 'nodeID://b10000' },
            s: { type: 'typed-literal', datatype: `${XSD}string`, value: 'text' },
            x: { type: 'typed-literal', datatype: 'http://ex/dt', value: 'kept' },
            l: { type: 'literal', 'xml:lang': 'en', value: 'hello' },
            __cdg_g0: { type: 'uri', value: 'http://ex/g' },
          },
        ],
      },
    });
    expect(out.head.vars).toEqual(['b', 'd', 'n', 's', 'x', 'l']);
    expect(out.results?.bindings[0]).toEqual({
      b: { type: 'literal', datatype: `${XSD}boolean`, value: 'true' },
      d: { type: 'literal', datatype: `${XSD}double`, value: '1000000' },
      n: { type: 'bnode', value: 'b10000' },
      s: { type: 'literal', value: 'text' },
      x: { type: 'literal', datatype: 'http://ex/dt', value: 'kept' },
      l: { type: 'literal', 'xml:lang': 'en', value: 'hello' },
    });
    expect(normalizeResults({ head: { link: [] }, boolean: true })).toEqual({
      head: {},
      boolean: true,
    });
  });
});

describe('canonicalTriples', () => {
  it('reads N-Triples or Turtle and writes canonical N-Triples', () => {
    const nt = canonicalTriples(
      '<http://ex/a>\t<http://ex/p>\t"01"^^<http://www.w3.org/2001/XMLSchema#integer> .\n',
      'application/n-triples',
    );
    expect(nt.trim()).toBe(
      '<http://ex/a> <http://ex/p> "1"^^<http://www.w3.org/2001/XMLSchema#integer> .',
    );
    expect(canonicalTriples('<http://ex/a> <http://ex/p> true .', 'text/turtle')).toContain(
      '"true"^^<http://www.w3.org/2001/XMLSchema#boolean>',
    );
  });
});

describe('graphConstantsAsValues', () => {
  it('binds each constant graph name with VALUES and leaves the rest of the query alone', () => {
    const q =
      'PREFIX g: <http://ex/> SELECT * WHERE { GRAPH <http://ex/a> { ?s ?p ?o } GRAPH g:b { ?s ?q "GRAPH <x> {" } GRAPH ?v { ?s ?p ?o } }';
    expect(graphConstantsAsValues(q)).toBe(
      'PREFIX g: <http://ex/> SELECT * WHERE { VALUES ?__cdg_g0 { <http://ex/a> } GRAPH ?__cdg_g0 { ?s ?p ?o } VALUES ?__cdg_g1 { g:b } GRAPH ?__cdg_g1 { ?s ?q "GRAPH <x> {" } GRAPH ?v { ?s ?p ?o } }',
    );
  });

  it('writes xsd:string literals plain, however the type is written', () => {
    expect(
      plainStringLiterals(
        'PREFIX x: <http://www.w3.org/2001/XMLSchema#> SELECT * { ?s ?p "a"^^<http://www.w3.org/2001/XMLSchema#string>, "b"^^x:string, "c"^^x:integer, "d^^x:string" }',
      ),
    ).toBe(
      'PREFIX x: <http://www.w3.org/2001/XMLSchema#> SELECT * { ?s ?p "a", "b", "c"^^x:integer, "d^^x:string" }',
    );
  });

  it('writes one pair of pragmas per excluded graph', () => {
    expect(exclusionPragmas(['http://sys/g'])).toBe(
      'DEFINE input:default-graph-exclude <http://sys/g> DEFINE input:named-graph-exclude <http://sys/g> ',
    );
  });
});

describe('serviceTimeoutFor', () => {
  it('takes the most specific endpoint’s limit, else the default', () => {
    const options = {
      maxRows: 10,
      serviceAllowlist: [],
      serviceTimeoutMs: 7000,
      serviceTimeouts: { 'https://ex.org/': 1000, 'https://ex.org/sparql': 2000 },
    };
    expect(serviceTimeoutFor('https://ex.org/sparql?query=x', options)).toBe(2000);
    expect(serviceTimeoutFor('https://ex.org/other', options)).toBe(1000);
    expect(serviceTimeoutFor('https://elsewhere.org/sparql', options)).toBe(7000);
    expect(
      serviceTimeoutFor('https://elsewhere.org/sparql', { maxRows: 1, serviceAllowlist: [] }),
    ).toBe(10_000);
  });
});
