// The lesson pane's state: which packs are loaded (the built-in one and maybe a teacher's),
// the lesson list with completion marks, the open lesson's runner and the step on screen.
// Components only render this and call its methods.
import { DockerEngine, agentOf, guestCurlProbe, type HttpProbe } from "../engine/index.ts";
import {
  LessonRunner,
  lessonList,
  solutionInput,
  type Lesson,
  type LessonError,
  type LessonProgress,
  type LessonState,
  type LessonSummary,
  type ParseResult,
  type ProgressStore,
} from "../lessons/index.ts";
import type { LearnerPort, MachineEvent } from "../vm/protocol.ts";
import { codeInput, typeInto, typeLines, type LessonMachine } from "./lesson-machine.svelte.ts";

export const BUILT_IN = "built-in";
const LESSON_KEY = "docker-sandbox:lesson";

export interface LessonPack {
  key: string;
  /** Shown in the pack picker; the built-in pack's name is translated by the UI. */
  name: string;
  lessons: Lesson[];
}

export interface PackProblem {
  source: string;
  errors: LessonError[];
}

export interface TutorialOptions {
  machine: LessonMachine;
  progress: ProgressStore;
  builtIn: ParseResult;
  /** A teacher's pack (`?pack=URL`), loaded with `loadPack`. */
  packUrl?: string;
  loadPack?: (url: string, signal: AbortSignal) => Promise<ParseResult & { name?: string }>;
  storage?: Pick<Storage, "getItem" | "setItem" | "removeItem">;
  http?: (engine: DockerEngine) => HttpProbe;
}

export class Tutorial {
  packs = $state.raw<LessonPack[]>([]);
  packKey = $state(BUILT_IN);
  /** Problems of a pack that could not be used (file:line each); the others stay usable. */
  problems = $state.raw<PackProblem[]>([]);
  packLoading = $state(false);
  summaries = $state.raw<LessonSummary[]>([]);
  lessonId = $state<string | undefined>(undefined);
  state = $state.raw<LessonState | undefined>(undefined);
  /** Index of the step on screen (the learner may look back or ahead). */
  viewed = $state(0);
  /** The machine answers: checks can run and code can be typed. */
  ready = $state(false);
  /** The runner has loaded progress and checks run: hints, solution, restart are available. */
  live = $state(false);
  restarting = $state(false);
  typing = $state(false);
  error = $state<string | undefined>(undefined);

  /**
   * Where keyboard focus goes when the view switches (set by the click that switched it, so a
   * page load never steals focus): the open lesson's title, or a lesson in the list.
   */
  focusNext: { lesson: "title" } | { list: string } | undefined;

  lessons = $derived(this.packs.find((p) => p.key === this.packKey)?.lessons ?? []);
  lesson = $derived(this.lessons.find((l) => l.id === this.lessonId));

  readonly #machine: LessonMachine;
  readonly #progress: ProgressStore;
  readonly #storage: TutorialOptions["storage"];
  readonly #engine: DockerEngine;
  readonly #http: HttpProbe;
  #runner: LessonRunner | undefined;
  #offRunner: (() => void) | undefined;
  #offMachine: () => void;
  #abort = new AbortController();
  #typing: AbortController | undefined;
  #wasReady = false;

  constructor(options: TutorialOptions) {
    this.#machine = options.machine;
    this.#progress = options.progress;
    this.#storage = options.storage;
    this.#engine = new DockerEngine(agentOf(options.machine));
    this.#http = (options.http ?? guestCurlProbe)(this.#engine);
    this.packs = [{ key: BUILT_IN, name: "", lessons: options.builtIn.lessons }];
    if (options.builtIn.errors.length)
      this.problems = [{ source: "lessons/", errors: options.builtIn.errors }];
    this.ready = isReady(options.machine.phase);
    this.#wasReady = this.ready;
    this.#offMachine = options.machine.on((event) => this.#onMachine(event));

    const saved = this.#storage?.getItem(LESSON_KEY) ?? undefined;
    if (saved && this.lessons.some((l) => l.id === saved)) void this.open(saved);
    else void this.refreshList();
    if (options.packUrl && options.loadPack) void this.#loadPack(options.packUrl, options.loadPack);
  }

  get runner(): LessonRunner | undefined {
    return this.#runner;
  }

