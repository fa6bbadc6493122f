// An HTTP/1.1 client over one TCP connection into the guest: what a browser on the learner's
// computer would send to `localhost:PORT`. DOM-free, so the worker, Node tests and the benchmark
// share it. One request per connection (`Connection: close`), but the answer may be delimited by
// Content-Length, chunked encoding or the server closing: whichever comes first ends it.
import type { GuestHttpRequest, GuestHttpResponse, GuestHttpFailure } from "../protocol.ts";

/** The part of a TCP connection this needs (v86's TCPConnection, or a recorded stream in tests). */
export interface TcpStream {
  on(event: "data", fn: (data: Uint8Array) => void): void;
  on(event: "connect" | "shutdown" | "close", fn: () => void): void;
  write(data: Uint8Array): void;
  close(): void;
}

export class HttpConnectionError extends Error {
  constructor(
    readonly reason: GuestHttpFailure["reason"],
    message: string,
  ) {
    super(message);
    this.name = "HttpConnectionError";
  }
}

export interface HttpClientOptions {
  /** No SYN-ACK (or RST) by then: the guest's network is not answering. */
  connectTimeoutMs?: number;
  /** The whole exchange, connect to last byte. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Called when the first byte of the answer arrives (the benchmark's time to first byte). */
  onFirstByte?: () => void;
}

const MAX_HEAD = 64 * 1024;
const encoder = new TextEncoder();

