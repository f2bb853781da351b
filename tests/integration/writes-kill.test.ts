/**
 * Durability, the hard way: the real server runs as a process, clients stream writes at it, and it
 * is killed with SIGKILL in the middle of the stream (with a small compaction threshold, so some
 * kills land during a compaction). After a restart on the same state directory, every write that
 * was acknowledged (2xx) must be there, and no write may be there in part.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { MINI, REPO_ROOT } from '../util/server.js';

const MAIN = path.join(REPO_ROOT, 'src', 'cli', 'main.ts');
const TOKEN = 'kill-test-write-token-0123456789';
const NS = 'https://w3id.org/cyber-diplomacy/graph/user/';
const GRAPH = `${NS}stream`;
/** Triples per write: a write is "partial" if some but not all of them are there. */
const PARTS = 3;

let children: ChildProcessWithoutNullStreams[] = [];
const made: string[] = [];
afterEach(async () => {
  // Whatever is still running is stopped, and waited for, before the next test or the cleanup.
  const running = children.filter((child) => child.exitCode === null && child.signalCode === null);
  const exits = running.map((child) => new Promise((resolve) => child.once('exit', resolve)));
  for (const child of running) child.kill('SIGKILL');
  await Promise.all(exits);
  children = [];
});
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** Starts `cdg serve` on a free port and resolves with its base URL once it is listening. */
function serve(stateDir: string): Promise<{ child: ChildProcessWithoutNullStreams; url: string }> {
  // `node --import tsx` runs the server in this very process (the tsx CLI would run it in a child
  // of its own, which a SIGKILL to the CLI would leave running).
  const args = ['--import', 'tsx', MAIN, 'serve', '--data', MINI, '--workers', '1'];
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      LOG_LEVEL: 'warn',
      PORT: '0',
      HOST: '127.0.0.1',
      CDG_STATE_DIR: stateDir,
      CDG_WRITE_TOKEN: TOKEN,
      CDG_JOURNAL_COMPACT_BYTES: '4096',
    },
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      const m = /SPARQL endpoint: (http:\/\/127\.0\.0\.1:\d+)\/sparql/.exec(err);
      if (m?.[1] !== undefined) resolve({ child, url: m[1] });
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}): ${err}`)));
  });
}

function write(id: string): string {
  const triples = Array.from(
    { length: PARTS },
    (_, k) => `<urn:write:${id}> <urn:part:${k}> "${id}/${k}"`,
  ).join(' . ');
  return `INSERT DATA { GRAPH <${GRAPH}> { ${triples} } }`;
}

interface Stream {
  sent: Set<string>;
  acked: Set<string>;
  inFlightAtKill: number;
}

/**
 * Clients send writes one after another (`clients` at a time); when `killAfter` writes are
 * acknowledged the server gets SIGKILL while the others are still on the wire.
 */
async function streamAndKill(
  url: string,
  child: ChildProcessWithoutNullStreams,
  round: number,
  killAfter: number,
  clients = 4,
): Promise<Stream> {
  const stream: Stream = { sent: new Set(), acked: new Set(), inFlightAtKill: 0 };
  let inFlight = 0;
  let killed = false;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const client = async (c: number): Promise<void> => {
    for (let i = 0; !killed; i++) {
      const id = `r${round}c${c}n${i}`;
      stream.sent.add(id);
      inFlight++;
      try {
        const res = await fetch(`${url}/sparql`, {
          method: 'POST',
          headers: {
            Authorization: `Bearer ${TOKEN}`,
            'Content-Type': 'application/sparql-update',
          },
          body: write(id),
        });
        await res.arrayBuffer();
        if (res.status >= 200 && res.status < 300) stream.acked.add(id);
        else throw new Error(`write ${id} answered ${res.status}`);
      } catch (error) {
        if (!killed) throw error;
        return;
      } finally {
        inFlight--;
      }
      if (!killed && stream.acked.size >= killAfter) {
        killed = true;
        stream.inFlightAtKill = inFlight;
        child.kill('SIGKILL');
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, c) => client(c)));
  await exited;
  return stream;
}

/** The writes found after a restart: id → how many of its triples are there. */
async function found(url: string): Promise<Map<string, number>> {
  const query = `SELECT ?s (COUNT(*) AS ?n) WHERE { GRAPH <${GRAPH}> { ?s ?p ?o } } GROUP BY ?s`;
  const res = await fetch(`${url}/sparql?query=${encodeURIComponent(query)}`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as {
    results: { bindings: Array<{ s: { value: string }; n: { value: string } }> };
  };
  return new Map(
    body.results.bindings.map((b) => [b.s.value.replace('urn:write:', ''), Number(b.n.value)]),
  );
}

describe('writes killed with SIGKILL mid-stream', () => {
  it('keeps every acknowledged write and no partial one, over two kills and restarts', async () => {
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'cdg-kill-'));
    made.push(stateDir);
    const acked = new Set<string>();
    const sent = new Set<string>();
    for (const round of [1, 2]) {
      const { child, url } = await serve(stateDir);
      const stream = await streamAndKill(url, child, round, 60);
      // The kill landed in the middle of the stream: writes were on the wire.
      expect(stream.inFlightAtKill).toBeGreaterThan(0);
      expect(child.signalCode).toBe('SIGKILL');
      for (const id of stream.acked) acked.add(id);
      for (const id of stream.sent) sent.add(id);
    }
    const { child, url } = await serve(stateDir);
    const present = await found(url);
    const missing = [...acked].filter((id) => present.get(id) !== PARTS);
    expect(missing).toEqual([]);
    const partial = [...present].filter(([, n]) => n !== PARTS);
    expect(partial).toEqual([]);
    const unknown = [...present.keys()].filter((id) => !sent.has(id));
    expect(unknown).toEqual([]);
    // A write sent but not acknowledged may be there (on disk, answer lost) or not; never in part.
    expect(present.size).toBeGreaterThanOrEqual(acked.size);
    // And the server writes on after the crashes.
    const res = await fetch(`${url}/sparql`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/sparql-update' },
      body: write('after'),
    });
    expect(res.status).toBe(200);
    // A graceful stop: the server closes after the writes under way are on disk.
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
