// Faults against the real guest: what a learner's command (or bad luck) can do to the machine, and
// that each ends in a working engine, with the watchdog saying what happened in plain words.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Machine } from "../../src/vm/machine.ts";
import type { MachineFault } from "../../src/vm/protocol.ts";
import { importBusybox, startGuest, waitFor, type Guest } from "../helpers/guest.ts";

let guest: Guest;
let faults: MachineFault[] = [];

async function start() {
  guest = await startGuest();
  faults = [];
  guest.machine.on((e) => {
    if (e.type === "fault") faults.push(e.fault);
  });
  await importBusybox(guest.machine);
}

beforeAll(start);
afterAll(async () => {
  await guest?.dispose();
});

function fault(pred: (f: MachineFault) => boolean, timeoutMs: number, what: string) {
  return waitFor(
    guest.machine,
    () => faults.find(pred),
    timeoutMs,
    `${what}; faults so far: ${JSON.stringify(faults)}`,
  );
}

async function sh(machine: Machine, script: string, timeoutMs = 120_000) {
  return machine.exec(["sh", "-c", script], { timeoutMs });
}

/** The engine works: a container starts, runs and is removed. */
async function expectDockerWorks(machine: Machine) {
  const r = await sh(machine, "docker run --rm busybox true");
  expect(r.exit, r.stderr).toBe(0);
}

describe("faults", () => {
  it("kill -9 dockerd: the sandbox starts the engine again and says so", async () => {
    faults = [];
    const r = await sh(guest.machine, "kill -9 $(pidof dockerd)");
    expect(r.exit, r.stderr).toBe(0);
    const down = await fault(
      (f) => f.kind === "dockerd-stopped",
      30_000,
      "a dockerd-stopped fault",
    );
    expect(down.severity).toBe("recovering");
    const back = await fault(
      (f) => f.kind === "dockerd-stopped" && f.severity === "fixed",
      180_000,
      "dockerd back",
    );
    expect(back.message).toMatch(/running again/);
    await expectDockerWorks(guest.machine);
  });

  it("a fork bomb in a learner terminal stops at its limit; the terminal gets a fresh shell", async () => {
    faults = [];
    const t = guest.terminal(1);
    t.clear();
    t.type(":(){ :|:& };:\n");
    const f = await fault(
      (x) => x.kind === "too-many-processes",
      180_000,
      "a too-many-processes fault",
    );
    expect(f).toMatchObject({ severity: "fixed", port: 1 });
    // The terminal's processes are gone; a fresh shell answers there.
    await waitFor(
      guest.machine,
      () => /# $/.test(t.text),
      120_000,
      `a fresh prompt on ttyS1\n${t.text.slice(-500)}`,
    );
    const r = await t.run("echo alive-after-bomb");
    expect(r.exit).toBe(0);
    expect(r.output).toContain("alive-after-bomb");
    const pids = await sh(guest.machine, "cat /sys/fs/cgroup/learner/ttyS1/pids.current");
    expect(Number(pids.stdout)).toBeLessThan(10);
    await expectDockerWorks(guest.machine);
  });

  it("a fork bomb in a container stops at the containers' limit; the sandbox stops that container", async () => {
    faults = [];
    const r = await sh(
      guest.machine,
      "docker run -d --name bomb busybox sh -c 'b(){ b|b& }; b; sleep 600'",
    );
    expect(r.exit, r.stderr).toBe(0);
    const f = await fault(
      (x) => x.kind === "too-many-processes",
      180_000,
      "a too-many-processes fault",
    );
    expect(f).toMatchObject({ container: "bomb" });
    const state = await sh(guest.machine, "docker inspect -f '{{.State.Running}}' bomb");
    expect(state.stdout.trim()).toBe("false");
    await sh(guest.machine, "docker rm -f bomb");
    await expectDockerWorks(guest.machine);
  });

  it("filling Docker's disk gives a plain message; deleting the container frees it", async () => {
    faults = [];
    // busybox here has no dd applet; cat from /dev/zero writes the same zeros.
    const fill = await sh(
      guest.machine,
      "docker run --name filler busybox sh -c 'cat /dev/zero > /fill'",
      600_000,
    );
    expect(fill.exit).not.toBe(0);
    expect(fill.stderr + fill.stdout).toMatch(/No space left on device/i);
    const full = await fault(
      (x) => x.kind === "disk-full" && x.severity === "warning",
      30_000,
      "a disk-full fault",
    );
    expect(full.disk).toBe("docker");
    expect(full.message).toMatch(/no space left on device/);
    const rm = await sh(guest.machine, "docker rm -f filler");
    expect(rm.exit, rm.stderr).toBe(0);
    await fault(
      (x) => x.kind === "disk-full" && x.severity === "cleared",
      30_000,
      "the disk-full fault cleared",
    );
    await expectDockerWorks(guest.machine);
  });

  it("dd filling the learner's disk: a plain message; after rm the engine works again", async () => {
    faults = [];
    const t = guest.terminal(2);
    const r = await t.run("dd if=/dev/zero of=/root/fill bs=1M", 600_000);
    expect(r.exit).not.toBe(0);
    expect(r.output).toMatch(/No space left on device/);
    const full = await fault(
      (x) => x.kind === "disk-full" && x.severity === "warning",
      30_000,
      "a disk-full fault",
    );
    expect(full.disk).toBe("root");
    expect(full.message).toMatch(/Delete large files/);
    expect((await t.run("rm /root/fill")).exit).toBe(0);
    await fault(
      (x) => x.kind === "disk-full" && x.severity === "cleared",
      30_000,
      "the disk-full fault cleared",
    );
    await expectDockerWorks(guest.machine);
  });

  it("echo c > /proc/sysrq-trigger: a kernel panic, called fatal; Reset gives a working machine", async () => {
    faults = [];
    guest.terminal(1).type("echo c > /proc/sysrq-trigger\n");
    const f = await fault((x) => x.kind === "kernel-panic", 60_000, "a kernel-panic fault");
    expect(f.severity).toBe("fatal");
    expect(f.message).toMatch(/sysrq triggered crash/);
    expect(guest.machine.phase).toBe("crashed");
    // Reset: the app's worker restores the base state in a fresh emulator; so does this.
    await guest.dispose();
    const started = performance.now();
    await start();
    console.log(
      `[faults] reset after a kernel panic: restore → ready ${guest.machine.readyMs} ms, ` +
        `with the busybox import ${Math.round(performance.now() - started)} ms`,
    );
    await expectDockerWorks(guest.machine);
    expect(faults.filter((x) => x.severity === "fatal")).toEqual([]);
  });
});
