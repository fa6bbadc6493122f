// The HTTP-over-TCP client the preview uses, against recorded byte streams: what nginx, httpd
// and busybox httpd send, split at awkward places, and the ways a connection fails.
import { describe, expect, it } from "vitest";
import {
  ResponseParser,
  exchange,
  fetchGuest,
  serializeRequest,
  type TcpStream,
} from "../../src/vm/preview/http.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A scripted TCP connection: records what the client writes, replays what the server sends. */
class ScriptedStream implements TcpStream {
  written: Uint8Array[] = [];
  closed = false;
  handlers: Record<string, (...args: never[]) => void> = {};
  on(event: string, fn: (...args: never[]) => void): void {
    this.handlers[event] = fn;
  }
  emit(event: "connect" | "shutdown" | "close"): void;
  emit(event: "data", data: Uint8Array): void;
  emit(event: string, ...args: unknown[]): void {
    (this.handlers[event] as ((...a: unknown[]) => void) | undefined)?.(...args);
  }
  write(data: Uint8Array): void {
    this.written.push(data);
  }
  close(): void {
    this.closed = true;
  }
  get request(): string {
    return this.written.map((w) => dec.decode(w)).join("");
  }
}

/** Starts an exchange, lets the script act on the stream once the request is written. */
async function run(
  script: (s: ScriptedStream) => void,
  request = { method: "GET", path: "/" },
  opts = {},
) {
  const stream = new ScriptedStream();
  const result = fetchGuest(() => stream, 8080, request, opts);
  stream.emit("connect");
  script(stream);
  return { stream, response: await result };
}

/** Splits bytes into pieces of `size` (TCP segments arrive in any split). */
function segments(text: string | Uint8Array, size: number): Uint8Array[] {
  const bytes = typeof text === "string" ? enc.encode(text) : text;
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.slice(i, i + size));
  return out;
}

const NGINX_HEAD =
  "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Mon, 23 Nov 2026 16:00:00 GMT\r\n" +
  "Content-Type: text/html\r\nContent-Length: 45\r\nLast-Modified: Mon, 23 Nov 2026 12:00:00 GMT\r\n" +
  'Connection: close\r\nETag: "6564-2d"\r\nAccept-Ranges: bytes\r\n\r\n';
const NGINX_BODY = "<html><body><h1>Welcome to nginx!</h1></body>";

describe("the request on the wire", () => {
  it("is HTTP/1.1 with Host, identity encoding and Connection: close; hop-by-hop headers dropped", () => {
    const text = dec.decode(
      serializeRequest(818, {
        method: "get",
        path: "/index.html?x=1",
        headers: [
          ["Accept", "text/html"],
          ["Accept-Encoding", "gzip, br"],
          ["Connection", "keep-alive"],
          ["X-Evil", "a\r\nInjected: yes"],
        ],
      }),
    );
    expect(text).toBe(
      "GET /index.html?x=1 HTTP/1.1\r\nHost: localhost:818\r\nAccept: text/html\r\n" +
        "Accept-Encoding: identity\r\nConnection: close\r\n\r\n",
    );
  });

  it("carries a POST body with its length", () => {
    const bytes = serializeRequest(80, {
      method: "POST",
      path: "/form",
      headers: [["Content-Type", "application/x-www-form-urlencoded"]],
      body: enc.encode("a=1&b=2"),
    });
    const text = dec.decode(bytes);
    expect(text).toContain("Content-Length: 7\r\n\r\na=1&b=2");
  });
});

