/**
 * An engine in the current thread, with no deadline: for `cdg query`, scripts and benchmarks of the
 * engine alone. The server uses the WorkerPool instead.
 */
import type { EngineName } from '../config.js';
import type { QueryEngine, QueryRequest, QueryResponse } from './engine.js';
import { createExecutor, serializeError, type ExecutorOptions } from './executor.js';
import { EngineError } from './workerPool.js';

/**
 * Loads `nquads` into the named engine in this thread.
 * @param engine - which engine
 * @param nquads - the dataset
 * @param options - row cap and SERVICE allowlist
 */
export async function createLocalEngine(
  engine: EngineName,
  nquads: string,
  options: ExecutorOptions,
): Promise<QueryEngine> {
  const executor = await createExecutor(engine, nquads, options);
  return {
    name: engine,
    description: executor.description,
    async query(request: QueryRequest): Promise<QueryResponse> {
      try {
        return await executor.execute(request);
      } catch (error) {
        throw new EngineError(serializeError(error));
      }
    },
    close(): Promise<void> {
      executor.free();
      return Promise.resolve();
    },
  };
}
