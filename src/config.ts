/**
 * Configuration: built-in defaults < environment variables < command-line flags, validated once at
 * start-up with messages that say what to fix, then frozen and passed explicitly.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from './errors.js';

/** The query engines the endpoint can run on. */
export const ENGINES = ['oxigraph', 'comunica'] as const;
export type EngineName = (typeof ENGINES)[number];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  /** TCP port to listen on. */
  readonly port: number;
  /** Interface to bind; 127.0.0.1 by default so a fresh start is not exposed to the network. */
  readonly host: string;
  /** The persistent base of every IRI the project mints. */
  readonly baseIri: string;
  /** Directories (or single files) whose RDF files are loaded, each file into its own named graph. */
  readonly dataPaths: readonly string[];
  /** Directory of saved queries (`*.rq`). */
  readonly queriesDir: string;
  /** Which engine answers queries. */
  readonly engine: EngineName;
  /** Per-query time limit in milliseconds; a query running longer is stopped. */
  readonly queryTimeoutMs: number;
  /** Most rows (SELECT) or triples (CONSTRUCT/DESCRIBE) a response carries. */
  readonly maxResultRows: number;
  /** Largest request body accepted, in bytes. */
  readonly maxBodyBytes: number;
  /** Query worker threads. */
  readonly workers: number;
  /** Endpoints that SERVICE, FROM and LOAD may reach; empty means no outbound request ever. */
  readonly serviceAllowlist: readonly string[];
  readonly logLevel: LogLevel;
  /** Memory for cached query answers, in bytes; 0 turns the cache off. */
  readonly cacheBytes: number;
  /** Where the server keeps what it writes (short links, the write journal); empty: memory only. */
  readonly stateDir: string;
  /**
   * SHA-256 (hex) of the bearer token that authorises writes (SPARQL Update, Graph Store Protocol);
   * empty when writes are disabled. Only the digest is kept, so the token itself is never logged.
   */
  readonly writeTokenSha256: string;
  /** Journal size, in bytes, above which it is compacted into a snapshot. */
  readonly journalCompactBytes: number;
  /** Requests one client (IP address, IPv6 /64) may have in flight at once; 0 = no limit. */
  readonly clientConcurrency: number;
  /** Milliseconds of query time one client may use per window; 0 = no budget. */
  readonly clientBudgetMs: number;
  /** The sliding window of the query-time budget, in milliseconds. */
  readonly clientWindowMs: number;
  /** On SIGTERM, how long in-flight requests get to finish before their connections are cut. */
  readonly shutdownGraceMs: number;
  /** `embedded` (the in-process store, default) or the SPARQL query URL of a remote store. */
  readonly store: string;
  /** The remote store's SPARQL Update URL (for `cdg load`); empty when not given. */
  readonly storeUpdateUrl: string;
  /** The remote store's Graph Store Protocol URL (for `cdg load`; preferred to updates). */
  readonly storeGraphStoreUrl: string;
  /** User name for the remote store (HTTP Basic or Digest, whichever it asks for). */
  readonly storeUser: string;
  /** Password for the remote store. */
  readonly storePassword: string;
  /** Time limit for one SERVICE request, when the endpoint has none of its own below. */
  readonly serviceTimeoutMs: number;
  /** Time limits for SERVICE requests by endpoint (IRI → ms). */
  readonly serviceTimeouts: Readonly<Record<string, number>>;
}

/** True when the configuration names a remote SPARQL store rather than the embedded one. */
export function isRemoteStore(config: Pick<Config, 'store'>): boolean {
  return config.store !== 'embedded';
}

/** Shortest write token accepted: a guessable token would be no protection. */
export const MIN_WRITE_TOKEN_LENGTH = 16;

