import { describe, expect, it } from 'vitest';
import {
  formatToMediaType,
  GRAPH_TYPES,
  negotiate,
  SOLUTION_TYPES,
} from '../../../src/sparql/formats.js';

describe('negotiate', () => {
  it('defaults to the first offer without an Accept header or with */*', () => {
    expect(negotiate(undefined, SOLUTION_TYPES)).toBe('application/sparql-results+json');
    expect(negotiate('*/*', GRAPH_TYPES)).toBe('text/turtle');
  });

  it('honours q-values', () => {
    expect(negotiate('application/sparql-results+json;q=0.5, text/csv', SOLUTION_TYPES)).toBe(
      'text/csv',
    );
    expect(negotiate('text/turtle;q=0.1, application/n-triples;q=0.9', GRAPH_TYPES)).toBe(
      'application/n-triples',
    );
  });

  it('maps common synonyms onto our media types', () => {
    expect(negotiate('application/json', SOLUTION_TYPES)).toBe('application/sparql-results+json');
    expect(negotiate('application/xml', SOLUTION_TYPES)).toBe('application/sparql-results+xml');
    expect(negotiate('text/plain', GRAPH_TYPES)).toBe('application/n-triples');
  });

  it('returns undefined when nothing offered is acceptable', () => {
    expect(negotiate('image/png', SOLUTION_TYPES)).toBeUndefined();
    expect(negotiate('text/turtle', SOLUTION_TYPES)).toBeUndefined();
  });
});

describe('formatToMediaType', () => {
  it('knows short names and passes media types through', () => {
    expect(formatToMediaType('ttl')).toBe('text/turtle');
    expect(formatToMediaType('TSV')).toBe('text/tab-separated-values');
    expect(formatToMediaType('application/n-quads')).toBe('application/n-quads');
    expect(formatToMediaType('nonsense')).toBeUndefined();
  });
});
