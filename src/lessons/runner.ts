// Runs one lesson against the real engine: re-checks the current step whenever the learner
// finishes a command or the engine reports an event, moves on when every check passes,
// reveals hints one by one and the solution on request, and restarts a lesson cleanly.
// No DOM: the UI wraps this in a rune class and renders `state`.
import type { CommandReport, DockerEvent } from "../vm/protocol.ts";
import type { DockerEngine } from "../engine/docker.ts";
import type { HttpProbe } from "../engine/http.ts";
import { EngineView, runCheck, type CheckResult } from "./checks.ts";
import { newProgress, type ProgressStore } from "./progress.ts";
import type { Lesson, LessonProgress, Step, Text } from "./schema.ts";

export type StepStatus = "done" | "current" | "todo";

export interface StepState {
  id: string;
  index: number;
  title: Text;
  status: StepStatus;
  /** Results of the last evaluation of this step (current step only; empty before one ran). */
  checks: CheckResult[];
  /** How many hints the learner has revealed; show `step.hints[locale].slice(0, hintsShown)`. */
  hintsShown: number;
  hintCount: number;
  solutionShown: boolean;
}

export interface LessonState {
  lessonId: string;
  /** undefined once every step is done. */
  currentStepId: string | undefined;
  completed: boolean;
  steps: StepState[];
  /** True while checks are being evaluated. */
  evaluating: boolean;
  /** Monotonic count of finished evaluations (lets tests and the UI wait for "the next one"). */
  evaluations: number;
  /** Milliseconds the last evaluation took (trigger → state updated). */
  lastLatencyMs?: number;
}

export interface LessonRunnerOptions {
  lesson: Lesson;
  engine: DockerEngine;
  progress: ProgressStore;
  http?: HttpProbe;
  /**
   * A server in a fresh container needs a moment before it listens: when an HTTP check fails
   * with "refused", the step is checked again after these delays (ms) unless something else
   * triggers it first.
   */
  httpRetryDelaysMs?: number[];
  now?: () => number;
}

/** Docker events that our own checks cause or that change nothing a check reads. */
const QUIET_ACTIONS =
  /^(exec_create|exec_start|exec_die|exec_detach|top|archive-path|resize|attach|detach)/;

export class LessonRunner {
  readonly lesson: Lesson;
  private readonly engine: DockerEngine;
  private readonly store: ProgressStore;
  private readonly http: HttpProbe | undefined;
  private readonly retryDelays: number[];
  private readonly now: () => number;

  private progress: LessonProgress;
  private results = new Map<string, CheckResult[]>();
  private readonly log: CommandReport[] = [];
  /** Index into `log` where the current step began. */
  private stepStart = 0;
  private listeners = new Set<(s: LessonState) => void>();
  private unsubscribe: (() => void)[] = [];
  private running: Promise<void> | undefined;
  private dirty = false;
  private evaluating = false;
  private evaluations = 0;
  private lastLatencyMs: number | undefined;
  private triggeredAt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private retryCount = 0;
  private generation = 0;
  private disposed = false;

  constructor(options: LessonRunnerOptions) {
    this.lesson = options.lesson;
    this.engine = options.engine;
    this.store = options.progress;
    this.http = options.http;
    this.retryDelays = options.httpRetryDelaysMs ?? [
      300, 600, 1200, 2400, 4800, 5000, 5000, 5000, 5000,
    ];
    this.now = options.now ?? (() => Date.now());
    this.progress = newProgress(this.lesson.id, this.now());
  }

  /** Load saved progress, copy the lesson's files the first time, listen, and check once. */
  async start(): Promise<LessonState> {
    const saved = await this.store.get(this.lesson.id);
    if (saved) this.progress = saved;
    else {
      this.progress = newProgress(this.lesson.id, this.now());
      await this.store.set(this.progress);
      await this.copyFiles();
    }
    this.unsubscribe.push(
      this.engine.onCommand((report) => this.onCommand(report)),
      this.engine.onDockerEvent((event) => this.onDockerEvent(event)),
      // After a machine reset or a dockerd restart, everything may have changed.
      this.engine.agent.onEvent((e) => {
        if (e.event === "hello" || (e.event === "dockerd" && e.up)) this.freshTrigger();
      }),
    );
    await this.evaluate();
    return this.state;
  }