/** The project root (where package.json, ontology/ and data/ live). */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const DEFAULTS: Config = Object.freeze({
  port: 3000,
  host: '127.0.0.1',
  baseIri: 'https://w3id.org/cyber-diplomacy/',
  dataPaths: Object.freeze([path.join(PROJECT_ROOT, 'ontology'), path.join(PROJECT_ROOT, 'data')]),
  queriesDir: path.join(PROJECT_ROOT, 'queries'),
  engine: 'oxigraph',
  queryTimeoutMs: 30_000,
  maxResultRows: 100_000,
  maxBodyBytes: 1024 * 1024,
  workers: Math.max(1, Math.min(4, os.availableParallelism())),
  serviceAllowlist: Object.freeze([]),
  logLevel: 'info',
  stateDir: path.join(PROJECT_ROOT, '.cdg-state'),
  cacheBytes: 64 * 1024 * 1024,
  writeTokenSha256: '',
  journalCompactBytes: 4 * 1024 * 1024,
  clientConcurrency: 8,
  clientBudgetMs: 60_000,
  clientWindowMs: 60_000,
  shutdownGraceMs: 30_000,
  store: 'embedded',
  storeUpdateUrl: '',
  storeGraphStoreUrl: '',
  storeUser: '',
  storePassword: '',
  serviceTimeoutMs: 10_000,
  serviceTimeouts: Object.freeze({}),
});

/** Raw, unvalidated settings as strings or values, from any layer. */
export type ConfigInput = Partial<Record<keyof Config | 'writeToken' | 'writeTokenFile', unknown>>;

/** Environment variables read, and the setting each feeds. */
export const ENV_VARS: Readonly<Record<string, keyof ConfigInput>> = Object.freeze({
  PORT: 'port',
  HOST: 'host',
  CDG_PORT: 'port',
  CDG_HOST: 'host',
  CDG_BASE_IRI: 'baseIri',
  CDG_DATA: 'dataPaths',
  CDG_QUERIES: 'queriesDir',
  CDG_ENGINE: 'engine',
  CDG_QUERY_TIMEOUT_MS: 'queryTimeoutMs',
  CDG_MAX_RESULT_ROWS: 'maxResultRows',
  CDG_MAX_BODY_BYTES: 'maxBodyBytes',
  CDG_WORKERS: 'workers',
  CDG_SERVICE_ALLOWLIST: 'serviceAllowlist',
  LOG_LEVEL: 'logLevel',
  CDG_LOG_LEVEL: 'logLevel',
  CDG_STATE_DIR: 'stateDir',
  CDG_CACHE_BYTES: 'cacheBytes',
  CDG_WRITE_TOKEN: 'writeToken',
  CDG_WRITE_TOKEN_FILE: 'writeTokenFile',
  CDG_JOURNAL_COMPACT_BYTES: 'journalCompactBytes',
  CDG_CLIENT_CONCURRENCY: 'clientConcurrency',
  CDG_CLIENT_BUDGET_MS: 'clientBudgetMs',
  CDG_CLIENT_WINDOW_MS: 'clientWindowMs',
  CDG_SHUTDOWN_GRACE_MS: 'shutdownGraceMs',
  CDG_STORE: 'store',
  CDG_STORE_UPDATE: 'storeUpdateUrl',
  CDG_STORE_GSP: 'storeGraphStoreUrl',
  CDG_STORE_USER: 'storeUser',
  CDG_STORE_PASSWORD: 'storePassword',
  CDG_SERVICE_TIMEOUT_MS: 'serviceTimeoutMs',
  CDG_SERVICE_TIMEOUTS: 'serviceTimeouts',
});

/**
 * Environment variables that look like ours (`CDG_…`) but that no setting reads: most likely a
 * typo, reported at start-up so that a setting is not silently left at its default.
 * @param env - usually `process.env`
 */
export function unknownEnvVars(env: Readonly<Record<string, string | undefined>>): string[] {
  return Object.keys(env)
    .filter((name) => name.startsWith('CDG_') && !(name in ENV_VARS))
    .sort();
}

/**
 * Reads the settings this project knows from an environment.
 * @param env - usually `process.env`
 */
