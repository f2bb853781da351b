/**
 * Finding the RDF files to load and naming the graph each one goes into.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';

/** RDF syntaxes the loader reads, by file extension. */
export const RDF_EXTENSIONS: Readonly<Record<string, string>> = Object.freeze({
  '.ttl': 'text/turtle',
  '.trig': 'application/trig',
  '.nt': 'application/n-triples',
  '.nq': 'application/n-quads',
  '.jsonld': 'application/ld+json',
  '.rdf': 'application/rdf+xml',
  '.owl': 'application/rdf+xml',
});

/** One file to load, and the named graph its triples go into. */
export interface DataSource {
  /** Absolute path of the file. */
  readonly path: string;
  /** Path shown to people (relative to the working directory where possible). */
  readonly displayPath: string;
  /** Media type of the file's syntax. */
  readonly format: string;
  /** The named graph that receives the file's triples (and a TriG file's default-graph triples). */
  readonly graph: string;
}

/**
 * The media type for a file name, or undefined when it is not an RDF file the loader reads.
 * @param file - a file name or path
 */
export function formatForFile(file: string): string | undefined {
  return RDF_EXTENSIONS[path.extname(file).toLowerCase()];
}

/**
 * The graph IRI for a file: `{base}graph/{root folder name}/{path inside it, without extension}`,
 * e.g. `data/incidents.trig` → `https://w3id.org/cyber-diplomacy/graph/data/incidents`.
 * @param baseIri - the configured base, ending in `/`
 * @param root - the directory given in the configuration (or the file itself)
 * @param file - the file's absolute path
 */
export function graphIriForFile(baseIri: string, root: string, file: string): string {
  const rel =
    root === file ? path.basename(file) : path.join(path.basename(root), path.relative(root, file));
  const withoutExt = rel.slice(0, rel.length - path.extname(rel).length);
  const segments = withoutExt.split(path.sep).map((s) => encodeURIComponent(s));
  return `${baseIri}graph/${segments.join('/')}`;
}

async function walk(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  const out: string[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(full)));
    else if (entry.isFile() && formatForFile(entry.name) !== undefined) out.push(full);
  }
  return out;
}

/**
 * Lists every RDF file under the given directories (or the files themselves), in a stable order.
 * A missing path is skipped (a fresh project may have no data yet); a graph-name clash is an error.
 * @param roots - directories or files
 * @param baseIri - the configured base
 */
export async function findDataSources(
  roots: readonly string[],
  baseIri: string,
): Promise<DataSource[]> {
  const sources: DataSource[] = [];
  const seen = new Map<string, string>();
  for (const root of roots) {
    const abs = path.resolve(root);
    let stat;
    try {
      stat = await fs.stat(abs);
    } catch {
      // A mistyped path would otherwise serve a graph silently missing its files.
      throw new ConfigError(`data path ${root} does not exist (or cannot be read).`);
    }
    const files = stat.isDirectory() ? await walk(abs) : [abs];
    for (const file of files) {
      const format = formatForFile(file);
      if (format === undefined) continue;
      const graph = graphIriForFile(baseIri, abs, file);
      const displayPath = path.relative(process.cwd(), file) || file;
      const clash = seen.get(graph);
      if (clash !== undefined) {
        throw new Error(
          `${displayPath} and ${clash} would both load into the graph <${graph}>; rename one of them.`,
        );
      }
      seen.set(graph, displayPath);
      sources.push({ path: file, displayPath, format, graph });
    }
  }
  return sources;
}
