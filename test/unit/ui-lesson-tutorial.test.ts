import { describe, expect, it, vi } from "vitest";
import { lintPackDir } from "../../scripts/lint-lessons.ts";
import { MemoryProgressStore, parsePack, type ParseResult } from "../../src/lessons/index.ts";
import type { LessonMachine } from "../../src/ui/lesson-machine.svelte.ts";
import { codeInput, typeLines } from "../../src/ui/lesson-machine.svelte.ts";
import { BUILT_IN, Tutorial, previewState } from "../../src/ui/lessons.svelte.ts";
import type {
  AgentEvent,
  AgentReply,
  AgentRequest,
  LearnerPort,
  MachineEvent,
  MachinePhase,
} from "../../src/vm/protocol.ts";
import { RecordedAgent, loadFixture } from "../fixtures/agent/recorded-agent.ts";

// The lesson pane's state driven by recorded agent replies and events; the real guest is
// exercised by test/e2e/lessons.test.ts.
const builtIn = lintPackDir("lessons", true);

class FakeMachine implements LessonMachine {
  phase: MachinePhase = "idle";
  port: LearnerPort = 1;
  readonly written: { port: LearnerPort; text: string }[] = [];
  readonly agentReplies: RecordedAgent;
  /** Called after each write, to answer like a terminal would. */
  onWrite: ((port: LearnerPort, text: string) => void) | undefined;
  private readonly listeners = new Set<(e: MachineEvent) => void>();
  private readonly outputs = new Set<{ port: LearnerPort; fn: (d: Uint8Array) => void }>();

