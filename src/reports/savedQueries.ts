/**
 * The saved-query catalogue: `queries/*.rq`, each with header comments
 * (`# title:`, `# description:`, `# parameters:`, `# report:`). It feeds the query UI's examples,
 * `/.well-known/sparql-examples` and (later) the reports.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';

export interface SavedQuery {
  /** File name without `.rq`, e.g. `norms`. */
  readonly id: string;
  readonly title: string;
  readonly description: string;
  /** The raw `# parameters:` header, if any. */
  readonly parameters: string;
  /** The raw `# report:` header, if any. */
  readonly report: string;
  /** The query text, headers included (they are SPARQL comments). */
  readonly query: string;
}

/**
 * Reads the header comments at the top of a saved query.
 * @param id - the query's id
 * @param text - the file's text
 */
export function parseSavedQuery(id: string, text: string): SavedQuery {
  const headers: Record<string, string> = {};
  for (const line of text.split(/\r?\n/u)) {
    const m = /^#\s*([a-z-]+):\s*(.*)$/iu.exec(line);
    if (m?.[1] !== undefined) headers[m[1].toLowerCase()] = (m[2] ?? '').trim();
    else if (line.trim() !== '' && !line.startsWith('#')) break;
  }
  return {
    id,
    title: headers.title ?? id,
    description: headers.description ?? '',
    parameters: headers.parameters ?? '',
    report: headers.report ?? '',
    query: text,
  };
}

/**
 * Loads every `*.rq` in a directory, sorted by id; an absent directory gives an empty catalogue.
 * @param dir - the queries directory
 */
export async function loadSavedQueries(dir: string): Promise<SavedQuery[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return [];
  }
  const out: SavedQuery[] = [];
  for (const name of names.filter((n) => n.endsWith('.rq')).sort()) {
    out.push(parseSavedQuery(name.slice(0, -3), await fs.readFile(path.join(dir, name), 'utf8')));
  }
  return out;
}
