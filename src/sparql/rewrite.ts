/**
 * Rewrites of query text for stores that read SPARQL their own way, each keeping the query's meaning:
 * made with the tokenizer, so strings, IRIs and comments are never touched by mistake.
 */
import { tokenize } from './lexer.js';

const XSD = 'http://www.w3.org/2001/XMLSchema#';

/**
 * `GRAPH <iri> { … }` written as `VALUES ?__cdg_gN { <iri> } GRAPH ?__cdg_gN { … }`: with the
 * graph-exclusion pragmas, Virtuoso 7.2 finds nothing in a graph named by a constant, while a graph
 * bound by VALUES works.
 * @param query - SPARQL text
 */
export function graphConstantsAsValues(query: string): string {
  const tokens = tokenize(query);
  let out = '';
  let pos = 0;
  let n = 0;
  for (let i = 0; i + 1 < tokens.length; i++) {
    const t = tokens[i]!;
    const target = tokens[i + 1]!;
    if (t.type !== 'word' || t.text.toUpperCase() !== 'GRAPH') continue;
    const constant = target.type === 'iri' || (target.type === 'word' && target.text.includes(':'));
    if (!constant || tokens[i + 2]?.text !== '{') continue;
    const v = `?__cdg_g${n++}`;
    out += `${query.slice(pos, t.start)}VALUES ${v} { ${target.text} } GRAPH ${v}`;
    pos = target.end;
  }
  return out + query.slice(pos);
}

/**
 * `"text"^^xsd:string` written as `"text"`: the same literal in RDF 1.1, but Virtuoso 7 keeps the
 * two apart (RDF 1.0), so a query naming the type — as Comunica writes every plain string it sends
 * to an endpoint — would find nothing.
 * @param query - SPARQL text
 */
export function plainStringLiterals(query: string): string {
  if (!query.includes('^^')) return query;
  const tokens = tokenize(query);
  const xsdPrefixes = new Set<string>();
  for (let i = 0; i + 2 < tokens.length; i++) {
    if (tokens[i]!.text.toUpperCase() === 'PREFIX' && tokens[i + 2]!.text === `<${XSD}>`)
      xsdPrefixes.add(tokens[i + 1]!.text);
  }
  let out = '';
  let pos = 0;
  for (let i = 0; i + 3 < tokens.length; i++) {
    const [str, c1, c2, dt] = [tokens[i]!, tokens[i + 1]!, tokens[i + 2]!, tokens[i + 3]!];
    if (str.type !== 'string' || c1.text !== '^' || c2.text !== '^') continue;
    const isString =
      dt.text === `<${XSD}string>` ||
      (dt.type === 'word' && [...xsdPrefixes].some((p) => dt.text === `${p}string`));
    if (!isString) continue;
    out += query.slice(pos, str.end);
    pos = dt.end;
  }
  return out + query.slice(pos);
}
