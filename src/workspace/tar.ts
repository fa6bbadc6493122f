// A small tar writer and reader for the workspace download and upload (POSIX ustar, with a pax
// header whenever a name is too long or not ASCII, so UTF-8 names survive any tar tool). Only
// files and folders: links, devices and the like are skipped on read.

export interface TarEntry {
  /** Relative, `/`-separated; folders without a trailing slash. */
  path: string;
  kind: "file" | "dir";
  /** File contents; empty for folders. */
  bytes: Uint8Array;
  /** Modification time, milliseconds since the epoch. */
  mtimeMs: number;
}

export class TarError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TarError";
  }
}

const BLOCK = 512;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, "0") + "\0";
}

function header(name: string, size: number, mtimeMs: number, type: string): Uint8Array {
  const h = new Uint8Array(BLOCK);
  const put = (text: string, offset: number) => h.set(encoder.encode(text), offset);
  put(name, 0);
  put(octal(type === "5" ? 0o755 : 0o644, 8), 100);
  put(octal(0, 8), 108);
  put(octal(0, 8), 116);
  put(octal(size, 12), 124);
  put(octal(Math.max(0, Math.floor(mtimeMs / 1000)), 12), 136);
  put("        ", 148);
  put(type, 156);
  put("ustar\0", 257);
  put("00", 263);
  let sum = 0;
  for (const b of h) sum += b;
  put(octal(sum, 7) + " ", 148);
  return h;
}

/** A pax record: `<len> key=value\n`, where len counts itself. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyLen = encoder.encode(body).length;
  let len = bodyLen + String(bodyLen).length;
  if (String(len).length + bodyLen !== len) len = bodyLen + String(len).length;
  return `${len}${body}`;
}

function padded(bytes: Uint8Array): Uint8Array[] {
  const rest = bytes.length % BLOCK;
  return rest ? [bytes, new Uint8Array(BLOCK - rest)] : [bytes];
}

/** Writes entries in order as one tar archive. */
export function writeTar(entries: TarEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const entry of entries) {
    const name = entry.kind === "dir" ? `${entry.path}/` : entry.path;
    const size = entry.kind === "dir" ? 0 : entry.bytes.length;
    const type = entry.kind === "dir" ? "5" : "0";
    const plain = /^[\x20-\x7e]*$/.test(name) && name.length < 100;
    if (!plain) {
      const pax = encoder.encode(paxRecord("path", name));
      parts.push(header("PaxHeader", pax.length, entry.mtimeMs, "x"), ...padded(pax));
    }
    parts.push(
      header(
        plain ? name : name.slice(0, 99).replace(/[^\x20-\x7e]/g, "_"),
        size,
        entry.mtimeMs,
        type,
      ),
    );
    if (size) parts.push(...padded(entry.bytes));
  }
  parts.push(new Uint8Array(BLOCK * 2));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function field(h: Uint8Array, offset: number, length: number): string {
  const raw = h.subarray(offset, offset + length);
  const end = raw.indexOf(0);
  return decoder.decode(end >= 0 ? raw.subarray(0, end) : raw);
}

function number(h: Uint8Array, offset: number, length: number, what: string, at: number): number {
  const text = field(h, offset, length).trim();
  if (!text) return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarError(`not a tar archive: bad ${what} at byte ${at}`);
  return parseInt(text, 8);
}

function paxPath(bytes: Uint8Array): string | undefined {
  let path: string | undefined;
  let at = 0;
  while (at < bytes.length) {
    const space = bytes.indexOf(0x20, at);
    if (space < 0) break;
    const len = Number(decoder.decode(bytes.subarray(at, space)));
    if (!len) break;
    const record = decoder.decode(bytes.subarray(space + 1, at + len - 1));
    const eq = record.indexOf("=");
    if (record.slice(0, eq) === "path") path = record.slice(eq + 1);
    at += len;
  }
  return path;
}

/**
 * Reads the files and folders of a tar archive; `./` prefixes are dropped. Throws a TarError
 * naming the byte offset when the archive is damaged or is not a tar file at all.
 */
export function readTar(archive: Uint8Array): TarEntry[] {
  const entries: TarEntry[] = [];
  let longName: string | undefined;
  let at = 0;
  while (at + BLOCK <= archive.length) {
    const h = archive.subarray(at, at + BLOCK);
    if (h.every((b) => b === 0)) return entries;
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
    if (number(h, 148, 8, "checksum", at) !== sum)
      throw new TarError(`not a tar archive (or a damaged one): checksum mismatch at byte ${at}`);
    const size = number(h, 124, 12, "size", at);
    const mtimeMs = number(h, 136, 12, "time", at) * 1000;
    const type = String.fromCharCode(h[156]!) || "0";
    const start = at + BLOCK;
    if (start + size > archive.length)
      throw new TarError(`the archive ends inside an entry at byte ${at}`);
    const body = archive.subarray(start, start + size);
    at = start + Math.ceil(size / BLOCK) * BLOCK;
    if (type === "x") {
      longName = paxPath(body) ?? longName;
      continue;
    }
    if (type === "L") {
      longName = decoder.decode(body).replace(/\0+$/, "");
      continue;
    }
    if (type === "g") continue;
    const prefix = field(h, 345, 155);
    let name = longName ?? (prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100));
    longName = undefined;
    name = name.replace(/^(\.\/)+/, "").replace(/^\/+/, "");
    const isDir = type === "5" || (type === "0" && name.endsWith("/") && size === 0);
    name = name.replace(/\/+$/, "");
    if (!name || name === ".") continue;
    if (isDir) entries.push({ path: name, kind: "dir", bytes: new Uint8Array(0), mtimeMs });
    else if (type === "0" || type === "\0" || type === "7")
      entries.push({ path: name, kind: "file", bytes: body.slice(), mtimeMs });
  }
  // No end marker: fine at a block boundary (some writers omit it), not in the middle of one.
  if (at < archive.length) throw new TarError(`the archive ends inside a header at byte ${at}`);
  return entries;
}
