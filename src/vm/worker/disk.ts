// The guest's root disk as v86 sees it (its "buffer" interface: load/get/set/get_state/set_state),
// backed by a persistent chunk store so a disk block crosses the network once per image hash.
//
// v86's own AsyncXHRBuffer keeps no read cache, so every visit re-fetched ~120 MB in ~1,300
// sequential Range requests (spike/browser/NOTES.md). Here reads are served from memory, then
// IndexedDB, then one Range request per run of missing chunks; fetched chunks are written back.

const SECTOR_BLOCK = 256; // v86 tracks guest writes in 256-byte blocks; its saved state uses them.
const STORE_READ_AHEAD_BYTES = 1 << 20;

/** Where fetched chunks persist; keys are chunk indices of one image. */
export interface ChunkStore {
  /** Indices of every chunk already stored. */
  list(): Promise<number[]>;
  getMany(indices: number[]): Promise<(Uint8Array | undefined)[]>;
  /** Rejects when storage refuses (quota); the disk then runs without persisting. */
  putMany(entries: [number, Uint8Array][]): Promise<void>;
}

export interface DiskCounters {
  /** Bytes fetched by Range requests (disk packs are counted by their downloads). */
  networkBytes: number;
  networkRequests: number;
  /** Bytes served from the persistent store. */
  storeBytes: number;
  /** Reads answered without any I/O. */
  memoryHits: number;
  /** Guest reads that waited for the store or the network, and how long they waited in all. */
  slowReads: number;
  slowReadMs: number;
  /** Batched reads from the persistent store. */
  storeReads: number;
}

export interface PersistentDiskOptions {
  url: string;
  size: number;
  chunkSize?: number;
  store?: ChunkStore;
  /** Chunks kept in memory (16 MiB worth by default); the guest's page cache holds the hot data. */
  memoryChunks?: number;
  fetch?: typeof fetch;
  /** Called once when the store refuses a write, so the UI can say caching is off. */
  onStoreError?: (error: unknown) => void;
  /**
   * Runs of chunks holding data, as [first, count] (recorded at build time). Chunks outside
   * them are all zeros: they are answered here and never fetched.
   */
  usedChunks?: [number, number][];
}

type ReadCallback = (data: Uint8Array) => void;

export class PersistentDisk {
  readonly byteLength: number;
  readonly chunkSize: number;
  readonly counters: DiskCounters = {
    networkBytes: 0,
    networkRequests: 0,
    storeBytes: 0,
    memoryHits: 0,
    slowReads: 0,
    slowReadMs: 0,
    storeReads: 0,
  };
  /** Guest writes, 256-byte blocks, exactly as v86's buffers keep them (and save them in a state). */
  readonly block_cache = new Map<number, Uint8Array>();
  readonly block_cache_is_write = new Set<number>();
  onload: ((event: object) => void) | undefined;
  onprogress: ((event: object) => void) | undefined;

  #url: string;
  #store: ChunkStore | undefined;
  #stored = new Set<number>();
  #memory = new Map<number, Uint8Array>(); // insertion order = LRU order
  /** Chunks loaded ahead of need (preload); each moves to memory when first read. */
  #preloaded = new Map<number, Uint8Array>();
  #memoryChunks: number;
  #inflight = new Map<number, Promise<Uint8Array>>();
  #pendingPuts: [number, Uint8Array][] = [];
  #flushTimer: ReturnType<typeof setTimeout> | undefined;
  #fetch: typeof fetch;
  #onStoreError: ((error: unknown) => void) | undefined;
  #used: Uint8Array | undefined;
  #usedCount = 0;

  constructor(options: PersistentDiskOptions) {
    this.#url = options.url;
    this.byteLength = options.size;
    this.chunkSize = options.chunkSize ?? 64 * 1024;
    if (this.chunkSize % SECTOR_BLOCK !== 0) throw new Error("chunkSize must be a multiple of 256");
    this.#store = options.store;
    this.#memoryChunks = options.memoryChunks ?? Math.ceil((16 << 20) / this.chunkSize);
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#onStoreError = options.onStoreError;
    if (options.usedChunks) {
      this.#used = new Uint8Array(this.chunkCount);
      for (const [first, count] of options.usedChunks) this.#used.fill(1, first, first + count);
      this.#usedCount = this.#used.reduce((n, u) => n + u, 0);
    }
  }

  get chunkCount(): number {
    return Math.ceil(this.byteLength / this.chunkSize);
  }

