// The machine: one v86 emulator running the guest, with no DOM dependencies, so the same class
// serves the Web Worker (the app) and Node (tests, benchmarks, build:state, headless replay).
import { V86 } from "v86";
import type { V86Image, V86Options } from "v86";
import type {
  AgentEvent,
  AgentReply,
  AgentRequest,
  LearnerPort,
  MachineEvent,
  MachinePhase,
  MachineStats,
} from "./protocol.ts";
import { Watchdog, type WatchdogOptions } from "./watchdog.ts";

export interface MachineAssets {
  /** Path (Node) or URL (browser) of v86.wasm. */
  wasmPath: string;
  bios: V86Image;
  vgaBios: V86Image;
  kernel: V86Image;
  initrd: V86Image;
  /** The ext4 root image: read lazily (async) so a saved state holds only written blocks. */
  rootfs: V86Image;
}

export interface MachineOptions {
  assets: MachineAssets;
  memoryMb: number;
  cmdline: string;
  /** A state saved by `save()` for the same assets; absent means a cold boot. */
  initialState?: ArrayBuffer;
  /** How long `start()` waits for dockerd before failing with the last console lines. */
  readyTimeoutMs?: number;
  /** Extra v86 options (network settings for the registry, say). */
  v86?: Partial<V86Options>;
  /** The watchdog started once the machine is ready (`false`: none, e.g. while building). */
  watchdog?: WatchdogOptions | false;
}

export interface StartOptions {
  signal?: AbortSignal;
  /** Resolve once the agent answers, without waiting for dockerd. */
  agentOnly?: boolean;
}

export class MachineError extends Error {
  constructor(
    message: string,
    readonly consoleTail: string,
  ) {
    super(consoleTail ? `${message}\n--- last console lines ---\n${consoleTail}` : message);
    this.name = "MachineError";
  }
}

type Listener = (event: MachineEvent) => void;

const LEARNER_PORTS: LearnerPort[] = [1, 2];
const AGENT_PORT = 1; // virtio-console port; the guest names it "virtio-1"
const CONSOLE_TAIL = 4000;

/** v86's lazily fetched disk (AsyncXHRBuffer): `get` reads, `block_cache` holds written blocks. */
export interface DiskBuffer {
  byteLength: number;
  block_cache: Map<number, Uint8Array>;
  get_from_cache(offset: number, len: number): Uint8Array | undefined;
  get(offset: number, len: number, fn: (data: Uint8Array) => void, options?: unknown): void;
}

/** v86 internals used for flow control on the agent port (names survive v86's minifier). */
interface VirtioQueue {
  has_request(): boolean;
}
/** The parts of v86's 8250 UART the interrupt watchdog reads (see #kickUarts). */
interface Uart {
  irq: number;
  /** 1 = no interrupt pending; anything else names the pending one. */
  iir: number;
  /** Interrupt enable register: bit 1 = "transmitter empty" wanted (the driver has bytes). */
  ier: number;
  /** Raised interrupt conditions, one bit per IIR code (bit 2: transmitter empty). */
  ints: number;
  CheckInterrupt(): void;
}

/** v86's main loop scheduler (its class `G` in libv86), as far as #yieldInThread uses it. */
interface YieldInternals {
  worker: unknown;
  unregister_yield(): void;
  yield(delayMs: number, tick: number): void;
  yield_callback(tick: number): void;
}

/** The Prioritized Task Scheduling API (Chromium's workers have it). */
interface TaskScheduler {
  postTask?(task: () => void, options: { delay: number }): Promise<void>;
}

interface EmulatorInternals {
  bus: { send(name: string, data: unknown): void };
  v86: {
    cpu: {
      device_lower_irq(irq: number): void;
      /** v86.wasm exports: zero a range of guest memory; whether a range is all zeros. */
      zero_memory?(addr: number, length: number): void;
      is_memory_zeroed?(addr: number, length: number): number | boolean;
      devices: {
        virtio_console?: { virtio: { queues: VirtioQueue[] } };
        ide?: { primary?: { master?: { buffer?: DiskBuffer } } };
        uart0?: Uart;
        uart1?: Uart;
        uart2?: Uart;
        uart3?: Uart;
      };
    };
  };
}

/** How often the UART interrupt watchdog looks (in pump ticks of 5 ms). */
const UART_CHECK_TICKS = 20;