export function configFromEnv(env: Readonly<Record<string, string | undefined>>): ConfigInput {
  const out: ConfigInput = {};
  for (const [name, key] of Object.entries(ENV_VARS)) {
    const value = env[name];
    if (value !== undefined && value !== '') out[key] = value;
  }
  return out;
}

function toInt(key: string, value: unknown, min: number, max: number): number {
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(
      `${key} must be a whole number from ${min} to ${max}; got ${JSON.stringify(value)}.`,
    );
  }
  return n;
}

function toList(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String).filter((s) => s !== '');
  return String(value)
    .split(/[,\s]+/u)
    .filter((s) => s !== '');
}

function toAbsoluteIri(key: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(
      `${key} must be an absolute IRI such as https://example.org/; got "${value}".`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${key} must be an http(s) IRI; got "${value}".`);
  }
  return url.href;
}

/** A setting given as text (numbers too); anything else is empty. */
function toText(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
}

function optionalUrl(key: string, value: unknown): string {
  const text = toText(value).trim();
  return text === '' ? '' : toAbsoluteIri(key, text);
}

/**
 * Per-service time limits: a list of `IRI=MS` entries (or an object of them).
 * @param value - raw setting
 */
function toServiceTimeouts(value: unknown): Record<string, number> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([iri, ms]) => [
        toAbsoluteIri('service timeout endpoint', iri),
        toInt(`service timeout for ${iri} (ms)`, ms, 1, 3600 * 1000),
      ]),
    );
  }
  const out: Record<string, number> = {};
  for (const entry of toList(value)) {
    const at = entry.lastIndexOf('=');
    if (at <= 0) {
      throw new ConfigError(
        `service timeouts are IRI=MS entries, e.g. https://query.wikidata.org/sparql=20000; got "${entry}".`,
      );
    }
    const iri = toAbsoluteIri('service timeout endpoint', entry.slice(0, at));
    out[iri] = toInt(`service timeout for ${iri} (ms)`, entry.slice(at + 1), 1, 3600 * 1000);
  }
  return out;
}

/** `embedded`, or the absolute http(s) URL of a remote store's SPARQL query endpoint. */
function toStore(value: unknown): string {
  const text = String(value).trim();
  if (text === '' || text === 'embedded') return 'embedded';
  if (!/^https?:\/\//iu.test(text)) {
    throw new ConfigError(
      `store must be "embedded" or the http(s) URL of a SPARQL query endpoint, e.g. http://127.0.0.1:8890/sparql; got "${text}".`,
    );
  }
  return toAbsoluteIri('store', text);
}

/**
 * Merges layers (later wins) over the defaults, validates, and freezes.
 * @param layers - e.g. `configFromEnv(process.env)`, then the parsed CLI flags
 * @throws ConfigError naming the setting and what to fix
 */
