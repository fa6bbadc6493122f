// The guest against itself: a restored saved state, a real dockerd, learner terminals driven with
// bytes exactly as the page drives them, and the agent's answers.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importBusybox, startGuest, type Guest, type Terminal } from "../helpers/guest.ts";

let guest: Guest;

beforeAll(async () => {
  guest = await startGuest();
  await importBusybox(guest.machine);
});

afterAll(async () => {
  await guest?.dispose();
});

const CTRL_P = "\x10";
const CTRL_Q = "\x11";

/**
 * Ctrl+P Ctrl+Q, pressed again (as a learner would) when no shell prompt came back: in one CI run
 * the first press showed nothing at all for 60 s. Three silent presses fail the test.
 */
async function detach(t: Terminal): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    t.type(CTRL_P + CTRL_Q);
    try {
      await t.expect(/:~# $/, 20_000);
      return;
    } catch (error) {
      if (attempt === 3) throw error;
      console.warn(`Ctrl+P Ctrl+Q press ${attempt} brought no prompt; screen:\n${t.text}`);
    }
  }
}

interface ContainerSummary {
  Names: string[];
  Image: string;
  State: string;
  Status: string;
}

async function containers() {
  const r = await guest.machine.api<ContainerSummary[]>("GET", "/containers/json?all=1");
  expect(r.status).toBe(200);
  return r.body;
}

describe("the guest", () => {
  it("runs docker version with client and server", async () => {
    const r = await guest.terminal(1).run("docker version");
    expect(r.exit).toBe(0);
    expect(r.output).toMatch(/Client:[^]*Version:\s+20\.10/);
    expect(r.output).toMatch(/Server:[^]*Engine:[^]*Version:\s+20\.10/);
  });

  it("reports each finished command with its exit code and cwd, and nothing for an empty line", async () => {
    const t = guest.terminal(1);
    await t.run("cd /tmp");
    const before = t.reports.length;
    const r = await t.run("ls /no-such-dir");
    expect(r).toMatchObject({ cmd: "ls /no-such-dir", exit: 2, cwd: "/tmp", port: 1 });
    expect(t.reports.length).toBe(before + 1);
    // An empty line is not a command; the next real one is reported once.
    t.type("\n");
    const next = await t.run("true");
    expect(next.cmd).toBe("true");
    expect(t.reports.slice(before + 1).map((x) => x.cmd)).toEqual(["true"]);
    await t.run("cd ~");
  });

  it("runs a locally imported busybox image and removes it with --rm", async () => {
    const r = await guest.terminal(1).run("docker run --rm busybox echo hello-from-busybox");
    expect(r.exit).toBe(0);
    expect(r.output).toContain("hello-from-busybox");
    expect((await containers()).length).toBe(0);
  });

  it("gives an interactive session with -it and leaves it with exit", async () => {
    const t = guest.terminal(1);
    t.clear();
    t.type("docker run -it --name it1 busybox sh\n");
    await t.expect(/\/ # $/, 120_000);
    t.clear();
    t.type("echo inside-$((6*7))\n");
    await t.expect(/inside-42/);
    const before = t.reports.length;
    t.type("exit\n");
    const report = await new Promise<{ cmd: string; exit: number }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no report after exit:\n${t.text}`)), 60_000);
      const off = guest.machine.on(() => {
        if (t.reports.length > before) {
          clearTimeout(timer);
          off();
          resolve(t.reports[before]!);
        }
      });
    });
    expect(report.cmd).toBe("docker run -it --name it1 busybox sh");
    const it1 = (await containers()).find((c) => c.Names.includes("/it1"));
    expect(it1?.State).toBe("exited");
  });

  it("detaches with Ctrl+P Ctrl+Q, attaches again, and execs into the running container", async () => {
    const t = guest.terminal(1);
    t.clear();
    t.type("docker run -it --name det busybox sh\n");
    await t.expect(/\/ # $/, 120_000);
    t.clear();
    await detach(t);
    const ps = await t.run("docker ps");
    expect(ps.output).toMatch(/det\s*$/m);
    expect(ps.output).toMatch(/Up /);
    expect((await containers()).find((c) => c.Names.includes("/det"))?.State).toBe("running");

    t.clear();
    t.type("docker attach det\n");
    t.type("\n");
    await t.expect(/\/ # $/, 60_000);
    t.clear();
    t.type("echo attached-ok\n");
    await t.expect(/attached-ok/);
    t.clear();
    await detach(t);

    // The second terminal works while the first one is busy.
    const second = guest.terminal(2);
    const ex = await second.run("docker exec det cat /proc/1/cmdline | tr '\\0' ' '");
    expect(ex.exit).toBe(0);
    expect(ex.output).toContain("sh");

    t.clear();
    t.type("docker exec -it det sh\n");
    await t.expect(/\/ # $/, 60_000);
    t.clear();
    t.type("exit\n");
    await t.expect(/:~# $/);
  });

  it("commits a container into an image", async () => {
    const t = guest.terminal(1);
    await t.run("docker exec det sh -c 'echo committed > /marker'");
    const r = await t.run("docker commit det committed:1.0");
    expect(r.exit).toBe(0);
    const run = await t.run("docker run --rm committed:1.0 cat /marker");
    expect(run.output).toContain("committed");
    await t.run("docker rm -f det");
  });

  it("builds a two-line Dockerfile", async () => {
    const t = guest.terminal(1);
    await t.run("mkdir -p /root/build && cd /root/build");
    await t.run("printf 'FROM busybox\\nRUN echo built > /f\\n' > Dockerfile");
    const b = await t.run("docker build -t twoline:1 .");
    expect(b.exit).toBe(0);
    expect(b.output).toMatch(/Step 2\/2 : RUN echo built > \/f/);
    expect(b.output).toMatch(/Successfully tagged twoline:1/);
    const r = await t.run("docker run --rm twoline:1 cat /f");
    expect(r.output).toContain("built");
    await t.run("cd ~");
  });

  it("answers state queries: containers, images with layers and history, events", async () => {
    const images = await guest.machine.api<{ RepoTags: string[]; Id: string }[]>(
      "GET",
      "/images/json",
    );
    const twoline = images.body.find((i) => i.RepoTags?.includes("twoline:1"));
    expect(twoline).toBeDefined();
    const inspect = await guest.machine.api<{ RootFS: { Layers: string[] } }>(
      "GET",
      `/images/${twoline!.Id}/json`,
    );
    expect(inspect.body.RootFS.Layers.length).toBe(2);
    const history = await guest.machine.api<{ CreatedBy: string }[]>(
      "GET",
      `/images/${twoline!.Id}/history`,
    );
    expect(history.body.map((h) => h.CreatedBy).join("\n")).toContain("echo built > /f");
    expect(guest.events.some((e) => e.Type === "container" && e.Action === "start")).toBe(true);
    expect(guest.events.some((e) => e.Type === "image" && e.Action === "tag")).toBe(true);
    const pong = await guest.machine.agent({ op: "ping" });
    expect(pong).toMatchObject({ ok: true, op: "ping", dockerd: true });
  });

  it("tells a terminal its size", async () => {
    await guest.machine.resize(1, 33, 101);
    const r = await guest.terminal(1).run("stty size");
    expect(r.output).toMatch(/^33 101$/m);
  });

  it("answers an unknown agent op with an error, not silence", async () => {
    const r = await guest.machine.agent({ op: "nope" } as never);
    expect(r).toMatchObject({ ok: false });
  });
});
