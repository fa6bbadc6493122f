// The guest agent's protocol, run on the host: the same perl script, a pty standing in for the
// virtio console, and an HTTP server on a unix socket standing in for dockerd's API socket.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const AGENT = path.resolve("vm-images/guest/rootfs/usr/sbin/sandbox-agent");
let dir: string;
let socat: ChildProcessWithoutNullStreams;
let agent: ChildProcessWithoutNullStreams;
let engine: http.Server;
const lines: Record<string, unknown>[] = [];
const waiters: (() => void)[] = [];

function next(pred: (m: Record<string, unknown>) => boolean, what: string) {
  return new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no agent line: ${what}`)), 10_000);
    const look = () => {
      const m = lines.find(pred);
      if (!m) return false;
      clearTimeout(timer);
      resolve(m);
      return true;
    };
    if (!look()) waiters.push(() => void look());
  });
}

let nextId = 1;
function request(req: Record<string, unknown>) {
  const id = nextId++;
  socat.stdin.write(JSON.stringify({ id, ...req }) + "\n");
  return next((m) => m.id === id, `reply to ${JSON.stringify(req)}`);
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "agent-"));
  const sock = path.join(dir, "docker.sock");
  engine = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      if (req.url === "/events") {
        res.writeHead(200, { "Content-Type": "application/json" });
        res.write(
          '{"Type":"container","Action":"start","Actor":{"ID":"abc","Attributes":{}},"time":1,"timeNano":1}\n',
        );
        return;
      }
      if (req.url === "/echo") {
        res.writeHead(201, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ method: req.method, body: JSON.parse(body || "null") }) + "\n");
        return;
      }
      res.writeHead(404, { "Content-Type": "text/plain" });
      res.end("page not found\n");
    });
  });
  await new Promise<void>((r) => engine.listen(sock, r));
  socat = spawn("socat", ["-d", "-d", "PTY,raw,echo=0", "STDIO"]);
  const pty = await new Promise<string>((resolve, reject) => {
    let err = "";
    socat.on("error", reject);
    socat.stderr.on("data", (d) => {
      err += d;
      const m = /PTY is (\S+)/.exec(err);
      if (m) resolve(m[1]!);
    });
  });
  let buf = "";
  socat.stdout.on("data", (d: Buffer) => {
    buf += d.toString();
    let nl;
    while ((nl = buf.indexOf("\n")) >= 0) {
      lines.push(JSON.parse(buf.slice(0, nl)));
      buf = buf.slice(nl + 1);
      for (const w of waiters.splice(0)) w();
    }
  });
  agent = spawn("perl", [AGENT], {
    env: {
      ...process.env,
      SANDBOX_AGENT_PORT: pty,
      SANDBOX_DOCKER_SOCK: sock,
      SANDBOX_WORKSPACE: path.join(dir, "ws"),
    },
  });
  await next((m) => m.event === "hello", "hello");
});

afterAll(() => {
  agent?.kill();
  socat?.kill();
  engine?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("sandbox-agent", () => {
  it("says hello, reports dockerd up and streams its events", async () => {
    expect(await next((m) => m.event === "dockerd", "dockerd state")).toEqual({
      event: "dockerd",
      up: true,
    });
    const ev = await next((m) => m.event === "docker", "a docker event");
    expect(ev.data).toMatchObject({ Type: "container", Action: "start", Actor: { ID: "abc" } });
  });

  it("answers ping", async () => {
    expect(await request({ op: "ping" })).toMatchObject({ ok: true, op: "ping", dockerd: true });
  });

  it("passes Engine API JSON through unparsed, with the request body", async () => {
    const r = await request({
      op: "api",
      method: "POST",
      path: "/echo",
      body: JSON.stringify({ a: [1, "x\n"] }),
    });
    expect(r).toMatchObject({
      ok: true,
      status: 201,
      body: { method: "POST", body: { a: [1, "x\n"] } },
    });
  });

  it("returns non-JSON answers as text", async () => {
    expect(await request({ op: "api", method: "GET", path: "/nope" })).toMatchObject({
      ok: true,
      status: 404,
      body: "page not found",
    });
  });

  it("runs programs with stdin, and reports stdout, stderr and the exit code", async () => {
    const r = await request({
      op: "exec",
      argv: ["sh", "-c", 'read x; echo "got $x ü"; echo oops >&2; exit 3'],
      stdin: "line\n",
    });
    expect(r).toMatchObject({ ok: true, exit: 3, stdout: "got line ü\n", stderr: "oops\n" });
  });

  it("kills a program that outlives its timeout", async () => {
    const r = await request({ op: "exec", argv: ["sleep", "30"], timeoutMs: 200 });
    expect(r).toMatchObject({ ok: true, exit: 137 });
  });

  it("writes a workspace file whole, any bytes, making its folders and setting its time", async () => {
    const ws = path.join(dir, "ws");
    fs.mkdirSync(ws);
    const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7 + (i >> 8)) & 0xff));
    for (const [name, data] of [
      ["site/img/blob.bin", bytes],
      ["empty.txt", Buffer.alloc(0)],
      ["one.txt", Buffer.from("a")],
      ["two.txt", Buffer.from("ab")],
    ] as const) {
      const r = await request({
        op: "write",
        path: `${ws}/${name}`,
        data: data.toString("base64"),
        mtimeMs: 1_700_000_000_500,
      });
      expect(r).toEqual({ id: r.id, ok: true, op: "write" });
      expect(fs.readFileSync(path.join(ws, name))).toEqual(data);
    }
    expect(fs.statSync(path.join(ws, "one.txt")).mtimeMs).toBe(1_700_000_000_500);
    // Saved again: an executable file stays executable.
    fs.chmodSync(path.join(ws, "one.txt"), 0o751);
    await request({
      op: "write",
      path: `${ws}/one.txt`,
      data: Buffer.from("b").toString("base64"),
    });
    expect(fs.statSync(path.join(ws, "one.txt")).mode & 0o7777).toBe(0o751);
    expect(fs.readFileSync(path.join(ws, "one.txt"), "utf8")).toBe("b");
    expect(fs.readdirSync(path.join(ws, "site/img"))).toEqual(["blob.bin"]);
  });

  it("refuses to write outside the workspace or through .. and says why", async () => {
    const ws = path.join(dir, "ws");
    for (const bad of ["/etc/passwd", `${ws}/../escape`, `${ws}/a//b`, `${ws}/dir/`, ws]) {
      const r = await request({ op: "write", path: bad, data: "eA==" });
      expect(r).toMatchObject({ ok: false, error: expect.stringMatching(/is not a file in/) });
    }
    expect(fs.existsSync(path.join(dir, "escape"))).toBe(false);
    fs.mkdirSync(path.join(ws, "taken"));
    expect(await request({ op: "write", path: `${ws}/taken`, data: "eA==" })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^write .*taken: /),
    });
    expect(fs.readdirSync(ws).filter((n) => n.endsWith(".saving"))).toEqual([]);
  });

  it("reads a request line that arrives in many pieces (a large file put back)", async () => {
    const ws = path.join(dir, "ws");
    const big = Buffer.alloc(3_000_000, 0x41);
    const r = await request({ op: "write", path: `${ws}/big.bin`, data: big.toString("base64") });
    expect(r).toMatchObject({ ok: true });
    expect(fs.statSync(path.join(ws, "big.bin")).size).toBe(big.length);
  });

  it("answers malformed and unknown requests with errors, never silence", async () => {
    socat.stdin.write("{not json\n");
    expect((await next((m) => m.event === "error", "error event")).error).toMatch(/bad request/);
    expect(await request({ op: "dance" })).toMatchObject({
      ok: false,
      error: "unknown op 'dance'",
    });
    expect(await request({ op: "exec", argv: [] })).toMatchObject({ ok: false });
  });
});
