// What the sandbox keeps in this browser, how much room it takes, and the way to free it.
// The VM worker owns the caches (src/vm/worker/storage.ts, src/vm/registry/idb-store.ts); this
// only measures them (cheap counts, no big reads) and deletes them on the learner's request.
// Lesson progress lives in its own database and is never touched here.

/** Databases of the machine's caches: everything here can be downloaded again. */
export const CACHE_DATABASES = {
  state: "docker-sandbox-state",
  images: "docker-sandbox-registry",
  diskPrefix: "docker-sandbox-disk-",
} as const;

/** Never deleted by "Clear cached data". */
export const KEPT_DATABASES = [
  "docker-sandbox-progress",
  "docker-sandbox-checkpoints",
  "docker-sandbox-workspace",
] as const;

/** Above this share of the quota the status bar warns before writes start failing. */
const NEARLY_FULL = 0.9;

/** How long a deletion may wait for the machine's worker to let go of a database. */
const BLOCKED_GIVE_UP_MS = 5000;

export interface StorageParts {
  /** Guest disk chunks (logical bytes). */
  disk?: number;
  /** Pulled and pushed image blobs and manifests (logical bytes). */
  images?: number;
  /** The app's own files (the service worker's precache). */
  app?: number;
  /** The rest: saved machine state, BIOS, lesson progress (what is left of `usage`). */
  other?: number;
}

/** Splits the browser's total into parts; what cannot be attributed is `other`, never negative. */
export function splitUsage(
  usage: number,
  known: { disk?: number; images?: number; app?: number },
): StorageParts {
  const attributed = (known.disk ?? 0) + (known.images ?? 0) + (known.app ?? 0);
  return { ...known, other: Math.max(0, usage - attributed) };
}

