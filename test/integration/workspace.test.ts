// The editor's sync path against the real guest: what GuestFiles writes is what the learner's
// shell and `docker build` see, and what the shell writes GuestFiles reads back.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGuest, type Guest } from "../helpers/guest.ts";
import { GuestFiles, fingerprint } from "../../src/workspace/guest-files.ts";

let guest: Guest;
let files: GuestFiles;

beforeAll(async () => {
  guest = await startGuest();
  files = new GuestFiles((argv, opts) => guest.machine.exec(argv, opts));
});

afterAll(async () => {
  await guest?.dispose();
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