  constructor() {
    this.agentReplies = new RecordedAgent(loadFixture("state-web.json"));
    this.agentReplies.onEvent((event) => this.emit({ type: "agent", event }));
  }
  agent(request: AgentRequest): Promise<AgentReply> {
    return this.agentReplies.request(request);
  }
  on(listener: (e: MachineEvent) => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  onOutput(port: LearnerPort, fn: (d: Uint8Array) => void) {
    const entry = { port, fn };
    this.outputs.add(entry);
    return () => this.outputs.delete(entry);
  }
  write(port: LearnerPort, data: Uint8Array) {
    const text = new TextDecoder().decode(data);
    this.written.push({ port, text });
    this.onWrite?.(port, text);
  }
  activePort() {
    return this.port;
  }
  /** Step starts the tutorial asked the machine to keep, as `lesson/step`. */
  readonly stepMarks: string[] = [];
  restoredStepStart = 0;
  markStepStart(lessonId: string, stepId: string) {
    this.stepMarks.push(`${lessonId}/${stepId}`);
  }
  hasStepStart(lessonId: string, stepId: string) {
    return this.stepMarks.at(-1) === `${lessonId}/${stepId}`;
  }
  async restoreStepStart() {
    this.restoredStepStart++;
  }
  emit(event: MachineEvent) {
    for (const l of this.listeners) l(event);
  }
  setPhase(phase: MachinePhase) {
    this.phase = phase;
    this.emit({ type: "progress", progress: { phase } });
  }
  output(port: LearnerPort, text: string) {
    for (const o of this.outputs) if (o.port === port) o.fn(new TextEncoder().encode(text));
  }
  private seq = 0;
  command(cmd: string, exit = 0, port: LearnerPort = 1) {
    // Like bash's history number: two reports with the same seq are one command.
    const seq = ++this.seq;
    const event: AgentEvent = { event: "command", port, seq, cmd, exit, cwd: "/root" };
    this.agentReplies.emit(event);
  }
}

function memoryStorage() {
  const map = new Map<string, string>();
  return {
    getItem: (k: string) => map.get(k) ?? null,
    setItem: (k: string, v: string) => void map.set(k, v),
    removeItem: (k: string) => void map.delete(k),
  };
}

function setup(
  options: {
    progress?: MemoryProgressStore;
    storage?: ReturnType<typeof memoryStorage>;
    machine?: FakeMachine;
    packUrl?: string;
    loadPack?: (url: string) => Promise<ParseResult & { name?: string }>;
  } = {},
) {
  const machine = options.machine ?? new FakeMachine();
  const progress = options.progress ?? new MemoryProgressStore();
  const storage = options.storage ?? memoryStorage();
  const tutorial = new Tutorial({
    machine,
    progress,
    builtIn,
    storage,
    packUrl: options.packUrl,
    loadPack: options.loadPack,
    http: () => async () => ({ ok: false, reason: "refused", detail: "not in this test" }),
  });
  return { machine, progress, storage, tutorial };
}

const stepDone = (tutorial: Tutorial, id: string) =>
  tutorial.state?.steps.find((s) => s.id === id)?.status === "done";

describe("the lesson pane's state (Tutorial)", () => {
  it("lists the 14 built-in lessons in order, none started", async () => {
    const { tutorial } = setup();
    await tutorial.refreshList();
    expect(tutorial.summaries.map((s) => s.order)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
    ]);
    expect(tutorial.summaries[0]).toMatchObject({
      id: "what-is-docker",
      passed: 0,
      completed: false,
    });
    expect(tutorial.lessonId).toBeUndefined();
    tutorial.dispose();
  });

  it("shows a lesson before the machine is ready, and checks it once it is", async () => {
    const { tutorial, machine } = setup();
    await tutorial.open("what-is-docker");
    expect(tutorial.lesson?.id).toBe("what-is-docker");
    expect(tutorial.live).toBe(false);
    expect(tutorial.state?.steps.map((s) => s.status)).toEqual(["current", "todo", "todo"]);
    // Nothing can be typed yet.
    tutorial.run("docker version");
    expect(machine.written).toEqual([]);

    machine.setPhase("ready");
    await vi.waitFor(() => expect(tutorial.live).toBe(true), { timeout: 2000 });
    expect(tutorial.ready).toBe(true);
    tutorial.dispose();
  });

  it("turns a step done when the learner's command finishes, and explains a wrong one", async () => {
    const { tutorial, machine } = setup();
    machine.setPhase("ready");
    await tutorial.open("what-is-docker");
    expect(tutorial.live).toBe(true);
    const runner = tutorial.runner!;

    const evaluated = runner.state.evaluations;
    machine.command("docker -version", 125);
    await runner.waitFor((s) => s.evaluations > evaluated);
    const check = tutorial.state!.steps[0]!.checks[0]!;
    expect(check.pass).toBe(false);
    expect(check.explanation?.en).toMatch(/your last command was `docker -version`, exit 125/);
    expect(check.explanation?.ko).toBeTruthy();

    machine.command("docker -v");
    await runner.waitFor((s) => s.steps[0]!.status === "done");
    expect(stepDone(tutorial, "client-version")).toBe(true);
    expect(tutorial.state!.currentStepId).toBe("version");
    await tutorial.refreshList();
    expect(tutorial.summaries[0]).toMatchObject({ passed: 1, started: true, completed: false });
    tutorial.dispose();
  });

  it("keeps the start of each step it moves to, and offers to start that step over", async () => {
    const { tutorial, machine } = setup();
    machine.setPhase("ready");
    await tutorial.open("what-is-docker");
    const runner = tutorial.runner!;
    expect(machine.stepMarks).toEqual([]); // opening a lesson mid-way keeps nothing
    expect(tutorial.canRestartStep).toBe(false);
    machine.command("docker -v");
    await runner.waitFor((s) => s.steps[0]!.status === "done");
    expect(machine.stepMarks).toEqual(["what-is-docker/version"]);
    expect(tutorial.canRestartStep).toBe(true);
    await tutorial.restartStep();
    expect(machine.restoredStepStart).toBe(1);
    expect(tutorial.state!.currentStepId).toBe("version"); // progress stays
    tutorial.dispose();
  });

  it("keeps progress and the open lesson across a reload", async () => {
    const progress = new MemoryProgressStore();
    const storage = memoryStorage();
    const first = setup({ progress, storage });
    first.machine.setPhase("ready");
    await first.tutorial.open("what-is-docker");
    first.machine.command("docker -v");
    await first.tutorial.runner!.waitFor((s) => s.steps[0]!.status === "done");
    first.tutorial.dispose();

    // A new page: same IndexedDB (progress) and localStorage (open lesson).
    const second = setup({ progress, storage });
    await vi.waitFor(() => expect(second.tutorial.state).toBeDefined(), { timeout: 2000 });
    expect(second.tutorial.lessonId).toBe("what-is-docker");
    expect(second.tutorial.state!.steps.map((s) => s.status)).toEqual(["done", "current", "todo"]);
    expect(second.tutorial.viewed).toBe(1);
    second.tutorial.dispose();
  });

  it("types code blocks and the solution into the terminal the learner has open", async () => {
    const { tutorial, machine } = setup();
    machine.setPhase("ready");
    await tutorial.open("what-is-docker");
    machine.port = 2;
    tutorial.run("docker ps\ndocker images\n");
    expect(machine.written).toEqual([{ port: 2, text: "docker ps\rdocker images\r" }]);

    await tutorial.typeSolution();
    expect(machine.written[1]).toEqual({ port: 2, text: "docker -v\r" });
    expect(tutorial.state!.steps[0]!.solutionShown).toBe(true);
    tutorial.dispose();
  });

  it("reveals hints one at a time and moves between steps", async () => {
    const { tutorial, machine } = setup();
    machine.setPhase("ready");
    await tutorial.open("container-lifecycle");
    const count = tutorial.state!.steps[0]!.hintCount;
    expect(count).toBeGreaterThan(0);
    await tutorial.revealHint();
    expect(tutorial.state!.steps[0]!.hintsShown).toBe(1);
    for (let i = 0; i < count + 2; i++) await tutorial.revealHint();
    expect(tutorial.state!.steps[0]!.hintsShown).toBe(count);

    tutorial.next();
    expect(tutorial.viewed).toBe(1);
    tutorial.previous();
    tutorial.previous();
    expect(tutorial.viewed).toBe(0);
    tutorial.show(999);
    expect(tutorial.viewed).toBe(tutorial.lesson!.steps.length - 1);
    tutorial.dispose();
  });

  it("restarts a lesson: its progress is cleared, other lessons keep theirs", async () => {
    const { tutorial, machine, progress } = setup();
    machine.setPhase("ready");
    await tutorial.open("what-is-docker");
    machine.command("docker -v");
    await tutorial.runner!.waitFor((s) => s.steps[0]!.status === "done");
    await progress.set({
      version: 1,
      lessonId: "first-container",
      passed: ["run-hello"],
      hintsShown: {},
      solutionShown: [],
      startedAt: 1,
    });

    await tutorial.restart();
    expect(tutorial.state!.steps.map((s) => s.status)).toEqual(["current", "todo", "todo"]);
    expect(tutorial.viewed).toBe(0);
    expect((await progress.get("what-is-docker"))?.passed).toEqual([]);
    expect((await progress.get("first-container"))?.passed).toEqual(["run-hello"]);
    tutorial.dispose();
  });

  it("shows a malformed teacher pack's problems with file:line and keeps the built-in pack", async () => {
    const bad = parsePack(
      new Map([["01-x/lesson.md", "---\nid: x\ntitle: X\n---\n\n## A {#a}\n<!-- chek: y -->\n"]]),
    );
    expect(bad.errors.length).toBeGreaterThan(0);
    const { tutorial } = setup({
      packUrl: "https://t.example/pack.json",
      loadPack: async () => bad,
    });
    await vi.waitFor(() => expect(tutorial.packLoading).toBe(false), { timeout: 2000 });
    expect(tutorial.problems).toHaveLength(1);
    expect(tutorial.problems[0]!.source).toBe("https://t.example/pack.json");
    expect(tutorial.problems[0]!.errors[0]).toMatchObject({ file: "01-x/lesson.md" });
    expect(tutorial.problems[0]!.errors[0]!.line).toBeGreaterThan(0);
    expect(tutorial.packs.map((p) => p.key)).toEqual([BUILT_IN]);
    await tutorial.refreshList();
    expect(tutorial.summaries).toHaveLength(14);
    tutorial.dispose();
  });

  it("opens a teacher's pack from its URL, with the built-in pack one choice away", async () => {
    const teacher = parsePack(
      new Map([
        [
          "01-hello/lesson.md",
          "---\nid: teacher-hello\ntitle: Hello\nsummary: Say hello\n---\n\n## Hi {#hi}\n\n```sh\ndocker ps\n```\n<!-- check: command {matches: 'docker ps'} -->\n<!-- solution: docker ps -->\n",
        ],
      ]),
    );
    expect(teacher.errors).toEqual([]);
    const { tutorial } = setup({
      packUrl: "/packs/intro.json",
      loadPack: async () => ({ ...teacher, name: "Intro class" }),
    });
    await vi.waitFor(() => expect(tutorial.packKey).toBe("/packs/intro.json"), { timeout: 2000 });
    expect(tutorial.packs.map((p) => p.name)).toEqual(["", "Intro class"]);
    expect(tutorial.summaries.map((s) => s.id)).toEqual(["teacher-hello"]);
    tutorial.choosePack(BUILT_IN);
    await tutorial.refreshList();
    expect(tutorial.summaries).toHaveLength(14);
    tutorial.dispose();
  });

  it("still lists and opens lessons when storage refuses (private mode, quota)", async () => {
    const refused = async () => {
      throw new Error("QuotaExceededError");
    };
    const progress = Object.assign(new MemoryProgressStore(), { get: refused, set: refused });
    const { tutorial } = setup({ progress });
    await tutorial.refreshList();
    expect(tutorial.summaries).toHaveLength(14);
    expect(tutorial.summaries.every((s) => s.passed === 0)).toBe(true);
    await tutorial.open("what-is-docker");
    expect(tutorial.state?.steps[0]?.status).toBe("current");
    tutorial.dispose();
  });

  it("previews saved progress: the first unfinished step is current", () => {
    const lesson = builtIn.lessons[0]!;
    const state = previewState(lesson, {
      version: 1,
      lessonId: lesson.id,
      passed: [lesson.steps[0]!.id],
      hintsShown: { [lesson.steps[1]!.id]: 1 },
      solutionShown: [],
      startedAt: 0,
    });
    expect(state.steps.map((s) => s.status)).toEqual(["done", "current", "todo"]);
    expect(state.steps[1]!.hintsShown).toBe(1);
  });
});

