// A checkpoint round trip on the real guest: what the learner made is there after the saved
// machine is stored (zstd as the page packs it, IndexedDB) and restored in a new emulator, which
// reads the zstd state itself; the restored guest still reports the learner's commands (lesson
// checks depend on those reports).
import "fake-indexeddb/auto";
import { afterAll, describe, expect, it } from "vitest";
import type { Machine } from "../../src/vm/machine.ts";
import { restoredMachine, zstdPack } from "../../src/vm/node.ts";
import { CheckpointStore, namedId } from "../../src/vm/worker/checkpoints.ts";
import { isZstd } from "../../src/vm/worker/zstd.ts";
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

    const store = new CheckpointStore("integration", undefined, zstdPack);
    const info = await store.save(namedId("made"), "made", await guest.machine.save());
    expect(info.bytes).toBeGreaterThan(1_000_000);
    await guest.machine.dispose();

    const state = await store.load(namedId("made"));
    expect(isZstd(new Uint8Array(state!))).toBe(true);
    const machine = restoredMachine({ initialState: state });
    machines.push(machine);
    const restored = new Terminal(machine, 1);
    await machine.start();
    const r = await restored.run("docker volume ls -q; cat /root/cp-marker");
    expect(r.exit).toBe(0);
    expect(r.output).toMatch(/^cpvol$/m);
    expect(r.output).toMatch(/^kept$/m);
  });
});
