import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A simulator's HTTP server on a loopback address, with a close() that also ends sockets left hanging. */
export interface LoopbackServer {
  /** `http://127.0.0.1:PORT` (an IPv6 host in brackets). */
  url: string;
  port: number;
  /** Closes the server, every keep-alive connection and every request a test left unanswered ('hang'). */
  close(): Promise<void>;
}

/**
 * Starts `handle` on `host` (default 127.0.0.1: tests never leave the machine) and `port` (default 0: a free
 * one). A handler that throws (a client gone mid-body) drops that socket only; the server keeps serving.
 * Rejects when the address cannot be bound (EADDRINUSE, EACCES).
 */
export async function listenOnLoopback(
  handle: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>,
  options: { host?: string; port?: number } = {},
): Promise<LoopbackServer> {
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => void handle(req, res).catch(() => res.destroy()));
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    port,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