  get state(): LessonState {
    const current = this.currentStep();
    const steps = this.lesson.steps.map((step, index): StepState => {
      const done = this.progress.passed.includes(step.id);
      return {
        id: step.id,
        index,
        title: step.title,
        status: done ? "done" : step === current ? "current" : "todo",
        checks: this.results.get(step.id) ?? [],
        hintsShown: this.progress.hintsShown[step.id] ?? 0,
        hintCount: Math.max(step.hints.en.length, step.hints.ko?.length ?? 0),
        solutionShown: this.progress.solutionShown.includes(step.id),
      };
    });
    return {
      lessonId: this.lesson.id,
      currentStepId: current?.id,
      completed: !current,
      steps,
      evaluating: this.evaluating,
      evaluations: this.evaluations,
      lastLatencyMs: this.lastLatencyMs,
    };
  }

  /** Subscribe to state changes; returns unsubscribe. */
  onChange(listener: (state: LessonState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  currentStep(): Step | undefined {
    return this.lesson.steps.find((s) => !this.progress.passed.includes(s.id));
  }

  /** The learner's finished commands since the lesson runner started. */
  get commands(): readonly CommandReport[] {
    return this.log;
  }

  /**
   * Re-check the current step. Calls that arrive while a check runs are folded into one more
   * run; the promise settles after the evaluation that saw this call.
   */
  evaluate(): Promise<void> {
    if (this.disposed) return Promise.resolve();
    if (!this.dirty) this.triggeredAt = this.now();
    this.dirty = true;
    // `loop` clears `running` itself in the same tick as its last `dirty` test, so a call that
    // arrives right after the last evaluation starts a new loop instead of being lost.
    this.running ??= this.loop();
    return this.running;
  }

  /** Reveal the next hint of the current step; returns how many are shown now. */
  async revealHint(stepId = this.currentStep()?.id): Promise<number> {
    const step = this.lesson.steps.find((s) => s.id === stepId);
    if (!step) return 0;
    const count = Math.max(step.hints.en.length, step.hints.ko?.length ?? 0);
    const shown = Math.min(count, (this.progress.hintsShown[step.id] ?? 0) + 1);
    this.progress.hintsShown[step.id] = shown;
    await this.save();
    return shown;
  }

  /** Show the solution (the UI may also type it into the terminal). */
  async revealSolution(stepId = this.currentStep()?.id): Promise<string[]> {
    const step = this.lesson.steps.find((s) => s.id === stepId);
    if (!step) return [];
    if (!this.progress.solutionShown.includes(step.id)) this.progress.solutionShown.push(step.id);
    await this.save();
    return step.solution;
  }

  /**
   * "Restart lesson": remove the containers, images and volumes the lesson declares, forget
   * its progress, copy its files again, and check the first step.
   */
  async restart(): Promise<LessonState> {
    this.generation++;
    this.clearRetry();
    await this.cleanup();
    this.progress = newProgress(this.lesson.id, this.now());
    this.results.clear();
    this.stepStart = this.log.length;
    await this.store.set(this.progress);
    await this.copyFiles();
    this.emit();
    await this.evaluate();
    return this.state;
  }

  /** Remove what the lesson creates (declared in its frontmatter `creates`). */
  async cleanup(): Promise<void> {
    const { containers, images, volumes } = this.lesson.creates;
    for (const name of containers) await this.engine.removeContainer(name, { force: true });
    for (const ref of images) await this.engine.removeImage(ref, { force: true });
    for (const name of volumes) await this.engine.removeVolume(name, { force: true });
  }

  /** Copy the lesson's files into the guest (creating folders as needed). */
  async copyFiles(): Promise<void> {
    for (const file of this.lesson.files) {
      const base64 = file.encoding === "base64" ? file.content : utf8ToBase64(file.content);
      const reply = await this.engine.exec(
        ["sh", "-c", 'mkdir -p "$(dirname "$1")" && base64 -d > "$1"', "sh", file.path],
        { stdin: base64 },
      );
      if (reply.exit !== 0) throw new Error(`copying ${file.path} failed: ${reply.stderr.trim()}`);
    }
  }

  dispose(): void {
    this.disposed = true;
    this.clearRetry();
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    this.listeners.clear();
  }

  // -------------------------------------------------------------------------

  private onCommand(report: CommandReport) {
    this.log.push(report);
    this.freshTrigger();
  }

  private onDockerEvent(event: DockerEvent) {
    if (QUIET_ACTIONS.test(event.Action)) return;
    this.freshTrigger();
  }

  /** Something happened: evaluate, and give a server that may now be starting fresh retries. */
  private freshTrigger() {
    this.clearRetry();
    this.retryCount = 0;
    void this.evaluate();
  }

  private async loop(): Promise<void> {
    try {
      while (this.dirty && !this.disposed) {
        this.dirty = false;
        const started = this.triggeredAt;
        await this.evaluateOnce();
        this.lastLatencyMs = this.now() - started;
        this.evaluations++;
        this.emit();
      }
    } finally {
      this.running = undefined;
    }
  }

  private async evaluateOnce(): Promise<void> {
    const step = this.currentStep();
    if (!step) return;
    const generation = this.generation;
    this.evaluating = true;
    this.emit();
    const view = new EngineView(this.engine);
    const ctx = {
      view,
      http: this.http,
      commands: this.log.slice(this.stepStart),
      lastCommand: this.log[this.log.length - 1],
    };
    let results: CheckResult[];
    try {
      results = await Promise.all(step.checks.map((c) => runCheck(c, ctx)));
    } finally {
      this.evaluating = false;
    }
    if (generation !== this.generation || this.disposed) return;
    this.results.set(step.id, results);
    if (results.every((r) => r.pass)) {
      this.clearRetry();
      this.retryCount = 0;
      this.progress.passed.push(step.id);
      this.stepStart = this.log.length;
      if (!this.currentStep()) this.progress.completedAt = this.now();
      await this.save();
      // The next step may already hold (state the learner made earlier): check it at once.
      if (this.currentStep()) this.dirty = true;
      return;
    }
    const waitingForServer = results.some(
      (r) =>
        !r.pass &&
        r.check.kind === "http" &&
        /refused|did not answer|응답하지/.test(r.explanation?.en ?? ""),
    );
    if (waitingForServer) this.scheduleRetry();
  }

  private scheduleRetry() {
    if (this.retryTimer !== undefined || this.retryCount >= this.retryDelays.length) return;
    const delay = this.retryDelays[this.retryCount++]!;
    // Why a timer: a server that starts listening sends no event the runner could wait for.
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.evaluate();
    }, delay);
  }

