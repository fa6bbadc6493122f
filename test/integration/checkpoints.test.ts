// A checkpoint round trip on the real guest: what the learner made is there after the saved
// machine is stored (chunked and zstd-packed as the page does it, IndexedDB) and restored in a new
// emulator; the restored guest still reports the learner's commands (lesson checks depend on
// those reports). A second save after a small change stores only a small part of the state.
import "fake-indexeddb/auto";
import { afterAll, describe, expect, it } from "vitest";
import type { Machine } from "../../src/vm/machine.ts";
import { restoredMachine } from "../../src/vm/node.ts";
import { localCodec } from "../../src/vm/worker/checkpoint-codec.ts";
import { CheckpointStore, RESUME, namedId } from "../../src/vm/worker/checkpoints.ts";
import { Terminal, startGuest } from "../helpers/guest.ts";

const machines: Machine[] = [];
afterAll(async () => {
  for (const m of machines) await m.dispose();
});

describe("a checkpoint of the real guest", () => {
  it("keeps a volume and a file, and the restored guest reports commands", async () => {
    const guest = await startGuest();
    machines.push(guest.machine);
    const t = guest.terminal(1);
    const made = await t.run("docker volume create cpvol && echo kept > /root/cp-marker");
    expect(made.exit).toBe(0);

    const store = new CheckpointStore("integration", localCodec);
    const first = await store.save(RESUME, "", await guest.machine.save());
    expect(first.bytes).toBeGreaterThan(1_000_000);
    expect((await t.run("echo again > /root/cp-second")).exit).toBe(0);
    const info = await store.save(namedId("made"), "made", await guest.machine.save());
    const saved = store.lastSave!;
    expect(info.bytes).toBeLessThan(first.bytes / 2);
    expect(saved.newBytes).toBeLessThan(saved.rawBytes / 2);
    await guest.machine.dispose();

    const state = await store.load(namedId("made"));
    expect(state!.byteLength).toBe(saved.rawBytes);
    const machine = restoredMachine({ initialState: state });
    machines.push(machine);
    const restored = new Terminal(machine, 1);
    await machine.start();
    const r = await restored.run("docker volume ls -q; cat /root/cp-marker /root/cp-second");
    expect(r.exit).toBe(0);
    expect(r.output).toMatch(/^cpvol$/m);
    expect(r.output).toMatch(/^kept$/m);
    expect(r.output).toMatch(/^again$/m);
  });
});
