// The watchdog's decisions, against a fake machine (the real guest: test/integration/faults.test.ts).
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type {
  AgentEvent,
  AgentReply,
  AgentRequest,
  MachineEvent,
  MachineFault,
} from "../../src/vm/protocol.ts";
import { Watchdog, type WatchedMachine } from "../../src/vm/watchdog.ts";

class FakeMachine implements WatchedMachine {
  listeners = new Set<(e: MachineEvent) => void>();
  requests: AgentRequest[] = [];
  answer: (r: AgentRequest) => Promise<AgentReply> = async () => ({
    id: 1,
    ok: true,
    op: "ping",
    dockerd: true,
    uptimeMs: 1,
  });
  on(listener: (e: MachineEvent) => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  agent(request: AgentRequest) {
    this.requests.push(request);
    return this.answer(request);
  }
  emit(e: MachineEvent) {
    for (const l of this.listeners) l(e);
  }
  agentEvent(event: AgentEvent) {
    this.emit({ type: "agent", event });
  }
}

describe("Watchdog", () => {
  let machine: FakeMachine;
  let faults: MachineFault[];
  let fatal: MachineFault[];
  let dog: Watchdog;

  beforeEach(() => {
    vi.useFakeTimers();
    machine = new FakeMachine();
    faults = [];
    fatal = [];
    dog = new Watchdog(machine, (f) => faults.push(f), {
      pingEveryMs: 1000,
      hungAfterMs: 3000,
      dockerdGraceMs: 10_000,
      onFatal: (f) => fatal.push(f),
    });
  });
  afterEach(() => {
    dog.dispose();
    vi.useRealTimers();
  });

  it("calls a kernel panic on the console fatal, once, and stops pinging", async () => {
    machine.emit({
      type: "console",
      text: "[ 12.3] Kernel panic - not syncing: sysrq triggered crash",
    });
    machine.emit({
      type: "console",
      text: "---[ end Kernel panic - not syncing: sysrq triggered crash ]---",
    });
    expect(faults).toHaveLength(1);
    expect(faults[0]).toMatchObject({ kind: "kernel-panic", severity: "fatal" });
    expect(faults[0]!.message).toContain("sysrq triggered crash");
    expect(fatal).toHaveLength(1);
    machine.requests = [];
    await vi.advanceTimersByTimeAsync(5000);
    expect(machine.requests).toHaveLength(0);
  });

  it("calls an unanswered ping a hang, and clears it when the agent speaks again", async () => {
    machine.answer = (r) =>
      new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer to ${r.op}`)), 3000));
    await vi.advanceTimersByTimeAsync(4500);
    expect(faults).toMatchObject([{ kind: "hung", severity: "fatal" }]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(faults).toHaveLength(1);
    machine.agentEvent({ event: "dockerd", up: true });
    expect(faults[1]).toMatchObject({ kind: "hung", severity: "cleared" });
  });

  it("pauses for a save once the ping in flight is answered, and pings again after", async () => {
    let answer: (() => void) | undefined;
    machine.answer = () =>
      new Promise((resolve) => {
        answer = () => resolve({ id: 1, ok: true, op: "ping", dockerd: true, uptimeMs: 1 });
      });
    await vi.advanceTimersByTimeAsync(1000);
    expect(machine.requests).toHaveLength(1);
    let paused = false;
    const resume = dog.pause().then((r) => ((paused = true), r));
    await vi.advanceTimersByTimeAsync(0);
    expect(paused).toBe(false);
    answer!();
    const go = await resume;
    await vi.advanceTimersByTimeAsync(2000);
    expect(machine.requests).toHaveLength(1);
    go();
    await vi.advanceTimersByTimeAsync(1000);
    expect(machine.requests).toHaveLength(2);
  });

  it("reports dockerd going away as recovering, and back as fixed", () => {
    machine.agentEvent({ event: "dockerd", up: false });
    machine.agentEvent({ event: "dockerd", up: false });
    expect(faults).toMatchObject([{ kind: "dockerd-stopped", severity: "recovering" }]);
    vi.advanceTimersByTime(2000);
    machine.agentEvent({ event: "dockerd", up: true });
    expect(faults[1]).toMatchObject({ kind: "dockerd-stopped", severity: "fixed" });
    expect(faults[1]!.message).toMatch(/running again \(restarted in 2 s\)/);
    vi.advanceTimersByTime(20_000);
    expect(faults).toHaveLength(2);
  });

  it("calls dockerd fatal when it stays away past the grace time", () => {
    machine.agentEvent({ event: "dockerd", up: false });
    vi.advanceTimersByTime(10_001);
    expect(faults.map((f) => f.severity)).toEqual(["recovering", "fatal"]);
  });

  it("ends a fork bomb in a terminal by killing that terminal's cgroup", async () => {
    machine.answer = async () => ({ id: 2, ok: true, op: "exec", exit: 0, stdout: "", stderr: "" });
    machine.agentEvent({ event: "limit", kind: "pids", scope: "terminal", port: 2, count: 40 });
    await vi.advanceTimersByTimeAsync(0);
    expect(machine.requests).toContainEqual(
      expect.objectContaining({
        op: "exec",
        argv: ["sh", "-c", "echo 1 > /sys/fs/cgroup/learner/ttyS2/cgroup.kill"],
      }),
    );
    expect(faults).toMatchObject([{ kind: "too-many-processes", severity: "fixed", port: 2 }]);
  });

  it("kills a fork-bombing container and names it", async () => {
    const id = "a".repeat(64);
    machine.answer = async (r) =>
      r.op === "api" && r.method === "GET"
        ? { id: 3, ok: true, op: "api", status: 200, body: { Name: "/bomb" } }
        : { id: 4, ok: true, op: "api", status: 204, body: "" };
    machine.agentEvent({
      event: "limit",
      kind: "pids",
      scope: "container",
      container: id,
      count: 9,
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(machine.requests).toContainEqual({
      op: "api",
      method: "POST",
      path: `/containers/${id}/kill`,
    });
    expect(faults).toMatchObject([
      { kind: "too-many-processes", severity: "fixed", container: "bomb" },
    ]);
  });

  it("makes one memory notice of the agent's counter and docker's oom event", () => {
    machine.agentEvent({ event: "limit", kind: "memory", scope: "containers", count: 1 });
    machine.agentEvent({
      event: "docker",
      data: {
        Type: "container",
        Action: "oom",
        Actor: { ID: "abc", Attributes: { name: "hog" } },
        time: 1,
        timeNano: 1,
      },
    });
    expect(faults).toMatchObject([{ kind: "out-of-memory", severity: "warning" }]);
  });

  it("warns when a disk is full and clears it when there is space again", () => {
    const mb = 1024 * 1024;
    machine.agentEvent({
      event: "disk",
      disk: "docker",
      full: true,
      freeBytes: 0,
      totalBytes: 376 * mb,
    });
    machine.agentEvent({
      event: "disk",
      disk: "docker",
      full: false,
      freeBytes: 300 * mb,
      totalBytes: 376 * mb,
    });
    expect(faults).toMatchObject([
      { kind: "disk-full", severity: "warning", disk: "docker" },
      { kind: "disk-full", severity: "cleared", disk: "docker" },
    ]);
    expect(faults[0]!.message).toContain("no space left on device");
  });
});