  /** The lesson list with completion marks for the chosen pack. */
  async refreshList(): Promise<void> {
    const lessons = this.lessons;
    try {
      const list = await lessonList(lessons, this.#progress);
      if (lessons === this.lessons) this.summaries = list;
    } catch (error) {
      // Storage refused (quota, private mode): list the lessons without marks, say why.
      this.error = message(error);
      if (lessons === this.lessons) this.summaries = await lessonList(lessons, NO_PROGRESS);
    }
  }

  choosePack(key: string): void {
    if (key === this.packKey || !this.packs.some((p) => p.key === key)) return;
    this.close();
    this.packKey = key;
    void this.refreshList();
  }

  /** Open a lesson: show saved progress at once, check for real as soon as the machine answers. */
  async open(lessonId: string): Promise<void> {
    const lesson = this.lessons.find((l) => l.id === lessonId);
    if (!lesson) return;
    this.#closeRunner();
    this.error = undefined;
    const runner = new LessonRunner({
      lesson,
      engine: this.#engine,
      progress: this.#progress,
      http: this.#http,
    });
    this.#runner = runner;
    const saved = await this.#progress.get(lessonId).catch((error: unknown) => {
      this.error = message(error);
      return undefined;
    });
    if (this.#runner !== runner) return;
    // The lesson and its state change together, so the view never mixes two lessons.
    this.lessonId = lessonId;
    this.#storage?.setItem(LESSON_KEY, lessonId);
    this.state = previewState(lesson, saved);
    this.viewed = currentIndex(this.state);
    if (this.ready) await this.#start(runner);
  }

  /** Back to the lesson list. */
  close(): void {
    this.#closeRunner();
    this.lessonId = undefined;
    this.state = undefined;
    this.#storage?.removeItem(LESSON_KEY);
    void this.refreshList();
  }

  show(index: number): void {
    const count = this.lesson?.steps.length ?? 0;
    this.viewed = Math.max(0, Math.min(count - 1, index));
  }
  next(): void {
    this.show(this.viewed + 1);
  }
  previous(): void {
    this.show(this.viewed - 1);
  }

  /** The lesson after the open one in this pack, if any. */
  get nextLesson(): Lesson | undefined {
    const at = this.lessons.findIndex((l) => l.id === this.lessonId);
    return at >= 0 ? this.lessons[at + 1] : undefined;
  }

