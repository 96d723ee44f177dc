/**
 * A TCP proxy to a database that counts round trips: each time the client speaks after the
 * server has spoken. The request path's round trips are measured through it by
 * tests/e2e/pg_store_e2e_test.ts and bench/fixed_cost.ts.
 *
 * @module
 */

/** A running proxy. */
export interface CountingProxy {
  /** The target's URL with the proxy's port. */
  url: string;
  /** Round trips since the last call (and starts counting again from 0). */
  take(): number;
  /** Stops accepting and closes every connection. */
  close(): void;
}

/** Starts a proxy on 127.0.0.1 (a free port) to the host and port of `target`. */
export function countingProxy(target: URL): CountingProxy {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  let turns = 0;
  (async () => {
    for await (const client of listener) {
      const server = await Deno.connect({ hostname: target.hostname, port: Number(target.port) });
      conns.push(client, server);
      let serverSpokeLast = true;
      const pump = async (from: Deno.Conn, to: Deno.Conn, fromClient: boolean) => {
        const buf = new Uint8Array(1 << 16);
        try {
          for (let n = await from.read(buf); n !== null; n = await from.read(buf)) {
            if (fromClient && serverSpokeLast) turns++;
            serverSpokeLast = !fromClient;
            for (let off = 0; off < n;) off += await to.write(buf.subarray(off, n));
          }
        } catch { /* closed */ }
        try {
          to.close();
        } catch { /* closed */ }
      };
      pump(client, server, true);
      pump(server, client, false);
    }
  })().catch(() => {});
  const proxied = new URL(target.href);
  proxied.port = String((listener.addr as Deno.NetAddr).port);
  return {
    url: proxied.href,
    take() {
      const t = turns;
      turns = 0;
      return t;
    },
    close() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
    },
  };
}
