// The editor's sync path against the real guest: what GuestFiles writes is what the learner's
// shell and `docker build` see, and what the shell writes GuestFiles reads back. Then a machine
// reset (a fresh machine from the base state): the browser's copy puts the files back.
import "fake-indexeddb/auto";
import { createStore } from "idb-keyval";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Terminal, startGuest, type Guest } from "../helpers/guest.ts";
import {
  GuestFiles,
  WORKSPACE,
  agentWriteFile,
  fingerprint,
} from "../../src/workspace/guest-files.ts";
import { WorkspaceMirror } from "../../src/workspace/mirror.ts";
import { WorkspaceKeeper, type KeeperReport } from "../../src/workspace/keeper.ts";
import { WorkspaceSync } from "../../src/workspace/sync.ts";
import { readTar, writeTar } from "../../src/workspace/tar.ts";
import { restoredMachine } from "../../src/vm/node.ts";
import type { Machine } from "../../src/vm/machine.ts";
import type { AgentEvent, MachineEvent } from "../../src/vm/protocol.ts";

let guest: Guest;
let files: GuestFiles;

beforeAll(async () => {
  guest = await startGuest();
  // The page's path: sh for reads and listings, the agent's own write for saves.
  files = new GuestFiles(
    (argv, opts) => guest.machine.exec(argv, opts),
    WORKSPACE,
    agentWriteFile((r) => guest.machine.agent(r)),
  );
});

afterAll(async () => {
  // The reset test disposes the first machine itself.
  if (second) await second.dispose();
  else await guest?.dispose();
});

describe("the workspace in the guest", { timeout: 300_000 }, () => {
  it("a saved file is at once what the learner's shell sees", async () => {
    const t0 = performance.now();
    await files.write("site/index.html", "<h1>Saved from the editor</h1>\n");
    console.log(`editor save → in the guest: ${Math.round(performance.now() - t0)} ms`);
    const run = await guest.terminal(1).run("cat /root/workspace/site/index.html");
    expect(run.exit).toBe(0);
    expect(run.output).toContain("<h1>Saved from the editor</h1>");
  });

  it("docker build . sees the saved Dockerfile and files", async () => {
    await files.write("Dockerfile", "FROM scratch\nCOPY site/index.html /index.html\n");
    const run = await guest
      .terminal(1)
      .run("cd /root/workspace && docker build -t workspace-site . && cd", 200_000);
    expect(run.exit, run.output).toBe(0);
    expect(run.output).toMatch(/Successfully tagged workspace-site:latest/);
  });

  it("what the shell writes, the workspace lists and reads; the fingerprint changes", async () => {
    const before = fingerprint(await files.list());
    const run = await guest
      .terminal(2)
      .run(
        "mkdir -p /root/workspace/notes && echo 'from the shell' > /root/workspace/notes/todo.txt",
      );
    expect(run.exit).toBe(0);
    const list = await files.list();
    expect(fingerprint(list)).not.toBe(before);
    expect(list.map((e) => e.path)).toEqual(
      expect.arrayContaining(["Dockerfile", "notes", "notes/todo.txt", "site", "site/index.html"]),
    );
    expect(await files.readText("notes/todo.txt")).toBe("from the shell\n");
    await files.rename("notes/todo.txt", "notes/done.txt");
    await files.remove("site");
    const after = await guest.terminal(2).run("ls -R /root/workspace");
    expect(after.output).toContain("done.txt");
    expect(after.output).not.toContain("index.html");
  });
});

// The page's view of "the machine": events of whichever machine runs now (a reset replaces it).
const listeners = new Set<(event: MachineEvent) => void>();
const relay = {
  on(listener: (event: MachineEvent) => void) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  onEvent(listener: (event: AgentEvent) => void) {
    return relay.on((e) => e.type === "agent" && listener(e.event));
  },
};
let current: Machine;
let second: Machine | undefined;

describe("the workspace after a machine reset", { timeout: 400_000 }, () => {
  it("what the editor saved and the shell made is back in a fresh machine; deleted stays deleted", async () => {
    current = guest.machine;
    current.on((e) => listeners.forEach((l) => l(e)));
    const files = new GuestFiles(
      (argv, opts) => current.exec(argv, opts),
      WORKSPACE,
      agentWriteFile((r) => current.agent(r)),
    );
    const sync = new WorkspaceSync(files, relay);
    const mirror = new WorkspaceMirror(createStore("workspace-integration", "files"));
    const reports: KeeperReport[] = [];
    const errors: unknown[] = [];
    const keeper = new WorkspaceKeeper(sync, mirror, relay, {
      onReport: (r) => reports.push(r),
      onError: (e) => errors.push(e),
    });
    await keeper.settle();

    // The editor's path (save), a binary file, a UTF-8 name, and the learner's shell.
    const binary = new Uint8Array(100_000).map((_, i) => (i * 7 + 3) & 0xff);
    await sync.save("app/Dockerfile", "FROM scratch\nCOPY 한글.txt /\n");
    await sync.save("app/한글.txt", "안녕\n");
    await sync.save("app/blob.bin", binary);
    const shell = await guest
      .terminal(1)
      .run("cd /root/workspace && echo shell-made > app/shell.txt && rm -rf site notes && cd");
    expect(shell.exit).toBe(0);
    await sync.refresh();
    await keeper.idle();
    const kept = (await mirror.entries())!.map((e) => e.path);
    expect(kept).toEqual(expect.arrayContaining(["app/shell.txt", "app/blob.bin", "Dockerfile"]));
    expect(kept).not.toContain("notes/done.txt");

    // The download archive, read by our tar reader.
    const archive = readTar(await files.archive());
    const fromArchive = archive.find((e) => e.path === "app/blob.bin");
    expect([...(fromArchive?.bytes ?? [])]).toEqual([...binary]);

    // Reset: a fresh machine from the base state, as the worker does.
    // Settled, or the keeper's error: a put-back that fails must fail this test, not hang it.
    const back = new Promise<KeeperReport>((resolve, reject) => {
      keeper.hooks.onReport = (r) => {
        reports.push(r);
        if (r.settled) resolve(r);
      };
      keeper.hooks.onError = (error) => {
        errors.push(error);
        reject(error instanceof Error ? error : new Error(String(error)));
      };
    });
    await guest.dispose();
    second = restoredMachine();
    second.on((e) => listeners.forEach((l) => l(e)));
    current = second;
    const terminal = new Terminal(second, 1);
    await second.start();
    const report = await back;
    expect(report.putBack).toEqual(
      expect.arrayContaining(["app/Dockerfile", "app/한글.txt", "app/blob.bin", "app/shell.txt"]),
    );

    const run = await terminal.run(
      "cd /root/workspace && cat app/한글.txt app/shell.txt && ls -R && sha256sum app/blob.bin && cd",
    );
    expect(run.exit).toBe(0);
    expect(run.output).toContain("안녕");
    expect(run.output).toContain("shell-made");
    expect(run.output).not.toContain("done.txt");
    const { createHash } = await import("node:crypto");
    expect(run.output).toContain(createHash("sha256").update(binary).digest("hex"));

    // Upload: an archive replaces the workspace.
    await files.extract(
      writeTar([
        { path: "up/one.txt", kind: "file", bytes: new TextEncoder().encode("1\n"), mtimeMs: 0 },
      ]),
      "replace",
    );
    const after = await terminal.run("ls -R /root/workspace");
    expect(after.output).toContain("one.txt");
    expect(after.output).not.toContain("blob.bin");
    expect(errors).toEqual([]);
    keeper.dispose();
    sync.dispose();
  });
});
