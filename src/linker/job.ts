/**
 * One linking job — extract the text of a body (plain text, HTML, PDF) and link it — as plain data
 * in and out, so that it can run in a query worker thread: a large or crafted input then costs a
 * worker, under the query deadline, instead of stalling the HTTP thread.
 */
import { Gazetteer } from './gazetteer.js';
import { linkText, type Mention } from './linkText.js';

export interface LinkJob {
  /** Text to link as it is (JSON and form input). */
  readonly text?: string;
  /** A body to extract text from first (plain text, HTML, PDF), with its media type. */
  readonly bytes?: Uint8Array;
  readonly mediaType?: string;
  /** The year the text was written, when known. */
  readonly documentYear?: number;
}

export interface LinkOutcome {
  /** The text the offsets refer to (extracted from `bytes`, or `text`). */
  readonly text: string;
  readonly title?: string;
  readonly mentions: readonly Mention[];
}

/** Runs linking jobs somewhere (in a worker thread, or in this one); throws as the linker does. */
export type LinkRunner = (
  job: LinkJob,
  options?: { client?: string; onCost?: (ms: number) => void },
) => Promise<LinkOutcome>;

/**
 * Plain text up to this many characters (bytes, for a text/plain body) is linked where it arrives:
 * even the densest text takes at most some 50 ms (3.4 s per MB measured), less than a round trip to
 * a worker that is busy. Longer text, and every HTML or PDF body, goes to a worker.
 */
export const INLINE_LINK_CHARS = 16 * 1024;

/**
 * True when a job is small enough to run in the HTTP thread (see `INLINE_LINK_CHARS`).
 * @param job - the job
 */
export function isSmallLinkJob(job: LinkJob): boolean {
  if (job.bytes === undefined) return (job.text ?? '').length <= INLINE_LINK_CHARS;
  return job.mediaType === 'text/plain' && job.bytes.length <= INLINE_LINK_CHARS;
}

/**
 * Runs a job in the current thread.
 * @param job - the input
 * @param gazetteer - the names to link to
 */
export async function runLinkJob(job: LinkJob, gazetteer: Gazetteer): Promise<LinkOutcome> {
  let text = job.text ?? '';
  let title: string | undefined;
  if (job.bytes !== undefined) {
    // Loaded on first use: a query worker that never links never loads cheerio or pdf.js.
    const { extractText } = await import('./inputs.js');
    const extracted = await extractText(job.bytes, job.mediaType ?? '');
    text = extracted.text;
    title = extracted.title;
  }
  const mentions = linkText(
    text,
    gazetteer,
    job.documentYear === undefined ? {} : { documentYear: job.documentYear },
  );
  return { text, ...(title === undefined ? {} : { title }), mentions };
}

/**
 * A gazetteer that crossed a thread boundary (structured clone keeps its data, not its class) made
 * whole again.
 * @param data - the cloned gazetteer
 */
export function reviveGazetteer(data: unknown): Gazetteer {
  return Object.setPrototypeOf(data, Gazetteer.prototype) as Gazetteer;
}
