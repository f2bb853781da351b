/**
 * What the endpoint needs to know about a query before an engine sees it: its form (to negotiate a
 * result format and refuse updates), where SERVICE would reach (to enforce the allowlist), and how to
 * state a protocol dataset (`default-graph-uri`, `named-graph-uri`) in the query text.
 */
import { tokenize, type Token } from './lexer.js';

export type QueryForm = 'SELECT' | 'ASK' | 'CONSTRUCT' | 'DESCRIBE';

export interface QueryInfo {
  /** SELECT/ASK/CONSTRUCT/DESCRIBE, or 'UPDATE' when the text is a SPARQL Update request. */
  readonly form: QueryForm | 'UPDATE' | undefined;
  /** Absolute IRIs of SERVICE clauses; `undefined` entries stand for variables or unresolvable names. */
  readonly services: readonly (string | undefined)[];
  /** True when the query states its own dataset (FROM or FROM NAMED). */
  readonly hasDataset: boolean;
  /** How deep and how long the query's syntax is (see `QUERY_SHAPE_LIMITS`). */
  readonly shape: QueryShape;
}

/** Measures of a query's syntax tree that engines' recursive parsers and planners are sensitive to. */
export interface QueryShape {
  /** Deepest nesting of `{ }`, `( )` and `[ ]`. */
  readonly depth: number;
  /** Group-level clauses: OPTIONAL, BIND, FILTER, UNION, MINUS, SELECT, GRAPH, SERVICE, EXISTS. */
  readonly clauses: number;
  /** Operator tokens: `& | ! + - * / =` (`&&` counts twice). */
  readonly operators: number;
}

/**
 * Limits on a query's shape, checked before any engine sees it. Oxigraph's parser recurses over the
 * syntax tree inside WebAssembly, whose stack is small: about 1,000 nested groups, 1,000 BINDs or
 * OPTIONALs in one group, or 2,000–3,000 chained UNIONs, FILTERs or operators exhaust it (measured
 * with oxigraph 0.5). The limits leave a wide margin and are far beyond any hand-written query.
 */
export const QUERY_SHAPE_LIMITS: QueryShape = Object.freeze({
  depth: 100,
  clauses: 400,
  operators: 1000,
});

const CLAUSE_KEYWORDS = new Set([
  'OPTIONAL',
  'BIND',
  'FILTER',
  'UNION',
  'MINUS',
  'SELECT',
  'GRAPH',
  'SERVICE',
  'EXISTS',
]);
const OPERATORS = new Set(['&', '|', '!', '+', '-', '*', '/', '=']);
const OPENERS = new Set(['{', '(', '[']);
const CLOSERS = new Set(['}', ')', ']']);

function measure(tokens: readonly Token[]): QueryShape {
  let depth = 0;
  let deepest = 0;
  let clauses = 0;
  let operators = 0;
  for (const t of tokens) {
    if (t.type === 'punct') {
      if (OPENERS.has(t.text)) deepest = Math.max(deepest, ++depth);
      else if (CLOSERS.has(t.text)) depth = Math.max(0, depth - 1);
      else if (OPERATORS.has(t.text)) operators++;
    } else if (t.type === 'word' && CLAUSE_KEYWORDS.has(t.text.toUpperCase())) clauses++;
  }
  return { depth: deepest, clauses, operators };
}

/**
 * Says what is wrong when a query's shape is over the limits, or undefined when it is within them.
 * @param shape - from `inspectQuery`
 */
export function shapeProblem(shape: QueryShape): string | undefined {
  const l = QUERY_SHAPE_LIMITS;
  if (shape.depth > l.depth)
    return `The query nests brackets ${shape.depth} levels deep; this endpoint accepts at most ${l.depth}.`;
  if (shape.clauses > l.clauses)
    return `The query has ${shape.clauses} OPTIONAL, BIND, FILTER, UNION, MINUS, SELECT, GRAPH, SERVICE or EXISTS clauses; this endpoint accepts at most ${l.clauses}.`;
  if (shape.operators > l.operators)
    return `The query has ${shape.operators} operators; this endpoint accepts at most ${l.operators}. Use VALUES or IN for long lists.`;
  return undefined;
}

/** Keywords that open a SPARQL Update operation. */
export const UPDATE_KEYWORDS: ReadonlySet<string> = new Set([
  'INSERT',
  'DELETE',
  'LOAD',
  'CLEAR',
  'CREATE',
  'DROP',
  'COPY',
  'MOVE',
  'ADD',
  'WITH',
]);
const FORMS = new Set<string>(['SELECT', 'ASK', 'CONSTRUCT', 'DESCRIBE']);

function resolve(iri: string, base: string | undefined): string | undefined {
  try {
    return new URL(iri, base).href;
  } catch {
    return undefined;
  }
}

/** Index of the first token after the prologue (BASE / PREFIX declarations). */
function prologueEnd(
  tokens: readonly Token[],
  prefixes: Map<string, string>,
  baseRef: { base?: string },
): number {
  let i = 0;
  while (i < tokens.length) {
    const kw = tokens[i]!.text.toUpperCase();
    if (kw === 'BASE' && tokens[i + 1]?.type === 'iri') {
      baseRef.base = resolve(tokens[i + 1]!.text.slice(1, -1), baseRef.base);
      i += 2;
    } else if (kw === 'PREFIX' && tokens[i + 1] !== undefined && tokens[i + 2]?.type === 'iri') {
      const name = tokens[i + 1]!.text.replace(/:$/u, '');
      const iri = resolve(tokens[i + 2]!.text.slice(1, -1), baseRef.base);
      if (iri !== undefined) prefixes.set(name, iri);
      i += 3;
    } else break;
  }
  return i;
}

