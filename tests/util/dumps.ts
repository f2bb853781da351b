/** Reading the server's gzipped dumps in tests. */
import { gunzipSync } from 'node:zlib';
import request from 'supertest';

/**
 * GETs a dump (200 expected) and returns its text, gunzipped unless the client already undid it.
 * @param url - the server's base URL
 * @param name - the dump's file name, e.g. `cyber-diplomacy.nq.gz`
 */
export async function dumpText(url: string, name: string): Promise<string> {
  const res = await request(url)
    .get(`/dumps/${name}`)
    .buffer(true)
    .parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    })
    .expect(200);
  const body = res.body as Buffer;
  return (body[0] === 0x1f && body[1] === 0x8b ? gunzipSync(body) : body).toString('utf8');
}
