// The watchdog: watches a running machine for the ways a learner's command (or bad luck) can
// break it, says what happened in plain words, and fixes what can be fixed without losing
// anything. DOM-free: the worker and Node run the same one (Machine starts it once ready).
//
//   kernel panic      console text               → fatal (the emulator is stopped)
//   hung guest        agent ping unanswered      → fatal, cleared if it answers again
//   dockerd died      agent {dockerd up:false}   → recovering (sandbox-init restarts it) → fixed
//   fork bomb         agent {limit pids}         → that terminal's cgroup is killed, or that
//                                                  container is killed → fixed
//   out of memory     agent {limit memory}, docker "oom" event → warning
//   disk full         agent {disk full}          → warning, cleared once there is space again
import type {
  AgentReply,
  AgentRequest,
  DockerEvent,
  LearnerPort,
  MachineEvent,
  MachineFault,
} from "./protocol.ts";

/** What the watchdog needs from a machine (Machine has all of it; tests pass a fake). */
export interface WatchedMachine {
  on(listener: (event: MachineEvent) => void): () => void;
  agent(request: AgentRequest, timeoutMs?: number): Promise<AgentReply>;
}

export interface WatchdogOptions {
  /** How often the agent is pinged. */
  pingEveryMs?: number;
  /** No answer to a ping for this long: the guest is hung. */
  hungAfterMs?: number;
  /** dockerd gone for this long (sandbox-init restarts it within seconds): it is not coming back. */
  dockerdGraceMs?: number;
  /** Called once on a fatal fault the emulator cannot leave (a kernel panic): stop burning CPU. */
  onFatal?: (fault: MachineFault) => void;
}

export const GUEST_LIMITS = {
  /** Mirrors vm-images/guest/rootfs/etc/sandbox/limits (for the words only). */
  containersPids: 512,
  containersMemoryMb: 256,
  terminalPids: 256,
  terminalsMemoryMb: 160,
  dockerDiskMb: 384,
} as const;

const PANIC = /Kernel panic - not syncing:\s*(.*?)\s*(\]---)?$/;
/** Two memory reports of one kill (the agent's counter and docker's "oom" event) make one notice. */
const OOM_DEDUPE_MS = 5000;

export class Watchdog {
  #machine: WatchedMachine;
  #emit: (fault: MachineFault) => void;
  #pingEveryMs: number;
  #hungAfterMs: number;
  #dockerdGraceMs: number;
  #onFatal?: (fault: MachineFault) => void;
  #off: () => void;
  #pingTimer?: ReturnType<typeof setInterval>;
  #pinging: Promise<void> | undefined;
  #paused = false;
  #hung = false;
  #dead = false;
  #dockerdDownAt?: number;
  #dockerdTimer?: ReturnType<typeof setTimeout>;
  #lastOomAt = -Infinity;
  #disposed = false;

  constructor(
    machine: WatchedMachine,
    emit: (fault: MachineFault) => void,
    options: WatchdogOptions = {},
  ) {
    this.#machine = machine;
    this.#emit = emit;
    this.#pingEveryMs = options.pingEveryMs ?? 5000;
    this.#hungAfterMs = options.hungAfterMs ?? 30_000;
    // dockerd's own start takes minutes in the emulator (kill -9 → answering again: ~160 s).
    this.#dockerdGraceMs = options.dockerdGraceMs ?? 300_000;
    this.#onFatal = options.onFatal;
    this.#off = machine.on((event) => this.#onEvent(event));
    this.#pingTimer = setInterval(() => this.#ping(), this.#pingEveryMs);
  }

