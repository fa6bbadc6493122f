import { describe, expect, it } from "vitest";
import { fromRuns, PersistentDisk, runs, type ChunkStore } from "../../src/vm/worker/disk.ts";

// A disk image of distinct bytes, served the way a static host answers Range requests.
const IMAGE_SIZE = 64 * 1024 * 5 + 4096; // last chunk is short, like a real image's tail
const image = Uint8Array.from({ length: IMAGE_SIZE }, (_, i) => (i * 7 + (i >> 8)) & 0xff);

function rangeServer() {
  const requests: string[] = [];
  const fetch = (async (_url: string, init?: RequestInit) => {
    const range = new Headers(init?.headers).get("Range") ?? "";
    requests.push(range);
    const [, a, b] = /bytes=(\d+)-(\d+)/.exec(range) ?? [];
    const body = image.slice(Number(a), Number(b) + 1);
    return new Response(body, { status: 206 });
  }) as typeof globalThis.fetch;
  return { fetch, requests };
}

class MemoryStore implements ChunkStore {
  chunks = new Map<number, Uint8Array>();
  refuse = false;
  async list() {
    return [...this.chunks.keys()];
  }
  async getMany(indices: number[]) {
    return indices.map((i) => this.chunks.get(i));
  }
  async putMany(entries: [number, Uint8Array][]) {
    if (this.refuse) throw new DOMException("full", "QuotaExceededError");
    for (const [i, d] of entries) this.chunks.set(i, d);
  }
}

const read = (disk: PersistentDisk, offset: number, len: number) =>
  new Promise<Uint8Array>((resolve) => disk.get(offset, len, resolve));