describe("typing into a terminal", () => {
  it("ends each line of a code block with Enter", () => {
    expect(codeInput("docker ps\r\ndocker images\n\n")).toBe("docker ps\rdocker images\r");
  });

  it("types the next solution line only after a prompt or a finished command", async () => {
    const machine = new FakeMachine();
    machine.onWrite = (port, text) => {
      // The learner's shell echoes, then a container's shell shows its prompt.
      if (text.startsWith("docker run"))
        queueMicrotask(() => machine.output(port, `${text}\n\u001b[0mroot@c0ffee:/# `));
      if (text === "exit\r")
        queueMicrotask(() => machine.command("docker run -it debian", 0, port));
    };
    await typeLines(machine, 1, ["docker run -it debian bash\r", "exit\r", "docker ps\r"], {
      quietMs: 60_000,
    });
    expect(machine.written.map((w) => w.text)).toEqual([
      "docker run -it debian bash\r",
      "exit\r",
      "docker ps\r",
    ]);
  });

  it("stops typing when aborted", async () => {
    const machine = new FakeMachine();
    const abort = new AbortController();
    machine.onWrite = () => queueMicrotask(() => abort.abort(new Error("lesson closed")));
    await expect(
      typeLines(machine, 1, ["sleep 100\r", "never\r"], { signal: abort.signal, quietMs: 60_000 }),
    ).rejects.toThrow("lesson closed");
    expect(machine.written.map((w) => w.text)).toEqual(["sleep 100\r"]);
  });
});
