/**
 * SPARQL result serialization from the SPARQL 1.1 JSON form, which both engines produce natively:
 * XML (SPARQL Query Results XML Format), CSV and TSV (SPARQL 1.1 Query Results CSV and TSV Formats),
 * and the row cap applied uniformly across engines.
 */

export interface JsonTerm {
  type: 'uri' | 'literal' | 'bnode' | 'typed-literal' | 'triple';
  value: string | { subject: JsonTerm; predicate: JsonTerm; object: JsonTerm };
  'xml:lang'?: string;
  datatype?: string;
}

export interface JsonResults {
  head: { vars?: string[]; link?: string[] };
  results?: { bindings: Array<Record<string, JsonTerm>> };
  boolean?: boolean;
}

const XSD = 'http://www.w3.org/2001/XMLSchema#';

/** The lexical value of a non-triple term. */
function text(term: JsonTerm): string {
  return typeof term.value === 'string' ? term.value : '';
}

/** Escapes text for XML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/gu, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&apos;',
  );
}

function xmlTerm(term: JsonTerm): string {
  if (term.type === 'uri') return `<uri>${escapeXml(text(term))}</uri>`;
  if (term.type === 'bnode') return `<bnode>${escapeXml(text(term))}</bnode>`;
  if (term.type === 'triple' && typeof term.value === 'object') {
    const v = term.value;
    return `<triple><subject>${xmlTerm(v.subject)}</subject><predicate>${xmlTerm(v.predicate)}</predicate><object>${xmlTerm(v.object)}</object></triple>`;
  }
  const lang = term['xml:lang'];
  const attrs =
    lang !== undefined
      ? ` xml:lang="${escapeXml(lang)}"`
      : term.datatype !== undefined
        ? ` datatype="${escapeXml(term.datatype)}"`
        : '';
  return `<literal${attrs}>${escapeXml(text(term))}</literal>`;
}

/** Serializes results as SPARQL Query Results XML. */
export function toXml(results: JsonResults): string {
  const vars = results.head.vars ?? [];
  let out =
    '<?xml version="1.0" encoding="UTF-8"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n<head>';
  for (const v of vars) out += `<variable name="${escapeXml(v)}"/>`;
  out += '</head>\n';
  if (results.boolean !== undefined)
    return `${out}<boolean>${results.boolean}</boolean>\n</sparql>\n`;
  out += '<results>\n';
  for (const row of results.results?.bindings ?? []) {
    out += '<result>';
    for (const v of vars) {
      const term = row[v];
      if (term !== undefined) out += `<binding name="${escapeXml(v)}">${xmlTerm(term)}</binding>`;
    }
    out += '</result>\n';
  }
  return `${out}</results>\n</sparql>\n`;
}

