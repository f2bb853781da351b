/**
 * The write journal: every accepted change to the user graphs, appended as one framed record and
 * fsynced before the write is acknowledged; replayed at start-up; compacted from time to time into
 * a snapshot (N-Quads of the user graphs) and an empty journal.
 *
 * Files, in `{stateDir}/writes/`:
 * - `journal.cdgj` — records, each `CDGJ` (4 bytes) · payload length (u32, big-endian) · SHA-256 of
 *   the payload (32 bytes) · payload (UTF-8 JSON of a ChangeRecord).
 * - `snapshot.nq` — a first line `# cdg-snapshot v1 seq=N sha256=HEX` (the hash of what follows), then
 *   the user graphs as N-Quads. Written to a temporary file, fsynced and renamed, so it is whole or
 *   absent.
 * - `lock` — the process id of the server using the directory.
 *
 * A crash can leave at most one incomplete record, at the end (a record is only appended once the
 * one before it is on disk). At start-up such a torn tail is reported, saved aside and cut off; a
 * bad record anywhere else is corruption, and start-up stops rather than serve less than was
 * acknowledged.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

/** One accepted change: the triples it removed and added, as N-Quads. */
export interface ChangeRecord {
  /** Position in the journal's history: 1, 2, 3… across restarts and compactions. */
  readonly seq: number;
  /** When it was accepted (ISO 8601). */
  readonly at: string;
  /** What asked for it: `update` (SPARQL Update), `put`, `post`, `delete` (Graph Store Protocol). */
  readonly op: string;
  /** The user graphs it changed. */
  readonly graphs: readonly string[];
  /** Quads removed, as N-Quads. */
  readonly delete: string;
  /** Quads added, as N-Quads. */
  readonly insert: string;
}

/** A torn last record found at start-up. */
export interface TornTail {
  /** Byte offset in the journal where the torn record starts (the journal is cut there). */
  readonly offset: number;
  /** Bytes skipped. */
  readonly bytes: number;
  readonly reason: string;
  /** Where the skipped bytes were saved for inspection ('' when read without taking the directory). */
  readonly savedAs: string;
}

/** What the directory held at start-up. */
export interface JournalContents {
  /** The snapshot's N-Quads ('' when there is none). */
  readonly snapshot: string;
  /** The last change the snapshot includes (0 without one). */
  readonly snapshotSeq: number;
  /** Changes after the snapshot, in order. */
  readonly records: readonly ChangeRecord[];
  readonly torn: TornTail | undefined;
}

/** The journal or snapshot is damaged somewhere other than a torn tail; the message says where. */
export class JournalCorruptError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'JournalCorruptError';
  }
}

/** Another live process is using the state directory. */
export class JournalLockedError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'JournalLockedError';
  }
}

const MAGIC = Buffer.from('CDGJ', 'ascii');
const HEADER_BYTES = MAGIC.length + 4 + 32;
const JOURNAL_FILE = 'journal.cdgj';
const SNAPSHOT_FILE = 'snapshot.nq';
const LOCK_FILE = 'lock';
const SNAPSHOT_HEADER = /^# cdg-snapshot v1 seq=(\d+) sha256=([0-9a-f]{64})\n/u;

function sha256(data: Buffer | string): Buffer {
  return createHash('sha256').update(data).digest();
}

/**
 * Frames one record: magic, payload length, payload hash, payload.
 * @param record - the change
 */
export function encodeRecord(record: ChangeRecord): Buffer {
  const payload = Buffer.from(JSON.stringify(record), 'utf8');
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt32BE(payload.length, MAGIC.length);
  sha256(payload).copy(header, MAGIC.length + 4);
  return Buffer.concat([header, payload]);
}

function isChangeRecord(value: unknown): value is ChangeRecord {
  const r = value as Partial<ChangeRecord> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    Number.isInteger(r.seq) &&
    typeof r.op === 'string' &&
    typeof r.delete === 'string' &&
    typeof r.insert === 'string' &&
    Array.isArray(r.graphs)
  );
}

/**
 * Reads the records of a journal file's bytes.
 * @param bytes - the whole file
 * @returns the whole records, and where a torn tail starts (if any)
 * @throws JournalCorruptError when a record other than the last is damaged
 */
