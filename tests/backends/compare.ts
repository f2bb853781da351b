/**
 * Comparing answers across backends: SPARQL JSON results as multisets of solutions (blank nodes
 * as placeholders), RDF as isomorphic graphs, pages by the links they show.
 */
import { Parser } from 'n3';
import { isomorphic } from 'rdf-isomorphic';

interface Term {
  type: string;
  value: string;
  'xml:lang'?: string;
  datatype?: string;
}

/**
 * A GROUP_CONCAT of IRIs in a fixed order: the spec leaves the order of GROUP_CONCAT to the engine,
 * so lists of IRIs (the queries' `?sources` and the like) compare as sorted lists.
 * @param value - a literal's value
 */
export function sortedIriList(value: string): string {
  const tokens = value.split(' ');
  if (tokens.length < 2 || !tokens.every((t) => t === '' || /^https?:\/\//u.test(t))) return value;
  return tokens.sort().join(' ');
}

/**
 * SPARQL JSON results as a sorted list of solution keys (one string per solution).
 * @param body - SPARQL JSON text
 */
export function solutionKeys(body: string): string[] {
  const parsed = JSON.parse(body) as {
    boolean?: boolean;
    results?: { bindings: Array<Record<string, Term>> };
  };
  if (parsed.boolean !== undefined) return [`ASK ${parsed.boolean}`];
  return (parsed.results?.bindings ?? [])
    .map((row) =>
      Object.keys(row)
        .sort()
        .map((k) => {
          const t = row[k]!;
          if (t.type === 'bnode') return `${k}=_:`;
          const type = t.type === 'typed-literal' ? 'literal' : t.type;
          const value = type === 'literal' ? sortedIriList(t.value) : t.value;
          return `${k}=${type}|${value}|${t['xml:lang'] ?? ''}|${t.datatype ?? ''}`;
        })
        .join('\t'),
    )
    .sort();
}

/** The first differences between two sorted key lists, for a readable failure. */
export function keyDiff(a: readonly string[], b: readonly string[], max = 8): string {
  const sa = new Set(a);
  const sb = new Set(b);
  const onlyA = a.filter((x) => !sb.has(x)).slice(0, max);
  const onlyB = b.filter((x) => !sa.has(x)).slice(0, max);
  return `${a.length} vs ${b.length} rows\nonly embedded:\n  ${onlyA.join('\n  ')}\nonly remote:\n  ${onlyB.join('\n  ')}`;
}

/**
 * True when two RDF documents (N-Triples or N-Quads) are isomorphic.
 * @param a - one document
 * @param b - the other
 * @param format - their syntax
 */
export function sameGraph(a: string, b: string, format = 'N-Triples'): boolean {
  const qa = new Parser({ format }).parse(a);
  const qb = new Parser({ format }).parse(b);
  return qa.length === qb.length && isomorphic(qa, qb);
}

/**
 * The links a page shows, sorted: what the reader can follow, whatever the order of the rows.
 * @param html - the page
 */
export function pageLinks(html: string): string[] {
  return [...html.matchAll(/href="([^"]*)"/gu)].map((m) => m[1]!).sort();
}
