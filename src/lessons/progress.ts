// Where lesson progress lives. The browser uses IndexedDB (progress-idb.ts); tests and Node
// use the in-memory store. Keyed by the lesson's stable id, steps by their stable ids, so
// reordering or editing a lesson never loses a learner's marks.
import * as v from "valibot";
import { LessonProgressSchema, type Lesson, type LessonProgress, type Text } from "./schema.ts";

export interface ProgressStore {
  get(lessonId: string): Promise<LessonProgress | undefined>;
  set(progress: LessonProgress): Promise<void>;
  delete(lessonId: string): Promise<void>;
}

export class MemoryProgressStore implements ProgressStore {
  private readonly map = new Map<string, LessonProgress>();
  async get(lessonId: string) {
    const p = this.map.get(lessonId);
    return p && structuredClone(p);
  }
  async set(progress: LessonProgress) {
    this.map.set(progress.lessonId, structuredClone(progress));
  }
  async delete(lessonId: string) {
    this.map.delete(lessonId);
  }
}

/** Saved data is checked when read back; anything malformed is treated as no progress. */
export function readProgress(raw: unknown): LessonProgress | undefined {
  const r = v.safeParse(LessonProgressSchema, raw);
  return r.success ? r.output : undefined;
}

export function newProgress(lessonId: string, now: number): LessonProgress {
  return { version: 1, lessonId, passed: [], hintsShown: {}, solutionShown: [], startedAt: now };
}

export interface LessonSummary {
  id: string;
  folder: string;
  order: number;
  title: Text;
  summary: Text;
  steps: number;
  /** Steps passed that still exist in the lesson. */
  passed: number;
  started: boolean;
  completed: boolean;
}

/** The lesson list with completion marks, for the lesson picker. */
export async function lessonList(
  lessons: readonly Lesson[],
  store: ProgressStore,
): Promise<LessonSummary[]> {
  return Promise.all(
    lessons.map(async (l) => {
      const p = await store.get(l.id);
      const ids = new Set(l.steps.map((s) => s.id));
      const passed = p ? p.passed.filter((id) => ids.has(id)).length : 0;
      return {
        id: l.id,
        folder: l.folder,
        order: l.order,
        title: l.title,
        summary: l.summary,
        steps: l.steps.length,
        passed,
        started: !!p,
        completed: passed === l.steps.length,
      };
    }),
  );
}