  async revealHint(): Promise<void> {
    const step = this.lesson?.steps[this.viewed];
    if (!this.#runner || !this.live || !step) return;
    await this.#runner.revealHint(step.id);
    this.#sync();
  }

  async revealSolution(): Promise<string[]> {
    const step = this.lesson?.steps[this.viewed];
    if (!this.#runner || !this.live || !step) return [];
    const lines = await this.#runner.revealSolution(step.id);
    this.#sync();
    return lines;
  }

  /** "Type it for me": the step's solution, typed line by line into the open terminal. */
  async typeSolution(): Promise<void> {
    if (!this.ready || this.typing) return;
    const lines = await this.revealSolution();
    if (!lines.length) return;
    this.#typing?.abort();
    const typing = (this.#typing = new AbortController());
    this.typing = true;
    try {
      await typeLines(this.#machine, this.#machine.activePort(), lines.map(solutionInput), {
        signal: AbortSignal.any([typing.signal, this.#abort.signal]),
      });
    } catch (error) {
      if (!typing.signal.aborted && !this.#abort.signal.aborted) throw error;
    } finally {
      if (this.#typing === typing) this.typing = false;
    }
  }

  /** "Run in terminal": type a code block into the open terminal. */
  run(code: string): LearnerPort | undefined {
    if (!this.ready) return undefined;
    const port = this.#machine.activePort();
    typeInto(this.#machine, port, codeInput(code));
    return port;
  }

  /** Remove what the lesson made, forget its progress, and begin again at step 1. */
  async restart(): Promise<void> {
    const runner = this.#runner;
    if (!runner || !this.live || this.restarting) return;
    this.restarting = true;
    this.error = undefined;
    try {
      await runner.restart();
      if (this.#runner !== runner) return;
      this.state = runner.state;
      this.viewed = 0;
      if (this.state.currentStepId)
        this.#machine.markStepStart?.(this.state.lessonId, this.state.currentStepId);
    } catch (error) {
      this.error = message(error);
    } finally {
      this.restarting = false;
      void this.refreshList();
    }
  }

  /** The current step can be started over: the machine kept how it was when the step began. */
  get canRestartStep(): boolean {
    const state = this.state;
    return (
      this.ready &&
      !!state?.currentStepId &&
      !!this.#machine.hasStepStart?.(state.lessonId, state.currentStepId)
    );
  }

  /** Back to how the machine was when the current step began; lesson progress stays. */
  async restartStep(): Promise<void> {
    if (!this.canRestartStep) return;
    this.#typing?.abort();
    try {
      await this.#machine.restoreStepStart?.();
    } catch (error) {
      this.error = message(error);
    }
  }

  /** Hide a pack's problem report once the learner has read it. */
  dismissProblem(source: string): void {
    this.problems = this.problems.filter((p) => p.source !== source);
  }

  dispose(): void {
    this.#abort.abort();
    this.#closeRunner();
    this.#offMachine();
  }

  // ---------------------------------------------------------------------------

  async #start(runner: LessonRunner): Promise<void> {
    if (this.#runner !== runner || this.live) return;
    this.#offRunner?.();
    this.#offRunner = runner.onChange((state) => {
      if (this.#runner === runner) this.#onState(state);
    });
    try {
      const state = await runner.start();
      if (this.#runner !== runner) return;
      this.live = true;
      this.#onState(state);
    } catch (error) {
      if (this.#runner === runner) this.error = message(error);
    }
  }

  #onState(state: LessonState): void {
    const before = this.state;
    this.state = state;
    // A step just became current while the learner worked: its start is worth keeping.
    if (
      this.live &&
      state.currentStepId &&
      before?.lessonId === state.lessonId &&
      before.currentStepId !== state.currentStepId
    )
      this.#machine.markStepStart?.(state.lessonId, state.currentStepId);
    const passedBefore = before?.steps.filter((s) => s.status === "done").length ?? 0;
    const passedNow = state.steps.filter((s) => s.status === "done").length;
    if (passedNow !== passedBefore) void this.refreshList();
  }

  #sync(): void {
    if (this.#runner) this.state = this.#runner.state;
  }

  #closeRunner(): void {
    this.#typing?.abort();
    this.#offRunner?.();
    this.#offRunner = undefined;
    this.#runner?.dispose();
    this.#runner = undefined;
    this.live = false;
    this.typing = false;
  }

  #onMachine(event: MachineEvent): void {
    let ready: boolean | undefined;
    if (event.type === "progress") ready = isReady(event.progress.phase);
    else if (event.type === "agent" && event.event.event === "dockerd") ready = event.event.up;
    if (ready === undefined || ready === this.ready) return;
    this.ready = ready;
    if (!ready) return;
    const wasReady = this.#wasReady;
    this.#wasReady = true;
    const runner = this.#runner;
    if (!runner) return;
    if (!this.live) void this.#start(runner);
    else if (wasReady && runner.lesson.files.length)
      // After a machine reset the guest is back to its base state: put the lesson's files back.
      void runner.copyFiles().catch((error: unknown) => (this.error = message(error)));
  }

  async #loadPack(url: string, load: NonNullable<TutorialOptions["loadPack"]>): Promise<void> {
    this.packLoading = true;
    try {
      const result = await load(url, this.#abort.signal);
      if (result.errors.length) {
        this.problems = [...this.problems, { source: url, errors: result.errors }];
        return;
      }
      if (!result.lessons.length) {
        const errors = [{ file: url, line: 1, message: "the pack has no lessons" }];
        this.problems = [...this.problems, { source: url, errors }];
        return;
      }
      this.packs = [...this.packs, { key: url, name: result.name ?? url, lessons: result.lessons }];
      // A teacher's link opens the teacher's lessons; the built-in pack stays one click away.
      if (!this.lessonId || !result.lessons.some((l) => l.id === this.lessonId)) {
        this.#closeRunner();
        this.lessonId = undefined;
        this.state = undefined;
      }
      this.packKey = url;
      await this.refreshList();
    } catch (error) {
      if (this.#abort.signal.aborted) return;
      const errors = [{ file: url, line: 1, message: message(error) }];
      this.problems = [...this.problems, { source: url, errors }];
    } finally {
      this.packLoading = false;
    }
  }
}

const NO_PROGRESS: ProgressStore = {
  get: async () => undefined,
  set: async () => {},
  delete: async () => {},
};

function isReady(phase: string): boolean {
  return phase === "ready" || phase === "busy";
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The lesson's state from saved progress alone, shown until the machine can check it. */
export function previewState(lesson: Lesson, saved: LessonProgress | undefined): LessonState {
  const passed = saved?.passed ?? [];
  const current = lesson.steps.find((s) => !passed.includes(s.id));
  return {
    lessonId: lesson.id,
    currentStepId: current?.id,
    completed: !current,
    evaluating: false,
    evaluations: 0,
    steps: lesson.steps.map((step, index) => ({
      id: step.id,
      index,
      title: step.title,
      status: passed.includes(step.id) ? "done" : step === current ? "current" : "todo",
      checks: [],
      hintsShown: saved?.hintsShown[step.id] ?? 0,
      hintCount: Math.max(step.hints.en.length, step.hints.ko?.length ?? 0),
      solutionShown: saved?.solutionShown.includes(step.id) ?? false,
    })),
  };
}

/** The step to show when a lesson opens: the current one, or the last when all are done. */
export function currentIndex(state: LessonState): number {
  const at = state.steps.findIndex((s) => s.status === "current");
  return at >= 0 ? at : Math.max(0, state.steps.length - 1);
}