export function resolveConfig(...layers: ConfigInput[]): Config {
  const raw: ConfigInput = { ...DEFAULTS };
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      if (value !== undefined) raw[key as keyof ConfigInput] = value;
    }
  }
  const engine = String(raw.engine);
  if (!(ENGINES as readonly string[]).includes(engine)) {
    throw new ConfigError(`engine must be one of ${ENGINES.join(', ')}; got "${engine}".`);
  }
  const logLevel = String(raw.logLevel);
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(`log level must be one of ${LOG_LEVELS.join(', ')}; got "${logLevel}".`);
  }
  let baseIri = toAbsoluteIri('baseIri', String(raw.baseIri));
  if (!baseIri.endsWith('/') && !baseIri.endsWith('#')) baseIri += '/';
  const dataPaths = toList(raw.dataPaths).map((p) => path.resolve(p));
  if (dataPaths.length === 0)
    throw new ConfigError('data paths must name at least one directory or file.');
  const host = String(raw.host).trim();
  if (host === '') throw new ConfigError('host must not be empty (e.g. 127.0.0.1 or 0.0.0.0).');
  const serviceAllowlist = toList(raw.serviceAllowlist).map((iri) =>
    toAbsoluteIri('service allowlist entry', iri),
  );
  const stateDir =
    typeof raw.stateDir === 'string' && raw.stateDir !== '' ? path.resolve(raw.stateDir) : '';
  const writeTokenSha256 = writeTokenDigest(raw, stateDir);
  return Object.freeze({
    port: toInt('port', raw.port, 0, 65535),
    host,
    baseIri,
    dataPaths: Object.freeze(dataPaths),
    queriesDir: path.resolve(String(raw.queriesDir)),
    engine: engine as EngineName,
    queryTimeoutMs: toInt('query timeout (ms)', raw.queryTimeoutMs, 1, 24 * 3600 * 1000),
    maxResultRows: toInt('max result rows', raw.maxResultRows, 1, 100_000_000),
    maxBodyBytes: toInt('max body bytes', raw.maxBodyBytes, 1024, 1024 * 1024 * 1024),
    workers: toInt('workers', raw.workers, 1, 64),
    serviceAllowlist: Object.freeze(serviceAllowlist),
    logLevel: logLevel as LogLevel,
    cacheBytes: toInt('cache bytes', raw.cacheBytes, 0, 64 * 1024 * 1024 * 1024),
    stateDir,
    writeTokenSha256,
    journalCompactBytes: toInt(
      'journal compaction threshold (bytes)',
      raw.journalCompactBytes,
      1024,
      1024 ** 4,
    ),
    clientConcurrency: toInt('client concurrency', raw.clientConcurrency, 0, 100_000),
    clientBudgetMs: toInt('client query budget (ms)', raw.clientBudgetMs, 0, 24 * 3600 * 1000),
    clientWindowMs: toInt('client budget window (ms)', raw.clientWindowMs, 1000, 24 * 3600 * 1000),
    shutdownGraceMs: toInt('shutdown grace (ms)', raw.shutdownGraceMs, 0, 3600 * 1000),
    store: toStore(raw.store),
    storeUpdateUrl: optionalUrl('store update URL', raw.storeUpdateUrl),
    storeGraphStoreUrl: optionalUrl('store Graph Store Protocol URL', raw.storeGraphStoreUrl),
    storeUser: toText(raw.storeUser),
    storePassword: toText(raw.storePassword),
    serviceTimeoutMs: toInt('service timeout (ms)', raw.serviceTimeoutMs, 1, 3600 * 1000),
    serviceTimeouts: Object.freeze(toServiceTimeouts(raw.serviceTimeouts)),
  });
}

/**
 * The write token from `writeToken` or `writeTokenFile` (its first line), checked and hashed.
 * Writes need somewhere durable to go, so a token without a state directory is refused.
 */
function writeTokenDigest(raw: ConfigInput, stateDir: string): string {
  if (typeof raw.writeTokenSha256 === 'string' && raw.writeTokenSha256 !== '') {
    return raw.writeTokenSha256;
  }
  let token = typeof raw.writeToken === 'string' ? raw.writeToken : '';
  const file = typeof raw.writeTokenFile === 'string' ? raw.writeTokenFile : '';
  if (token !== '' && file !== '') {
    throw new ConfigError('give the write token either directly or as a file, not both.');
  }
  if (file !== '') {
    try {
      token = (readFileSync(path.resolve(file), 'utf8').split(/\r?\n/u)[0] ?? '').trim();
    } catch (error) {
      throw new ConfigError(`write token file ${file} cannot be read: ${(error as Error).message}`);
    }
  }
  if (token === '') return '';
  if (token.length < MIN_WRITE_TOKEN_LENGTH || /\s/u.test(token)) {
    throw new ConfigError(
      `the write token must be at least ${MIN_WRITE_TOKEN_LENGTH} characters with no spaces ` +
        '(e.g. the output of `openssl rand -hex 32`).',
    );
  }
  if (stateDir === '') {
    throw new ConfigError(
      'writes need a state directory for their journal: set CDG_STATE_DIR (it must not be empty) ' +
        'or leave the write token unset.',
    );
  }
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
