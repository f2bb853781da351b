/**
 * Virtuoso 7 (Debian `virtuoso-opensource`) as a peer: a fresh database per dataset in the cache,
 * bound to loopback ports, loaded with the bulk loader, its SPARQL endpoint at /sparql (whose
 * default graph is the union of all graphs, as ours is — plus Virtuoso's own few system graphs).
 * Starting the instance is `src/graph/virtuoso.ts`, shared with the backend parity tests.
 */
import path from 'node:path';
import {
  bulkLoad,
  startVirtuoso as startInstance,
  virtuosoUnavailable,
} from '../src/graph/virtuoso.js';
import { CACHE_DIR } from './generate.js';

export { virtuosoUnavailable };

export interface Virtuoso {
  readonly url: string;
  readonly version: string;
  readonly startMs: number;
  readonly loadMs: number;
  readonly pid: number;
  stop(): void;
}

/**
 * Starts a fresh Virtuoso on loopback and bulk-loads one N-Quads file.
 * @param name - a name for its database directory
 * @param file - absolute path of the N-Quads file
 */
export async function startVirtuoso(name: string, file: string): Promise<Virtuoso> {
  const instance = await startInstance({
    dir: path.join(CACHE_DIR, 'virtuoso', name),
    dirsAllowed: [CACHE_DIR],
  });
  try {
    const loadStarted = performance.now();
    await bulkLoad(instance, file, 'urn:bench:default');
    const loadMs = performance.now() - loadStarted;
    return {
      url: instance.sparqlUrl,
      version: instance.version,
      startMs: instance.startMs,
      loadMs,
      pid: instance.pid,
      stop: () => void instance.stop(),
    };
  } catch (error) {
    await instance.stop();
    throw error;
  }
}
