import "fake-indexeddb/auto";
import { createStore, set } from "idb-keyval";
import { describe, expect, it } from "vitest";
import {
  CheckpointError,
  CheckpointStore,
  RESUME,
  gunzip,
  gzip,
  namedId,
} from "../../src/vm/worker/checkpoints.ts";
import { isZstd } from "../../src/vm/worker/zstd.ts";
import { zstdPack } from "../../src/vm/node.ts";

let n = 0;
const fresh = (base = "base-a") => {
  const store = createStore(`checkpoints-test-${n++}`, "checkpoints");
  return { store, checkpoints: new CheckpointStore(base, store) };
};
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
    const old = new CheckpointStore("old", store);
    await old.save(RESUME, "", state(10, 1));
    await checkpoints.save(RESUME, "", state(10, 2));
    await checkpoints.dropOthers();
    expect(await old.list()).toEqual([]);
    expect((await checkpoints.list()).length).toBe(1);
  });

  it("keeps a zstd checkpoint as it is (v86 reads zstd itself), with its checksum", async () => {
    const { store } = fresh();
    const checkpoints = new CheckpointStore("base-a", store, zstdPack);
    const a = new Uint8Array(500_000).map((_, i) => (i * 13) % 249);
    const info = await checkpoints.save(RESUME, "", a.slice().buffer);
    expect(info.sha256).toMatch(/^[0-9a-f]{64}$/);
    const loaded = new Uint8Array((await checkpoints.load(RESUME))!);
    expect(isZstd(loaded)).toBe(true);
    expect(loaded.byteLength).toBe(info.bytes);
    const { decompress, init } = await import("@bokuweb/zstd-wasm");
    await init();
    expect(decompress(loaded)).toEqual(a);
    // One flipped byte: told as damaged, never handed to the emulator.
    loaded[100] = loaded[100]! ^ 1;
    await set(`data:base-a:${RESUME}`, loaded, store);
    await expect(checkpoints.load(RESUME)).rejects.toThrow(/damaged.*checksum/);
  });

  it("says a damaged checkpoint is damaged instead of restoring garbage", async () => {
    const { store, checkpoints } = fresh();
    await checkpoints.save(RESUME, "", state(100, 9));
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

describe("gzip", () => {
  it("round-trips", async () => {
    const bytes = new TextEncoder().encode("layer ".repeat(1000));
    const packed = await gzip(bytes);
    expect(packed.byteLength).toBeLessThan(bytes.byteLength / 10);
    expect(await gunzip(packed)).toEqual(bytes);
  });
});
