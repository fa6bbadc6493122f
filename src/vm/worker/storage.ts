// What the worker keeps in IndexedDB: the saved state (one per guest) and the disk chunks
// (one database per root image hash, so replacing a guest drops its blocks in one call).
import {
  createStore,
  del,
  delMany,
  get,
  getMany,
  keys,
  set,
  setMany,
  type UseStore,
} from "idb-keyval";
import type { ChunkStore } from "./disk.ts";

const STATE_DB = "docker-sandbox-state";
const DISK_DB_PREFIX = "docker-sandbox-disk-";

/** Saved states and small guest files (BIOS), keyed by their sha256. */
export class SavedStateStore {
  #store: UseStore;

  constructor(store: UseStore = createStore(STATE_DB, "states")) {
    this.#store = store;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const value = await get<Uint8Array | ArrayBuffer>(key, this.#store);
    return value instanceof ArrayBuffer ? new Uint8Array(value) : value;
  }

  async set(key: string, bytes: Uint8Array): Promise<void> {
    await set(key, bytes, this.#store);
  }

  /** Drops every entry not in `current`: a new guest replaces the old copy. */
  async keepOnly(current: string[]): Promise<void> {
    const stale = (await keys<string>(this.#store)).filter((k) => !current.includes(k));
    if (stale.length > 0) await delMany(stale, this.#store);
  }

  async remove(key: string): Promise<void> {
    await del(key, this.#store);
  }
}

export class IdbChunkStore implements ChunkStore {
  #store: UseStore;

  constructor(imageHash: string) {
    this.#store = createStore(DISK_DB_PREFIX + imageHash, "chunks");
  }

  list(): Promise<number[]> {
    return keys<number>(this.#store);
  }

  getMany(indices: number[]): Promise<(Uint8Array | undefined)[]> {
    return getMany<Uint8Array>(indices, this.#store);
  }

  putMany(entries: [number, Uint8Array][]): Promise<void> {
    return setMany(entries, this.#store);
  }
}

/** Deletes the disk chunk databases of earlier guests. */
export async function dropOtherDisks(imageHash: string): Promise<void> {
  const all = (await indexedDB.databases?.()) ?? [];
  await Promise.all(
    all
      .map((db) => db.name ?? "")
      .filter((name) => name.startsWith(DISK_DB_PREFIX) && name !== DISK_DB_PREFIX + imageHash)
      .map(
        (name) =>
          new Promise<void>((resolve) => {
            const request = indexedDB.deleteDatabase(name);
            request.onsuccess = request.onerror = request.onblocked = () => resolve();
          }),
      ),
  );
}

/** Quota errors come as QuotaExceededError (DOMException) or, in some browsers, as UnknownError. */
export function isQuotaError(error: unknown): boolean {
  return (
    error instanceof DOMException &&
    (error.name === "QuotaExceededError" || error.name === "UnknownError")
  );
}
