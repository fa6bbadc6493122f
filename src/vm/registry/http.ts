// HTTP/1.1 for the registry over a raw TCP byte stream: an incremental request parser
// (Content-Length and chunked bodies, keep-alive, pipelining) and a response serializer.
// v86's built-in HTTP bridge cannot serve dockerd (it drops Content-Length and PATCH bodies).
import type { RegistryRequest, RegistryResponse } from "./registry.ts";

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const MAX_HEAD = 64 * 1024;

function indexOfCrlf(buf: Uint8Array, from: number): number {
  for (let i = from; i + 1 < buf.length; i++) if (buf[i] === 13 && buf[i + 1] === 10) return i;
  return -1;
}
function indexOfHeadEnd(buf: Uint8Array, from: number): number {
  for (let i = Math.max(0, from); i + 3 < buf.length; i++) {
    if (buf[i] === 13 && buf[i + 1] === 10 && buf[i + 2] === 13 && buf[i + 3] === 10) return i;
  }
  return -1;
}
const latin1 = (b: Uint8Array) => {
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
};

type State =
  | { kind: "head" }
  | { kind: "length"; req: RegistryRequest; need: number; parts: Uint8Array[]; got: number }
  | { kind: "chunk-size"; req: RegistryRequest; parts: Uint8Array[]; got: number }
  | { kind: "chunk-data"; req: RegistryRequest; parts: Uint8Array[]; got: number; need: number }
  | {
      kind: "chunk-end";
      req: RegistryRequest;
      parts: Uint8Array[];
      got: number;
      next: "chunk-size" | "trailer";
    }
  | { kind: "trailer"; req: RegistryRequest; parts: Uint8Array[]; got: number };

/** Feed bytes as they arrive; complete requests come out in order. */
export class RequestParser {
  private buf = new Uint8Array(0);
  private state: State = { kind: "head" };

  constructor(private readonly maxBody = 1 << 30) {}

  /** Returns the requests completed by these bytes. Throws HttpError on malformed input. */
  push(data: Uint8Array): RegistryRequest[] {
    if (this.buf.length === 0) this.buf = data.slice();
    else {
      const b = new Uint8Array(this.buf.length + data.length);
      b.set(this.buf);
      b.set(data, this.buf.length);
      this.buf = b;
    }
    const out: RegistryRequest[] = [];
    let pos = 0;
    for (;;) {
      const st = this.state;
      if (st.kind === "head") {
        const end = indexOfHeadEnd(this.buf, pos);
        if (end < 0) {
          if (this.buf.length - pos > MAX_HEAD)
            throw new HttpError(431, "request header too large");
          break;
        }
        const req = parseHead(latin1(this.buf.subarray(pos, end)));
        pos = end + 4;
        const te = (req.headers["transfer-encoding"] ?? "").toLowerCase();
        if (te.includes("chunked")) {
          this.state = { kind: "chunk-size", req, parts: [], got: 0 };
        } else {
          const cl = req.headers["content-length"];
          const need = cl === undefined ? 0 : Number(cl);
          if (!Number.isSafeInteger(need) || need < 0)
            throw new HttpError(400, `bad Content-Length: ${cl}`);
          if (need > this.maxBody) throw new HttpError(413, "request body too large");
          if (need === 0) out.push(req);
          else this.state = { kind: "length", req, need, parts: [], got: 0 };
        }
      } else if (st.kind === "length") {
        const take = Math.min(st.need - st.got, this.buf.length - pos);
        if (take === 0) break;
        st.parts.push(this.buf.slice(pos, pos + take));
        st.got += take;
        pos += take;
        if (st.got === st.need) {
          out.push(finish(st.req, st.parts, st.got));
          this.state = { kind: "head" };
        }
      } else if (st.kind === "chunk-size") {
        const eol = indexOfCrlf(this.buf, pos);
        if (eol < 0) break;
        const line = latin1(this.buf.subarray(pos, eol)).split(";")[0]!.trim();
        if (!/^[0-9a-fA-F]{1,8}$/.test(line))
          throw new HttpError(400, `bad chunk size: ${line.slice(0, 20)}`);
        const n = parseInt(line, 16);
        pos = eol + 2;
        if (st.got + n > this.maxBody) throw new HttpError(413, "request body too large");
        this.state = n === 0 ? { ...st, kind: "trailer" } : { ...st, kind: "chunk-data", need: n };
      } else if (st.kind === "chunk-data") {
        const take = Math.min(st.need, this.buf.length - pos);
        if (take === 0) break;
        st.parts.push(this.buf.slice(pos, pos + take));
        st.got += take;
        st.need -= take;
        pos += take;
        if (st.need === 0)
          this.state = {
            kind: "chunk-end",
            req: st.req,
            parts: st.parts,
            got: st.got,
            next: "chunk-size",
          };
      } else if (st.kind === "chunk-end") {
        if (this.buf.length - pos < 2) break;
        if (this.buf[pos] !== 13 || this.buf[pos + 1] !== 10)
          throw new HttpError(400, "chunk not followed by CRLF");
        pos += 2;
        this.state = { kind: "chunk-size", req: st.req, parts: st.parts, got: st.got };
      } else {
        // trailer: header lines until an empty line
        const eol = indexOfCrlf(this.buf, pos);
        if (eol < 0) break;
        const empty = eol === pos;
        pos = eol + 2;
        if (empty) {
          out.push(finish(st.req, st.parts, st.got));
          this.state = { kind: "head" };
        }
      }
    }
    this.buf = pos >= this.buf.length ? new Uint8Array(0) : this.buf.slice(pos);
    return out;
  }
}

function finish(req: RegistryRequest, parts: Uint8Array[], size: number): RegistryRequest {
  if (parts.length === 1) return { ...req, body: parts[0]! };
  const body = new Uint8Array(size);
  let off = 0;
  for (const p of parts) {
    body.set(p, off);
    off += p.length;
  }
  return { ...req, body };
}

function parseHead(text: string): RegistryRequest {
  const lines = text.split("\r\n");
  const m = lines[0]!.match(/^([A-Z]+) (\S+) HTTP\/1\.[01]$/);
  if (!m) throw new HttpError(400, `bad request line: ${lines[0]!.slice(0, 60)}`);
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(":");
    if (i <= 0) throw new HttpError(400, `bad header line: ${l.slice(0, 60)}`);
    const k = l.slice(0, i).trim().toLowerCase();
    const v = l.slice(i + 1).trim();
    headers[k] = headers[k] !== undefined ? `${headers[k]}, ${v}` : v;
  }
  return { method: m[1]!, target: m[2]!, headers, body: new Uint8Array(0) };
}

const REASONS: Record<number, string> = {
  200: "OK",
  201: "Created",
  202: "Accepted",
  204: "No Content",
  206: "Partial Content",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  413: "Payload Too Large",
  416: "Range Not Satisfiable",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
};

/** Status line and headers; the body (if any) is written after it unchanged. */
export function serializeHead(res: RegistryResponse, close = false): Uint8Array {
  let s = `HTTP/1.1 ${res.status} ${REASONS[res.status] ?? "Unknown"}\r\n`;
  const headers = { ...res.headers };
  if (headers["Content-Length"] === undefined)
    headers["Content-Length"] = String(res.body?.length ?? 0);
  if (close) headers.Connection = "close";
  for (const [k, v] of Object.entries(headers)) s += `${k}: ${v}\r\n`;
  s += "\r\n";
  return new TextEncoder().encode(s);
}
