/**
 * The write journal on a real file system: framing, torn tails, corruption, snapshots, the lock.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { truncate } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  decodeRecords,
  decodeSnapshot,
  encodeRecord,
  encodeSnapshot,
  Journal,
  JournalCorruptError,
  JournalLockedError,
  type ChangeRecord,
} from '../../../src/graph/journal.js';

const G = 'https://w3id.org/cyber-diplomacy/graph/user/t';

function change(i: number): Omit<ChangeRecord, 'seq' | 'at'> {
  return {
    op: 'update',
    graphs: [G],
    delete: '',
    insert: `<urn:s${i}> <urn:p> "value ${i} — ünïcödé" <${G}> .\n`,
  };
}

/** Flips every bit of one byte (a damaged disk block, in miniature). */
function flip(bytes: Buffer, at: number): void {
  bytes.writeUInt8(bytes.readUInt8(at) ^ 0xff, at);
}

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cdg-journal-'));
  made.push(dir);
  return dir;
}

async function withRecords(n: number): Promise<{ dir: string; file: string; sizes: number[] }> {
  const dir = tempDir();
  const { journal } = await Journal.open(dir);
  const sizes: number[] = [];
  for (let i = 1; i <= n; i++) {
    await journal.append(change(i));
    sizes.push(journal.sizeBytes);
  }
  await journal.close();
  return { dir, file: path.join(dir, 'journal.cdgj'), sizes };
}

describe('encodeRecord / decodeRecords', () => {
  it('round-trips records and finds no tail in a whole file', () => {
    const records = [1, 2, 3].map((seq) => ({ seq, at: 'now', ...change(seq) }));
    const bytes = Buffer.concat(records.map(encodeRecord));
    const decoded = decodeRecords(bytes);
    expect(decoded.tail).toBeUndefined();
    expect(decoded.records).toEqual(records);
  });

  it('reports a record cut anywhere as a torn tail at its first byte', () => {
    const a = encodeRecord({ seq: 1, at: 'now', ...change(1) });
    const b = encodeRecord({ seq: 2, at: 'now', ...change(2) });
    for (const cut of [1, 20, 39, 40, 41, b.length - 1]) {
      const decoded = decodeRecords(Buffer.concat([a, b.subarray(0, cut)]));
      expect(decoded.records.map((r) => r.seq)).toEqual([1]);
      expect(decoded.tail?.offset).toBe(a.length);
    }
  });

  it('treats zeros or a bad checksum at the very end as a torn tail', () => {
    const a = encodeRecord({ seq: 1, at: 'now', ...change(1) });
    const zeros = decodeRecords(Buffer.concat([a, Buffer.alloc(100)]));
    expect(zeros.tail?.offset).toBe(a.length);
    expect(zeros.tail?.reason).toMatch(/zero/);
    const b = encodeRecord({ seq: 2, at: 'now', ...change(2) });
    flip(b, b.length - 3);
    const flipped = decodeRecords(Buffer.concat([a, b]));
    expect(flipped.records).toHaveLength(1);
    expect(flipped.tail?.offset).toBe(a.length);
    expect(flipped.tail?.reason).toMatch(/SHA/);
  });

  it('refuses damage before the last record as corruption, naming the offset', () => {
    const a = encodeRecord({ seq: 1, at: 'now', ...change(1) });
    const b = encodeRecord({ seq: 2, at: 'now', ...change(2) });
    const damaged = Buffer.from(a);
    flip(damaged, damaged.length - 2);
    expect(() => decodeRecords(Buffer.concat([damaged, b]))).toThrow(JournalCorruptError);
    expect(() => decodeRecords(Buffer.concat([damaged, b]))).toThrow(/at byte 0/);
    const garbage = Buffer.concat([a, Buffer.from('garbage that is not a record'), b]);
    expect(() => decodeRecords(garbage)).toThrow(new RegExp(`at byte ${a.length}`));
  });
});

describe('snapshots', () => {
  it('carry their sequence number and refuse a damaged body', () => {
    const text = encodeSnapshot(7, `<urn:a> <urn:b> "c" <${G}> .\n`);
    expect(decodeSnapshot(text, 'snapshot.nq')).toEqual({
      seq: 7,
      nquads: `<urn:a> <urn:b> "c" <${G}> .\n`,
    });
    expect(() => decodeSnapshot(text.replace('"c"', '"d"'), 'snapshot.nq')).toThrow(
      /fails its SHA-256 check/,
    );
    expect(() => decodeSnapshot('<urn:a> <urn:b> "c" .\n', 'snapshot.nq')).toThrow(/header/);
  });
});

