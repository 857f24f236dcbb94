/**
 * A TCP forwarder that a test can cut and restore, to take a server away
 * from one client only: `cut` resets every open connection and refuses
 * new ones (ECONNREFUSED), `restore` listens again on the same port.
 */
import {
  createConnection,
  createServer,
  type Server,
  type Socket,
} from "node:net";
import { freePort } from "./redis-server.js";

/** A running forwarder to `target`. */
export interface TcpProxy {
  port: number;
  /** Connections accepted since the start. */
  readonly accepted: number;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** Forwards 127.0.0.1:<free port> to `target`. */
export async function startTcpProxy(target: {
  host: string;
  port: number;
}): Promise<TcpProxy> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let accepted = 0;

  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
  };

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const next = createServer((client) => {
        accepted++;
        const upstream = createConnection(target);
        track(client);
        track(upstream);
        client.pipe(upstream);
        upstream.pipe(client);
        client.once("close", () => upstream.destroy());
        upstream.once("close", () => client.destroy());
      });
      next.once("error", reject);
      next.listen(port, "127.0.0.1", () => {
        server = next;
        resolve();
      });
    });

  const cut = async () => {
    const current = server;
    server = undefined;
    const closed = new Promise<void>((resolve) => {
      if (current) current.close(() => resolve());
      else resolve();
    });
    for (const socket of sockets) socket.resetAndDestroy();
    await closed;
  };

  await listen();
  return {
    port,
    get accepted() {
      return accepted;
    },
    cut,
    restore: () => (server ? Promise.resolve() : listen()),
    close: cut,
  };
}
