// The local server's HTTP/1.1 front (scripts/lib/http1_server.ts) over raw TCP and curl:
// kept-alive and pipelined requests, chunked bodies, Expect: 100-continue, and the framing
// it refuses (smuggling-prone or malformed requests, oversized headers).
import assert from "node:assert/strict";
import { serveHttp1 } from "../../scripts/lib/http1_server.ts";
import { readReply } from "./lib/local_server.ts";
import { requirePermissions } from "./_requires.ts";

const encoder = new TextEncoder();

async function writeAll(conn: Deno.Conn, text: string) {
  const bytes = encoder.encode(text);
  for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
}

Deno.test({
  name: "http1_server: keep-alive, pipelining, chunked bodies, 100-continue, refused framing",
  ignore: requirePermissions(
    "the local HTTP/1.1 server",
    "to listen on and connect to 127.0.0.1",
    { name: "net", host: "127.0.0.1" },
  ),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const logged: Record<string, unknown>[] = [];
    const server = serveHttp1({ hostname: "127.0.0.1", port: 0, log: (l) => logged.push(l) }, async (req) => {
      const body = req.body ? await req.text() : "";
      return Response.json({ method: req.method, path: new URL(req.url).pathname, body });
    });
    const port = server.addr.port;
    const open = () => Deno.connect({ hostname: "127.0.0.1", port });
    try {
      await t.step("two pipelined requests on one connection, one chunked, then close", async () => {
        const conn = await open();
        await writeAll(
          conn,
          "POST /a HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\n\r\nabc" +
            "POST /b HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n" +
            "2;ext=1\r\nde\r\n1\r\nf\r\n0\r\ntrailer: x\r\n\r\n",
        );
        const reply = await readReply(conn, 5000);
        const bodies = [...reply.text.matchAll(/\r\n\r\n(\{[^}]*\})/g)].map((m) => JSON.parse(m[1]));
        assert.deepEqual(bodies, [
          { method: "POST", path: "/a", body: "abc" },
          { method: "POST", path: "/b", body: "def" },
        ]);
        assert.ok(reply.closed);
      });

      await t.step("fetch reuses the connection", async () => {
        for (let i = 0; i < 3; i++) {
          const res = await fetch(`http://127.0.0.1:${port}/k`, { method: "POST", body: `n${i}` });
          assert.deepEqual(await res.json(), { method: "POST", path: "/k", body: `n${i}` });
        }
      });

      await t.step({
        name: "curl's Expect: 100-continue is answered",
        ignore: requirePermissions("curl against the local HTTP/1.1 server", "to run curl", {
          name: "run",
          command: "curl",
        }),
        fn: async () => {
          const out = await new Deno.Command("curl", {
            args: [
              "-sS",
              "-v",
              "-H",
              "Expect: 100-continue",
              "--data-binary",
              "x".repeat(2000),
              `http://127.0.0.1:${port}/c`,
            ],
            stdout: "piped",
            stderr: "piped",
          }).output();
          assert.equal(JSON.parse(new TextDecoder().decode(out.stdout)).body.length, 2000);
          assert.match(new TextDecoder().decode(out.stderr), /HTTP\/1\.1 100 Continue/);
        },
      });

      await t.step("smuggling-prone, malformed and oversized requests are refused and closed", async () => {
        const cases: [string, number][] = [
          ["POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n", 400],
          ["POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 3, 4\r\n\r\n", 400],
          ["POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: gzip, chunked\r\n\r\n", 501],
          ["GARBAGE\r\n\r\n", 400],
          ["GET / HTTP/2.0\r\n\r\n", 505],
          [`GET / HTTP/1.1\r\nx-big: ${"a".repeat(20_000)}\r\n\r\n`, 431],
        ];
        for (const [request, status] of cases) {
          const conn = await open();
          await writeAll(conn, request).catch(() => {});
          const reply = await readReply(conn, 5000);
          assert.equal(reply.status, status, request.slice(0, 60));
          assert.ok(reply.closed);
        }
        assert.ok(logged.length >= cases.length);
      });
    } finally {
      await server.shutdown();
    }
  },
});