export function decodeRecords(bytes: Buffer): {
  records: ChangeRecord[];
  tail: { offset: number; reason: string } | undefined;
} {
  const records: ChangeRecord[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const left = bytes.length - offset;
    if (left < HEADER_BYTES) {
      return {
        records,
        tail: { offset, reason: `an incomplete record header (${left} of ${HEADER_BYTES} bytes)` },
      };
    }
    if (!bytes.subarray(offset, offset + MAGIC.length).equals(MAGIC)) {
      // A crash after the file grew but before its data reached the disk can leave zeros.
      if (bytes.subarray(offset).every((b) => b === 0)) {
        return { records, tail: { offset, reason: `${left} zero bytes where a record should be` } };
      }
      throw new JournalCorruptError(
        `the journal is damaged at byte ${offset}: no record starts there, and it is not the end of the file.`,
      );
    }
    const length = bytes.readUInt32BE(offset + MAGIC.length);
    const end = offset + HEADER_BYTES + length;
    if (end > bytes.length) {
      return {
        records,
        tail: {
          offset,
          reason: `a record of ${length} bytes cut off after ${left - HEADER_BYTES} bytes`,
        },
      };
    }
    const payload = bytes.subarray(offset + HEADER_BYTES, end);
    const stored = bytes.subarray(offset + MAGIC.length + 4, offset + HEADER_BYTES);
    if (!sha256(payload).equals(stored)) {
      if (end === bytes.length) {
        return { records, tail: { offset, reason: 'the last record fails its SHA-256 check' } };
      }
      throw new JournalCorruptError(
        `the journal record at byte ${offset} fails its SHA-256 check and is not the last one.`,
      );
    }
    let record: unknown;
    try {
      record = JSON.parse(payload.toString('utf8'));
    } catch {
      record = undefined;
    }
    if (!isChangeRecord(record)) {
      throw new JournalCorruptError(
        `the journal record at byte ${offset} passes its checksum but is not a change record.`,
      );
    }
    records.push(record);
    offset = end;
  }
  return { records, tail: undefined };
}

/**
 * A snapshot file's text: header line with sequence number and hash, then the N-Quads.
 * @param seq - the last change it includes
 * @param nquads - the user graphs
 */
export function encodeSnapshot(seq: number, nquads: string): string {
  return `# cdg-snapshot v1 seq=${seq} sha256=${sha256(nquads).toString('hex')}\n${nquads}`;
}

/**
 * Reads a snapshot file's text.
 * @throws JournalCorruptError when the header is missing or the hash does not match
 */
export function decodeSnapshot(text: string, file: string): { seq: number; nquads: string } {
  const m = SNAPSHOT_HEADER.exec(text);
  if (m === null) {
    throw new JournalCorruptError(`${file} does not start with a cdg-snapshot header line.`);
  }
  const nquads = text.slice(m[0].length);
  if (sha256(nquads).toString('hex') !== m[2]) {
    throw new JournalCorruptError(`${file} fails its SHA-256 check: the snapshot is damaged.`);
  }
  return { seq: Number(m[1]), nquads };
}