/** Chunk size from a disk database's name (`docker-sandbox-disk-<hash>-<chunkBytes>`). */
export function diskChunkBytes(name: string): number | undefined {
  const m = /-(\d+)$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** The storage APIs used here, so tests can hand in fakes (fake-indexeddb, a stub estimate). */
export interface StorageDeps {
  indexedDB?: IDBFactory;
  storage?: Pick<StorageManager, "estimate" | "persist" | "persisted">;
  /** How long a deletion waits for connections to close before naming the database. */
  blockedGiveUpMs?: number;
}

export class StorageUse {
  /** Bytes this site uses and may use (navigator.storage.estimate()); undefined until read. */
  usage = $state<number | undefined>(undefined);
  quota = $state<number | undefined>(undefined);
  parts = $state.raw<StorageParts>({});
  /** True when the browser promised not to evict the caches under storage pressure. */
  persisted = $state<boolean | undefined>(undefined);
  /** Deleting the caches now (the machine is stopped meanwhile). */
  clearing = $state(false);
  error = $state<string | undefined>(undefined);

  nearlyFull = $derived(
    this.usage !== undefined && !!this.quota && this.usage / this.quota >= NEARLY_FULL,
  );

  readonly #idb: IDBFactory | undefined;
  readonly #storage: StorageDeps["storage"];
  readonly #blockedGiveUpMs: number;
  #reading: Promise<void> | undefined;

  constructor(deps: StorageDeps = {}) {
    this.#idb = deps.indexedDB ?? globalThis.indexedDB;
    this.#storage = deps.storage ?? globalThis.navigator?.storage;
    this.#blockedGiveUpMs = deps.blockedGiveUpMs ?? BLOCKED_GIVE_UP_MS;
  }

  /** Reads the totals and the parts again. Never throws: an unreadable part stays unknown. */
  refresh(): Promise<void> {
    this.#reading ??= this.#read().finally(() => (this.#reading = undefined));
    return this.#reading;
  }

  /**
   * Asks the browser to keep the caches under storage pressure (after the first good start, so
   * a visit that never worked asks for nothing). Chromium decides silently; Firefox may prompt.
   */
  async persist(): Promise<boolean> {
    const storage = this.#storage;
    if (!storage?.persist) return (this.persisted = false);
    try {
      this.persisted = (await storage.persisted?.()) || (await storage.persist());
    } catch {
      this.persisted = false;
    }
    return this.persisted;
  }

  /**
   * Deletes the machine's caches (saved state, disk chunks, images) and keeps lesson progress.
   * `stopMachine` must close the worker first: open connections block a database's deletion.
   */
  async clearCachedData(stopMachine: () => Promise<void> | void): Promise<void> {
    this.clearing = true;
    this.error = undefined;
    try {
      await stopMachine();
      const names = await this.#cacheDatabaseNames();
      const blocked = (await Promise.all(names.map((n) => this.#deleteDatabase(n)))).filter(
        (n) => n !== undefined,
      );
      if (blocked.length > 0) this.error = `still in use: ${blocked.join(", ")}`;
    } finally {
      this.clearing = false;
    }
    await this.refresh();
  }

  dispose(): void {
    // Nothing subscribes; kept so owners can follow the rune-class convention.
  }

  // ---------------------------------------------------------------------------------------------

  async #read(): Promise<void> {
    const storage = this.#storage;
    let usage: number | undefined;
    let app: number | undefined;
    try {
      const estimate = (await storage?.estimate()) as
        (StorageEstimate & { usageDetails?: { caches?: number } }) | undefined;
      usage = estimate?.usage;
      this.quota = estimate?.quota;
      app = estimate?.usageDetails?.caches;
    } catch {
      // estimate() is missing or refused: the parts below can still be shown
    }
    this.persisted ??= await storage?.persisted?.().catch(() => undefined);
    const [disk, images] = await Promise.all([this.#diskBytes(), this.#imageBytes()]);
    this.usage = usage;
    this.parts =
      usage === undefined ? { disk, images, app } : splitUsage(usage, { disk, images, app });
  }

  async #cacheDatabaseNames(): Promise<string[]> {
    const names: string[] = [CACHE_DATABASES.state, CACHE_DATABASES.images];
    for (const name of await this.#diskDatabases()) names.push(name);
    return names;
  }

  async #diskDatabases(): Promise<string[]> {
    const all = (await this.#idb?.databases?.().catch(() => [])) ?? [];
    return all
      .map((db) => db.name ?? "")
      .filter((name) => name.startsWith(CACHE_DATABASES.diskPrefix));
  }

  /** Chunks stored × chunk size: a count, so the chunks themselves are never read. */
  async #diskBytes(): Promise<number | undefined> {
    const names = await this.#diskDatabases();
    if (names.length === 0) return undefined;
    let total = 0;
    for (const name of names) {
      const count = await this.#withStore(name, "chunks", (store) => store.count());
      total += (count ?? 0) * (diskChunkBytes(name) ?? 0);
    }
    return total;
  }

  /** The registry keeps every blob's size beside it: sum those, plus the manifests' bytes. */
  async #imageBytes(): Promise<number | undefined> {
    if (!(await this.#exists(CACHE_DATABASES.images))) return undefined;
    const sizes = await this.#withStore(CACHE_DATABASES.images, "blob-sizes", (store) =>
      store.getAll(),
    );
    return ((sizes as number[] | undefined) ?? []).reduce((sum, n) => sum + n, 0);
  }

  async #exists(name: string): Promise<boolean> {
    const all = (await this.#idb?.databases?.().catch(() => [])) ?? [];
    return all.some((db) => db.name === name);
  }

  /** Opens a database only if it exists (opening creates it otherwise) and reads one store. */
  #withStore<T>(
    name: string,
    storeName: string,
    read: (store: IDBObjectStore) => IDBRequest<T>,
  ): Promise<T | undefined> {
    const idb = this.#idb;
    if (!idb) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const open = idb.open(name);
      open.onupgradeneeded = () => open.transaction?.abort(); // did not exist: leave it absent
      open.onerror = () => resolve(undefined);
      open.onsuccess = () => {
        const db = open.result;
        try {
          const req = read(db.transaction(storeName, "readonly").objectStore(storeName));
          req.onsuccess = () => {
            db.close();
            resolve(req.result);
          };
          req.onerror = () => {
            db.close();
            resolve(undefined);
          };
        } catch {
          db.close();
          resolve(undefined);
        }
      };
    });
  }

  /** Resolves with the name when another tab still holds the database open. */
  #deleteDatabase(name: string): Promise<string | undefined> {
    const idb = this.#idb;
    if (!idb) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const req = idb.deleteDatabase(name);
      req.onsuccess = () => {
        clearTimeout(timer);
        resolve(undefined);
      };
      req.onerror = () => {
        clearTimeout(timer);
        resolve(name);
      };
      // Blocked: a worker still closing, or another tab. The deletion goes on once they close;
      // past a few seconds it is another tab, which the learner must close.
      req.onblocked = () => {
        timer ??= setTimeout(() => resolve(name), this.#blockedGiveUpMs);
      };
    });
  }
}
