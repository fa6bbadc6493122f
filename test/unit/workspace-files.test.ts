// The workspace's guest-side commands, run by a real shell on this machine in a temporary folder
// (the same GNU coreutils/findutils as the Debian guest); test/integration/workspace.test.ts runs
// them in the guest itself.
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  GuestFiles,
  WorkspaceError,
  checkPath,
  fingerprint,
  type Exec,
} from "../../src/workspace/guest-files.ts";
import { WorkspaceSync } from "../../src/workspace/sync.ts";
import type { AgentEvent } from "../../src/vm/protocol.ts";

const localExec: Exec = (argv, opts = {}) =>
  new Promise((resolve) => {
    const child = execFile(argv[0]!, argv.slice(1), (error, stdout, stderr) =>
      resolve({ exit: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
    // A command that exits without reading its input must not fail the test with EPIPE.
    child.stdin?.on("error", () => {});
    child.stdin?.end(opts.stdin ?? "");
  });

let dir: string;
let files: GuestFiles;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "workspace-"));
  files = new GuestFiles(localExec, path.join(dir, "workspace"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("GuestFiles", () => {
  it("an empty workspace is created and listed empty", async () => {
    expect(await files.list()).toEqual([]);
    expect(fs.statSync(path.join(dir, "workspace")).isDirectory()).toBe(true);
  });

  it("write makes folders, and what is written is on disk byte for byte (binary too)", async () => {
    await files.write("site/index.html", "<h1>Hello, 세계</h1>\n");
    const bin = new Uint8Array(70_000).map((_, i) => (i * 31) & 0xff);
    await files.write("site/img/logo.bin", bin);
    expect(fs.readFileSync(path.join(dir, "workspace/site/index.html"), "utf8")).toBe(
      "<h1>Hello, 세계</h1>\n",
    );
    expect(fs.readFileSync(path.join(dir, "workspace/site/img/logo.bin")).equals(bin)).toBe(true);
    expect(await files.readText("site/index.html")).toBe("<h1>Hello, 세계</h1>\n");
    expect([...(await files.read("site/img/logo.bin"))]).toEqual([...bin]);
    // No temporary file is left behind.
    expect(fs.readdirSync(path.join(dir, "workspace/site")).sort()).toEqual(["img", "index.html"]);
  });

  it("lists files and folders with sizes; changes show in the fingerprint", async () => {
    await files.write("Dockerfile", "FROM httpd\n");
    await files.mkdir("empty");
    fs.writeFileSync(path.join(dir, "workspace/made in guest.txt"), "x");
    const list = await files.list();
    expect(list.map((e) => [e.path, e.kind, e.size])).toEqual([
      ["Dockerfile", "file", 11],
      ["empty", "dir", expect.any(Number)],
      ["made in guest.txt", "file", 1],
    ]);
    const before = fingerprint(list);
    fs.appendFileSync(
      path.join(dir, "workspace/Dockerfile"),
      "COPY . /usr/local/apache2/htdocs/\n",
    );
    expect(fingerprint(await files.list())).not.toBe(before);
  });

  it("rename and remove; rename never overwrites", async () => {
    await files.write("a.txt", "a");
    await files.write("b.txt", "b");
    await expect(files.rename("a.txt", "b.txt")).rejects.toThrow("b.txt already exists");
    await files.rename("a.txt", "docs/a.md");
    await files.remove("b.txt");
    expect((await files.list()).map((e) => e.path)).toEqual(["docs", "docs/a.md"]);
    await files.remove("docs");
    expect(await files.list()).toEqual([]);
  });

  it("paths outside the workspace are refused before anything runs", async () => {
    for (const bad of ["../etc/passwd", "a/../../b", "", "/", "a//b", "x\ny"])
      expect(() => checkPath(bad)).toThrow(WorkspaceError);
    expect(checkPath("/site/index.html")).toBe("site/index.html");
    await expect(files.write("../escape", "x")).rejects.toThrow(/not a file name/);
    expect(fs.existsSync(path.join(dir, "escape"))).toBe(false);
  });

  it("reading a missing file is a clear error", async () => {
    await expect(files.read("nope.txt")).rejects.toThrow(/nope\.txt/);
  });
});

describe("WorkspaceSync", () => {
  it("a learner's finished command re-lists the folder; listeners hear only real changes", async () => {
    const listeners = new Set<(e: AgentEvent) => void>();
    const events = {
      onEvent(l: (e: AgentEvent) => void) {
        listeners.add(l);
        return () => listeners.delete(l);
      },
    };
    const sync = new WorkspaceSync(files, events, 0);
    const seen: string[][] = [];
    sync.onChange((entries) => seen.push(entries.map((e) => e.path)));
    await sync.refresh();
    expect(seen).toEqual([[]]);

    await sync.save("index.html", "<p>hi</p>");
    expect(seen.at(-1)).toEqual(["index.html"]);

    // The shell writes a file, the agent reports the command: the editor's list follows.
    fs.writeFileSync(path.join(dir, "workspace/app.js"), "1");
    const changed = new Promise<string[]>((resolve) =>
      sync.onChange((e) => resolve(e.map((x) => x.path))),
    );
    const report: AgentEvent = {
      event: "command",
      port: 1,
      seq: 1,
      cmd: "echo 1 > app.js",
      exit: 0,
      cwd: "/root/workspace",
    };
    listeners.forEach((l) => l(report));
    expect(await changed).toEqual(["app.js", "index.html"]);

    // Nothing changed: no news.
    const count = seen.length;
    await sync.refresh();
    expect(seen.length).toBe(count);
    sync.dispose();
    expect(listeners.size).toBe(0);
  });
});
