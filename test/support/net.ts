import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A loopback port that was free a moment ago, for a server the test spawns. Not for a refused
 * connection: see REFUSED_PORT.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A loopback port nothing listens on, for the tests of an upstream that is down. Privileged (below
 * 1024) and outside the range the OS hands out for listen(0), so no test server can be given it:
 * freePort's port, closed and then connected to, was once handed to another test file's server in
 * between, which answered (a CI run on Node 24). 47 is an unassigned, obsolete service.
 */
export const REFUSED_PORT = 47;