describe("PersistentDisk", () => {
  it("reads the right bytes across chunk boundaries with one Range request per run", async () => {
    const server = rangeServer();
    const disk = new PersistentDisk({ url: "/rootfs.img", size: IMAGE_SIZE, fetch: server.fetch });
    const got = await read(disk, 65536 - 512, 2048);
    expect(got).toEqual(image.slice(65536 - 512, 65536 + 1536));
    expect(server.requests).toEqual(["bytes=0-131071"]);
    // The image's short last chunk.
    const tail = await read(disk, IMAGE_SIZE - 1024, 1024);
    expect(tail).toEqual(image.slice(IMAGE_SIZE - 1024));
    expect(server.requests[1]).toBe(`bytes=${5 * 65536}-${IMAGE_SIZE - 1}`);
  });

  it("answers a repeated read from memory without the network", async () => {
    const server = rangeServer();
    const disk = new PersistentDisk({ url: "/rootfs.img", size: IMAGE_SIZE, fetch: server.fetch });
    await read(disk, 0, 4096);
    await read(disk, 1024, 512);
    expect(server.requests).toHaveLength(1);
    expect(disk.counters.memoryHits).toBe(1);
  });

  it("keeps the guest's writes over the image and in its saved state", async () => {
    const server = rangeServer();
    const disk = new PersistentDisk({ url: "/rootfs.img", size: IMAGE_SIZE, fetch: server.fetch });
    const written = new Uint8Array(512).fill(0xab);
    await new Promise<void>((done) => disk.set(70_000 - (70_000 % 256), written, done));
    const start = 70_000 - (70_000 % 256);
    const got = await read(disk, start - 256, 1024);
    expect(got.subarray(0, 256)).toEqual(image.slice(start - 256, start));
    expect(got.subarray(256, 768)).toEqual(written);
    expect(got.subarray(768)).toEqual(image.slice(start + 512, start + 768));

    const state = disk.get_state();
    const restored = new PersistentDisk({
      url: "/rootfs.img",
      size: IMAGE_SIZE,
      fetch: server.fetch,
    });
    // As v86 restores it: views into one large saved state, which the disk must not keep.
    const saved = new Uint8Array(4096);
    const views = state[0].map(([index, block], i) => {
      saved.set(block, i * 256);
      return [index, saved.subarray(i * 256, i * 256 + 256)] as [number, Uint8Array];
    });
    restored.set_state([views]);
    expect([...restored.block_cache.values()].some((b) => b.buffer === saved.buffer)).toBe(false);
    expect((await read(restored, start, 512)).every((b) => b === 0xab)).toBe(true);
    restored.set_state([[]]);
    expect(await read(restored, start, 512)).toEqual(image.slice(start, start + 512));
  });

  it("serves a second visit from the persistent store: no network at all", async () => {
    const store = new MemoryStore();
    const first = new PersistentDisk({
      url: "/i",
      size: IMAGE_SIZE,
      store,
      fetch: rangeServer().fetch,
    });
    await first.open();
    await read(first, 0, 3 * 65536);
    await first.flush();
    expect(store.chunks.size).toBe(3);

    const offline = (async () => {
      throw new Error("offline");
    }) as typeof fetch;
    const second = new PersistentDisk({ url: "/i", size: IMAGE_SIZE, store, fetch: offline });
    await second.open();
    expect(second.storedChunks).toBe(3);
    expect(await read(second, 65536 + 100 * 256, 4096)).toEqual(
      image.slice(65536 + 25600, 65536 + 25600 + 4096),
    );
    expect(second.counters.networkBytes).toBe(0);
    expect(second.counters.storeBytes).toBeGreaterThan(0);
  });

  it("reads ahead from the store, so sequential reads cost one transaction", async () => {
    const store = new MemoryStore();
    for (let i = 0; i < 5; i++) store.chunks.set(i, image.slice(i * 65536, (i + 1) * 65536));
    let transactions = 0;
    const counting: ChunkStore = {
      list: () => store.list(),
      getMany: (indices) => (transactions++, store.getMany(indices)),
      putMany: (entries) => store.putMany(entries),
    };
    const disk = new PersistentDisk({
      url: "/i",
      size: IMAGE_SIZE,
      store: counting,
      fetch: rangeServer().fetch,
    });
    await disk.open();
    await read(disk, 0, 4096);
    for (let i = 1; i < 5; i++)
      expect(await read(disk, i * 65536, 4096)).toEqual(image.slice(i * 65536, i * 65536 + 4096));
    expect(transactions).toBe(1);
    expect(disk.counters.networkBytes).toBe(0);
  });

  it("preloads stored chunks in large reads, so the guest's first reads wait for nothing", async () => {
    const store = new MemoryStore();
    for (let i = 0; i < 4; i++) store.chunks.set(i, image.slice(i * 65536, (i + 1) * 65536));
    const batches: number[][] = [];
    const counting: ChunkStore = {
      list: () => store.list(),
      getMany: (indices) => (batches.push(indices), store.getMany(indices)),
      putMany: (entries) => store.putMany(entries),
    };
    const server = rangeServer();
    const disk = new PersistentDisk({
      url: "/i",
      size: IMAGE_SIZE,
      store: counting,
      fetch: server.fetch,
    });
    await disk.open();
    // Chunk 5 is not on this device: skipped, never fetched by a preload.
    expect(
      await disk.preload(
        fromRuns([
          [0, 3],
          [5, 1],
        ]),
        2,
      ),
    ).toBe(3);
    expect(batches).toEqual([[0, 1], [2]]);
    batches.length = 0;
    expect(await read(disk, 65536 + 100, 70000)).toEqual(image.slice(65536 + 100, 65536 + 70100));
    expect(disk.counters.memoryHits).toBe(1);
    expect(batches).toEqual([]);
    // Let go: chunk 0 was never read, so it comes from the store again.
    disk.dropPreloaded();
    expect(await read(disk, 0, 512)).toEqual(image.slice(0, 512));
    expect(batches[0]?.[0]).toBe(0);
    expect(server.requests).toEqual([]);
  });

  it("keeps running without persisting when storage is full, and says so once", async () => {
    const store = new MemoryStore();
    store.refuse = true;
    const errors: unknown[] = [];
    const disk = new PersistentDisk({
      url: "/i",
      size: IMAGE_SIZE,
      store,
      fetch: rangeServer().fetch,
      onStoreError: (e) => errors.push(e),
    });
    await disk.open();
    await read(disk, 0, 512);
    await disk.flush();
    await read(disk, 4 * 65536, 512);
    await disk.flush();
    expect(errors).toHaveLength(1);
    expect(await read(disk, 0, 512)).toEqual(image.slice(0, 512));
  });

  it("loads hot-set chunks so their reads need no request", async () => {
    const server = rangeServer();
    const disk = new PersistentDisk({ url: "/i", size: IMAGE_SIZE, fetch: server.fetch });
    disk.addChunks([[2, image.slice(2 * 65536, 3 * 65536)]]);
    expect(await read(disk, 2 * 65536 + 512, 512)).toEqual(
      image.slice(2 * 65536 + 512, 2 * 65536 + 1024),
    );
    expect(server.requests).toHaveLength(0);
  });

  it("groups chunk indices into runs", () => {
    expect(runs([1, 2, 3, 7, 9, 10])).toEqual([[1, 2, 3], [7], [9, 10]]);
    expect(runs([])).toEqual([]);
  });
});

