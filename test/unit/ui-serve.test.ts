import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error plain JS module with JSDoc types
import { createAppServer } from "../../scripts/serve.mjs";

let dir: string;
let server: import("node:http").Server;
let base: string;
const data = Uint8Array.from({ length: 5000 }, (_, i) => i & 0xff);

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "serve-test-"));
  fs.mkdirSync(path.join(dir, "dist"));
  fs.mkdirSync(path.join(dir, "vm/guest"), { recursive: true });
  fs.writeFileSync(path.join(dir, "dist/index.html"), "<!doctype html>hi");
  fs.writeFileSync(path.join(dir, "vm/guest/rootfs.img"), data);
  server = createAppServer({ dist: path.join(dir, "dist"), vm: path.join(dir, "vm") });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("static server", () => {
  it("serves the app's index page", async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    expect(await res.text()).toContain("hi");
  });

  it("answers Range requests on guest files with 206 and the exact bytes", async () => {
    const res = await fetch(`${base}/vm/guest/rootfs.img`, { headers: { Range: "bytes=256-767" } });
    expect(res.status).toBe(206);
    expect(res.headers.get("content-range")).toBe("bytes 256-767/5000");
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(data.slice(256, 768));
    const suffix = await fetch(`${base}/vm/guest/rootfs.img`, { headers: { Range: "bytes=-100" } });
    expect(new Uint8Array(await suffix.arrayBuffer())).toEqual(data.slice(4900));
  });

  it("refuses ranges outside the file and paths outside the root", async () => {
    const res = await fetch(`${base}/vm/guest/rootfs.img`, { headers: { Range: "bytes=9000-" } });
    expect(res.status).toBe(416);
    const escape = await fetch(`${base}/vm/..%2f..%2fetc/passwd`);
    expect(escape.status).toBe(404);
  });
});

describe("a connection that breaks (the e2e fault tests' `cut`)", () => {
  it("drops the first answer after the bytes asked; download() resumes it with a Range", async () => {
    const { download, sha256Hex } = await import("../../src/vm/worker/download.ts");
    let cuts = 1;
    const ranges: (string | undefined)[] = [];
    const broken = createAppServer({
      dist: path.join(dir, "dist"),
      vm: path.join(dir, "vm"),
      cut: (pathname: string) =>
        pathname === "/vm/guest/rootfs.img" && cuts-- > 0 ? 1234 : undefined,
    });
    broken.on("request", (req: import("node:http").IncomingMessage) =>
      ranges.push(req.headers.range),
    );
    await new Promise<void>((r) => broken.listen(0, "127.0.0.1", r));
    try {
      const url = `http://127.0.0.1:${(broken.address() as AddressInfo).port}/vm/guest/rootfs.img`;
      const got = await download(url, { size: data.length, sha256: await sha256Hex(data) });
      expect(got).toEqual(data);
      expect(ranges).toEqual([undefined, "bytes=1234-"]);
    } finally {
      await new Promise((r) => broken.close(r));
    }
  });
});
