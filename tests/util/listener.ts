/** A stand-in SPARQL endpoint on 127.0.0.1 that records every request reaching it (SSRF tests). */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordingEndpoint {
  /** Its base URL. */
  readonly url: string;
  /** "METHOD url" of every request received, in order. */
  readonly hits: string[];
  close(): Promise<void>;
}

/** Starts one; it answers every request with a one-row SPARQL JSON result. */
export async function startRecordingEndpoint(): Promise<RecordingEndpoint> {
  const hits: string[] = [];
  const listener = http.createServer((req, res) => {
    hits.push(`${req.method ?? ''} ${req.url ?? ''}`);
    res.writeHead(200, { 'Content-Type': 'application/sparql-results+json' });
    res.end('{"head":{"vars":[]},"results":{"bindings":[{}]}}');
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(listener.address() as AddressInfo).port}`,
    hits,
    close: () => new Promise<void>((resolve) => listener.close(() => resolve())),
  };
}
