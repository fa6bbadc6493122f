import { describe, expect, it } from "vitest";
import { HttpError, RequestParser } from "../../src/vm/registry/http.ts";
import { Registry } from "../../src/vm/registry/registry.ts";
import { serveConnection } from "../../src/vm/registry/server.ts";
import { MemoryStore } from "../../src/vm/registry/store.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Feeds `raw` to a parser in pieces of `step` bytes. */
function parseInSteps(raw: Uint8Array, step: number) {
  const p = new RequestParser();
  const out = [];
  for (let i = 0; i < raw.length; i += step) out.push(...p.push(raw.subarray(i, i + step)));
  return out;
}

describe("HTTP/1.1 request parser", () => {
  const chunked =
    "PATCH /v2/app/blobs/uploads/abc HTTP/1.1\r\nHost: registry.local:5000\r\nTransfer-Encoding: chunked\r\n\r\n" +
    "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Trailer: 1\r\n\r\n" +
    "PUT /v2/app/blobs/uploads/abc?digest=sha256:00 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc" +
    "GET /v2/ HTTP/1.1\r\n\r\n";

  it.each([1, 2, 3, 7, 64, 10_000])(
    "parses chunked, Content-Length and pipelined requests fed %i bytes at a time",
    (step) => {
      const reqs = parseInSteps(enc.encode(chunked), step);
      expect(reqs.map((r) => `${r.method} ${r.target}`)).toEqual([
        "PATCH /v2/app/blobs/uploads/abc",
        "PUT /v2/app/blobs/uploads/abc?digest=sha256:00",
        "GET /v2/",
      ]);
      expect(dec.decode(reqs[0]!.body)).toBe("hello, world");
      expect(reqs[0]!.headers["host"]).toBe("registry.local:5000");
      expect(dec.decode(reqs[1]!.body)).toBe("abc");
      expect(reqs[2]!.body.length).toBe(0);
    },
  );

  it("rejects malformed input with an HTTP status", () => {
    const bad = (s: string) => () => new RequestParser().push(enc.encode(s));
    expect(bad("NOT HTTP\r\n\r\n")).toThrow(HttpError);
    expect(bad("GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n")).toThrow(/Content-Length/);
    expect(bad("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")).toThrow(
      /chunk size/,
    );
    expect(bad("GET / HTTP/1.1\r\nX: " + "a".repeat(70_000))).toThrow(/too large/);
  });
});

/** A stand-in for v86's TCPConnection: records what the server writes. */
class FakeConn {
  handlers: Record<string, (...a: unknown[]) => void> = {};
  written: Uint8Array[] = [];
  closed = false;
  private waiters: (() => void)[] = [];
  on(ev: string, fn: (...a: unknown[]) => void) {
    this.handlers[ev] = fn;
  }
  write(d: Uint8Array) {
    this.written.push(d.slice());
    this.wake();
  }
  close() {
    this.closed = true;
    this.wake();
  }
  send(s: string | Uint8Array) {
    this.handlers.data!(typeof s === "string" ? enc.encode(s) : s);
  }
  text() {
    return this.written.map((w) => dec.decode(w)).join("");
  }
  private wake() {
    for (const w of this.waiters.splice(0)) w();
  }
  /** Resolves when `pred` holds after some write or close; fails loudly after 2 s. */
  until(pred: () => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(
        () => reject(new Error(`timed out; got: ${this.text().slice(0, 300)}`)),
        2000,
      );
      const check = () => {
        if (pred()) {
          clearTimeout(t);
          resolve();
        } else this.waiters.push(check);
      };
      check();
    });
  }
}

function serve() {
  const conn = new FakeConn();
  serveConnection(conn as never, new Registry({ store: new MemoryStore() }));
  return conn;
}

