// The browser's copy of the workspace (fake-indexeddb) against a real folder on this machine,
// written through the same shell commands the guest runs: what is recorded, what is put back
// after a "reset" (the folder emptied), and that a deleted file never comes back.
import "fake-indexeddb/auto";
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createStore } from "idb-keyval";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { GuestFiles, type Exec } from "../../src/workspace/guest-files.ts";
import { WorkspaceMirror } from "../../src/workspace/mirror.ts";
import { WorkspaceKeeper, type KeeperReport } from "../../src/workspace/keeper.ts";
import { WorkspaceSync } from "../../src/workspace/sync.ts";
import { readTar, writeTar } from "../../src/workspace/tar.ts";
import type { AgentEvent, MachineEvent } from "../../src/vm/protocol.ts";

const localExec: Exec = (argv, opts = {}) =>
  new Promise((resolve) => {
    const child = execFile(argv[0]!, argv.slice(1), (error, stdout, stderr) =>
      resolve({ exit: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.on("error", () => {});
    child.stdin?.end(opts.stdin ?? "");
  });

let dir: string;
let root: string;
let files: GuestFiles;
let n = 0;
const newMirror = (limits?: ConstructorParameters<typeof WorkspaceMirror>[1]) =>
  new WorkspaceMirror(createStore(`workspace-test-${n++}`, "files"), limits);
const read = (p: string) => fs.readFileSync(path.join(root, p), "utf8");
/** What a machine reset does to the workspace: the base state has none. */
const reset = () => fs.rmSync(root, { recursive: true, force: true });

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mirror-"));
  root = path.join(dir, "workspace");
  files = new GuestFiles(localExec, root);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("WorkspaceMirror", () => {
  it("records files, reads only what changed, and forgets what was deleted", async () => {
    const mirror = newMirror();
    await files.write("Dockerfile", "FROM httpd\n");
    await files.write("site/index.html", "<h1>hi</h1>");
    const reads: string[] = [];
    const reader = (p: string) => (reads.push(p), files.read(p));
    await mirror.record(await files.list(), reader);
    expect(reads.sort()).toEqual(["Dockerfile", "site/index.html"]);
    expect(new TextDecoder().decode(await mirror.contents("Dockerfile"))).toBe("FROM httpd\n");

    reads.length = 0;
    await files.write("site/index.html", "<h1>changed</h1>");
    await files.remove("Dockerfile");
    const summary = await mirror.record(await files.list(), reader);
    expect(reads).toEqual(["site/index.html"]);
    expect(summary).toEqual({ kept: 1, keptBytes: 16, skipped: [] });
    expect(await mirror.contents("Dockerfile")).toBeUndefined();
    expect((await mirror.entries())?.map((e) => e.path)).toEqual(["site", "site/index.html"]);
  });

  it("files over the limits are listed as not kept", async () => {
    const mirror = newMirror({ maxFileBytes: 10, maxTotalBytes: 15 });
    await files.write("a.txt", "12345678"); // 8 bytes: kept
    await files.write("b.bin", "x".repeat(11)); // over the file limit
    await files.write("c.txt", "12345678"); // would pass the total
    const summary = await mirror.record(await files.list(), (p) => files.read(p));
    expect(summary).toEqual({ kept: 1, keptBytes: 8, skipped: ["b.bin", "c.txt"] });
    expect(await mirror.contents("b.bin")).toBeUndefined();
  });

  it("puts files back after a reset with their times; a deleted file stays deleted", async () => {
    const mirror = newMirror();
    await files.write("site/index.html", "<h1>kept</h1>");
    await files.write("bin/data", new Uint8Array([0, 255, 1, 254]));
    await files.write("gone.txt", "bye");
    await mirror.record(await files.list(), (p) => files.read(p));
    await files.remove("gone.txt");
    await mirror.record(await files.list(), (p) => files.read(p));
    const before = await files.list();

    reset();
    const written = await mirror.putBack(files, await files.list());
    expect(written.sort()).toEqual(["bin/data", "site/index.html"]);
    expect(read("site/index.html")).toBe("<h1>kept</h1>");
    expect([...fs.readFileSync(path.join(root, "bin/data"))]).toEqual([0, 255, 1, 254]);
    expect(fs.existsSync(path.join(root, "gone.txt"))).toBe(false);
    const after = await files.list();
    const times = (l: typeof after) => l.filter((e) => e.kind === "file").map((e) => e.mtimeMs);
    expect(times(after)).toEqual(times(before));

    // The guest already has everything, or a newer version: nothing is written.
    await files.write("site/index.html", "<h1>newer in the guest</h1>");
    expect(await mirror.putBack(files, await files.list())).toEqual([]);
    expect(read("site/index.html")).toBe("<h1>newer in the guest</h1>");
  });
});

describe("download and upload", () => {
  it("archive() is the whole workspace; extract() replaces it or adds to it", async () => {
    await files.write("keep.txt", "old\n");
    await files.write("사진/a.bin", new Uint8Array([1, 2, 3]));
    const archive = readTar(await files.archive());
    expect(archive.map((e) => e.path).sort()).toEqual(["keep.txt", "사진", "사진/a.bin"]);

    const upload = writeTar([
      { path: "new.txt", kind: "file", bytes: new TextEncoder().encode("new\n"), mtimeMs: 0 },
      { path: "keep.txt", kind: "file", bytes: new TextEncoder().encode("mine\n"), mtimeMs: 0 },
    ]);
    await files.extract(upload, "merge");
    expect(read("keep.txt")).toBe("mine\n");
    expect(fs.existsSync(path.join(root, "사진/a.bin"))).toBe(true);
    await files.extract(upload, "replace");
    expect(fs.readdirSync(root).sort()).toEqual(["keep.txt", "new.txt"]);
  });
});

describe("WorkspaceKeeper", () => {
  it("lists the guest's workspace once to settle, twice when it put files back", async () => {
    const machine = { on: () => () => {} };
    const sync = new WorkspaceSync(files, { onEvent: () => () => {} }, 0);
    const mirror = newMirror();
    const keeper = new WorkspaceKeeper(sync, mirror, machine);
    const list = vi.spyOn(files, "list");
    await keeper.settle();
    expect(list).toHaveBeenCalledTimes(1);
    await files.write("notes.txt", "kept\n");
    await keeper.record();
    reset();
    list.mockClear();
    await keeper.settle();
    expect(read("notes.txt")).toBe("kept\n");
    expect(list).toHaveBeenCalledTimes(2);
    expect(sync.entries.map((e) => e.path)).toEqual(["notes.txt"]);
    keeper.dispose();
    sync.dispose();
  });

  it("records changes while running, and after a restart puts the copy back first", async () => {
    const machineListeners = new Set<(e: MachineEvent) => void>();
    const machine = {
      on(l: (e: MachineEvent) => void) {
        machineListeners.add(l);
        return () => machineListeners.delete(l);
      },
    };
    const emit = (e: MachineEvent) => machineListeners.forEach((l) => l(e));
    const agent = {
      on: machine.on,
      onEvent(l: (e: AgentEvent) => void) {
        return machine.on((e) => e.type === "agent" && l(e.event));
      },
    };
    const sync = new WorkspaceSync(files, agent, 0);
    const mirror = newMirror();
    const reports: KeeperReport[] = [];
    const errors: unknown[] = [];
    const keeper = new WorkspaceKeeper(sync, mirror, machine, {
      onReport: (r) => reports.push(r),
      onError: (e) => errors.push(e),
    });

    await keeper.settle();
    expect(reports.at(-1)).toMatchObject({ settled: true, putBack: [] });
    await sync.save("Dockerfile", "FROM nginx\n");
    fs.writeFileSync(path.join(root, "from-shell.txt"), "made in the shell\n");
    await sync.refresh();
    await keeper.idle();
    expect(reports.at(-1)?.summary.kept).toBe(2);

    // Reset: the machine restores its base state, the workspace is empty; a listing made now
    // must not wipe the copy.
    const settled = new Promise<KeeperReport>((resolve) => {
      const off = sync.onChange(() => {});
      keeper.hooks.onReport = (r) => {
        reports.push(r);
        if (r.settled) {
          off();
          resolve(r);
        }
      };
    });
    emit({ type: "progress", progress: { phase: "restoring" } });
    reset();
    await sync.refresh();
    await keeper.idle();
    expect((await mirror.entries())?.map((e) => e.path).sort()).toEqual([
      "Dockerfile",
      "from-shell.txt",
    ]);
    emit({ type: "progress", progress: { phase: "ready" } });
    const report = await settled;
    expect(report.putBack.sort()).toEqual(["Dockerfile", "from-shell.txt"]);
    expect(read("Dockerfile")).toBe("FROM nginx\n");
    expect(read("from-shell.txt")).toBe("made in the shell\n");
    expect(sync.entries.map((e) => e.path).sort()).toEqual(["Dockerfile", "from-shell.txt"]);

    // Deleted while running: gone from the copy, not back after the next restart.
    await files.remove("from-shell.txt");
    await sync.refresh();
    await keeper.idle();
    emit({ type: "progress", progress: { phase: "restoring" } });
    reset();
    emit({ type: "progress", progress: { phase: "ready" } });
    await keeper.settle();
    expect(fs.readdirSync(root)).toEqual(["Dockerfile"]);
    expect(errors).toEqual([]);
    keeper.dispose();
    sync.dispose();
  });
});