describe("disk packs", () => {
  it("round-trip through gzip and fill the disk so its reads need no request", async () => {
    const { encodeHotSet, readHotStream } = await import("../../src/vm/worker/hotset.ts");
    const { gzipSync } = await import("node:zlib");
    const chunks = [1, 4].map((index) => ({
      index,
      data: image.slice(index * 65536, (index + 1) * 65536),
    }));
    const packed = new Uint8Array(gzipSync(encodeHotSet(65536, chunks)));
    const server = rangeServer();
    const disk = new PersistentDisk({ url: "/i", size: IMAGE_SIZE, fetch: server.fetch });
    await readHotStream(packed, (chunkSize, decoded) => {
      expect(chunkSize).toBe(65536);
      expect(decoded.map((c) => c.index)).toEqual([1, 4]);
      disk.addChunks(decoded.map((c) => [c.index, c.data]));
    });
    expect(await read(disk, 4 * 65536 + 256, 256)).toEqual(
      image.slice(4 * 65536 + 256, 4 * 65536 + 512),
    );
    expect(server.requests).toHaveLength(0);
  });

  it("names what is wrong with a malformed pack", async () => {
    const { encodeHotSet, readHotStream } = await import("../../src/vm/worker/hotset.ts");
    const { gzipSync } = await import("node:zlib");
    const gz = (bytes: Uint8Array) => new Uint8Array(gzipSync(bytes));
    await expect(readHotStream(gz(new Uint8Array(20)), () => {})).rejects.toThrow(
      /not a HOT1 file/,
    );
    const bad = encodeHotSet(65536, [{ index: 3, data: new Uint8Array(16) }]);
    new DataView(bad.buffer).setUint32(16, 70000, true);
    await expect(readHotStream(gz(bad), () => {})).rejects.toThrow(
      /chunk 0 \(index 3\) has a bad length 70000/,
    );
  });
});

describe("offline copy of the disk", () => {
  it("streams a large pack in batches and names a truncated one", async () => {
    const { encodeHotSet, readHotStream } = await import("../../src/vm/worker/hotset.ts");
    const { gzipSync } = await import("node:zlib");
    const chunks = [0, 1, 2, 3, 5].map((index) => ({
      index,
      data: image.slice(index * 65536, (index + 1) * 65536),
    }));
    const raw = encodeHotSet(65536, chunks);
    const batches: number[][] = [];
    const count = await readHotStream(
      new Uint8Array(gzipSync(raw)),
      (_size, batch) => void batches.push(batch.map((c) => c.index)),
      { batchBytes: 2 * 65536 },
    );
    expect(count).toBe(5);
    expect(batches).toEqual([[0, 1], [2, 3], [5]]);
    await expect(
      readHotStream(new Uint8Array(gzipSync(raw.slice(0, 100_000))), () => {}),
    ).rejects.toThrow(/truncated at chunk 1 of 5/);
  });

  it("answers chunks without data locally and knows when every used chunk is stored", async () => {
    const server = rangeServer();
    const store = new MemoryStore();
    const disk = new PersistentDisk({
      url: "/i",
      size: IMAGE_SIZE,
      fetch: server.fetch,
      store,
      usedChunks: [
        [0, 2],
        [4, 1],
      ],
    });
    await disk.open();
    expect(disk.usedChunkCount).toBe(3);
    expect(await read(disk, 2 * 65536, 512)).toEqual(new Uint8Array(512));
    expect(server.requests).toHaveLength(0);
    expect(disk.complete).toBe(false);
    disk.addChunks(
      [0, 1, 4].map((index) => [index, image.slice(index * 65536, (index + 1) * 65536)]),
      { remember: false },
    );
    await disk.flush();
    expect(disk.complete).toBe(true);
    // Not remembered in memory: read back from the store, still no request.
    expect(await read(disk, 65536, 256)).toEqual(image.slice(65536, 65536 + 256));
    expect(server.requests).toHaveLength(0);
  });
});
