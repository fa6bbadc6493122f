// Lesson progress in IndexedDB (browser only). Survives reloads and machine resets: it is
// separate from the guest's snapshots.
import { createStore, del, get, set, type UseStore } from "idb-keyval";
import { readProgress, type ProgressStore } from "./progress.ts";
import type { LessonProgress } from "./schema.ts";

export class IdbProgressStore implements ProgressStore {
  private store: UseStore | undefined;
  private readonly dbName: string;
  constructor(dbName = "docker-sandbox-progress") {
    this.dbName = dbName;
  }
  // Opened on first use so that importing this module never touches IndexedDB.
  private db(): UseStore {
    this.store ??= createStore(this.dbName, "lessons");
    return this.store;
  }
  async get(lessonId: string): Promise<LessonProgress | undefined> {
    return readProgress(await get(lessonId, this.db()));
  }
  async set(progress: LessonProgress): Promise<void> {
    await set(progress.lessonId, progress, this.db());
  }
  async delete(lessonId: string): Promise<void> {
    await del(lessonId, this.db());
  }
}
