/**
 * Child process: the HTTP limit — a bare `node:http` server answering a fixed SPARQL JSON body on
 * every path but `/data.nq`, which streams the N-Quads file given (for Comunica's endpoint to load).
 *
 * Usage: tsx bench/bare.ts [FILE]   → prints {"url": …} on stdout
 */
import { createReadStream } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const file = process.argv[2];
const body = Buffer.from('{"head":{},"boolean":true}\n');
const server = createServer((req, res) => {
  if (req.url === '/data.nq' && file !== undefined) {
    res.writeHead(200, { 'content-type': 'application/n-quads' });
    createReadStream(file).pipe(res);
    return;
  }
  res.writeHead(200, {
    'content-type': 'application/sparql-results+json',
    'content-length': body.length,
  });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}` })}\n`);
});
process.on('disconnect', () => process.exit(0));
