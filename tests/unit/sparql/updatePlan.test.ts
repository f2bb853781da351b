/**
 * Reading an update before it runs: which graphs it may write, what is refused, and the union
 * default graph stated for WHERE clauses.
 */
import oxigraph from 'oxigraph';
import { describe, expect, it } from 'vitest';
import { isHttpError } from '../../../src/errors.js';
import { writeRefusal } from '../../../src/graph/userGraphs.js';
import { planUpdate, withUnionDefault } from '../../../src/sparql/updatePlan.js';

const NS = 'https://w3id.org/cyber-diplomacy/graph/user/';
const CURATED = 'https://w3id.org/cyber-diplomacy/graph/data/norms';
const refusal = (g: string): string | undefined => writeRefusal(g, NS, new Set([CURATED]));
const PRE = `PREFIX u: <${NS}> PREFIX ex: <http://example.org/>\n`;

function statusOf(update: string): number {
  try {
    planUpdate(update, refusal);
    return 200;
  } catch (error) {
    if (isHttpError(error)) return error.statusCode;
    throw error;
  }
}

describe('planUpdate', () => {
  it('finds the graphs written by every kind of operation', () => {
    const plan = planUpdate(
      `${PRE}INSERT DATA { GRAPH u:a { ex:s ex:p 1 } };
       DELETE DATA { GRAPH u:b { ex:s ex:p 1 } };
       WITH u:c DELETE { ?s ?p ?o } INSERT { GRAPH u:d { ?s ?p ?o } } WHERE { ?s ?p ?o };
       DELETE WHERE { GRAPH u:e { ?s ?p ?o } };
       CLEAR SILENT GRAPH u:f; DROP GRAPH u:g; CREATE GRAPH u:h;
       ADD <${CURATED}> TO u:i; COPY u:j TO u:k; MOVE u:l TO u:m`,
      refusal,
    );
    expect(plan.operations).toBe(10);
    expect(plan.targets).toEqual(
      ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'k', 'l', 'm'].map((x) => NS + x),
    );
    // The WITH operation names its dataset: nothing to add.
    expect(plan.unionAt).toEqual([]);
  });

  it('refuses writes to curated graphs, the default graph and graphs outside the namespace', () => {
    expect(statusOf(`INSERT DATA { GRAPH <${CURATED}> { <urn:a> <urn:b> 1 } }`)).toBe(403);
    expect(statusOf('INSERT DATA { <urn:a> <urn:b> 1 }')).toBe(403);
    expect(statusOf('INSERT DATA { GRAPH <http://example.org/g> { <urn:a> <urn:b> 1 } }')).toBe(
      403,
    );
    expect(statusOf(`${PRE}DELETE { ?s ?p ?o } WHERE { GRAPH u:a { ?s ?p ?o } }`)).toBe(403);
    expect(statusOf('CLEAR ALL')).toBe(403);
    expect(statusOf('DROP NAMED')).toBe(403);
    expect(statusOf('CLEAR DEFAULT')).toBe(403);
    expect(statusOf(`${PRE}COPY u:a TO DEFAULT`)).toBe(403);
    expect(statusOf(`MOVE <${CURATED}> TO <${NS}x>`)).toBe(403);
    expect(statusOf(`LOAD <http://example.org/data.ttl> INTO GRAPH <${NS}x>`)).toBe(403);
    expect(
      statusOf(
        `INSERT { GRAPH <${NS}x> { ?s ?p ?o } } WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }`,
      ),
    ).toBe(403);
    try {
      planUpdate(`INSERT DATA { GRAPH <${CURATED}> { <urn:a> <urn:b> 1 } }`, refusal);
    } catch (error) {
      expect((error as Error).message).toMatch(/curated graph .* read-only/);
    }
  });

  it('refuses forms it cannot check, and reports syntax errors with their line', () => {
    expect(statusOf('INSERT { GRAPH ?g { ?s ?p ?o } } WHERE { GRAPH ?g { ?s ?p ?o } }')).toBe(400);
    expect(statusOf(`${PRE}COPY DEFAULT TO u:a`)).toBe(400);
    expect(statusOf('SELECT * WHERE { ?s ?p ?o }')).toBe(400);
    expect(() => planUpdate('INSERT DATA {\n  GRAPH <urn:g> { <urn:a> }\n}', refusal)).toThrow(
      /Syntax error in the update: Parse error on line 2/,
    );
  });

  it('accepts an update that is only a prologue', () => {
    expect(planUpdate(PRE, refusal)).toMatchObject({ operations: 0, targets: [] });
  });

  it('states the union default graph before each WHERE that has no dataset of its own', () => {
    const text = `${PRE}INSERT { GRAPH u:a { ?s a ex:Seen } } WHERE { ?s ex:p "WHERE { }" } ;
      INSERT { GRAPH u:b { ?s a ex:Seen } } USING <urn:g1> WHERE { ?s ?p ?o } ;
      DELETE WHERE { GRAPH u:a { ?s ?p ?o } } ;
      DELETE { GRAPH u:a { ?s ?p ?o } } WHERE { GRAPH u:a { ?s ?p ?o } }`;
    const plan = planUpdate(text, refusal);
    expect(plan.unionAt).toHaveLength(2);
    const out = withUnionDefault(text, plan.unionAt, ['urn:g1', 'urn:g2']);
    const using = 'USING <urn:g1> USING <urn:g2> USING NAMED <urn:g1> USING NAMED <urn:g2> ';
    expect(out.split(using)).toHaveLength(3);
    expect(out).toContain(`} } ${using}WHERE { ?s ex:p "WHERE { }" }`);
    expect(out).toContain('USING <urn:g1> WHERE { ?s ?p ?o }');
    expect(out).toContain('DELETE WHERE { GRAPH u:a');
  });

  it('makes a WHERE clause see the union of the graphs, as queries do', () => {
    const store = new oxigraph.Store();
    store.load('<urn:a> <urn:p> "1" .', {
      format: 'application/n-triples',
      to_graph_name: oxigraph.namedNode('urn:g1'),
    });
    store.load('<urn:b> <urn:p> "2" .', {
      format: 'application/n-triples',
      to_graph_name: oxigraph.namedNode('urn:g2'),
    });
    const update = `INSERT { GRAPH <${NS}seen> { ?s <urn:seen> ?o } } WHERE { ?s <urn:p> ?o }`;
    const plan = planUpdate(update, refusal);
    store.update(withUnionDefault(update, plan.unionAt, ['urn:g1', 'urn:g2']));
    expect(store.match(null, null, null, oxigraph.namedNode(`${NS}seen`))).toHaveLength(2);
  });
});

describe('writeRefusal', () => {
  it('accepts names under the namespace and says what is wrong with the others', () => {
    expect(refusal(`${NS}notes/2024-01_a~b`)).toBeUndefined();
    expect(refusal(NS)).toMatch(/not a user graph/);
    expect(refusal(`${NS}a b`)).toMatch(/not a valid user graph name/);
    expect(refusal('https://w3id.org/cyber-diplomacy/graph/data/x')).toMatch(/not a user graph/);
    expect(refusal(CURATED)).toMatch(/curated/);
  });
});