async function readIfExists(file: string): Promise<Buffer | undefined> {
  try {
    return await fs.readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Makes a rename or a new file in `dir` durable (a no-op where directories cannot be opened). */
async function syncDir(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // Some platforms (Windows) cannot fsync a directory; the rename itself is atomic there.
  } finally {
    await handle?.close();
  }
}

/** Writes a file whole or not at all: temporary file, fsync, rename, fsync of the directory. */
async function writeAtomically(file: string, data: string | Buffer): Promise<void> {
  const tmp = `${file}.tmp`;
  const handle = await fs.open(tmp, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(tmp, file);
  await syncDir(path.dirname(file));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function acquireLock(dir: string): Promise<void> {
  const file = path.join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await fs.writeFile(file, `${process.pid}\n`, { flag: 'wx' });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const pid = Number((await readIfExists(file))?.toString('utf8').trim());
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
      throw new JournalLockedError(
        `${dir} is in use by another server (process ${pid}): two servers must not write one journal. ` +
          `Stop it, or remove ${file} if no such server is running.`,
      );
    }
    // The process that held it is gone (a crash): take the directory over.
    await fs.rm(file, { force: true });
  }
  throw new JournalLockedError(`Could not lock ${dir}: another process keeps taking it.`);
}

/** Reads snapshot and journal; `torn.savedAs` is left empty. */
async function readContents(dir: string): Promise<{ contents: JournalContents; bytes: Buffer }> {
  const snapshotFile = path.join(dir, SNAPSHOT_FILE);
  const snapshotBytes = await readIfExists(snapshotFile);
  const snapshot =
    snapshotBytes === undefined
      ? { seq: 0, nquads: '' }
      : decodeSnapshot(snapshotBytes.toString('utf8'), snapshotFile);
  const bytes = (await readIfExists(path.join(dir, JOURNAL_FILE))) ?? Buffer.alloc(0);
  const { records, tail } = decodeRecords(bytes);
  // Records up to the snapshot's are already in it (a crash between snapshot and truncation).
  const after = records.filter((r) => r.seq > snapshot.seq);
  let expected = snapshot.seq + 1;
  for (const r of after) {
    if (r.seq !== expected) {
      throw new JournalCorruptError(
        `the journal jumps from change ${expected - 1} to change ${r.seq}: a change is missing.`,
      );
    }
    expected++;
  }
  const torn =
    tail === undefined
      ? undefined
      : {
          offset: tail.offset,
          bytes: bytes.length - tail.offset,
          reason: tail.reason,
          savedAs: '',
        };
  return {
    contents: { snapshot: snapshot.nquads, snapshotSeq: snapshot.seq, records: after, torn },
    bytes,
  };
}

/** The journal of one state directory, open for appending. */
export class Journal {
  private handle: fs.FileHandle | undefined;
  private size: number;
  private lastSeq: number;
  /** Appends and compactions run one at a time, in order. */
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Set when a failed append could not be cut back: appending after it would corrupt the file. */
  private broken: Error | undefined;

  private constructor(
    public readonly dir: string,
    handle: fs.FileHandle,
    size: number,
    lastSeq: number,
  ) {
    this.handle = handle;
    this.size = size;
    this.lastSeq = lastSeq;
  }

  /**
   * Opens (creating if needed) the journal in `dir`: takes the lock, reads the snapshot and the
   * records after it, cuts off a torn tail (saving its bytes beside the journal), and opens the
   * journal for appending.
   * @param dir - the journal directory, e.g. `{stateDir}/writes`
   * @throws JournalCorruptError, JournalLockedError
   */
  public static async open(dir: string): Promise<{ journal: Journal; contents: JournalContents }> {
    await fs.mkdir(dir, { recursive: true });
    await acquireLock(dir);
    try {
      const { contents, bytes } = await readContents(dir);
      const journalFile = path.join(dir, JOURNAL_FILE);
      let torn = contents.torn;
      if (torn !== undefined) {
        const savedAs = path.join(dir, `journal.torn-at-${torn.offset}-${Date.now()}.bin`);
        await writeAtomically(savedAs, bytes.subarray(torn.offset));
        const h = await fs.open(journalFile, 'r+');
        try {
          await h.truncate(torn.offset);
          await h.sync();
        } finally {
          await h.close();
        }
        torn = { ...torn, savedAs };
      }
      const handle = await fs.open(journalFile, 'a');
      if (bytes.length === 0) await syncDir(dir);
      const lastSeq = contents.records.at(-1)?.seq ?? contents.snapshotSeq;
      const journal = new Journal(dir, handle, torn?.offset ?? bytes.length, lastSeq);
      return { journal, contents: { ...contents, torn } };
    } catch (error) {
      await fs.rm(path.join(dir, LOCK_FILE), { force: true });
      throw error;
    }
  }

  /**
   * Reads what a journal directory holds without taking it or changing anything (a torn tail is
   * reported and skipped, but left in place). For servers that do not write.
   * @param dir - the journal directory
   * @throws JournalCorruptError
   */
  public static async read(dir: string): Promise<JournalContents> {
    return (await readContents(dir)).contents;
  }

  /** Bytes in the journal file (records since the last snapshot). */
  public get sizeBytes(): number {
    return this.size;
  }

  /** The sequence number of the last change on disk. */
  public get seq(): number {
    return this.lastSeq;
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.tail.then(task, task);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /**
   * Appends a change and waits until it is on disk (written and fsynced). If writing fails, the
   * journal is cut back to where it was, so a failed append leaves nothing behind.
   * @param change - the change, without its sequence number and time
   * @returns the record as stored
   */
  public append(change: Omit<ChangeRecord, 'seq' | 'at'>): Promise<ChangeRecord> {
    return this.enqueue(async () => {
      const handle = this.handle;
      if (handle === undefined || this.closed) throw new Error('The journal is closed.');
      if (this.broken !== undefined) {
        throw new Error(
          `the journal cannot take more writes until the server restarts (${this.broken.message})`,
        );
      }
      const record: ChangeRecord = {
        seq: this.lastSeq + 1,
        at: new Date().toISOString(),
        ...change,
      };
      const frame = encodeRecord(record);
      try {
        let written = 0;
        while (written < frame.length) {
          const { bytesWritten } = await handle.write(frame, written, frame.length - written);
          written += bytesWritten;
        }
        await handle.datasync();
      } catch (error) {
        await handle.truncate(this.size).catch((cut: unknown) => {
          this.broken = cut as Error;
        });
        throw error;
      }
      this.size += frame.length;
      this.lastSeq = record.seq;
      return record;
    });
  }

  /**
   * Compaction: writes a snapshot of the user graphs as of the last change, then empties the
   * journal. A crash in between is harmless: records the snapshot includes are skipped on replay.
   * @param nquads - every user graph, as N-Quads, as of `seq`
   */
  public compact(nquads: string): Promise<void> {
    return this.enqueue(async () => {
      if (this.handle === undefined || this.closed) throw new Error('The journal is closed.');
      await writeAtomically(
        path.join(this.dir, SNAPSHOT_FILE),
        encodeSnapshot(this.lastSeq, nquads),
      );
      const file = path.join(this.dir, JOURNAL_FILE);
      await writeAtomically(file, Buffer.alloc(0));
      const old = this.handle;
      this.handle = undefined;
      await old.close();
      this.handle = await fs.open(file, 'a');
      this.size = 0;
    });
  }

  /** Resolves once every append started so far is on disk (or has failed). */
  public async flush(): Promise<void> {
    await this.tail;
  }

  /** Flushes, closes the file and releases the state directory. Idempotent. */
  public async close(): Promise<void> {
    await this.flush();
    if (this.closed) return;
    this.closed = true;
    await this.handle?.close();
    this.handle = undefined;
    await fs.rm(path.join(this.dir, LOCK_FILE), { force: true });
  }
}
