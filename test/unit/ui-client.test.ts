import { describe, expect, it } from "vitest";
import { MachineClient, type WorkerLink } from "../../src/vm/client.svelte.ts";
import type { MachineEvent } from "../../src/vm/protocol.ts";

// These drive the client with recorded event sequences (the worker's side is tested against the
// real guest in test/e2e); nothing here pretends to be a machine.
const noWorker = (): WorkerLink => {
  throw new Error("not connected in this test");
};

const bytes = (s: string) => new TextEncoder().encode(s);

describe("MachineClient", () => {
  it("follows a cold start: download progress, restore, ready", () => {
    const client = new MachineClient(noWorker);
    const events: MachineEvent[] = [
      {
        type: "progress",
        progress: { phase: "downloading", loaded: 0, total: 2000, source: "network" } as never,
      },
      { type: "progress", progress: { phase: "downloading", loaded: 500, total: 2000 } },
    ];
    events.forEach((e) => client.handle(e));
    expect(client.phase).toBe("downloading");
    expect(client.percent).toBe(25);
    expect(client.source).toBe("network");
    client.handle({ type: "progress", progress: { phase: "restoring" } });
    client.handle({ type: "progress", progress: { phase: "starting-engine" } });
    expect(client.readyAt).toBeUndefined();
    client.handle({ type: "progress", progress: { phase: "ready" } });
    expect(client.phase).toBe("ready");
    expect(client.readyAt).toBeTypeOf("number");
    expect(client.source).toBe("network");
    client.dispose();
  });

  it("says when storage refused the cache", () => {
    const client = new MachineClient(noWorker);
    expect(client.caching).toBe(true);
    client.handle({ type: "progress", progress: { phase: "restoring", caching: false } as never });
    expect(client.caching).toBe(false);
  });

  it("keeps output that arrives before a terminal attaches, per port", () => {
    const client = new MachineClient(noWorker);
    client.handle({ type: "output", port: 1, data: bytes("hello ") });
    client.handle({ type: "output", port: 2, data: bytes("other") });
    client.handle({ type: "output", port: 1, data: bytes("world") });
    const seen: string[] = [];
    const stop = client.onOutput(1, (d) => seen.push(new TextDecoder().decode(d)));
    expect(seen.join("")).toBe("hello world");
    client.handle({ type: "output", port: 1, data: bytes("!") });
    expect(seen.join("")).toBe("hello world!");
    stop();
    client.handle({ type: "output", port: 1, data: bytes("later") });
    expect(seen.join("")).toBe("hello world!");
  });

  it("shows the guest console's last line while it boots", () => {
    const client = new MachineClient(noWorker);
    client.handle({ type: "console", text: "[ 1.2] Booting the kernel" });
    client.handle({ type: "console", text: "  " });
    expect(client.consoleLine).toBe("[ 1.2] Booting the kernel");
  });

  it("reports failures with their message", () => {
    const client = new MachineClient(noWorker);
    client.handle({ type: "progress", progress: { phase: "crashed", message: "kernel panic" } });
    expect(client.phase).toBe("crashed");
    expect(client.error).toBe("kernel panic");
    client.fail(new Error("dist/vm/state missing"));
    expect(client.phase).toBe("error");
    expect(client.error).toBe("dist/vm/state missing");
  });
});
