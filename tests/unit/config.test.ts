import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configFromEnv, DEFAULTS, resolveConfig, unknownEnvVars } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';

describe('resolveConfig', () => {
  it('layers defaults < environment < flags', () => {
    const config = resolveConfig(
      configFromEnv({ PORT: '4000', HOST: '0.0.0.0', CDG_ENGINE: 'comunica' }),
      { port: '5000' },
    );
    expect(config.port).toBe(5000);
    expect(config.host).toBe('0.0.0.0');
    expect(config.engine).toBe('comunica');
    expect(config.queryTimeoutMs).toBe(DEFAULTS.queryTimeoutMs);
  });

  it('says what to fix when a value is wrong', () => {
    expect(() => resolveConfig({ port: 'eighty' })).toThrow(
      /port must be a whole number from 0 to 65535; got "eighty"/,
    );
    expect(() => resolveConfig({ engine: 'virtuoso' })).toThrow(
      /engine must be one of oxigraph, comunica/,
    );
    expect(() => resolveConfig({ baseIri: 'not-an-iri' })).toThrow(ConfigError);
    expect(() => resolveConfig({ serviceAllowlist: 'ftp://x' })).toThrow(/http\(s\)/);
  });

  it('freezes the result and normalises the base IRI', () => {
    const config = resolveConfig({ baseIri: 'https://example.org/kg' });
    expect(config.baseIri).toBe('https://example.org/kg/');
    expect(Object.isFrozen(config)).toBe(true);
  });
});

describe('the write token', () => {
  it('is kept only as its SHA-256, and needs a state directory', () => {
    const token = 'correct-horse-battery-staple';
    const config = resolveConfig({ writeToken: token, stateDir: '/tmp/cdg-state' });
    expect(config.writeTokenSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(config)).not.toContain(token);
    expect(resolveConfig({}).writeTokenSha256).toBe('');
    expect(() => resolveConfig({ writeToken: token, stateDir: '' })).toThrow(
      /writes need a state directory/,
    );
    expect(() => resolveConfig({ writeToken: 'short', stateDir: '/tmp/x' })).toThrow(
      /at least 16 characters/,
    );
  });

  it('comes from CDG_WRITE_TOKEN or from a file, not both', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cdg-token-'));
    const file = path.join(dir, 'token');
    writeFileSync(file, 'from-a-file-0123456789\nignored second line\n');
    const fromFile = resolveConfig({ writeTokenFile: file, stateDir: dir });
    const fromEnv = resolveConfig(
      configFromEnv({ CDG_WRITE_TOKEN: 'from-a-file-0123456789', CDG_STATE_DIR: dir }),
    );
    expect(fromFile.writeTokenSha256).toBe(fromEnv.writeTokenSha256);
    expect(() =>
      resolveConfig({ writeToken: 'from-a-file-0123456789', writeTokenFile: file, stateDir: dir }),
    ).toThrow(/not both/);
    expect(() => resolveConfig({ writeTokenFile: path.join(dir, 'missing') })).toThrow(
      /cannot be read/,
    );
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('settings of the limits and of shutdown', () => {
  it('reads them from the environment and validates them', () => {
    const config = resolveConfig(
      configFromEnv({
        CDG_CLIENT_CONCURRENCY: '3',
        CDG_CLIENT_BUDGET_MS: '5000',
        CDG_CLIENT_WINDOW_MS: '10000',
        CDG_SHUTDOWN_GRACE_MS: '250',
      }),
    );
    expect(config).toMatchObject({
      clientConcurrency: 3,
      clientBudgetMs: 5000,
      clientWindowMs: 10000,
      shutdownGraceMs: 250,
    });
    expect(DEFAULTS).toMatchObject({ clientConcurrency: 8, clientBudgetMs: 60_000 });
    expect(() => resolveConfig({ clientWindowMs: 10 })).toThrow(/client budget window/);
    expect(() => resolveConfig({ clientConcurrency: -1 })).toThrow(/client concurrency/);
  });

  it('names CDG_ variables that no setting reads', () => {
    expect(unknownEnvVars({ CDG_TIMEOUT: '1', CDG_PORT: '1', HOME: '/' })).toEqual(['CDG_TIMEOUT']);
  });
});
