import { describe, expect, it } from 'vitest';
import { isHttpError } from '../../../src/errors.js';
import { parseProtocolRequest, type ProtocolInput } from '../../../src/sparql/protocol.js';

const base: ProtocolInput = {
  method: 'GET',
  search: '',
  contentType: undefined,
  accept: undefined,
  body: undefined,
};
const opts = { serviceAllowlist: [] as string[] };

function statusOf(input: Partial<ProtocolInput>, options = opts): number {
  try {
    parseProtocolRequest({ ...base, ...input }, options);
  } catch (error) {
    if (isHttpError(error)) return error.statusCode;
    throw error;
  }
  return 200;
}

describe('parseProtocolRequest', () => {
  it('describes the service on GET without a query', () => {
    expect(parseProtocolRequest(base, opts)).toEqual({ kind: 'describe-service' });
  });

  it('reads GET query, repeated dataset parameters and format=', () => {
    const action = parseProtocolRequest(
      {
        ...base,
        search:
          'query=SELECT%20*%20%7B%3Fs%20%3Fp%20%3Fo%7D&default-graph-uri=http%3A%2F%2Fa&default-graph-uri=http%3A%2F%2Fb&named-graph-uri=http%3A%2F%2Fc&format=csv',
      },
      opts,
    );
    expect(action.kind === 'query' && action.request).toMatchObject({
      form: 'SELECT',
      mediaType: 'text/csv',
      defaultGraphs: ['http://a', 'http://b'],
      namedGraphs: ['http://c'],
    });
  });

  it('reads POST bodies of both kinds', () => {
    const form = parseProtocolRequest(
      {
        ...base,
        method: 'POST',
        contentType: 'application/x-www-form-urlencoded',
        body: 'query=ASK%7B%7D',
      },
      opts,
    );
    expect(form.kind === 'query' && form.request.form).toBe('ASK');
    const direct = parseProtocolRequest(
      {
        ...base,
        method: 'POST',
        contentType: 'application/sparql-query; charset=utf-8',
        body: 'CONSTRUCT WHERE { ?s ?p ?o }',
        accept: 'application/n-triples',
      },
      opts,
    );
    expect(direct.kind === 'query' && direct.request.mediaType).toBe('application/n-triples');
  });

  it('answers with the status the protocol prescribes', () => {
    expect(statusOf({ method: 'PUT' })).toBe(405);
    expect(statusOf({ method: 'POST', contentType: 'text/plain', body: 'SELECT * {}' })).toBe(415);
    expect(
      statusOf({ method: 'POST', contentType: 'application/sparql-update', body: 'CLEAR ALL' }),
    ).toBe(403);
    expect(
      statusOf({
        method: 'POST',
        contentType: 'application/x-www-form-urlencoded',
        body: 'update=CLEAR%20ALL',
      }),
    ).toBe(403);
    expect(statusOf({ search: 'query=DROP%20ALL' })).toBe(403);
    expect(statusOf({ method: 'POST', contentType: 'application/sparql-query', body: '  ' })).toBe(
      400,
    );
    expect(statusOf({ search: 'query=SELECT%20*%7B%7D&query=ASK%7B%7D' })).toBe(400);
    expect(statusOf({ search: 'query=SELECT%20*%7B%7D', accept: 'image/png' })).toBe(406);
    expect(statusOf({ search: 'query=SELECT%20*%7B%7D&format=ttl' })).toBe(406);
    expect(statusOf({ search: 'query=SELECT%20*%7B%7D&default-graph-uri=not%20an%20iri' })).toBe(
      400,
    );
  });

  it('hands updates sent by POST to the writer when writes are on', () => {
    const writes = { serviceAllowlist: [], writes: true };
    const update = 'INSERT DATA { GRAPH <urn:g> { <urn:a> <urn:b> 1 } }';
    expect(
      parseProtocolRequest(
        { ...base, method: 'POST', contentType: 'application/sparql-update', body: update },
        writes,
      ),
    ).toEqual({ kind: 'update', update });
    expect(
      parseProtocolRequest(
        {
          ...base,
          method: 'POST',
          contentType: 'application/x-www-form-urlencoded',
          body: `update=${encodeURIComponent(update)}`,
        },
        writes,
      ),
    ).toEqual({ kind: 'update', update });
    // Updates only by POST, never as a query, and the dataset goes in the update itself.
    expect(statusOf({ search: `update=${encodeURIComponent(update)}` }, writes)).toBe(400);
    expect(statusOf({ search: `query=${encodeURIComponent(update)}` }, writes)).toBe(400);
    expect(
      statusOf(
        {
          method: 'POST',
          search: 'using-graph-uri=urn%3Ag',
          contentType: 'application/sparql-update',
          body: update,
        },
        writes,
      ),
    ).toBe(400);
    expect(
      statusOf({ method: 'POST', contentType: 'application/sparql-update', body: ' ' }, writes),
    ).toBe(400);
  });

  it('refuses SERVICE off the allowlist and lets allowlisted endpoints through', () => {
    const q =
      'query=' +
      encodeURIComponent('SELECT * { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }');
    expect(statusOf({ search: q })).toBe(403);
    expect(statusOf({ search: q }, { serviceAllowlist: ['http://127.0.0.1:9/sparql'] })).toBe(200);
    expect(
      statusOf({ search: 'query=' + encodeURIComponent('SELECT * { SERVICE ?x { ?s ?p ?o } }') }),
    ).toBe(403);
  });
});
