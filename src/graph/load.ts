/**
 * Loading: every file into its own named graph of one Oxigraph store, all or nothing.
 * A file that does not parse stops the load with a DataLoadError naming file, line and column.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as n3 from 'n3';
import oxigraph from 'oxigraph';
import { DataLoadError } from '../errors.js';
import type { DataSource } from './files.js';
import { freeStore } from './oxigraphUtil.js';

/** What one loaded file contributed. */
export interface GraphInfo {
  /** The file's own graph. */
  readonly graph: string;
  readonly file: string;
  readonly format: string;
  /** Named graphs other than its own that the file wrote into (TriG / N-Quads / JSON-LD). */
  readonly namedGraphs: readonly string[];
  /** Quads the file contributed (to its own graph and any graphs it names). */
  readonly quads: number;
  readonly bytes: number;
  /** SHA-256 of the file's bytes. */
  readonly sha256: string;
}

/** A loaded, validated dataset, ready to be handed to query engines. */
export interface LoadedDataset {
  readonly store: oxigraph.Store;
  readonly graphs: readonly GraphInfo[];
  /** Content hash over all files (their graph names and bytes): changes whenever the data does. */
  readonly version: string;
  readonly quadCount: number;
}

/** Progress events, for a CLI to show. */
export type LoadProgress =
  | {
      readonly type: 'file-start';
      readonly file: string;
      readonly bytes: number;
      readonly index: number;
      readonly total: number;
    }
  | {
      readonly type: 'file-progress';
      readonly file: string;
      readonly bytesDone: number;
      readonly bytes: number;
    }
  | {
      readonly type: 'file-done';
      readonly file: string;
      readonly quads: number;
      readonly ms: number;
    };

/** Files larger than this are loaded in chunks (line-based syntaxes) so progress can be shown. */
const CHUNK_BYTES = 8 * 1024 * 1024;

/**
 * Pulls "line L column C" (or "between columns") out of an Oxigraph parser message.
 * @param message - the parser's message
 */
export function parsePosition(message: string): { line?: number; column?: number } {
  const m = /line (\d+)(?:,)? (?:column|between columns) (\d+)/u.exec(message);
  if (m?.[1] !== undefined && m[2] !== undefined)
    return { line: Number(m[1]), column: Number(m[2]) };
  const l = /line (\d+)/u.exec(message);
  return l?.[1] !== undefined ? { line: Number(l[1]) } : {};
}

function toLoadError(source: DataSource, error: unknown, lineOffset = 0): DataLoadError {
  const message = error instanceof Error ? error.message : String(error);
  const { line, column } = parsePosition(message);
  const detail = message.replace(
    /^Parser error at line \d+ (?:column \d+|between columns \d+ and \d+): /u,
    '',
  );
  return new DataLoadError(
    source.displayPath,
    detail,
    line === undefined ? undefined : line + lineOffset,
    column,
  );
}

/** Syntaxes that can name graphs of their own. */
const DATASET_FORMATS = new Set(['application/trig', 'application/n-quads', 'application/ld+json']);

function isLineBased(format: string): boolean {
  return format === 'application/n-triples' || format === 'application/n-quads';
}

/**
 * Loads one file into `store`, the file's default-graph triples into `source.graph`.
 * Line-based syntaxes are fed in chunks, reporting progress; others in one call.
 * @returns the named graphs, other than `source.graph`, that the file wrote into
 */
