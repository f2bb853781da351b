import { describe, expect, it } from 'vitest';
import { configFromEnv, DEFAULTS, resolveConfig } from '../../src/config.js';
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