describe("registry over a TCP connection", () => {
  it("answers keep-alive requests in order with Content-Length", async () => {
    const conn = serve();
    conn.send("GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\nGET /v2/nope/tags/list HTTP/1.1\r\n\r\n");
    await conn.until(
      () => (conn.text().match(/HTTP\/1\.1/g) ?? []).length === 2 && conn.text().endsWith("}]}"),
    );
    const t = conn.text();
    expect(t).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(t).toContain("Content-Length: 2\r\n");
    expect(t).toContain("Docker-Distribution-API-Version: registry/2.0\r\n");
    expect(t).toContain("HTTP/1.1 404 Not Found");
    expect(t).toContain('"code":"NAME_UNKNOWN"');
    expect(conn.closed).toBe(false);
  });

  it("HEAD answers carry Content-Length but no body", async () => {
    const conn = serve();
    conn.send("HEAD /v2/ HTTP/1.1\r\n\r\n");
    await conn.until(() => conn.text().includes("\r\n\r\n"));
    expect(conn.text()).toContain("Content-Length: 2\r\n");
    expect(conn.text()).toMatch(/\r\n\r\n$/);
  });

  it("closes at once on a TLS ClientHello, so dockerd falls back to plain HTTP", async () => {
    const conn = serve();
    conn.send(new Uint8Array([0x16, 0x03, 0x01, 0x02, 0x00]));
    await conn.until(() => conn.closed);
    expect(conn.written).toEqual([]);
  });

  it("malformed requests get a JSON error and a close, never a hang", async () => {
    const conn = serve();
    conn.send("BROKEN\r\n\r\n");
    await conn.until(() => conn.closed);
    expect(conn.text()).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(conn.text()).toContain("Connection: close");
    expect(conn.text()).toContain('{"errors":[{"code":"UNSUPPORTED"');
  });

  it("Connection: close is honoured after the answer", async () => {
    const conn = serve();
    conn.send("GET /v2/ HTTP/1.1\r\nConnection: close\r\n\r\n");
    await conn.until(() => conn.closed);
    expect(conn.text()).toMatch(/\r\n\r\n\{\}$/);
  });

  it("the guest's FIN closes our side after queued answers", async () => {
    const conn = serve();
    conn.send("GET /v2/ HTTP/1.1\r\n\r\n");
    conn.handlers.shutdown!();
    await conn.until(() => conn.closed);
    expect(conn.text()).toMatch(/\{\}$/);
  });
});

describe("registry over a real socket, with Node's HTTP client", () => {
  it("push (chunked PATCH) and pull round-trip with keep-alive", async () => {
    const net = await import("node:net");
    const { createHash } = await import("node:crypto");
    const registry = new Registry({ store: new MemoryStore() });
    const server = net.createServer((socket) => {
      const handlers: Record<string, (...a: unknown[]) => void> = {};
      socket.on("data", (d) => handlers.data?.(new Uint8Array(d)));
      socket.on("end", () => handlers.shutdown?.());
      socket.on("close", () => handlers.close?.());
      serveConnection(
        {
          on: (ev: string, fn: (...a: unknown[]) => void) => (handlers[ev] = fn),
          write: (d: Uint8Array) => void socket.write(d),
          close: () => void socket.end(),
        } as never,
        registry,
      );
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const blob = new Uint8Array(300_000).map((_, i) => (i * 7) & 255);
      const digest = `sha256:${createHash("sha256").update(blob).digest("hex")}`;
      const start = await fetch(`${base}/v2/demo/blobs/uploads/`, { method: "POST" });
      expect(start.status).toBe(202);
      const loc = start.headers.get("location")!;
      const body = new ReadableStream<Uint8Array>({
        start(c) {
          for (let i = 0; i < blob.length; i += 65_536) c.enqueue(blob.subarray(i, i + 65_536));
          c.close();
        },
      });
      const patch = await fetch(base + loc, {
        method: "PATCH",
        body,
        duplex: "half",
      } as RequestInit);
      expect(patch.status).toBe(202);
      expect(patch.headers.get("range")).toBe(`0-${blob.length - 1}`);
      const put = await fetch(`${base}${loc}?digest=${digest}`, { method: "PUT" });
      expect(put.status).toBe(201);
      const head = await fetch(`${base}/v2/demo/blobs/${digest}`, { method: "HEAD" });
      expect(head.headers.get("content-length")).toBe(String(blob.length));
      const get = await fetch(`${base}/v2/demo/blobs/${digest}`);
      const back = new Uint8Array(await get.arrayBuffer());
      expect(createHash("sha256").update(back).digest("hex")).toBe(digest.slice(7));
      const missing = await fetch(`${base}/v2/demo/blobs/sha256:${"0".repeat(64)}`);
      expect(missing.status).toBe(404);
      expect((await missing.json()).errors[0].code).toBe("BLOB_UNKNOWN");
    } finally {
      server.close();
    }
  });
});
