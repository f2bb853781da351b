/**
 * Loading: every file into its own named graph of one Oxigraph store, all or nothing.
 * A file that does not parse stops the load with a DataLoadError naming file, line and column.
 */
import { createHash } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
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

/** Files larger than this are parsed in pieces (line-based syntaxes) so progress can be shown. */
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

/** Splits bytes into pieces of about `CHUNK_BYTES`, each ending at a line end. */
function* lineChunks(
  bytes: Uint8Array,
  onChunk: (bytesDone: number) => void,
): Generator<Uint8Array> {
  let start = 0;
  while (start < bytes.length) {
    let end = Math.min(bytes.length, start + CHUNK_BYTES);
    if (end < bytes.length) {
      const nl = bytes.indexOf(10, end);
      end = nl === -1 ? bytes.length : nl + 1;
    }
    yield bytes.subarray(start, end);
    start = end;
    onChunk(end);
  }
}

/**
 * Loads one file's bytes into `store`, the file's default-graph triples into `source.graph`.
 * Line-based syntaxes are parsed as a stream of pieces, reporting progress; others in one call.
 * @returns the named graphs, other than `source.graph`, that the file wrote into
 * @throws DataLoadError naming file, line and column
 */
export function loadInto(
  store: oxigraph.Store,
  source: DataSource,
  bytes: Uint8Array,
  onProgress?: (event: LoadProgress) => void,
): string[] {
  const options = {
    format: source.format,
    base_iri: source.graph,
    to_graph_name: oxigraph.namedNode(source.graph),
  };
  if (DATASET_FORMATS.has(source.format) && bytes.length <= CHUNK_BYTES) {
    // Through a scratch store, to learn which named graphs the file writes into.
    const scratch = new oxigraph.Store();
    try {
      scratch.load(bytes, options);
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
  try {
    if (!isLineBased(source.format) || bytes.length <= CHUNK_BYTES) store.load(bytes, options);
    else {
      // One load over the pieces: one parse (error lines count from the file's start), and no
      // second copy of the whole file inside WebAssembly memory.
      store.load(
        lineChunks(bytes, (bytesDone) =>
          onProgress?.({
            type: 'file-progress',
            file: source.displayPath,
            bytesDone,
            bytes: bytes.length,
          }),
        ),
        options,
      );
    }
  } catch (error) {
    throw error instanceof DataLoadError ? error : toLoadError(source, error);
  }
  return [];
}

/** A source's bytes, checked to be UTF-8, and their SHA-256. */
export interface SourceBytes {
  readonly source: DataSource;
  readonly bytes: Uint8Array;
  readonly sha256: string;
}

/**
 * Reads a source and checks that it is UTF-8.
 * @param source - the file
 * @param shared - put the bytes in a SharedArrayBuffer (for worker threads to read without a copy)
 * @throws DataLoadError when it cannot be read or is not UTF-8
 */
export async function readSource(source: DataSource, shared = false): Promise<SourceBytes> {
  let bytes: Uint8Array;
  try {
    if (shared) {
      const file = await fs.open(source.path, 'r');
      try {
        const { size } = await file.stat();
        bytes = new Uint8Array(new SharedArrayBuffer(size));
        let done = 0;
        while (done < size) {
          const { bytesRead } = await file.read(bytes, done, size - done, done);
          if (bytesRead === 0) break;
          done += bytesRead;
        }
        bytes = bytes.subarray(0, done);
      } finally {
        await file.close();
      }
    } else bytes = await fs.readFile(source.path);
  } catch (error) {
    throw new DataLoadError(source.displayPath, `cannot read: ${(error as Error).message}`);
  }
  if (!isUtf8(bytes)) {
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
    const line = text.slice(0, text.indexOf('\uFFFD')).split('\n').length;
    throw new DataLoadError(source.displayPath, 'the file is not valid UTF-8', line);
  }
  return { source, bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/**
 * The dataset's version: a hash over every file's graph name and bytes, which changes whenever
 * the data does.
 * @param files - the sources read, in load order
 */
export function datasetVersion(files: readonly SourceBytes[]): string {
  const version = createHash('sha256');
  for (const f of files) version.update(f.source.graph).update('\0').update(f.sha256).update('\0');
  return version.digest('hex').slice(0, 16);
}

/** Loads one source already read, as file `index` of `total`, with progress events. */
function loadOne(
  store: oxigraph.Store,
  file: { readonly source: DataSource; readonly bytes: Uint8Array },
  index: number,
  total: number,
  onProgress?: (event: LoadProgress) => void,
): { quads: number; namedGraphs: string[] } {
  const { source, bytes } = file;
  onProgress?.({ type: 'file-start', file: source.displayPath, bytes: bytes.length, index, total });
  const started = performance.now();
  const before = store.size;
  const namedGraphs = loadInto(store, source, bytes, onProgress);
  const quads = store.size - before;
  onProgress?.({
    type: 'file-done',
    file: source.displayPath,
    quads,
    ms: performance.now() - started,
  });
  return { quads, namedGraphs };
}

/**
 * Loads sources already read into a store, in order, reporting progress.
 * @returns per source, the quads it contributed and the other named graphs it wrote into
 * @throws DataLoadError for the first file that fails
 */
export function loadSources(
  store: oxigraph.Store,
  files: readonly { readonly source: DataSource; readonly bytes: Uint8Array }[],
  onProgress?: (event: LoadProgress) => void,
): Array<{ quads: number; namedGraphs: string[] }> {
  return files.map((file, index) => loadOne(store, file, index, files.length, onProgress));
}

/**
 * What each file contributed, as the service description and VoID report it.
 * @param files - the sources read
 * @param loaded - what `loadSources` returned for them
 */
export function graphInfos(
  files: readonly SourceBytes[],
  loaded: readonly { readonly quads: number; readonly namedGraphs: readonly string[] }[],
): GraphInfo[] {
  return files.map(({ source, bytes, sha256 }, i) => ({
    graph: source.graph,
    namedGraphs: [...(loaded[i]?.namedGraphs ?? [])],
    file: source.displayPath,
    format: source.format,
    quads: loaded[i]?.quads ?? 0,
    bytes: bytes.length,
    sha256,
  }));
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
  try {
    const files: SourceBytes[] = [];
    const loaded: Array<{ quads: number; namedGraphs: string[] }> = [];
    for (const [index, source] of sources.entries()) {
      const file = await readSource(source);
      files.push(file);
      loaded.push(loadOne(store, file, index, sources.length, onProgress));
    }
    return {
      store,
      graphs: graphInfos(files, loaded),
      version: datasetVersion(files),
      quadCount: store.size,
    };
  } catch (error) {
    freeStore(store);
    throw error;
  }
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
