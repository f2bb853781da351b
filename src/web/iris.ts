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

/** Schemes a link may use; anything else (`javascript:`, `data:`, `vbscript:` …) never becomes one. */
const LINK_SCHEMES = new Set(['http:', 'https:', 'mailto:', 'ftp:', 'urn:']);

/**
 * A URL made safe to put in `href`: relative URLs and the schemes in `LINK_SCHEMES` pass, anything
 * else becomes `#`. IRIs in the data are not vetted, and an escaped `javascript:` IRI would still run.
 * @param url - a URL or IRI
 */
export function safeHref(url: string): string {
  // Browsers ignore leading spaces and control characters, and tabs or newlines inside a scheme.
  // eslint-disable-next-line no-control-regex -- exactly the characters browsers strip
  const cleaned = url.replace(/^[\u0000-\u0020]+/u, '').replace(/[\t\n\r]/gu, '');
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/u.exec(cleaned)?.[1];
  if (scheme === undefined) return url;
  return LINK_SCHEMES.has(`${scheme.toLowerCase()}:`) ? url : '#';
}

/** Where a link to `iri` should go from a page of this server: local for ours, as-is for others. */
export function hrefFor(iri: string, baseIri: string): string {
  return localPath(iri, baseIri) ?? safeHref(iri);
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