/**
 * A restore starts by zeroing all of the guest's memory (v86's unpack_memory), then writes the
 * saved non-zero pages. Writing zeros to memory that was never touched makes the host back it
 * with real pages: every restored machine held all 512 MB from its first moment, though the
 * guest used about 100 MB (Node: 855 MB RSS right after a restore, 1,058 MB after a first
 * `docker ps`; zeroing only the pages that are not zero already: 463 and 682 MB). The memory
 * ends up the same, so v86's other callers (virtio) get this version too.
 */
export function zeroOnlyWhatIsNot(cpu: {
  zero_memory(addr: number, length: number): void;
  is_memory_zeroed(addr: number, length: number): number | boolean;
}): void {
  const zero = cpu.zero_memory.bind(cpu);
  const PAGE = 4096;
  cpu.zero_memory = (addr, length) => {
    const end = addr + length;
    for (let at = addr; at < end;) {
      const next = Math.min(end, (Math.floor(at / PAGE) + 1) * PAGE);
      if (!cpu.is_memory_zeroed(at, next - at)) zero(at, next - at);
      at = next;
    }
  };
}

export class Machine {
  readonly emulator: V86;
  phase: MachinePhase = "idle";
  /** Milliseconds from `start()` to dockerd up, when it got there. */
  readyMs?: number;

  #listeners = new Set<Listener>();
  #console = "";
  #agentLine = "";
  #nextId = 1;
  #pending = new Map<number, { resolve: (r: AgentReply) => void; reject: (e: Error) => void }>();
  #agentOut: Uint8Array[] = [];
  #dockerdUp = false;
  #agentSeen = false;
  #waiters = new Set<() => void>();
  #disposed = false;
  #loaded: Promise<void>;
  #pump?: ReturnType<typeof setInterval>;
  #diskFetched = 0;
  #watchdog?: Watchdog;
  /** Serial interrupts raised again, and which UARTs had one pending at the last look. */
  #uartKicks = 0;
  #uartPending = [false, false, false, false];
  /** The emulator's own pause channel (see #yieldInThread), closed on dispose. */
  #channel: MessageChannel | undefined;

  readonly options: Omit<MachineOptions, "initialState">;
  /** Dropped once restored: a checkpoint is 120-175 MB, kept alive for nothing otherwise. */
  #initialState: ArrayBuffer | undefined;

