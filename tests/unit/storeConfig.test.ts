import { describe, expect, it } from 'vitest';
import { configFromEnv, isRemoteStore, resolveConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';

describe('the store settings', () => {
  it('default to the embedded store', () => {
    const config = resolveConfig();
    expect(config.store).toBe('embedded');
    expect(isRemoteStore(config)).toBe(false);
    expect(config.serviceTimeoutMs).toBe(10_000);
  });

  it('take a remote store with its update and Graph Store URLs and credentials from the environment', () => {
    const config = resolveConfig(
      configFromEnv({
        CDG_STORE: 'http://127.0.0.1:8890/sparql',
        CDG_STORE_UPDATE: 'http://127.0.0.1:8890/sparql-auth',
        CDG_STORE_GSP: 'http://127.0.0.1:8890/sparql-graph-crud-auth',
        CDG_STORE_USER: 'dba',
        CDG_STORE_PASSWORD: 'secret',
        CDG_SERVICE_TIMEOUTS: 'https://query.wikidata.org/sparql=20000',
      }),
    );
    expect(isRemoteStore(config)).toBe(true);
    expect(config.storeUpdateUrl).toBe('http://127.0.0.1:8890/sparql-auth');
    expect(config.storeGraphStoreUrl).toBe('http://127.0.0.1:8890/sparql-graph-crud-auth');
    expect(config.storeUser).toBe('dba');
    expect(config.storePassword).toBe('secret');
    expect(config.serviceTimeouts).toEqual({ 'https://query.wikidata.org/sparql': 20_000 });
  });

  it('refuse what is not a store or a time limit, saying what to write', () => {
    expect(() => resolveConfig({ store: 'virtuoso' })).toThrow(ConfigError);
    expect(() => resolveConfig({ store: 'virtuoso' })).toThrow(/embedded.*http\(s\) URL/u);
    expect(() => resolveConfig({ store: 'ftp://x/sparql' })).toThrow(ConfigError);
    expect(() => resolveConfig({ storeUpdateUrl: 'not a url' })).toThrow(/store update URL/u);
    expect(() => resolveConfig({ serviceTimeouts: ['https://ex.org/sparql'] })).toThrow(/IRI=MS/u);
    expect(() => resolveConfig({ serviceTimeouts: ['https://ex.org/sparql=soon'] })).toThrow(
      /whole number/u,
    );
  });
});