  /** Chunks already on this device; a warm start needs no network for these. */
  get storedChunks(): number {
    return this.#stored.size;
  }

  /** Chunks holding data (all of them when no map of used chunks was given). */
  get usedChunkCount(): number {
    return this.#used ? this.#usedCount : this.chunkCount;
  }

  /** True when every chunk with data is on this device: the disk works with no network. */
  get complete(): boolean {
    if (!this.#used || !this.#store) return false;
    let missing = 0;
    for (let i = 0; i < this.#used.length; i++)
      if (this.#used[i] && !this.#stored.has(i)) missing++;
    return missing === 0;
  }

  /** Whether a chunk is already on this device. */
  has(index: number): boolean {
    return this.#stored.has(index);
  }

  async open(): Promise<void> {
    if (!this.#store) return;
    try {
      for (const index of await this.#store.list()) this.#stored.add(index);
    } catch (error) {
      this.#disableStore(error);
    }
  }

  /**
   * Loads stored chunks into memory ahead of need, in large store reads: a handful of reads for
   * what would otherwise be hundreds of page faults, each waiting 10–17 ms for IndexedDB in the
   * busy worker. Chunks not on this device are skipped. Resolves with the number loaded.
   */
  async preload(indices: number[], batchSize = 256): Promise<number> {
    const wanted = indices.filter((i) => this.#stored.has(i) && !this.#memory.has(i));
    let loaded = 0;
    for (let at = 0; at < wanted.length && this.#store; at += batchSize) {
      const part = wanted.slice(at, at + batchSize);
      let found: (Uint8Array | undefined)[];
      try {
        found = await this.#store.getMany(part);
      } catch {
        break; // only an optimisation: reads fall back to the normal path
      }
      part.forEach((index, i) => {
        const data = found[i];
        if (data?.byteLength !== this.#chunkLength(index) || this.#memory.has(index)) return;
        this.#preloaded.set(index, data);
        loaded++;
      });
    }
    return loaded;
  }

  /** Lets go of preloaded chunks the guest has not read (they stay on this device). */
  dropPreloaded(): void {
    this.#preloaded.clear();
  }

  /** v86 calls this while loading its files; open() has already run by then. */
  load(): void {
    this.onload?.(Object.create(null));
  }

  /**
   * Adds chunks from a disk pack (or any bulk source) to the store and, unless `remember` is
   * false (a background fill that must not push the working set out), to memory.
   */
  addChunks(entries: [number, Uint8Array][], { persist = true, remember = true } = {}): void {
    for (const [index, data] of entries) {
      if (remember) this.#remember(index, data);
      if (persist && !this.#stored.has(index)) this.#queuePut(index, data);
    }
  }

  get(offset: number, len: number, fn: ReadCallback, _options?: { signal?: AbortSignal }): void {
    const first = Math.floor(offset / this.chunkSize);
    const last = Math.floor((offset + len - 1) / this.chunkSize);
    const chunks: Uint8Array[] = [];
    for (let index = first; index <= last; index++) {
      const chunk = this.#cached(index);
      if (!chunk) break;
      chunks.push(chunk);
    }
    if (chunks.length === last - first + 1) {
      this.counters.memoryHits++;
      fn(this.#assemble(offset, len, first, chunks));
      return;
    }
    const started = performance.now();
    this.#readChunks(first, last).then(
      (all) => {
        this.counters.slowReads++;
        this.counters.slowReadMs += performance.now() - started;
        fn(this.#assemble(offset, len, first, all));
      },
      (error) => {
        // v86 has no error path for disk reads; a failed read would hang the guest's I/O,
        // so report loudly and retry once the network is back.
        console.error("disk read failed, retrying", error);
        setTimeout(() => this.get(offset, len, fn), 1000);
      },
    );
  }

  get_and_cache(
    offset: number,
    len: number,
    fn: ReadCallback,
    options?: { signal?: AbortSignal },
  ): void {
    this.get(offset, len, fn, options);
  }

  /** Only whole in-memory reads; v86 asks this for the MBR before any async read. */
  get_from_cache(offset: number, len: number): Uint8Array | undefined {
    const first = Math.floor(offset / this.chunkSize);
    const last = Math.floor((offset + len - 1) / this.chunkSize);
    const chunks: Uint8Array[] = [];
    for (let index = first; index <= last; index++) {
      const chunk = this.#cached(index);
      if (!chunk) return undefined;
      chunks.push(chunk);
    }
    return this.#assemble(offset, len, first, chunks);
  }

  set(start: number, data: Uint8Array, fn: () => void): void {
    const startBlock = start / SECTOR_BLOCK;
    const count = data.length / SECTOR_BLOCK;
    for (let i = 0; i < count; i++) {
      const slice = data.subarray(i * SECTOR_BLOCK, (i + 1) * SECTOR_BLOCK);
      const existing = this.block_cache.get(startBlock + i);
      if (existing) existing.set(slice);
      else this.block_cache.set(startBlock + i, slice.slice());
      this.block_cache_is_write.add(startBlock + i);
    }
    fn();
  }

  get_buffer(fn: (buffer?: ArrayBuffer) => void): void {
    fn();
  }

  get_state(): [[number, Uint8Array][]] {
    return [[...this.block_cache.entries()]];
  }

  set_state(state: [[number, Uint8Array][]]): void {
    this.block_cache.clear();
    this.block_cache_is_write.clear();
    // v86 hands over views into the whole saved state (120-270 MB): copied into one buffer of
    // their own, so the state itself can go once the restore is done.
    const blocks = state[0];
    const copy = new Uint8Array(blocks.reduce((n, [, block]) => n + block.byteLength, 0));
    let at = 0;
    for (const [index, block] of blocks) {
      copy.set(block, at);
      this.block_cache.set(index, copy.subarray(at, at + block.byteLength));
      this.block_cache_is_write.add(index);
      at += block.byteLength;
    }
  }

  /** Writes queued chunks to the store now (e.g. before the page goes away). */
  async flush(): Promise<void> {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    const entries = this.#pendingPuts;
    this.#pendingPuts = [];
    if (!this.#store || entries.length === 0) return;
    try {
      await this.#store.putMany(entries);
      for (const [index] of entries) this.#stored.add(index);
    } catch (error) {
      this.#disableStore(error);
    }
  }

  #assemble(offset: number, len: number, first: number, chunks: Uint8Array[]): Uint8Array {
    const start = offset - first * this.chunkSize;
    let result: Uint8Array;
    if (chunks.length === 1) {
      // A copy: v86 may keep or modify what it is given.
      result = chunks[0]!.slice(start, start + len);
    } else {
      result = new Uint8Array(len);
      let at = -start;
      for (const chunk of chunks) {
        const from = Math.max(0, -at);
        const to = Math.min(chunk.byteLength, len - at);
        if (to > from) result.set(chunk.subarray(from, to), at + from);
        at += chunk.byteLength;
      }
    }
    if (this.block_cache.size > 0) {
      const firstBlock = offset / SECTOR_BLOCK;
      for (let i = 0; i < len / SECTOR_BLOCK; i++) {
        const written = this.block_cache.get(firstBlock + i);
        if (written) result.set(written, i * SECTOR_BLOCK);
      }
    }
    return result;
  }

  async #readChunks(first: number, last: number): Promise<Uint8Array[]> {
    const result: (Uint8Array | Promise<Uint8Array>)[] = [];
    const fromStore: number[] = [];
    const fromNetwork: number[] = [];
    for (let index = first; index <= last; index++) {
      const chunk = this.#cached(index) ?? this.#inflight.get(index);
      if (chunk) result.push(chunk);
      else if (this.#used && !this.#used[index])
        result.push(new Uint8Array(this.#chunkLength(index)));
      else {
        result.push(undefined as never);
        (this.#stored.has(index) ? fromStore : fromNetwork).push(index);
      }
    }
    if (fromStore.length > 0) {
      // Read ahead from the store: guest reads are mostly sequential, and one IndexedDB
      // transaction for 1 MiB costs about what one for 64 KiB does. (Measured: in the busy
      // worker every store read waits 10–17 ms whatever its size, so 64 KiB reads for scattered
      // page faults made a warm `docker ps` wait longer, not shorter.)
      const batch = [...fromStore];
      const readAhead = Math.floor(STORE_READ_AHEAD_BYTES / this.chunkSize) - 1;
      for (let index = last + 1; index <= last + readAhead; index++) {
        if (
          !this.#stored.has(index) ||
          this.#memory.has(index) ||
          this.#preloaded.has(index) ||
          this.#inflight.has(index)
        )
          break;
        batch.push(index);
      }
      const loading = this.#loadFromStore(batch);
      batch.forEach((index, i) => {
        const one = loading.then((chunks) => chunks[i]!);
        this.#inflight.set(index, one);
        if (index <= last) result[index - first] = one;
        else
          void one.then(
            () => this.#inflight.delete(index),
            () => this.#inflight.delete(index),
          );
      });
    }
    for (const run of runs(fromNetwork)) {
      const loading = this.#fetchRun(run[0]!, run[run.length - 1]!);
      run.forEach((index, i) => {
        const one = loading.then((chunks) => chunks[i]!);
        this.#inflight.set(index, one);
        result[index - first] = one;
      });
    }
    try {
      return await Promise.all(result);
    } finally {
      for (const index of [...fromStore, ...fromNetwork]) this.#inflight.delete(index);
    }
  }

  async #loadFromStore(indices: number[]): Promise<Uint8Array[]> {
    let found: (Uint8Array | undefined)[] = [];
    this.counters.storeReads++;
    try {
      found = await this.#store!.getMany(indices);
    } catch (error) {
      console.warn("disk store read failed; fetching instead", error);
    }
    return Promise.all(
      indices.map(async (index, i) => {
        const data = found[i];
        if (data && data.byteLength === this.#chunkLength(index)) {
          this.counters.storeBytes += data.byteLength;
          this.#remember(index, data);
          return data;
        }
        this.#stored.delete(index);
        return (await this.#fetchRun(index, index))[0]!;
      }),
    );
  }

  async #fetchRun(first: number, last: number): Promise<Uint8Array[]> {
    const start = first * this.chunkSize;
    const end = Math.min(this.byteLength, (last + 1) * this.chunkSize); // exclusive
    const response = await this.#fetch(this.#url, {
      headers: { Range: `bytes=${start}-${end - 1}` },
      // The persistent store is the cache; the HTTP cache would only hold a second copy.
      cache: "no-store",
    });
    if (
      response.status !== 206 &&
      !(response.status === 200 && start === 0 && end === this.byteLength)
    )
      throw new Error(
        `disk range ${start}-${end - 1}: HTTP ${response.status} (need 206 Partial Content)`,
      );
    const body = new Uint8Array(await response.arrayBuffer());
    if (body.byteLength !== end - start)
      throw new Error(`disk range ${start}-${end - 1}: got ${body.byteLength} bytes`);
    this.counters.networkBytes += body.byteLength;
    this.counters.networkRequests++;
    const chunks: Uint8Array[] = [];
    for (let index = first; index <= last; index++) {
      const from = (index - first) * this.chunkSize;
      const chunk = body.slice(from, from + this.#chunkLength(index));
      chunks.push(chunk);
      this.#remember(index, chunk);
      this.#queuePut(index, chunk);
    }
    return chunks;
  }

  /** A chunk held in memory, moving a preloaded one into the memory cache on first use. */
  #cached(index: number): Uint8Array | undefined {
    const chunk = this.#memory.get(index);
    if (chunk) return chunk;
    const preloaded = this.#preloaded.get(index);
    if (!preloaded) return undefined;
    this.#preloaded.delete(index);
    this.#remember(index, preloaded);
    return preloaded;
  }

  #chunkLength(index: number): number {
    return Math.min(this.chunkSize, this.byteLength - index * this.chunkSize);
  }

  #remember(index: number, chunk: Uint8Array): void {
    this.#memory.delete(index);
    this.#memory.set(index, chunk);
    while (this.#memory.size > this.#memoryChunks) {
      const oldest = this.#memory.keys().next().value as number;
      this.#memory.delete(oldest);
    }
  }

  #queuePut(index: number, chunk: Uint8Array): void {
    if (!this.#store) return;
    this.#pendingPuts.push([index, chunk]);
    // Batched: one IndexedDB transaction per burst of reads, not one per chunk.
    this.#flushTimer ??= setTimeout(() => void this.flush(), 50);
  }

  #disableStore(error: unknown): void {
    if (!this.#store) return;
    this.#store = undefined;
    this.#pendingPuts = [];
    this.#onStoreError?.(error);
  }
}

/** Expands [first, count] runs (as manifests store chunk lists) into indices. */
export function fromRuns(list: [number, number][]): number[] {
  return list.flatMap(([first, count]) => Array.from({ length: count }, (_, i) => first + i));
}

/** Splits sorted indices into runs of consecutive numbers: one Range request each. */
export function runs(indices: number[]): number[][] {
  const out: number[][] = [];
  for (const index of indices) {
    const run = out[out.length - 1];
    if (run && run[run.length - 1] === index - 1) run.push(index);
    else out.push([index]);
  }
  return out;
}
