/**
 * Mapping between the graph's persistent IRIs and this server's URLs: every IRI under the configured
 * base is served at the same path on whatever origin the server runs (localhost or a real domain).
 */

/** Extension URLs for links to one representation, and their media types. */
export const EXTENSIONS: Readonly<Record<string, string>> = Object.freeze({
  '.html': 'text/html',
  '.ttl': 'text/turtle',
  '.jsonld': 'application/ld+json',
  '.nt': 'application/n-triples',
  '.rdf': 'application/rdf+xml',
  '.trig': 'application/trig',
});

/** Media type → extension, for Content-Location and download links. */
export const EXTENSION_OF: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(Object.entries(EXTENSIONS).map(([ext, type]) => [type, ext])),
);

/**
 * The local path for an IRI under the base, or undefined for any other IRI.
 * @param iri - an IRI
 * @param baseIri - the configured base, ending in `/`
 */
export function localPath(iri: string, baseIri: string): string | undefined {
  if (!iri.startsWith(baseIri)) return undefined;
  const rest = iri.slice(baseIri.length);
  // Ontology terms are fragments of the ontology document.
  return `/${rest}`;
}

/** Where a link to `iri` should go from a page of this server: local for ours, as-is for others. */
export function hrefFor(iri: string, baseIri: string): string {
  return localPath(iri, baseIri) ?? iri;
}

/**
 * Splits a request path into the IRI it names and the representation an extension asks for.
 * @param path - the URL path (already percent-decoded by the router, or not: both work)
 * @param baseIri - the configured base
 */
export function resolveRequestPath(
  path: string,
  baseIri: string,
): { iri: string; mediaType?: string } {
  for (const [ext, mediaType] of Object.entries(EXTENSIONS)) {
    if (path.endsWith(ext) && path.length > ext.length + 1) {
      return { iri: baseIri + path.slice(1, -ext.length), mediaType };
    }
  }
  return { iri: baseIri + path.slice(1) };
}