describe('Journal', () => {
  it('appends durably and replays every record after a restart', async () => {
    const { dir, file, sizes } = await withRecords(3);
    expect(statSync(file).size).toBe(sizes[2]);
    const { journal, contents } = await Journal.open(dir);
    expect(contents.records.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(contents.records[1]!.insert).toContain('value 2 — ünïcödé');
    expect(contents.torn).toBeUndefined();
    expect(journal.seq).toBe(3);
    expect((await journal.append(change(4))).seq).toBe(4);
    await journal.close();
  });

  it('cuts a torn last record off, saves its bytes, and appends cleanly after it', async () => {
    const { dir, file, sizes } = await withRecords(3);
    await truncate(file, sizes[2]! - 5);
    const { journal, contents } = await Journal.open(dir);
    expect(contents.records.map((r) => r.seq)).toEqual([1, 2]);
    expect(contents.torn).toMatchObject({ offset: sizes[1], bytes: sizes[2]! - 5 - sizes[1]! });
    expect(statSync(file).size).toBe(sizes[1]);
    const saved = readdirSync(dir).find((f) => f.startsWith(`journal.torn-at-${sizes[1]}-`));
    expect(saved).toBeDefined();
    expect(statSync(path.join(dir, saved!)).size).toBe(sizes[2]! - 5 - sizes[1]!);
    // The next change takes the torn one's number: that one was never acknowledged.
    expect((await journal.append(change(99))).seq).toBe(3);
    await journal.close();
    const again = await Journal.open(dir);
    expect(again.contents.records.map((r) => r.insert)).toEqual([
      change(1).insert,
      change(2).insert,
      change(99).insert,
    ]);
    expect(again.contents.torn).toBeUndefined();
    await again.journal.close();
  });

  it('reads without changing anything when asked only to read', async () => {
    const { dir, file, sizes } = await withRecords(2);
    await truncate(file, sizes[1]! - 1);
    const contents = await Journal.read(dir);
    expect(contents.records).toHaveLength(1);
    expect(contents.torn?.offset).toBe(sizes[0]);
    expect(statSync(file).size).toBe(sizes[1]! - 1);
  });

  it('stops on corruption before the tail instead of serving less', async () => {
    const { dir, file } = await withRecords(3);
    const bytes = readFileSync(file);
    flip(bytes, 60);
    writeFileSync(file, bytes);
    await expect(Journal.open(dir)).rejects.toThrow(JournalCorruptError);
    // A refused start leaves the directory free for the next attempt.
    await expect(Journal.read(dir)).rejects.toThrow(/fails its SHA-256 check/);
    expect(readdirSync(dir)).not.toContain('lock');
  });

  it('compacts into a snapshot and an empty journal, and skips records a snapshot holds', async () => {
    const { dir, file } = await withRecords(3);
    const { journal } = await Journal.open(dir);
    const before = readFileSync(file);
    await journal.compact(`<urn:all> <urn:p> "three changes" <${G}> .\n`);
    expect(journal.sizeBytes).toBe(0);
    expect(statSync(file).size).toBe(0);
    await journal.append(change(4));
    await journal.close();
    const reopened = await Journal.open(dir);
    expect(reopened.contents.snapshotSeq).toBe(3);
    expect(reopened.contents.snapshot).toContain('three changes');
    expect(reopened.contents.records.map((r) => r.seq)).toEqual([4]);
    await reopened.journal.close();
    // A crash between writing the snapshot and emptying the journal: the old records come back.
    writeFileSync(file, Buffer.concat([before, readFileSync(file)]));
    const crashed = await Journal.open(dir);
    expect(crashed.contents.records.map((r) => r.seq)).toEqual([4]);
    expect(crashed.journal.seq).toBe(4);
    await crashed.journal.close();
  });

  it('lets one live process at a time use a directory, and takes over from a dead one', async () => {
    const dir = tempDir();
    const { journal } = await Journal.open(dir);
    await expect(Journal.open(dir)).rejects.toThrow(JournalLockedError);
    await journal.close();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    writeFileSync(path.join(dir, 'lock'), `${dead.stdout}\n`);
    const taken = await Journal.open(dir);
    expect(readFileSync(path.join(dir, 'lock'), 'utf8').trim()).toBe(String(process.pid));
    await taken.journal.close();
  });

  it('flushes appends under way before it closes', async () => {
    const dir = tempDir();
    const { journal } = await Journal.open(dir);
    const pending = [1, 2, 3, 4, 5].map((i) => journal.append(change(i)));
    await journal.close();
    expect((await Promise.all(pending)).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    expect((await Journal.read(dir)).records).toHaveLength(5);
    await expect(journal.append(change(6))).rejects.toThrow(/closed/);
  });
});
