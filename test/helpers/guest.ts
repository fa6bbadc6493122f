// Integration-test helpers: a restored, ready guest in Node, and learner terminals driven the
// way a learner drives them (bytes in; output and the agent's command report out).
import type { Machine } from "../../src/vm/machine.ts";
import { restoredMachine } from "../../src/vm/node.ts";
import type {
  CommandReport,
  DockerEvent,
  LearnerPort,
  MachineEvent,
} from "../../src/vm/protocol.ts";

export interface Guest {
  machine: Machine;
  terminal(port: LearnerPort): Terminal;
  /** Docker events seen since the guest started. */
  events: DockerEvent[];
  dispose(): Promise<void>;
}

/** Waits for `predicate` to hold after each machine event; fails loudly after `timeoutMs`. */
export function waitFor<T>(
  machine: Machine,
  predicate: () => T | undefined | false,
  timeoutMs: number,
  what: string,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const check = () => {
      const v = predicate();
      if (v) {
        off();
        clearTimeout(timer);
        resolve(v);
      }
    };
    const off = machine.on(check);
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    check();
  });
}

export class Terminal {
  /** Everything printed since the last `clear()`, with ANSI escapes removed. */
  text = "";
  reports: CommandReport[] = [];

  constructor(
    readonly machine: Machine,
    readonly port: LearnerPort,
  ) {
    machine.on((e: MachineEvent) => {
      if (e.type === "output" && e.port === port) {
        this.text += new TextDecoder()
          .decode(e.data)
          // eslint-disable-next-line no-control-regex -- ANSI escapes are what is stripped
          .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "")
          .replace(/\r/g, "");
      }
      if (e.type === "agent" && e.event.event === "command" && e.event.port === port) {
        this.reports.push(e.event);
      }
    });
  }

  clear() {
    this.text = "";
  }

  type(text: string) {
    this.machine.write(this.port, text);
  }

  /** Waits until the terminal shows text matching `re` (since the last clear). */
  expect(re: RegExp, timeoutMs = 60_000): Promise<RegExpExecArray> {
    return waitFor(
      this.machine,
      () => re.exec(this.text) ?? undefined,
      timeoutMs,
      `${re} on ttyS${this.port}\n--- screen ---\n${this.text.slice(-1500)}`,
    );
  }

  /** Types a command at the shell prompt and resolves with the agent's report when it finishes. */
  async run(cmd: string, timeoutMs = 120_000): Promise<CommandReport & { output: string }> {
    const before = this.reports.length;
    this.clear();
    this.type(cmd + "\n");
    // Match on the command itself: a command typed earlier without run() (say `docker run -it`
    // left with `exit`) may report after its prompt is back, i.e. after this run() began.
    const report = await waitFor(
      this.machine,
      () => this.reports.slice(before).find((r) => r.cmd === cmd),
      timeoutMs,
      `the report of \`${cmd}\` on ttyS${this.port}\n--- screen ---\n${this.text.slice(-1500)}`,
    );
    return { ...report, output: this.text };
  }
}

export async function startGuest(): Promise<Guest> {
  const machine = restoredMachine();
  const events: DockerEvent[] = [];
  machine.on((e) => {
    if (e.type === "agent" && e.event.event === "docker") events.push(e.event.data);
  });
  const terminals = new Map<LearnerPort, Terminal>();
  const terminal = (port: LearnerPort) => {
    let t = terminals.get(port);
    if (!t) terminals.set(port, (t = new Terminal(machine, port)));
    return t;
  };
  // Listen before starting so nothing printed early is lost.
  terminal(1);
  terminal(2);
  await machine.start();
  return { machine, terminal, events, dispose: () => machine.dispose() };
}

/** The static busybox root filesystem the state build leaves in the guest, as image `busybox`. */
export async function importBusybox(machine: Machine, tag = "busybox:latest"): Promise<void> {
  const r = await machine.exec(
    [
      "sh",
      "-c",
      `docker image inspect ${tag} >/dev/null 2>&1 || docker import /var/lib/sandbox/busybox-rootfs.tar ${tag}`,
    ],
    { timeoutMs: 120_000 },
  );
  if (r.exit !== 0) throw new Error(`docker import failed: ${r.stderr}`);
}
