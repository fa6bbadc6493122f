// A copy of the learner's workspace in this browser (IndexedDB, its own database, never removed
// by "Clear cached data"), so the files outlive a machine Reset, "Start fresh" or cleared caches.
// The copy follows the guest: what the learner deletes there is deleted here, never merged back.
import { createStore, del, delMany, get, set, setMany, type UseStore } from "idb-keyval";
import type { GuestFiles, WorkspaceEntry } from "./guest-files.ts";

export const MIRROR_DATABASE = "docker-sandbox-workspace";

export interface MirrorLimits {
  /** Files larger than this are listed but their contents are not kept. */
  maxFileBytes: number;
  /** Contents are kept until they add up to this; later files are listed only. */
  maxTotalBytes: number;
}

export const DEFAULT_LIMITS: MirrorLimits = {
  maxFileBytes: 5 * 1024 * 1024,
  maxTotalBytes: 50 * 1024 * 1024,
};

export interface MirrorEntry extends WorkspaceEntry {
  /** False when the file was too big (or the copy full): it cannot be put back after a reset. */
  kept: boolean;
}

export interface MirrorSummary {
  /** Files whose contents are kept. */
  kept: number;
  keptBytes: number;
  /** Files listed but not kept (too big, or over the total). */
  skipped: string[];
}

const INDEX = "index";
const fileKey = (path: string) => `file:${path}`;

export function summarize(entries: MirrorEntry[]): MirrorSummary {
  const files = entries.filter((e) => e.kind === "file");
  return {
    kept: files.filter((e) => e.kept).length,
    keptBytes: files.filter((e) => e.kept).reduce((n, e) => n + e.size, 0),
    skipped: files.filter((e) => !e.kept).map((e) => e.path),
  };
}

export class WorkspaceMirror {
  readonly #store: UseStore;

  constructor(
    store?: UseStore,
    readonly limits: MirrorLimits = DEFAULT_LIMITS,
  ) {
    this.#store = store ?? createStore(MIRROR_DATABASE, "files");
  }

  /** What the copy holds; undefined when nothing was ever recorded in this browser. */
  async entries(): Promise<MirrorEntry[] | undefined> {
    return get<MirrorEntry[]>(INDEX, this.#store);
  }

  async contents(path: string): Promise<Uint8Array | undefined> {
    return get<Uint8Array>(fileKey(path), this.#store);
  }

  /**
   * Makes the copy equal to the guest's listing: reads only files that are new or changed (size or
   * time), forgets files that are gone. `read` fetches one file's bytes from the guest.
   */
  async record(
    listing: WorkspaceEntry[],
    read: (path: string) => Promise<Uint8Array>,
  ): Promise<MirrorSummary> {
    const before = new Map((await this.entries())?.map((e) => [e.path, e]) ?? []);
    const next: MirrorEntry[] = [];
    const writes: [string, Uint8Array][] = [];
    let total = 0;
    for (const entry of listing) {
      if (entry.kind === "dir") {
        next.push({ ...entry, kept: true });
        continue;
      }
      const old = before.get(entry.path);
      const same =
        old?.kind === "file" &&
        old.kept &&
        old.size === entry.size &&
        old.mtimeMs === entry.mtimeMs;
      const fits =
        entry.size <= this.limits.maxFileBytes && total + entry.size <= this.limits.maxTotalBytes;
      if (!fits) {
        next.push({ ...entry, kept: false });
        continue;
      }
      if (!same) {
        let bytes: Uint8Array;
        try {
          bytes = await read(entry.path);
        } catch {
          // Gone between the listing and the read, or the machine stopped: keep what was kept.
          if (old?.kind === "file" && old.kept) {
            total += old.size;
            next.push(old);
          }
          continue;
        }
        writes.push([fileKey(entry.path), bytes]);
      }
      total += entry.size;
      next.push({ ...entry, kept: true });
    }
    const keep = new Set(next.filter((e) => e.kept && e.kind === "file").map((e) => e.path));
    const gone = [...before.values()]
      .filter((e) => e.kind === "file" && e.kept && !keep.has(e.path))
      .map((e) => fileKey(e.path));
    if (writes.length) await setMany(writes, this.#store);
    await set(INDEX, next, this.#store);
    if (gone.length) await delMany(gone, this.#store);
    return summarize(next);
  }

  /**
   * Puts the copy back into the guest after the machine started again: folders and files the
   * guest lacks, and files the guest has in an older version. Files only the guest has stay (the
   * copy is recorded from the guest right after). Returns the paths written.
   */
  async putBack(files: GuestFiles, guest: WorkspaceEntry[]): Promise<string[]> {
    const mine = await this.entries();
    if (!mine) return [];
    const there = new Map(guest.map((e) => [e.path, e]));
    const written: string[] = [];
    for (const entry of mine) {
      const theirs = there.get(entry.path);
      if (entry.kind === "dir") {
        if (!theirs) await files.mkdir(entry.path);
        continue;
      }
      if (!entry.kept) continue;
      if (theirs?.kind === "file" && theirs.mtimeMs >= entry.mtimeMs) continue;
      const bytes = await this.contents(entry.path);
      if (!bytes) continue;
      if (theirs?.kind === "dir") await files.remove(entry.path);
      await files.write(entry.path, bytes, entry.mtimeMs);
      written.push(entry.path);
    }
    return written;
  }

  /** Forgets everything (tests; a learner's explicit wish). */
  async clear(): Promise<void> {
    const mine = (await this.entries()) ?? [];
    await delMany(
      mine.filter((e) => e.kind === "file").map((e) => fileKey(e.path)),
      this.#store,
    );
    await del(INDEX, this.#store);
  }
}
