/**
 * Result media types, their short names for `format=`, and content negotiation on `Accept` with
 * q-values (via the `negotiator` package, the one Express itself uses).
 */
import Negotiator from 'negotiator';
import type { QueryForm } from './inspect.js';

/** Media types for SELECT and ASK results. */
export const SOLUTION_TYPES = [
  'application/sparql-results+json',
  'application/sparql-results+xml',
  'text/csv',
  'text/tab-separated-values',
] as const;

/** Media types for CONSTRUCT and DESCRIBE results, and for RDF documents in general. */
export const GRAPH_TYPES = [
  'text/turtle',
  'application/n-triples',
  'application/ld+json',
  'application/rdf+xml',
  'application/trig',
  'application/n-quads',
] as const;

/** `format=` short names (and common aliases) → media type. */
export const FORMAT_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  json: 'application/sparql-results+json',
  srj: 'application/sparql-results+json',
  xml: 'application/sparql-results+xml',
  srx: 'application/sparql-results+xml',
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  ttl: 'text/turtle',
  turtle: 'text/turtle',
  nt: 'application/n-triples',
  ntriples: 'application/n-triples',
  'n-triples': 'application/n-triples',
  jsonld: 'application/ld+json',
  'json-ld': 'application/ld+json',
  rdf: 'application/rdf+xml',
  rdfxml: 'application/rdf+xml',
  'rdf+xml': 'application/rdf+xml',
  trig: 'application/trig',
  nq: 'application/n-quads',
  nquads: 'application/n-quads',
  'n-quads': 'application/n-quads',
});

/** Extra media types clients send that mean one of ours. */
const EQUIVALENTS: Readonly<Record<string, string>> = Object.freeze({
  'application/json': 'application/sparql-results+json',
  'application/xml': 'application/sparql-results+xml',
  'text/xml': 'application/sparql-results+xml',
  'application/x-turtle': 'text/turtle',
  'text/plain': 'application/n-triples',
  'application/json+ld': 'application/ld+json',
});

/** The media types a query form can be answered in, the default first. */
export function typesForForm(form: QueryForm): readonly string[] {
  return form === 'SELECT' || form === 'ASK' ? SOLUTION_TYPES : GRAPH_TYPES;
}

/**
 * Turns a `format=` value (short name or media type) into a media type, or undefined if unknown.
 * @param format - e.g. `json`, `ttl`, `text/csv`
 */
export function formatToMediaType(format: string): string | undefined {
  const f = format.trim().toLowerCase();
  return (
    FORMAT_ALIASES[f] ??
    (EQUIVALENTS[f] !== undefined ? EQUIVALENTS[f] : f.includes('/') ? f : undefined)
  );
}

/**
 * Picks the best of `offers` for an `Accept` header, honouring q-values and wildcards.
 * Returns the first offer when the header is absent, and undefined when nothing is acceptable.
 * @param accept - the raw `Accept` header
 * @param offers - media types we can produce, preferred first
 */
export function negotiate(
  accept: string | undefined,
  offers: readonly string[],
): string | undefined {
  if (accept === undefined || accept.trim() === '') return offers[0];
  // Let a client's synonym (application/json, text/plain …) select its equivalent offer.
  const aliasOffers = Object.entries(EQUIVALENTS).filter(([, target]) => offers.includes(target));
  const all = [...offers, ...aliasOffers.map(([alias]) => alias)];
  let chosen: string | undefined;
  try {
    chosen = new Negotiator({ headers: { accept } }).mediaType(all);
  } catch {
    return undefined;
  }
  if (chosen === undefined) return undefined;
  return EQUIVALENTS[chosen] !== undefined && !offers.includes(chosen)
    ? EQUIVALENTS[chosen]
    : chosen;
}

/** The `Content-Type` header value for a media type (text types carry charset=utf-8). */
export function contentTypeHeader(mediaType: string): string {
  return `${mediaType}; charset=utf-8`;
}

/**
 * True when the client explicitly prefers HTML (a browser), not merely accepts anything.
 * @param accept - the Accept header
 */
export function prefersHtml(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  return new Negotiator({ headers: { accept } }).mediaTypes()[0] === 'text/html';
}