/** Headers the client owns: the connection is ours, and bodies travel decoded. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "te",
  "upgrade",
  "host",
  "content-length",
  "accept-encoding",
]);

/** The request as bytes on the wire. */
export function serializeRequest(port: number, request: GuestHttpRequest): Uint8Array {
  const method = request.method.toUpperCase();
  if (!/^[A-Z]+$/.test(method)) throw new HttpConnectionError("error", `bad method ${method}`);
  const path = request.path.startsWith("/") ? request.path : `/${request.path}`;
  if (/[\s]/.test(path)) throw new HttpConnectionError("error", `bad path ${JSON.stringify(path)}`);
  const lines = [`${method} ${path} HTTP/1.1`, `Host: localhost:${port}`];
  for (const [name, value] of request.headers ?? []) {
    if (HOP_BY_HOP.has(name.toLowerCase()) || /[\r\n]/.test(name + value)) continue;
    lines.push(`${name}: ${value}`);
  }
  // Identity: the preview hands bodies to the browser as they are, without decoding them.
  lines.push("Accept-Encoding: identity", "Connection: close");
  const body = request.body ?? new Uint8Array(0);
  if (body.length > 0 || method === "POST" || method === "PUT" || method === "PATCH")
    lines.push(`Content-Length: ${body.length}`);
  const head = encoder.encode(lines.join("\r\n") + "\r\n\r\n");
  if (body.length === 0) return head;
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

type BodyMode =
  | { kind: "none" }
  | { kind: "length"; remaining: number }
  | { kind: "chunked"; phase: "size" | "data" | "data-end" | "trailer"; remaining: number }
  | { kind: "close" };

interface Head {
  status: number;
  statusText: string;
  headers: [string, string][];
}

/** An incremental HTTP/1.1 response reader: feed bytes, then `end()` when the server closes. */
export class ResponseParser {
  #buf: Uint8Array = new Uint8Array(0);
  #head: Head | undefined;
  #mode: BodyMode = { kind: "none" };
  #parts: Uint8Array[] = [];
  #done = false;

  constructor(readonly method: string) {}

  get done(): boolean {
    return this.#done;
  }

  /** True once a status line and headers arrived (the time to first byte is over). */
  get started(): boolean {
    return this.#head !== undefined;
  }

  /** Feeds bytes; true when the response is complete. Throws on a malformed response. */
  push(data: Uint8Array): boolean {
    if (this.#done) return true;
    this.#append(data);
    for (;;) {
      if (!this.#head) {
        const end = indexOf(this.#buf, CRLFCRLF, 0);
        if (end < 0) {
          if (this.#buf.length > MAX_HEAD)
            throw new HttpConnectionError("error", "response header too large");
          return false;
        }
        const head = parseHead(latin1(this.#buf.subarray(0, end)));
        this.#buf = this.#buf.subarray(end + 4);
        // 1xx answers (100 Continue) come before the real one.
        if (head.status >= 100 && head.status < 200) continue;
        this.#head = head;
        this.#mode = bodyMode(this.method, head);
      }
      return this.#readBody();
    }
  }

  /** The server closed its side: a body delimited by the close is complete now. */
  end(): boolean {
    if (this.#done) return true;
    if (this.#head && this.#mode.kind === "close") {
      this.#take(this.#buf.length);
      this.#done = true;
    }
    return this.#done;
  }

  response(): Extract<GuestHttpResponse, { ok: true }> {
    if (!this.#done || !this.#head) throw new Error("the response is not complete");
    const body = concat(this.#parts);
    return { ok: true, ...this.#head, body };
  }

  #readBody(): boolean {
    const mode = this.#mode;
    switch (mode.kind) {
      case "none":
        this.#done = true;
        return true;
      case "close":
        this.#take(this.#buf.length);
        return false;
      case "length": {
        const n = Math.min(mode.remaining, this.#buf.length);
        this.#take(n);
        mode.remaining -= n;
        this.#done = mode.remaining === 0;
        return this.#done;
      }
      case "chunked":
        for (;;) {
          if (mode.phase === "size") {
            const eol = indexOf(this.#buf, CRLF, 0);
            if (eol < 0) return false;
            const line = latin1(this.#buf.subarray(0, eol)).split(";")[0]!.trim();
            if (!/^[0-9a-fA-F]+$/.test(line))
              throw new HttpConnectionError("error", `bad chunk size ${JSON.stringify(line)}`);
            this.#buf = this.#buf.subarray(eol + 2);
            mode.remaining = parseInt(line, 16);
            mode.phase = mode.remaining === 0 ? "trailer" : "data";
          } else if (mode.phase === "data") {
            const n = Math.min(mode.remaining, this.#buf.length);
            this.#take(n);
            mode.remaining -= n;
            if (mode.remaining > 0) return false;
            mode.phase = "data-end";
          } else if (mode.phase === "data-end") {
            if (this.#buf.length < 2) return false;
            this.#buf = this.#buf.subarray(2);
            mode.phase = "size";
          } else {
            // Trailer fields end with an empty line; we keep none of them.
            const eol = indexOf(this.#buf, CRLF, 0);
            if (eol < 0) return false;
            this.#buf = this.#buf.subarray(eol + 2);
            if (eol === 0) {
              this.#done = true;
              return true;
            }
          }
        }
    }
  }

  #take(n: number): void {
    if (n === 0) return;
    this.#parts.push(this.#buf.slice(0, n));
    this.#buf = this.#buf.subarray(n);
  }

  #append(data: Uint8Array): void {
    if (this.#buf.length === 0) {
      this.#buf = data;
      return;
    }
    const b = new Uint8Array(this.#buf.length + data.length);
    b.set(this.#buf);
    b.set(data, this.#buf.length);
    this.#buf = b;
  }
}

function bodyMode(method: string, head: Head): BodyMode {
  if (method.toUpperCase() === "HEAD" || head.status === 204 || head.status === 304)
    return { kind: "none" };
  const get = (name: string) => head.headers.find(([n]) => n.toLowerCase() === name)?.[1];
  if ((get("transfer-encoding") ?? "").toLowerCase().includes("chunked"))
    return { kind: "chunked", phase: "size", remaining: 0 };
  const length = get("content-length");
  if (length !== undefined) {
    if (!/^\s*\d+\s*$/.test(length))
      throw new HttpConnectionError("error", `bad Content-Length ${JSON.stringify(length)}`);
    const n = Number(length);
    return n === 0 ? { kind: "none" } : { kind: "length", remaining: n };
  }
  return { kind: "close" };
}

function parseHead(text: string): Head {
  const [statusLine = "", ...lines] = text.split("\r\n");
  const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(statusLine);
  if (!m)
    throw new HttpConnectionError(
      "error",
      `not an HTTP response: ${JSON.stringify(statusLine.slice(0, 80))}`,
    );
  const headers: [string, string][] = [];
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return { status: Number(m[1]), statusText: m[2] ?? "", headers };
}

/**
 * Sends one request on a fresh connection and reads the answer. Refused, reset, silent and
 * malformed answers end in an HttpConnectionError whose `reason` says which.
 */
export function exchange(
  open: () => TcpStream,
  port: number,
  request: GuestHttpRequest,
  opts: HttpClientOptions = {},
): Promise<Extract<GuestHttpResponse, { ok: true }>> {
  const bytes = serializeRequest(port, request);
  const parser = new ResponseParser(request.method);
  const where = `localhost:${port}`;
  return new Promise((resolve, reject) => {
    let settled = false;
    let connected = false;
    let conn: TcpStream | undefined;
    const timers: ReturnType<typeof setTimeout>[] = [];
    const finish = (error?: HttpConnectionError) => {
      if (settled) return;
      settled = true;
      timers.forEach(clearTimeout);
      opts.signal?.removeEventListener("abort", onAbort);
      if (error) {
        try {
          conn?.close();
        } catch {
          // already gone
        }
        reject(error);
      } else {
        conn?.close();
        resolve(parser.response());
      }
    };
    const onAbort = () => finish(new HttpConnectionError("error", `request to ${where} aborted`));
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    timers.push(
      setTimeout(
        () =>
          connected ||
          finish(new HttpConnectionError("timeout", `${where} did not answer the connection`)),
        opts.connectTimeoutMs ?? 5000,
      ),
      setTimeout(
        () => finish(new HttpConnectionError("timeout", `${where} did not finish its answer`)),
        opts.timeoutMs ?? 30_000,
      ),
    );
    try {
      conn = open();
    } catch (error) {
      return finish(new HttpConnectionError("error", (error as Error).message));
    }
    const c = conn;
    c.on("connect", () => {
      connected = true;
      c.write(bytes);
    });
    let first = true;
    c.on("data", (data) => {
      if (first) {
        first = false;
        opts.onFirstByte?.();
      }
      try {
        if (parser.push(data)) finish();
      } catch (error) {
        finish(error as HttpConnectionError);
      }
    });
    c.on("shutdown", () => {
      if (parser.end()) return finish();
      finish(
        new HttpConnectionError(
          "reset",
          parser.started
            ? `${where} closed the connection in the middle of its answer`
            : `${where} closed the connection without answering`,
        ),
      );
    });
    c.on("close", () => {
      if (settled) return;
      if (!connected)
        return finish(new HttpConnectionError("refused", `nothing listens on ${where}`));
      if (parser.end()) return finish();
      finish(new HttpConnectionError("reset", `${where} reset the connection`));
    });
  });
}

/** The same exchange, with failures as values (what crosses the worker boundary). */
export async function fetchGuest(
  open: () => TcpStream,
  port: number,
  request: GuestHttpRequest,
  opts: HttpClientOptions = {},
): Promise<GuestHttpResponse> {
  try {
    return await exchange(open, port, request, opts);
  } catch (error) {
    if (error instanceof HttpConnectionError)
      return { ok: false, reason: error.reason, message: error.message };
    return { ok: false, reason: "error", message: (error as Error).message };
  }
}

const CRLF = new Uint8Array([13, 10]);
const CRLFCRLF = new Uint8Array([13, 10, 13, 10]);

function indexOf(buf: Uint8Array, needle: Uint8Array, from: number): number {
  outer: for (let i = from; i + needle.length <= buf.length; i++) {
    for (let j = 0; j < needle.length; j++) if (buf[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

function latin1(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