function loadInto(
  store: oxigraph.Store,
  source: DataSource,
  text: string,
  onProgress?: (event: LoadProgress) => void,
): string[] {
  const options = {
    format: source.format,
    base_iri: source.graph,
    to_graph_name: oxigraph.namedNode(source.graph),
  };
  if (DATASET_FORMATS.has(source.format) && text.length <= CHUNK_BYTES) {
    // Through a scratch store, to learn which named graphs the file writes into.
    const scratch = new oxigraph.Store();
    try {
      scratch.load(text, options);
      const graphs = (
        scratch.query('SELECT DISTINCT ?g WHERE { GRAPH ?g {} }') as Array<
          Map<string, oxigraph.Term>
        >
      )
        .map((row) => row.get('g')?.value)
        .filter((g): g is string => g !== undefined && g !== source.graph);
      store.load(scratch.dump({ format: 'application/n-quads' }), {
        format: 'application/n-quads',
      });
      return graphs;
    } catch (error) {
      throw toLoadError(source, error);
    } finally {
      freeStore(scratch);
    }
  }
  if (!isLineBased(source.format) || text.length <= CHUNK_BYTES) {
    try {
      store.load(text, options);
    } catch (error) {
      throw toLoadError(source, error);
    }
    return [];
  }
  let start = 0;
  let lineOffset = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + CHUNK_BYTES);
    if (end < text.length) {
      const nl = text.indexOf('\n', end);
      end = nl === -1 ? text.length : nl + 1;
    }
    const chunk = text.slice(start, end);
    try {
      store.load(chunk, options);
    } catch (error) {
      throw toLoadError(source, error, lineOffset);
    }
    for (let i = chunk.indexOf('\n'); i !== -1; i = chunk.indexOf('\n', i + 1)) lineOffset++;
    start = end;
    onProgress?.({
      type: 'file-progress',
      file: source.displayPath,
      bytesDone: end,
      bytes: text.length,
    });
  }
  return [];
}

/**
 * Parses every source into a fresh store. Nothing is returned unless every file parsed.
 * @param sources - from `findDataSources`
 * @param onProgress - optional progress callback
 * @throws DataLoadError for the first file that fails
 */
export async function loadDataset(
  sources: readonly DataSource[],
  onProgress?: (event: LoadProgress) => void,
): Promise<LoadedDataset> {
  const store = new oxigraph.Store();
  const graphs: GraphInfo[] = [];
  const version = createHash('sha256');
  try {
    for (const [index, source] of sources.entries()) {
      let bytes: Buffer;
      try {
        bytes = await fs.readFile(source.path);
      } catch (error) {
        throw new DataLoadError(source.displayPath, `cannot read: ${(error as Error).message}`);
      }
      const text = bytes.toString('utf8');
      if (text.includes('\uFFFD') && !bytes.includes(Buffer.from('\uFFFD', 'utf8'))) {
        const at = text.indexOf('\uFFFD');
        const line = text.slice(0, at).split('\n').length;
        throw new DataLoadError(source.displayPath, 'the file is not valid UTF-8', line);
      }
      onProgress?.({
        type: 'file-start',
        file: source.displayPath,
        bytes: bytes.length,
        index,
        total: sources.length,
      });
      const started = performance.now();
      const before = store.size;
      const namedGraphs = loadInto(store, source, text, onProgress);
      const quads = store.size - before;
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      version.update(source.graph).update('\0').update(sha256).update('\0');
      graphs.push({
        graph: source.graph,
        namedGraphs,
        file: source.displayPath,
        format: source.format,
        quads,
        bytes: bytes.length,
        sha256,
      });
      onProgress?.({
        type: 'file-done',
        file: source.displayPath,
        quads,
        ms: performance.now() - started,
      });
    }
  } catch (error) {
    freeStore(store);
    throw error;
  }
  return { store, graphs, version: version.digest('hex').slice(0, 16), quadCount: store.size };
}

/**
 * The sources as N-Quads exactly as written (lexical forms and datatypes of literals kept), with
 * each file's blank nodes kept apart. Oxigraph's store canonicalises literals ("01"^^xsd:integer is
 * stored as "1"); engines that keep lexical forms (Comunica) are given this text instead.
 * Call only on sources that `loadDataset` has accepted.
 * @param sources - the validated sources
 */
export async function sourcesAsWritten(sources: readonly DataSource[]): Promise<string> {
  const chunks: string[] = [];
  for (const [i, source] of sources.entries()) {
    const text = await fs.readFile(source.path, 'utf8');
    const quads = oxigraph.parse(text, {
      format: source.format,
      base_iri: source.graph,
      to_graph_name: oxigraph.namedNode(source.graph),
    });
    const prefix = `f${i}_`;
    const rename = <T extends oxigraph.Term>(t: T): T =>
      (t.termType === 'BlankNode' ? n3.DataFactory.blankNode(prefix + t.value) : t) as T;
    chunks.push(
      new n3.Writer({ format: 'N-Quads' }).quadsToString(
        quads.map((q) =>
          n3.DataFactory.quad(
            rename(q.subject) as never,
            q.predicate as never,
            rename(q.object) as never,
            rename(q.graph) as never,
          ),
        ),
      ),
    );
  }
  return chunks.join('');
}