describe("reading answers", () => {
  it("Content-Length: nginx's page, in 7-byte segments, ends without waiting for the close", async () => {
    const { stream, response } = await run((s) => {
      for (const seg of segments(NGINX_HEAD + NGINX_BODY, 7)) s.emit("data", seg);
    });
    expect(stream.request).toMatch(/^GET \/ HTTP\/1\.1\r\nHost: localhost:8080\r\n/);
    expect(response.ok).toBe(true);
    if (!response.ok) return;
    expect(response.status).toBe(200);
    expect(response.statusText).toBe("OK");
    expect(response.headers).toContainEqual(["Content-Type", "text/html"]);
    expect(dec.decode(response.body)).toBe(NGINX_BODY);
    expect(stream.closed).toBe(true);
  });

  it("chunked: sizes in hex, extensions and trailers, split inside the CRLFs", async () => {
    const wire =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n" +
      "5\r\nhello\r\n1;ext=1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n";
    for (const size of [1, 3, 1000]) {
      const { response } = await run((s) => {
        for (const seg of segments(wire, size)) s.emit("data", seg);
      });
      expect(response.ok && dec.decode(response.body)).toBe("hello 0123456789");
    }
  });

  it("binary bodies arrive byte for byte (all 256 values, 200 KB)", async () => {
    const body = new Uint8Array(200 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7 + (i >> 8)) & 0xff;
    const head = enc.encode(
      `HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    const wire = new Uint8Array(head.length + body.length);
    wire.set(head);
    wire.set(body, head.length);
    const { response } = await run((s) => {
      for (const seg of segments(wire, 1460)) s.emit("data", seg);
    });
    expect(response.ok).toBe(true);
    if (response.ok) expect(Buffer.from(response.body).equals(Buffer.from(body))).toBe(true);
  });

  it("no length, no chunks (HTTP/1.0 busybox httpd): the body ends when the server closes", async () => {
    const { response } = await run((s) => {
      s.emit("data", enc.encode("HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<h1>It "));
      s.emit("data", enc.encode("works!</h1>"));
      s.emit("shutdown");
    });
    expect(response.ok && dec.decode(response.body)).toBe("<h1>It works!</h1>");
  });

  it("keep-alive answers (Content-Length, no close from the server) complete on their length", async () => {
    const { response, stream } = await run((s) => {
      s.emit(
        "data",
        enc.encode("HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: keep-alive\r\n\r\n"),
      );
      s.emit("data", enc.encode("not found"));
    });
    expect(response.ok && response.status).toBe(404);
    expect(response.ok && dec.decode(response.body)).toBe("not found");
    expect(stream.closed).toBe(true);
  });

  it("HEAD, 204 and 304 have no body even with a Content-Length", async () => {
    const head = await run(
      (s) =>
        s.emit(
          "data",
          enc.encode("HTTP/1.1 200 OK\r\nContent-Length: 615\r\nServer: nginx\r\n\r\n"),
        ),
      { method: "HEAD", path: "/" },
    );
    expect(head.stream.request.startsWith("HEAD / HTTP/1.1")).toBe(true);
    expect(head.response.ok && head.response.body.length).toBe(0);
    const notModified = await run((s) =>
      s.emit("data", enc.encode('HTTP/1.1 304 Not Modified\r\nETag: "x"\r\n\r\n')),
    );
    expect(notModified.response.ok && notModified.response.status).toBe(304);
  });

  it("skips 100 Continue before the real answer", async () => {
    const { response } = await run((s) =>
      s.emit(
        "data",
        enc.encode(
          "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
        ),
      ),
    );
    expect(response.ok && response.status).toBe(201);
  });
});

describe("failures are clear", () => {
  it("refused: the guest answers the SYN with RST (nothing published, container stopped)", async () => {
    const stream = new ScriptedStream();
    const result = fetchGuest(() => stream, 8080, { method: "GET", path: "/" });
    stream.emit("close");
    expect(await result).toEqual({
      ok: false,
      reason: "refused",
      message: "nothing listens on localhost:8080",
    });
  });

  it("reset in the middle of a Content-Length body", async () => {
    const { response } = await run((s) => {
      s.emit("data", enc.encode("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort"));
      s.emit("close");
    });
    expect(response).toMatchObject({ ok: false, reason: "reset" });
  });

  it("closed before answering", async () => {
    const { response } = await run((s) => s.emit("shutdown"));
    expect(response).toMatchObject({
      ok: false,
      reason: "reset",
      message: "localhost:8080 closed the connection without answering",
    });
  });

  it("a server that is not HTTP", async () => {
    const { response } = await run((s) =>
      s.emit("data", enc.encode("SSH-2.0-OpenSSH_9.2\r\n\r\n")),
    );
    expect(response).toMatchObject({ ok: false, reason: "error" });
    expect(!response.ok && response.message).toContain("not an HTTP response");
  });

  it("no SYN-ACK at all: a timeout, not a hang", async () => {
    const stream = new ScriptedStream();
    const response = await fetchGuest(
      () => stream,
      8080,
      { method: "GET", path: "/" },
      { connectTimeoutMs: 20 },
    );
    expect(response).toMatchObject({ ok: false, reason: "timeout" });
    expect(stream.closed).toBe(true);
  });

  it("an aborted request rejects at once", async () => {
    const stream = new ScriptedStream();
    const abort = new AbortController();
    const pending = exchange(
      () => stream,
      80,
      { method: "GET", path: "/" },
      { signal: abort.signal },
    );
    abort.abort();
    await expect(pending).rejects.toThrow(/aborted/);
  });

  it("the parser refuses a bad chunk size", () => {
    const p = new ResponseParser("GET");
    expect(() =>
      p.push(enc.encode("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")),
    ).toThrow(/bad chunk size/);
  });
});