  dispose(): void {
    this.#disposed = true;
    this.#off();
    clearInterval(this.#pingTimer);
    clearTimeout(this.#dockerdTimer);
  }

  #fault(fault: MachineFault) {
    if (this.#disposed || this.#dead) return;
    if (fault.severity === "fatal" && fault.kind === "kernel-panic") {
      this.#dead = true;
      clearInterval(this.#pingTimer);
      clearTimeout(this.#dockerdTimer);
    }
    this.#emit(fault);
    if (fault.kind === "kernel-panic") this.#onFatal?.(fault);
  }

  /**
   * Stops pinging until the returned function is called, once no ping is in flight: a state saved
   * with a ping on its way would answer it after a restore, to a machine that never asked.
   */
  async pause(): Promise<() => void> {
    this.#paused = true;
    // A slow guest must not hold up a save for the whole hang timeout.
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.#pinging,
      new Promise<void>((resolve) => (timer = setTimeout(resolve, 3000))),
    ]);
    clearTimeout(timer);
    return () => {
      this.#paused = false;
    };
  }

  #ping() {
    if (this.#pinging || this.#paused || this.#dead || this.#disposed) return;
    this.#pinging = this.#pingOnce().finally(() => (this.#pinging = undefined));
  }

  async #pingOnce() {
    try {
      await this.#machine.agent({ op: "ping" }, this.#hungAfterMs);
      // Any answer ends a hang (#onEvent also notices other messages first).
    } catch {
      if (!this.#hung && !this.#dead && !this.#disposed) {
        this.#hung = true;
        this.#fault({
          kind: "hung",
          severity: "fatal",
          message:
            `The sandbox stopped responding: its control channel did not answer for ` +
            `${Math.round(this.#hungAfterMs / 1000)} s. Reset the machine to continue.`,
        });
      }
    }
  }

  #onEvent(event: MachineEvent) {
    if (event.type === "console") {
      const m = PANIC.exec(event.text);
      if (m)
        this.#fault({
          kind: "kernel-panic",
          severity: "fatal",
          message: `The Linux kernel in the sandbox crashed (kernel panic: ${m[1]}). Reset the machine to continue.`,
        });
      return;
    }
    if (event.type !== "agent") return;
    if (this.#hung) {
      // The agent spoke again: the guest was only very busy.
      this.#hung = false;
      this.#fault({
        kind: "hung",
        severity: "cleared",
        message: "The sandbox is responding again.",
      });
    }
    const e = event.event;
    switch (e.event) {
      case "dockerd":
        return this.#onDockerd(e.up);
      case "docker":
        return this.#onDocker(e.data);
      case "limit":
        if (e.kind === "pids") return void this.#onTooManyProcesses(e.scope, e.port, e.container);
        return this.#onOutOfMemory(e.scope);
      case "disk":
        return this.#onDisk(e.disk, e.full, e.totalBytes);
    }
  }

  #onDockerd(up: boolean) {
    if (!up && this.#dockerdDownAt === undefined) {
      this.#dockerdDownAt = Date.now();
      this.#fault({
        kind: "dockerd-stopped",
        severity: "recovering",
        message:
          "The Docker engine stopped. The sandbox is starting it again; containers that were " +
          "running have stopped, images and stopped containers are kept.",
      });
      this.#dockerdTimer = setTimeout(() => {
        this.#fault({
          kind: "dockerd-stopped",
          severity: "fatal",
          message: `The Docker engine did not come back within ${Math.round(this.#dockerdGraceMs / 1000)} s. Reset the machine to continue.`,
        });
      }, this.#dockerdGraceMs);
    } else if (up && this.#dockerdDownAt !== undefined) {
      const seconds = Math.max(1, Math.round((Date.now() - this.#dockerdDownAt) / 1000));
      this.#dockerdDownAt = undefined;
      clearTimeout(this.#dockerdTimer);
      this.#fault({
        kind: "dockerd-stopped",
        severity: "fixed",
        message: `The Docker engine is running again (restarted in ${seconds} s).`,
      });
    }
  }

  #onDocker(data: DockerEvent) {
    if (data.Type !== "container" || data.Action !== "oom") return;
    const name = data.Actor.Attributes.name;
    this.#memoryNotice(
      `A program in container ${name ?? data.Actor.ID.slice(0, 12)} ran out of memory and the ` +
        `kernel stopped it (all containers together may use ${GUEST_LIMITS.containersMemoryMb} MB).`,
      name,
    );
  }

  #onOutOfMemory(scope: "container" | "containers" | "terminal" | "system") {
    const message =
      scope === "terminal"
        ? `A program started in a terminal ran out of memory and the kernel stopped it ` +
          `(the terminals together may use ${GUEST_LIMITS.terminalsMemoryMb} MB).`
        : scope === "system"
          ? "The sandbox ran out of memory and the kernel stopped a program to keep going."
          : `A program in a container ran out of memory and the kernel stopped it ` +
            `(all containers together may use ${GUEST_LIMITS.containersMemoryMb} MB).`;
    this.#memoryNotice(message);
  }

  #memoryNotice(message: string, container?: string) {
    const now = Date.now();
    if (now - this.#lastOomAt < OOM_DEDUPE_MS) return;
    this.#lastOomAt = now;
    this.#fault({ kind: "out-of-memory", severity: "warning", message, container });
  }

  async #onTooManyProcesses(
    scope: "container" | "containers" | "terminal" | "system",
    port?: LearnerPort,
    container?: string,
  ) {
    if (scope === "terminal" && port) {
      // Everything started from that terminal goes (a fork bomb ignores Ctrl-C: its copies run in
      // the background); sandbox-init opens a fresh shell there.
      const reply = await this.#machine
        .agent({
          op: "exec",
          argv: ["sh", "-c", `echo 1 > /sys/fs/cgroup/learner/ttyS${port}/cgroup.kill`],
          timeoutMs: 20_000,
        })
        .catch((e: Error) => ({ ok: false as const, error: e.message }));
      const stopped = reply.ok && reply.op === "exec" && reply.exit === 0;
      this.#fault({
        kind: "too-many-processes",
        severity: stopped ? "fixed" : "warning",
        port,
        message: stopped
          ? `Terminal ${port} started more than ${GUEST_LIMITS.terminalPids} processes at once, as a ` +
            "fork bomb does. The sandbox stopped everything running in that terminal and opened a fresh shell."
          : `Terminal ${port} started more than ${GUEST_LIMITS.terminalPids} processes at once, as a ` +
            "fork bomb does, and the sandbox could not stop them. Reset the machine if it stays slow.",
      });
      return;
    }
    if (scope === "container" && container) {
      const inspect = await this.#machine
        .agent({ op: "api", method: "GET", path: `/containers/${container}/json` }, 20_000)
        .catch(() => undefined);
      const name =
        inspect?.ok && inspect.op === "api"
          ? String((inspect.body as { Name?: string }).Name ?? "").replace(/^\//, "")
          : "";
      const kill = await this.#machine
        .agent({ op: "api", method: "POST", path: `/containers/${container}/kill` }, 20_000)
        .catch(() => undefined);
      const stopped = !!kill?.ok && kill.op === "api" && kill.status < 300;
      const who = name || container.slice(0, 12);
      this.#fault({
        kind: "too-many-processes",
        severity: stopped ? "fixed" : "warning",
        container: who,
        message: stopped
          ? `Container ${who} started more processes than the sandbox allows (${GUEST_LIMITS.containersPids} ` +
            "for all containers), as a fork bomb does. The sandbox stopped that container."
          : `Container ${who} started more processes than the sandbox allows (${GUEST_LIMITS.containersPids} ` +
            `for all containers), as a fork bomb does. Stop it with \`docker kill ${who}\`.`,
      });
    }
  }

  #onDisk(disk: "docker" | "root", full: boolean, totalBytes: number) {
    const mb = Math.round(totalBytes / 1024 / 1024);
    const message = !full
      ? disk === "docker"
        ? "Docker's disk has free space again."
        : "The disk for your files has free space again."
      : disk === "docker"
        ? `Docker's disk is full (${mb} MB): pulls, builds and files written in containers fail ` +
          'with "no space left on device". Free space with `docker system prune`, or delete ' +
          "the container or file that filled it."
        : "The disk for your files is full. Delete large files (with `rm`) to free space.";
    this.#fault({ kind: "disk-full", severity: full ? "warning" : "cleared", disk, message });
  }
}
