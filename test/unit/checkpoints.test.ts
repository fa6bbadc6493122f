import "fake-indexeddb/auto";
import { createStore, del, get, keys, set } from "idb-keyval";
import { describe, expect, it } from "vitest";
import { localCodec, workerCodec } from "../../src/vm/worker/checkpoint-codec.ts";
import {
  CHECKPOINT_DB,
  CheckpointError,
  CheckpointStore,
  RESUME,
  gunzip,
  namedId,
} from "../../src/vm/worker/checkpoints.ts";
import { zstd } from "../../src/vm/worker/chunk-codec.ts";
import { sha256Hex } from "../../src/vm/worker/download.ts";
import { noise } from "../helpers/noise.ts";

let n = 0;
const fresh = (base = "base-a") => {
  const store = createStore(`checkpoints-test-${n++}`, "checkpoints");
  return { store, checkpoints: new CheckpointStore(base, localCodec, store) };
};
const packKeys = async (store: ReturnType<typeof createStore>) =>
  (await keys<string>(store)).filter((k) => k.startsWith("pack:"));
const state = (size: number, fill: number) => new Uint8Array(size).fill(fill).buffer;

describe("CheckpointStore", () => {
  it("saves compressed and restores byte for byte, newest first", async () => {
    const { checkpoints } = fresh();
    const a = new Uint8Array(300_000).map((_, i) => (i * 7) % 251);
    const first = await checkpoints.save(namedId("one"), "one", a.buffer);
    expect(first).toMatchObject({ id: "named:one", name: "one", auto: false });
    expect(first.bytes).toBeLessThan(a.byteLength);
    await checkpoints.save(RESUME, "", state(1000, 3));
    const list = await checkpoints.list();
    expect(list.map((c) => c.id).sort()).toEqual([RESUME, "named:one"].sort());
    expect(list[0]!.savedAt).toBeGreaterThanOrEqual(list[1]!.savedAt);
    expect(list.find((c) => c.id === RESUME)?.auto).toBe(true);
    expect(new Uint8Array((await checkpoints.load(namedId("one")))!)).toEqual(a);
  });

  it("replaces a checkpoint of the same name and forgets a removed one", async () => {
    const { checkpoints } = fresh();
    await checkpoints.save(namedId("x"), "x", state(10, 1));
    await checkpoints.save(namedId("x"), "x", state(10, 2));
    expect((await checkpoints.list()).length).toBe(1);
    expect(new Uint8Array((await checkpoints.load(namedId("x")))!)[0]).toBe(2);
    await checkpoints.remove(namedId("x"));
    expect(await checkpoints.list()).toEqual([]);
    expect(await checkpoints.load(namedId("x"))).toBeUndefined();
  });

  it("drops checkpoints of another guest's base state, keeps its own", async () => {
    const { store, checkpoints } = fresh("new");
    const old = new CheckpointStore("old", localCodec, store);
    await old.save(RESUME, "", state(10, 1));
    await checkpoints.save(RESUME, "", state(10, 2));
    await checkpoints.dropOthers();
    expect(await old.list()).toEqual([]);
    expect((await checkpoints.list()).length).toBe(1);
  });

  it("stores only the chunks an earlier checkpoint does not hold", async () => {
    const { store, checkpoints } = fresh();
    const a = noise(2_000_000);
    const first = await checkpoints.save(RESUME, "", a.slice().buffer);
    expect(first.bytes).toBeGreaterThan(1_900_000); // noise does not compress
    // A few bytes changed, 100 inserted: the chunks around them are new, the rest is found again.
    const b = new Uint8Array(a.length + 100);
    b.set(a.subarray(0, 500_000));
    b.set(a.subarray(500_000), 500_100);
    b[1_500_000] = b[1_500_000]! ^ 0xff;
    const second = await checkpoints.save(namedId("b"), "b", b.slice().buffer);
    expect(second.bytes).toBeLessThan(200_000);
    expect(checkpoints.lastSave).toMatchObject({ rawBytes: b.length });
    expect(checkpoints.lastSave!.newBytes).toBeLessThan(200_000);
    // (Buffer.equals: vitest's toEqual takes seconds over megabytes.)
    expect(Buffer.from((await checkpoints.load(RESUME))!).equals(a)).toBe(true);
    expect(Buffer.from((await checkpoints.load(namedId("b")))!).equals(b)).toBe(true);
    expect(await packKeys(store)).toHaveLength(2);
  });

  it("deletes the parts no checkpoint uses any more", async () => {
    const { store, checkpoints } = fresh();
    await checkpoints.save(RESUME, "", noise(300_000, 1).buffer);
    await checkpoints.save(namedId("x"), "x", noise(300_000, 2).buffer);
    expect(await packKeys(store)).toHaveLength(2);
    // The resume checkpoint replaced by something else entirely: its old part goes.
    await checkpoints.save(RESUME, "", noise(300_000, 3).buffer);
    expect(await packKeys(store)).toHaveLength(2);
    await checkpoints.remove(RESUME);
    await checkpoints.remove(namedId("x"));
    expect(await keys(store)).toEqual([]);
  });

  it("says a checkpoint with a damaged or missing part is damaged, and builds on it no more", async () => {
    const { store, checkpoints } = fresh();
    const state = noise(300_000);
    await checkpoints.save(RESUME, "", state.slice().buffer);
    const [key] = await packKeys(store);
    const pack = (await get<Uint8Array>(key!, store))!;
    pack[100] = pack[100]! ^ 1;
    await set(key!, pack, store);
    await expect(checkpoints.load(RESUME)).rejects.toThrow(/damaged.*checksum/);
    // The next save stores the same state again instead of pointing at the damaged part.
    const again = await checkpoints.save(namedId("again"), "again", state.slice().buffer);
    expect(again.bytes).toBeGreaterThan(290_000);
    expect(Buffer.from((await checkpoints.load(namedId("again")))!).equals(state)).toBe(true);
    await del(key!, store);
    await expect(checkpoints.load(RESUME)).rejects.toThrow(/damaged.*missing/);
    await expect(checkpoints.load(RESUME)).rejects.toBeInstanceOf(CheckpointError);
  });

  it("takes the origin-wide lock for every change, so two tabs never drop each other's parts", async () => {
    const taken: string[] = [];
    const locks = {
      request: async (name: string, work: () => Promise<unknown>) => {
        taken.push(name);
        return work();
      },
    };
    const had = Object.getOwnPropertyDescriptor(globalThis, "navigator");
    Object.defineProperty(globalThis, "navigator", { value: { locks }, configurable: true });
    try {
      const { checkpoints } = fresh();
      await checkpoints.save(RESUME, "", noise(20_000).buffer);
      await checkpoints.load(RESUME);
      await checkpoints.remove(RESUME);
      expect(taken).toEqual([CHECKPOINT_DB, CHECKPOINT_DB, CHECKPOINT_DB]);
    } finally {
      if (had) Object.defineProperty(globalThis, "navigator", had);
      else Reflect.deleteProperty(globalThis, "navigator");
    }
  });

  it("still restores a checkpoint saved whole before chunks (zstd, with its sha256)", async () => {
    const { store, checkpoints } = fresh();
    const packed = await zstd(noise(50_000), 3);
    const info = { id: RESUME, name: "", savedAt: 1, bytes: packed.byteLength, auto: true };
    await set(`info:base-a:${RESUME}`, { ...info, sha256: await sha256Hex(packed) }, store);
    await set(`data:base-a:${RESUME}`, packed, store);
    // Handed over as stored: v86 decompresses a zstd state itself.
    expect(new Uint8Array((await checkpoints.load(RESUME))!)).toEqual(packed);
    packed[10] = packed[10]! ^ 1;
    await set(`data:base-a:${RESUME}`, packed, store);
    await expect(checkpoints.load(RESUME)).rejects.toThrow(/damaged.*checksum/);
  });

  it("says an old whole checkpoint that does not decompress is damaged", async () => {
    const { store, checkpoints } = fresh();
    await set(
      `info:base-a:${RESUME}`,
      { id: RESUME, name: "", savedAt: 1, bytes: 4, auto: true },
      store,
    );
    await set(`data:base-a:${RESUME}`, new Uint8Array([1, 2, 3, 4]), store);
    await expect(checkpoints.load(RESUME)).rejects.toThrow(/damaged/);
    await expect(checkpoints.load(RESUME)).rejects.toBeInstanceOf(CheckpointError);
  });

  it("takes names of 1 to 60 printable characters, trimmed", () => {
    expect(CheckpointStore.validName("  before the build  ")).toBe("before the build");
    expect(CheckpointStore.validName("빌드 전")).toBe("빌드 전");
    for (const bad of ["", "   ", "a\nb", "x".repeat(61)])
      expect(() => CheckpointStore.validName(bad)).toThrow(CheckpointError);
  });
});

