/**
 * Short, shareable links to queries: `/q/{id}` → the query UI with that query. The id is derived
 * from the query text (the same query always gets the same link), and links are kept in a JSON-lines
 * file so they outlive a restart.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export class ShortLinks {
  private readonly links = new Map<string, string>();
  private readonly file: string | undefined;

  /**
   * @param dir - directory for the links file; undefined keeps links in memory only
   */
  public constructor(dir: string | undefined) {
    this.file = dir === undefined ? undefined : path.join(dir, 'short-links.jsonl');
    if (this.file === undefined) return;
    let text = '';
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return;
    }
    for (const line of text.split('\n')) {
      try {
        const { id, query } = JSON.parse(line) as { id: string; query: string };
        if (typeof id === 'string' && typeof query === 'string') this.links.set(id, query);
      } catch {
        // A torn last line (crash mid-write) is skipped; every complete line is kept.
      }
    }
  }

  /** The id for a query (stable: a hash of its text). */
  public static idFor(query: string): string {
    return createHash('sha256').update(query).digest('base64url').slice(0, 10);
  }

  /** Stores a query and returns its id. */
  public add(query: string): string {
    const id = ShortLinks.idFor(query);
    if (!this.links.has(id)) {
      this.links.set(id, query);
      if (this.file !== undefined) {
        mkdirSync(path.dirname(this.file), { recursive: true });
        appendFileSync(this.file, `${JSON.stringify({ id, query })}\n`);
      }
    }
    return id;
  }

  public get(id: string): string | undefined {
    return this.links.get(id);
  }
}