/**
 * Reads a query's form, SERVICE targets and dataset clauses from its tokens.
 * @param query - SPARQL text
 * @param baseIri - base for relative IRIs
 */
export function inspectQuery(query: string, baseIri?: string): QueryInfo {
  return inspectTokens(tokenize(query), baseIri);
}

/**
 * `inspectQuery` over a query already split into tokens (so that one tokenization serves several
 * readings of the same text).
 * @param tokens - the query's tokens
 * @param baseIri - base for relative IRIs
 */
export function inspectTokens(tokens: readonly Token[], baseIri?: string): QueryInfo {
  const prefixes = new Map<string, string>();
  const baseRef: { base?: string } = { base: baseIri };
  const first = prologueEnd(tokens, prefixes, baseRef);
  const head = tokens[first]?.text.toUpperCase();
  let form: QueryInfo['form'];
  if (head !== undefined && FORMS.has(head)) form = head as QueryForm;
  else if (head !== undefined && UPDATE_KEYWORDS.has(head)) form = 'UPDATE';
  const services: (string | undefined)[] = [];
  let hasDataset = false;
  for (let i = first; i < tokens.length; i++) {
    const kw = tokens[i]!.text.toUpperCase();
    if (tokens[i]!.type !== 'word') continue;
    if (kw === 'SERVICE') {
      let target = tokens[i + 1];
      if (target?.text.toUpperCase() === 'SILENT') target = tokens[i + 2];
      if (target?.type === 'iri') services.push(resolve(target.text.slice(1, -1), baseRef.base));
      else if (target?.type === 'word' && target.text.includes(':')) {
        const [pfx = '', ...rest] = target.text.split(':');
        const ns = prefixes.get(pfx);
        services.push(ns === undefined ? undefined : ns + rest.join(':'));
      } else services.push(undefined);
    } else if (kw === 'FROM' && form !== 'UPDATE') hasDataset = true;
    else if (form === undefined && UPDATE_KEYWORDS.has(kw)) form = 'UPDATE';
  }
  return { form, services, hasDataset, shape: measure(tokens) };
}

/**
 * States a protocol dataset inside the query text, replacing any FROM / FROM NAMED it had (the
 * protocol's dataset overrides the query's). Used for engines that take no dataset option.
 * An empty default graph is stated as a graph that does not exist.
 * @param query - SPARQL text
 * @param defaultGraphs - IRIs of `default-graph-uri`
 * @param namedGraphs - IRIs of `named-graph-uri`
 */
export function withDataset(
  query: string,
  defaultGraphs: readonly string[],
  namedGraphs: readonly string[],
): string {
  const tokens = tokenize(query);
  const first = prologueEnd(tokens, new Map(), {});
  const head = tokens[first]?.text.toUpperCase();
  if (head === undefined || !FORMS.has(head)) return query;
  let i = first + 1;
  if (head === 'CONSTRUCT' && tokens[i]?.text === '{') {
    let depth = 0;
    for (; i < tokens.length; i++) {
      if (tokens[i]!.text === '{') depth++;
      else if (tokens[i]!.text === '}' && --depth === 0) {
        i++;
        break;
      }
    }
  }
  // Walk the query head (projection, describe targets) up to the dataset clause / WHERE / body.
  const stop = new Set(['WHERE', '{', 'ORDER', 'GROUP', 'HAVING', 'LIMIT', 'OFFSET', 'VALUES']);
  let depth = 0;
  const cut: Array<[number, number]> = [];
  let insertAt = query.length;
  for (; i < tokens.length; i++) {
    const t = tokens[i]!;
    const up = t.text.toUpperCase();
    if (t.text === '(') depth++;
    else if (t.text === ')') depth--;
    if (depth > 0) continue;
    if (t.type === 'word' && up === 'FROM') {
      const named = tokens[i + 1]?.text.toUpperCase() === 'NAMED';
      const iriTok = tokens[i + (named ? 2 : 1)];
      const endTok = iriTok ?? tokens[i]!;
      cut.push([t.start, endTok.end]);
      i += named ? 2 : 1;
      continue;
    }
    if ((t.type === 'word' || t.type === 'punct') && stop.has(up)) {
      insertAt = t.start;
      break;
    }
  }
  const defaults =
    defaultGraphs.length > 0 || namedGraphs.length === 0
      ? defaultGraphs
      : ['urn:x-cdg:empty-default-graph'];
  const clause =
    defaults.map((g) => `FROM <${g}> `).join('') +
    namedGraphs.map((g) => `FROM NAMED <${g}> `).join('');
  let out = '';
  let pos = 0;
  for (const [s, e] of cut) {
    out += query.slice(pos, s);
    pos = e;
  }
  out +=
    query.slice(pos, insertAt) +
    (insertAt === query.length ? ' ' : '') +
    clause +
    query.slice(insertAt);
  return out;
}
