/**
 * Starts the real server (real loader, real engine in real worker threads) on a free loopback port.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveConfig, type ConfigInput } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { startServer, type RunningServer, type StartOptions } from '../../src/server.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIXTURES = path.join(REPO_ROOT, 'tests', 'fixtures');
export const MINI = path.join(FIXTURES, 'mini');
export const SHARED = path.resolve(REPO_ROOT, '..', 'shared');

/**
 * Starts a server over the given settings (default: the mini fixture, Oxigraph, silent logs).
 * @param overrides - config settings
 * @param options - start-up callbacks (listening, progress; the size above which the workers load
 *   the data)
 */
export async function startTestServer(
  overrides: ConfigInput = {},
  options: StartOptions = {},
): Promise<RunningServer> {
  const config = resolveConfig({
    port: 0,
    host: '127.0.0.1',
    dataPaths: [MINI],
    logLevel: 'silent',
    workers: 2,
    stateDir: '',
    ...overrides,
  });
  return startServer(config, createLogger('silent'), undefined, options);
}