describe("gunzip", () => {
  it("reads what the browser's gzip wrote (checkpoints saved before zstd)", async () => {
    const bytes = new TextEncoder().encode("layer ".repeat(1000));
    const gzipped = new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"));
    const packed = new Uint8Array(await new Response(gzipped).arrayBuffer());
    expect(packed.byteLength).toBeLessThan(bytes.byteLength / 10);
    expect(await gunzip(packed)).toEqual(bytes);
  });
});

describe("workerCodec", () => {
  it("does a checkpoint in its own thread when its worker cannot start", async () => {
    let started = 0;
    let failedToStart = () => {};
    const failed = new Promise<void>((resolve) => (failedToStart = resolve));
    class Unstartable {
      onmessage: ((event: MessageEvent) => void) | null = null;
      onerror: ((event: { message: string }) => void) | null = null;
      constructor() {
        started++;
        setTimeout(() => {
          this.onerror?.({ message: "blocked by the page's CSP" });
          failedToStart();
        });
      }
      postMessage() {}
      terminate() {}
    }
    const saved = globalThis.Worker;
    globalThis.Worker = Unstartable as unknown as typeof Worker;
    try {
      const codec = workerCodec();
      codec.prepare();
      await failed; // the worker's error event has come

      const raw = noise(100_000);
      const session = await codec.chunk(raw.slice());
      const { packs } = await session.pack([
        { ranges: Uint32Array.of(0, raw.length), rawBytes: raw.length },
      ]);
      const back = await codec.unpack(
        { rawBytes: raw.length, runs: Uint32Array.of(0, 0, raw.length) },
        [packs[0]!.bytes],
        [packs[0]!.checksum],
      );
      expect(Buffer.from(back).equals(raw)).toBe(true);
      codec.prepare(); // no new worker once one could not start
      expect(started).toBe(1);
    } finally {
      globalThis.Worker = saved;
    }
  });
});
