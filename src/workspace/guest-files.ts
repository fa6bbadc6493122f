// The learner's workspace folder in the guest (`/root/workspace`), read and written through the
// agent's exec (never through a learner terminal), so what the editor saves is at once what `ls`,
// `cat` and `docker build .` see. DOM-free: the editor, Node tests and the benchmark share it.
// Contents travel as base64 so any file (images, binaries) survives the agent's text channel.

import type { AgentReply, AgentRequest } from "../vm/protocol.ts";

export const WORKSPACE = "/root/workspace";

export interface ExecReply {
  exit: number;
  stdout: string;
  stderr: string;
}

/** Runs a program in the guest: `DockerEngine.exec`, `Machine.exec`, or a local shell in tests. */
export type Exec = (
  argv: string[],
  opts?: { stdin?: string; timeoutMs?: number },
) => Promise<ExecReply>;

/**
 * Writes one file whole in the guest without starting a program (the agent's `write`): an
 * editor save in ~0.1 s instead of ~0.7 s for sh, mkdir, base64 and mv. `path` is absolute.
 */
export type WriteFile = (path: string, base64: string, mtimeMs?: number) => Promise<void>;

/** A WriteFile over the agent's `write` request (the page's client, or a Node `Machine`). */
export function agentWriteFile(agent: (request: AgentRequest) => Promise<AgentReply>): WriteFile {
  return async (path, data, mtimeMs) => {
    const reply = await agent({
      op: "write",
      path,
      data,
      ...(mtimeMs === undefined ? {} : { mtimeMs }),
    });
    if (!reply.ok) throw new WorkspaceError(reply.error);
    if (reply.op !== "write") throw new WorkspaceError(`agent answered ${reply.op} to write`);
  };
}

export interface WorkspaceEntry {
  /** Relative to the workspace, `/`-separated, e.g. `site/index.html`. */
  path: string;
  kind: "file" | "dir";
  size: number;
  /** Modification time, milliseconds since the epoch. */
  mtimeMs: number;
}

export class WorkspaceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WorkspaceError";
  }
}

/** A path inside the workspace: relative, no `..`, no empty or control-character parts. */
export function checkPath(path: string): string {
  const clean = path.replace(/^\/+|\/+$/g, "");
  const parts = clean.split("/");
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  if (!clean || parts.some((p) => p === "" || p === "." || p === ".." || /[\0-\x1f]/.test(p)))
    throw new WorkspaceError(`"${path}" is not a file name inside the workspace`);
  return clean;
}

export class GuestFiles {
  /** `writeFile`: the agent's own write; without it (a local shell in tests) sh writes. */
  constructor(
    readonly exec: Exec,
    readonly root = WORKSPACE,
    readonly writeFile?: WriteFile,
  ) {}

  #full(path: string): string {
    return `${this.root}/${checkPath(path)}`;
  }

  async #run(script: string, args: string[], stdin?: string): Promise<string> {
    const r = await this.exec(["sh", "-c", script, "sh", ...args], { stdin, timeoutMs: 30_000 });
    if (r.exit !== 0)
      throw new WorkspaceError(r.stderr.trim() || `workspace command failed (exit ${r.exit})`);
    return r.stdout;
  }

  /** Every file and folder under the workspace (created if missing), sorted by path. */
  async list(): Promise<WorkspaceEntry[]> {
    const out = await this.#run(
      'mkdir -p "$1" && cd "$1" && find . -mindepth 1 \\( -type f -o -type d \\) -printf "%y\\t%s\\t%T@\\t%P\\n"',
      [this.root],
    );
    const entries: WorkspaceEntry[] = [];
    for (const line of out.split("\n")) {
      if (!line) continue;
      const [type, size, mtime, ...rest] = line.split("\t");
      const path = rest.join("\t");
      if (!path) continue;
      entries.push({
        path,
        kind: type === "d" ? "dir" : "file",
        size: Number(size),
        mtimeMs: Math.round(Number(mtime) * 1000),
      });
    }
    return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async read(path: string): Promise<Uint8Array> {
    const out = await this.#run('base64 -w0 -- "$1"', [this.#full(path)]);
    return fromBase64(out.trim());
  }

  async readText(path: string): Promise<string> {
    return new TextDecoder().decode(await this.read(path));
  }

  /**
   * Writes whole: a temporary file renamed into place, so a reader never sees half a save.
   * `mtimeMs` sets the file's time (a file put back after a reset keeps the time it had).
   */
  async write(path: string, content: Uint8Array | string, mtimeMs?: number): Promise<void> {
    const bytes = typeof content === "string" ? new TextEncoder().encode(content) : content;
    if (this.writeFile) return this.writeFile(this.#full(path), toBase64(bytes), mtimeMs);
    const touch = mtimeMs === undefined ? "" : ' && touch -d "@$2" -- "$1"';
    await this.#run(
      `mkdir -p -- "$(dirname -- "$1")" && base64 -d > "$1.saving" && mv -f -- "$1.saving" "$1"${touch}`,
      [this.#full(path), ...(mtimeMs === undefined ? [] : [(mtimeMs / 1000).toFixed(3)])],
      toBase64(bytes),
    );
  }

  /** The whole workspace as one tar archive, made by the guest's own tar. */
  async archive(): Promise<Uint8Array> {
    const out = await this.#run('mkdir -p "$1" && tar -C "$1" -cf - . | base64 -w0', [this.root]);
    return fromBase64(out.trim());
  }

  /**
   * Unpacks a tar archive into the workspace; `replace` empties the workspace first. The archive
   * should come from writeTar after checkPath on every name (the guest's tar refuses `..` too).
   */
  async extract(archive: Uint8Array, mode: "replace" | "merge"): Promise<void> {
    const clear = mode === "replace" ? 'find "$1" -mindepth 1 -delete && ' : "";
    await this.#run(
      `mkdir -p "$1" && ${clear}base64 -d | tar -C "$1" -xf - --no-same-owner`,
      [this.root],
      toBase64(archive),
    );
  }

  async mkdir(path: string): Promise<void> {
    await this.#run('mkdir -p -- "$1"', [this.#full(path)]);
  }

  /** Renames a file or folder; refuses to overwrite something already there. */
  async rename(from: string, to: string): Promise<void> {
    await this.#run(
      'if [ -e "$2" ]; then echo "$3 already exists" >&2; exit 1; fi; mkdir -p -- "$(dirname -- "$2")" && mv -- "$1" "$2"',
      [this.#full(from), this.#full(to), checkPath(to)],
    );
  }

  /** Removes a file or a folder with everything in it. */
  async remove(path: string): Promise<void> {
    await this.#run('rm -rf -- "$1"', [this.#full(path)]);
  }
}

/** A fingerprint of a listing: equal fingerprints mean nothing changed (names, sizes, times). */
export function fingerprint(entries: WorkspaceEntry[]): string {
  return entries.map((e) => `${e.kind}:${e.path}:${e.size}:${e.mtimeMs}`).join("\n");
}

export function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000)
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