  constructor({ initialState, ...options }: MachineOptions) {
    this.options = options;
    this.#initialState = initialState;
    const { assets } = options;
    this.emulator = new V86({
      wasm_path: assets.wasmPath,
      bios: assets.bios,
      vga_bios: assets.vgaBios,
      bzimage: assets.kernel,
      initrd: assets.initrd,
      cmdline: options.cmdline,
      hda: assets.rootfs,
      memory_size: options.memoryMb * 1024 * 1024,
      vga_memory_size: 2 * 1024 * 1024,
      autostart: false,
      disable_keyboard: true,
      disable_mouse: true,
      disable_speaker: true,
      acpi: false,
      uart1: true,
      uart2: true,
      uart3: true,
      virtio_console: true,
      net_device: { type: "virtio", relay_url: "fetch" },
      preserve_mac_from_state_image: true,
      ...options.v86,
    } as V86Options);
    this.#loaded = new Promise((resolve) =>
      this.emulator.add_listener("emulator-loaded", () => {
        this.#countDiskReads();
        resolve();
      }),
    );
    this.emulator.add_listener("serial0-output-byte", (byte: number) => {
      this.#console += String.fromCharCode(byte);
      if (this.#console.length > CONSOLE_TAIL * 2)
        this.#console = this.#console.slice(-CONSOLE_TAIL);
      if (byte === 10) this.#emit({ type: "console", text: this.#lastConsoleLine() });
      if (this.#console.endsWith("end Kernel panic")) this.#setPhase("crashed", "kernel panic");
    });
    for (const port of LEARNER_PORTS) {
      const decoder = new OutputBatcher((data) => this.#emit({ type: "output", port, data }));
      this.emulator.add_listener(
        `serial${port}-output-byte` as "serial0-output-byte",
        (b: number) => decoder.push(b),
      );
    }
    this.emulator.add_listener(
      `virtio-console${AGENT_PORT}-output-bytes` as "virtio-console0-output-bytes",
      (bytes: Uint8Array) => this.#onAgentBytes(bytes),
    );
  }

  /** Subscribe to everything the machine streams; returns the unsubscribe function. */
  on(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get consoleTail(): string {
    return this.#console.slice(-CONSOLE_TAIL);
  }

  get dockerdUp(): boolean {
    return this.#dockerdUp;
  }

  /** Restores the saved state (or boots) and resolves when dockerd answers through the agent. */
  async start({ signal, agentOnly = false }: StartOptions = {}): Promise<void> {
    const started = Date.now();
    await this.#loaded;
    signal?.throwIfAborted();
    const restoring = !!this.#initialState;
    if (this.#initialState) {
      this.#setPhase("restoring");
      const cpu = (this.emulator as unknown as EmulatorInternals).v86?.cpu;
      if (cpu?.zero_memory && cpu.is_memory_zeroed)
        zeroOnlyWhatIsNot(cpu as Parameters<typeof zeroOnlyWhatIsNot>[0]);
      await this.emulator.restore_state(this.#initialState);
      this.#initialState = undefined;
      // The agent is a long-running guest process: it keeps its state across the restore.
      this.#agentSeen = true;
    } else {
      this.#setPhase("booting");
    }
    this.#yieldInThread(); // before run(): a pause already handed to the helper would be lost
    this.emulator.run();
    let tick = 0;
    this.#pump = setInterval(() => {
      this.#flushAgent();
      if (++tick % UART_CHECK_TICKS === 0) this.#kickUarts();
    }, 5);
    this.#setPhase("starting-engine");
    const timeoutMs = this.options.readyTimeoutMs ?? 180_000;
    await this.#waitUntil(
      async () => {
        if (!this.#agentSeen) return false;
        if (restoring && !this.#dockerdUp) {
          // After a restore no "dockerd up" event comes: ask.
          const pong = await this.agent({ op: "ping" }, 3000).catch(() => undefined);
          if (pong?.ok && pong.op === "ping") this.#dockerdUp = pong.dockerd;
        }
        return agentOnly || this.#dockerdUp;
      },
      timeoutMs,
      signal,
      agentOnly ? "the guest agent never answered" : "dockerd never became ready",
    );
    this.readyMs = Date.now() - started;
    this.#setPhase("ready");
    if (this.options.watchdog !== false) this.#startWatchdog(this.options.watchdog ?? {});
  }

  /** Waits for dockerd (after a restart, say). */
  async waitForDockerd(timeoutMs = 60_000, signal?: AbortSignal): Promise<void> {
    await this.#waitUntil(() => this.#dockerdUp, timeoutMs, signal, "dockerd never came back");
  }

  /** Bytes typed into a learner terminal. */
  write(port: LearnerPort, data: Uint8Array | string): void {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    this.emulator.serial_send_bytes(port, bytes);
  }

  async resize(port: LearnerPort, rows: number, cols: number): Promise<void> {
    const reply = await this.agent({ op: "resize", port, rows, cols });
    if (!reply.ok) throw new Error(reply.error);
  }

  /** One request to the guest agent. Replies may arrive in any order; ids pair them. */
  agent(request: AgentRequest, timeoutMs = 60_000): Promise<AgentReply> {
    if (this.#disposed) return Promise.reject(new Error("the machine is disposed"));
    const id = this.#nextId++;
    // On the wire an api body travels as JSON text: the agent passes it on unparsed.
    const wire =
      request.op === "api" && request.body !== undefined
        ? { ...request, id, body: JSON.stringify(request.body) }
        : { ...request, id };
    return new Promise<AgentReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`the guest agent did not answer ${request.op} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.#agentOut.push(new TextEncoder().encode(JSON.stringify(wire) + "\n"));
      this.#flushAgent();
    });
  }

  /** Engine API call; throws on a transport error, returns status and body otherwise. */
  async api<T = unknown>(
    method: "GET" | "POST" | "DELETE" | "PUT" | "HEAD",
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> {
    const reply = await this.agent({ op: "api", method, path, body });
    if (!reply.ok) throw new Error(reply.error);
    if (reply.op !== "api") throw new Error(`unexpected reply ${reply.op}`);
    return { status: reply.status, body: reply.body as T };
  }

  /** Runs a program in the guest outside the learner terminals. */
  async exec(argv: string[], options: { stdin?: string; timeoutMs?: number } = {}) {
    const timeoutMs = options.timeoutMs ?? 60_000;
    const reply = await this.agent({ op: "exec", argv, ...options, timeoutMs }, timeoutMs + 5000);
    if (!reply.ok) throw new Error(reply.error);
    if (reply.op !== "exec") throw new Error(`unexpected reply ${reply.op}`);
    return reply;
  }

  async stats(): Promise<MachineStats> {
    const r = await this.exec(["cat", "/proc/meminfo"]);
    const kb = (key: string) =>
      Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(r.stdout)?.[1] ?? 0);
    return {
      guestMemTotal: kb("MemTotal") * 1024,
      guestMemUsed: (kb("MemTotal") - kb("MemAvailable")) * 1024,
      diskBytesFetched: this.diskBytesFetched(),
    };
  }

  /** Bytes of the root image read from its source so far (v86 caches only written blocks). */
  diskBytesFetched(): number {
    return this.#diskFetched;
  }

  /** The root disk's v86 buffer, for wrapping its reads (a persistent block cache, say). */
  get diskBuffer(): DiskBuffer | undefined {
    const internals = this.emulator as unknown as EmulatorInternals;
    return internals.v86?.cpu?.devices?.ide?.primary?.master?.buffer;
  }

  async save(): Promise<ArrayBuffer> {
    const resume = await this.#watchdog?.pause();
    try {
      return await this.emulator.save_state();
    } finally {
      resume?.();
    }
  }

  stop(): void {
    this.emulator.stop();
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    clearInterval(this.#pump);
    this.#watchdog?.dispose();
    for (const p of this.#pending.values()) p.reject(new Error("the machine was disposed"));
    this.#pending.clear();
    this.#listeners.clear();
    for (const wake of this.#waiters) wake();
    await this.emulator.destroy();
    this.#channel?.port1.close();
  }

  // ---------------------------------------------------------------------------------------------

  #startWatchdog(options: WatchdogOptions) {
    this.#watchdog?.dispose();
    this.#watchdog = new Watchdog(this, (fault) => this.#emit({ type: "fault", fault }), {
      ...options,
      onFatal: (fault) => {
        // A panicked kernel spins forever: stop the emulator instead of burning the CPU.
        if (fault.kind === "kernel-panic") {
          if (this.phase !== "crashed") this.#setPhase("crashed", "kernel panic");
          this.emulator.stop();
        }
        options.onFatal?.(fault);
      },
    });
  }

  #countDiskReads() {
    const disk = this.diskBuffer;
    if (!disk) return;
    const get = disk.get.bind(disk);
    disk.get = (offset, len, fn, options) => {
      if (!disk.get_from_cache(offset, len)) this.#diskFetched += len;
      get(offset, len, fn, options);
    };
  }

  #emit(event: MachineEvent) {
    for (const l of this.#listeners) l(event);
  }

  #setPhase(phase: MachinePhase, message?: string) {
    this.phase = phase;
    this.#emit({ type: "progress", progress: { phase, message } });
    for (const wake of this.#waiters) wake();
  }

  #lastConsoleLine(): string {
    const lines = this.#console.split("\n");
    return (lines[lines.length - 2] ?? "").replace(/\r$/, "");
  }

  #onAgentBytes(bytes: Uint8Array) {
    this.#agentLine += new TextDecoder().decode(bytes, { stream: true });
    let nl: number;
    while ((nl = this.#agentLine.indexOf("\n")) >= 0) {
      const line = this.#agentLine.slice(0, nl);
      this.#agentLine = this.#agentLine.slice(nl + 1);
      if (!line.trim()) continue;
      let msg: AgentReply | AgentEvent;
      try {
        msg = JSON.parse(line);
      } catch {
        this.#emit({ type: "console", text: `agent: unreadable line: ${line.slice(0, 200)}` });
        continue;
      }
      this.#agentSeen = true;
      if ("id" in msg && typeof msg.id === "number") {
        const p = this.#pending.get(msg.id);
        this.#pending.delete(msg.id);
        p?.resolve(msg);
      } else if ("event" in msg) {
        if (msg.event === "dockerd") this.#dockerdUp = msg.up;
        if (msg.event === "hello") this.#dockerdUp = false;
        this.#emit({ type: "agent", event: msg });
      }
      for (const wake of this.#waiters) wake();
    }
  }

  /**
   * v86 in a browser worker hands every pause between two slices of emulation to a helper worker
   * and waits for its message back (so that its timers are never clamped). On this 2-core machine
   * that round trip took 1.2–2.3 ms, thousands of times per command: 15 s of a first
   * `docker run hello-world` that took 42 s in the page (24 s of emulation). A message to itself
   * (MessageChannel) came back in about 0.2 ms; a pause with a delay (an idle guest) waits on
   * the worker's own scheduler. Node keeps v86's own way (setImmediate).
   */
  #yieldInThread(): void {
    const v86 = (this.emulator as unknown as EmulatorInternals).v86 as unknown as YieldInternals;
    if (!v86?.worker || typeof MessageChannel === "undefined") return;
    v86.unregister_yield();
    const channel = new MessageChannel();
    channel.port1.onmessage = (event: MessageEvent<number>) => v86.yield_callback(event.data);
    const scheduler = (globalThis as { scheduler?: TaskScheduler }).scheduler;
    v86.yield = (delayMs, tick) => {
      if (delayMs < 1) channel.port2.postMessage(tick);
      else if (scheduler?.postTask)
        void scheduler.postTask(() => v86.yield_callback(tick), { delay: delayMs });
      else setTimeout(() => v86.yield_callback(tick), delayMs);
    };
    this.#channel = channel;
  }

  /** Interrupts the UART watchdog raised again (each one a terminal that would have gone mute). */
  get uartKicks(): number {
    return this.#uartKicks;
  }

  /**
   * v86 gives each legacy IRQ one line that two UARTs share (COM1 and COM3 on 4, COM2 and COM4 on
   * 3), and lowering that line also drops the PIC's latched request, edge-triggered or not: one
   * UART going quiet can swallow the other's pending interrupt. Linux's 8250 driver then waits for
   * a "transmitter empty" interrupt that never comes and the terminal goes mute (CI: a learner
   * terminal silent for minutes after a `docker attach`). The guest takes a real interrupt within
   * microseconds, so one still pending at two looks 100 ms apart was lost: it gets a fresh edge.
   * Likewise a driver that has asked for "transmitter empty" (v86 sends each byte at once, so that
   * is only ever momentary) and still waits at both looks gets that interrupt again.
   */
  #kickUarts(): void {
    const cpu = (this.emulator as unknown as EmulatorInternals).v86?.cpu;
    if (!cpu) return;
    const uarts = [cpu.devices.uart0, cpu.devices.uart1, cpu.devices.uart2, cpu.devices.uart3];
    uarts.forEach((uart, i) => {
      if (!uart) return;
      const waitsForTx = (uart.ier & 2) !== 0;
      const pending = uart.iir !== 1 || waitsForTx;
      if (pending && this.#uartPending[i]) {
        if (waitsForTx) uart.ints |= 1 << 2;
        cpu.device_lower_irq(uart.irq);
        uart.CheckInterrupt();
        this.#uartKicks++;
      }
      this.#uartPending[i] = pending;
    });
  }

  /**
   * v86 drops host→guest bytes when the guest has no receive buffer posted, so each chunk waits
   * until the port's receive queue has one (≤ 4 KiB per buffer).
   */
  #flushAgent() {
    const internals = this.emulator as unknown as EmulatorInternals;
    const queue = internals.v86?.cpu?.devices?.virtio_console?.virtio?.queues?.[2 * AGENT_PORT + 2];
    while (this.#agentOut.length && queue?.has_request()) {
      let chunk = this.#agentOut.shift()!;
      if (chunk.length > 4096) {
        this.#agentOut.unshift(chunk.subarray(4096));
        chunk = chunk.subarray(0, 4096);
      }
      internals.bus.send(`virtio-console${AGENT_PORT}-input-bytes`, chunk);
    }
  }

  async #waitUntil(
    ready: () => boolean | Promise<boolean>,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    what: string,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.#disposed) throw new MachineError("the machine was disposed", "");
      signal?.throwIfAborted();
      if (this.phase === "crashed") throw new MachineError("the guest crashed", this.consoleTail);
      if (await ready()) return;
      const left = deadline - Date.now();
      if (left <= 0) throw new MachineError(`${what} within ${timeoutMs} ms`, this.consoleTail);
      // Wake on the next agent message, phase change or abort, or poll again after a while.
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.#waiters.delete(done);
          signal?.removeEventListener("abort", done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(left, 1000));
        this.#waiters.add(done);
        signal?.addEventListener("abort", done);
      });
    }
  }
}

/** Collects serial output bytes and hands them on once per task, not once per byte. */
class OutputBatcher {
  #bytes: number[] = [];
  #scheduled = false;
  constructor(private readonly flush: (data: Uint8Array) => void) {}
  push(byte: number) {
    this.#bytes.push(byte);
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      const data = Uint8Array.from(this.#bytes);
      this.#bytes = [];
      this.flush(data);
    });
  }
}
