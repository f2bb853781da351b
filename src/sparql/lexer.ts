/**
 * A small SPARQL tokenizer: enough to tell a query's form, its prologue, SERVICE targets and dataset
 * clauses without depending on any one engine's parser. Comments, strings and IRIs are single
 * tokens, so keywords inside them are never mistaken for syntax.
 */

export type TokenType = 'iri' | 'string' | 'word' | 'var' | 'punct' | 'number';

export interface Token {
  readonly type: TokenType;
  /** The token's text as written. */
  readonly text: string;
  /** Offset of the first character in the query. */
  readonly start: number;
  /** Offset just past the last character. */
  readonly end: number;
}

// eslint-disable-next-line no-control-regex -- IRIREF excludes control characters by definition
const IRI = /<[^<>"{}|^`\\\u0000-\u0020]*>/uy;
const LONG_STRING = /('''|""")[\s\S]*?(?<!\\)\1/uy;
const STRING = /'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*"/uy;
// Prefixed names and keywords; PN_CHARS simplified to letters, digits, `_`, `-`, `.` and `%`-escapes.
const WORD =
  /(?:[\p{L}_][\p{L}\p{N}_\-.]*)?:(?:[\p{L}\p{N}_:%\\-](?:[\p{L}\p{N}_\-.:%\\]*[\p{L}\p{N}_\-:%])?)?|[\p{L}_][\p{L}\p{N}_-]*/uy;
const VAR = /[?$][\p{L}\p{N}_]+/uy;
const NUMBER = /[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)/uy;
const BLANK = /_:[\p{L}\p{N}_](?:[\p{L}\p{N}_\-.]*[\p{L}\p{N}_-])?/uy;

function matchAt(re: RegExp, text: string, at: number): string | undefined {
  re.lastIndex = at;
  const m = re.exec(text);
  return m?.[0];
}

/**
 * Splits a query into tokens, dropping whitespace and comments. Never throws: text it cannot
 * classify becomes single-character punctuation, and the engine's parser reports the real error.
 * @param query - SPARQL text
 */
export function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = query.length;
  while (i < n) {
    const c = query[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < n && query[i] !== '\n' && query[i] !== '\r') i++;
      continue;
    }
    let text: string | undefined;
    let type: TokenType = 'punct';
    if (c === '<') {
      text = matchAt(IRI, query, i);
      type = 'iri';
    } else if (c === '"' || c === "'") {
      text = matchAt(LONG_STRING, query, i) ?? matchAt(STRING, query, i);
      type = 'string';
    } else if (c === '?' || c === '$') {
      text = matchAt(VAR, query, i);
      type = 'var';
    } else if (c === '_' && query[i + 1] === ':') {
      text = matchAt(BLANK, query, i);
      type = 'word';
    } else if (/[\d.+-]/u.test(c)) {
      text = matchAt(NUMBER, query, i);
      type = 'number';
    }
    if (text === undefined) {
      text = matchAt(WORD, query, i);
      type = 'word';
    }
    if (text === undefined || text === '') {
      text = c;
      type = 'punct';
    }
    tokens.push({ type, text, start: i, end: i + text.length });
    i += text.length;
  }
  return tokens;
}