function csvField(text: string): string {
  return /[",\r\n]/u.test(text) ? `"${text.replace(/"/gu, '""')}"` : text;
}

function plainValue(term: JsonTerm): string {
  if (term.type === 'bnode') return `_:${text(term)}`;
  if (term.type === 'triple' && typeof term.value === 'object') {
    return `<< ${tsvTerm(term.value.subject)} ${tsvTerm(term.value.predicate)} ${tsvTerm(term.value.object)} >>`;
  }
  return text(term);
}

/** Serializes results as SPARQL CSV (lossy by design: values without types). */
export function toCsv(results: JsonResults): string {
  if (results.boolean !== undefined) return `_askResult\r\n${results.boolean}\r\n`;
  const vars = results.head.vars ?? [];
  let out = `${vars.map(csvField).join(',')}\r\n`;
  for (const row of results.results?.bindings ?? []) {
    out += `${vars.map((v) => (row[v] === undefined ? '' : csvField(plainValue(row[v])))).join(',')}\r\n`;
  }
  return out;
}

function escapeTurtleString(text: string): string {
  return text.replace(/[\\"\n\r\t]/gu, (c) =>
    c === '\\' ? '\\\\' : c === '"' ? '\\"' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t',
  );
}

function tsvTerm(term: JsonTerm): string {
  if (term.type === 'uri') return `<${text(term)}>`;
  if (term.type === 'bnode') return `_:${text(term)}`;
  if (term.type === 'triple') return plainValue(term);
  const value = text(term);
  const lang = term['xml:lang'];
  if (lang !== undefined) return `"${escapeTurtleString(value)}"@${lang}`;
  const dt = term.datatype;
  if (dt === undefined || dt === `${XSD}string`) return `"${escapeTurtleString(value)}"`;
  if (dt === `${XSD}integer` && /^[+-]?\d+$/u.test(value)) return value;
  if (dt === `${XSD}decimal` && /^[+-]?\d*\.\d+$/u.test(value)) return value;
  if (dt === `${XSD}double` && /^[+-]?(?:\d+\.?\d*|\.\d+)[eE][+-]?\d+$/u.test(value)) return value;
  if (dt === `${XSD}boolean` && (value === 'true' || value === 'false')) return value;
  return `"${escapeTurtleString(value)}"^^<${dt}>`;
}

/** Serializes results as SPARQL TSV (terms in Turtle syntax, lossless). */
export function toTsv(results: JsonResults): string {
  if (results.boolean !== undefined) return `?_askResult\n${results.boolean}\n`;
  const vars = results.head.vars ?? [];
  let out = `${vars.map((v) => `?${v}`).join('\t')}\n`;
  for (const row of results.results?.bindings ?? []) {
    out += `${vars.map((v) => (row[v] === undefined ? '' : tsvTerm(row[v]))).join('\t')}\n`;
  }
  return out;
}

/** Serialized results plus what the cap did to them. */
export interface SerializedResults {
  readonly body: string;
  readonly rows: number;
  readonly truncated: boolean;
}

/** Index of the closing quote of the JSON string whose opening quote is at `start`. */
function stringEnd(json: string, start: number): number {
  for (let at = start; ;) {
    at = json.indexOf('"', at + 1);
    if (at === -1) throw new Error('Unterminated string in SPARQL JSON results.');
    let backslashes = 0;
    while (json.charCodeAt(at - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return at;
  }
}

/**
 * Counts the rows of SPARQL JSON results in our canonical form (Oxigraph's: `{"head":…,
 * "results":{"bindings":[{…},…]}}`, the same bytes as `JSON.stringify` of it) without parsing them,
 * and cuts them at `maxRows`: a row is an object opened three levels down, in the bindings array.
 * @param json - canonical SPARQL JSON results
 * @param maxRows - the cap
 */
export function capCanonicalJson(json: string, maxRows: number): SerializedResults {
  let depth = 0;
  let rows = 0;
  let cut = -1;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === 0x22) i = stringEnd(json, i);
    else if (c === 0x7b || c === 0x5b) {
      if (c === 0x7b && depth === 3) {
        // The first row past the cap: the answer ends before it (and the comma before it).
        if (rows === maxRows) cut = maxRows === 0 ? i : i - 1;
        rows++;
      }
      depth++;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  if (rows === 0 && json.includes('"boolean":')) return { body: json, rows: 1, truncated: false };
  if (rows <= maxRows) return { body: json, rows, truncated: false };
  return { body: `${json.slice(0, cut)}]}}`, rows: maxRows, truncated: true };
}

/**
 * Applies the row cap and writes the requested format from SPARQL JSON text.
 * The JSON is parsed only when it must be (a non-JSON target, or JSON not in our canonical form).
 * @param json - SPARQL JSON results as an engine produced them
 * @param mediaType - the target media type
 * @param maxRows - the cap
 * @param trusted - true when `json` is already in our canonical form (Oxigraph's, which is what
 *   `JSON.stringify` writes): it is counted and cut as text, never parsed and written again
 */
export function serializeSolutions(
  json: string,
  mediaType: string,
  maxRows: number,
  trusted: boolean,
): SerializedResults {
  if (mediaType === 'application/sparql-results+json' && trusted) {
    return capCanonicalJson(json, maxRows);
  }
  const parsed = JSON.parse(json) as JsonResults;
  let truncated = false;
  if (parsed.results !== undefined && parsed.results.bindings.length > maxRows) {
    parsed.results.bindings = parsed.results.bindings.slice(0, maxRows);
    truncated = true;
  }
  const rows = parsed.results?.bindings.length ?? (parsed.boolean === undefined ? 0 : 1);
  const clean: JsonResults = { head: parsed.head };
  if (parsed.boolean !== undefined) clean.boolean = parsed.boolean;
  else clean.results = { bindings: parsed.results?.bindings ?? [] };
  switch (mediaType) {
    case 'application/sparql-results+xml':
      return { body: toXml(clean), rows, truncated };
    case 'text/csv':
      return { body: toCsv(clean), rows, truncated };
    case 'text/tab-separated-values':
      return { body: toTsv(clean), rows, truncated };
    default:
      return { body: JSON.stringify(clean), rows, truncated };
  }
}

/**
 * Applies the triple cap to N-Triples text (one triple per line).
 * @param ntriples - N-Triples as an engine produced them
 * @param maxRows - the cap
 */
export function capTriples(ntriples: string, maxRows: number): SerializedResults {
  let count = 0;
  let at = -1;
  for (let i = ntriples.indexOf('\n'); i !== -1; i = ntriples.indexOf('\n', i + 1)) {
    count++;
    if (count === maxRows) at = i + 1;
  }
  if (ntriples.length > 0 && !ntriples.endsWith('\n')) count++;
  if (count > maxRows && at !== -1)
    return { body: ntriples.slice(0, at), rows: maxRows, truncated: true };
  return { body: ntriples, rows: count, truncated: false };
}