  private clearRetry() {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private async save() {
    await this.store.set(this.progress);
  }

  private emit() {
    const s = this.state;
    for (const l of this.listeners) l(s);
  }

  /** Resolve once the state satisfies `predicate` (for tests and the replay). */
  waitFor(predicate: (s: LessonState) => boolean, signal?: AbortSignal): Promise<LessonState> {
    return new Promise((resolve, reject) => {
      if (predicate(this.state)) return resolve(this.state);
      const off = this.onChange((s) => {
        if (predicate(s)) {
          off();
          signal?.removeEventListener("abort", abort);
          resolve(s);
        }
      });
      const abort = () => {
        off();
        reject(signal?.reason ?? new Error("aborted"));
      };
      signal?.addEventListener("abort", abort, { once: true });
    });
  }
}

function utf8ToBase64(text: string): string {
  let s = "";
  for (const b of new TextEncoder().encode(text)) s += String.fromCharCode(b);
  return btoa(s);
}

/**
 * A solution line as bytes for a terminal: `<Ctrl+C>`-style tokens become control keys, a
 * line of only keys gets no Enter, any other line ends with Enter (\r).
 */
export function solutionInput(line: string): string {
  const keys = /<Ctrl\+([A-Z@[\]\\^_])>/gi;
  const onlyKeys = line.replace(keys, "").trim() === "";
  const bytes = line.replace(keys, (_, k: string) =>
    String.fromCharCode(k.toUpperCase().charCodeAt(0) - 64),
  );
  return onlyKeys ? bytes.trim() : `${bytes}\r`;
}
