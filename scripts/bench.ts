// `npm run bench -- --json [--only KEY,...]`: every figure the issues name, as one JSON object.
// Speed lives here, not in timed tests. Each group restores (or boots) its own machine, one at a
// time, in a Node process of its own. Without --json it prints a readable table instead.
import { spawn } from "node:child_process";
import path from "node:path";
import type { Machine } from "../src/vm/machine.ts";
import {
  attachBundledRegistry,
  bootingMachine,
  guestDir,
  readGuestManifest,
  readStateManifest,
  restoredMachine,
} from "../src/vm/node.ts";
import { warmUp } from "../src/vm/warmup.ts";
import { importBusybox } from "../test/helpers/guest.ts";

const argv = process.argv.slice(2);
const json = argv.includes("--json");
const onlyArg = argv[argv.indexOf("--only") + 1];
const only = argv.includes("--only") && onlyArg ? new Set(onlyArg.split(",")) : null;
const out: Record<string, unknown> = {};
const log = (...a: unknown[]) => console.error("[bench]", ...a);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
const wants = (...keys: string[]) => !only || keys.some((k) => only.has(k));

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const v = await fn();
  return [Math.round(performance.now() - t), v];
}

async function dockerRun(machine: Machine, args: string): Promise<number> {
  const [ms, r] = await timed(() =>
    machine.exec(["sh", "-c", `docker run ${args}`], { timeoutMs: 180_000 }),
  );
  if (r.exit !== 0) throw new Error(`docker run ${args}: exit ${r.exit}: ${r.stderr}`);
  return ms;
}

/** Restore → ready, first run cold and after the warm-up, warm runs, agent latency. */
async function benchRestore() {
  const guest = readGuestManifest();
  const state = readStateManifest(guest);
  out.state_bytes_raw = state.rawBytes;
  out.state_bytes_compressed = state.compressedBytes;
  out.first_boot_fetch_bytes = state.firstBootFetchBytes;

  // 1. The learner's first run right after ready, with no warm-up.
  {
    const machine = restoredMachine();
    const [ready] = await timed(() => machine.start());
    out.restore_ready_ms = ready;
    await importBusybox(machine);
    out.first_run_no_warmup_ms = await dockerRun(machine, "--rm busybox true");
    await machine.dispose();
  }
  // 2. As the app does it: the warm-up runs while the first lesson is read, then the learner runs.
  const machine = restoredMachine();
  await machine.start();
  out.warmup_ms = await warmUp(machine);
  await importBusybox(machine);
  out.first_run_after_ready_ms = await dockerRun(machine, "--rm busybox true");
  await dockerRun(machine, "--rm busybox true");
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) runs.push(await dockerRun(machine, "--rm busybox true"));
  out.run_busybox_ms = median(runs);
  out.run_busybox_samples_ms = runs;
  const pings: number[] = [];
  const lists: number[] = [];
  for (let i = 0; i < 10; i++) {
    pings.push((await timed(() => machine.agent({ op: "ping" })))[0]);
    lists.push((await timed(() => machine.api("GET", "/containers/json?all=1")))[0]);
  }
  out.agent_query_ms = median(lists);
  out.agent_ping_ms = median(pings);
  out.host_rss_mb = Math.round(process.memoryUsage().rss / 1e6);
  if (wants("check_latency_ms")) {
    const { benchCheckLatency } = await import("../src/lessons/bench.ts");
    const r = await benchCheckLatency({ machine, runs: 5 });
    out.check_latency_ms = r.check_latency_ms;
    out.check_latency_ms_max = r.check_latency_ms_max;
  }
  await machine.dispose();
}

/** Kernel start → dockerd answering, in v86 and (same kernel, initrd, root) under qemu TCG. */
async function benchColdBoot() {
  const machine = bootingMachine({ readyTimeoutMs: 600_000 });
  const [ms] = await timed(() => machine.start());
  out.cold_boot_ready_ms = ms;
  await machine.dispose();
  const qemu = await qemuBootMs().catch((e: Error) => {
    log(`qemu: ${e.message}`);
    return undefined;
  });
  out.qemu_cold_boot_ready_ms = qemu ?? null;
  out.qemu_ratio = qemu ? Number((qemu / ms).toFixed(3)) : null;
}

/** Boots under qemu-system-i386 (TCG); ready = `docker info` succeeds in learner terminal 1. */
function qemuBootMs(): Promise<number> {
  const guest = readGuestManifest();
  const f = (x: { file: string }) => path.join(guestDir, x.file);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const q = spawn(
      "qemu-system-i386",
      [
        ...["-accel", "tcg", "-m", String(guest.memoryMb), "-nographic", "-no-reboot"],
        ...["-bios", f(guest.files.bios), "-kernel", f(guest.files.kernel)],
        ...["-initrd", f(guest.files.initrd), "-append", guest.cmdline],
        ...["-drive", `file=${f(guest.files.rootfs)},format=raw,if=ide,snapshot=on`],
        ...["-serial", "null", "-serial", "stdio", "-monitor", "none"],
        ...["-device", "virtio-serial-pci", "-nic", "none"],
      ],
      { stdio: ["pipe", "pipe", "pipe"] },
    );
    let text = "";
    let typed = false;
    const timer = setTimeout(() => {
      q.kill("SIGKILL");
      reject(new Error(`qemu did not get ready in 600 s: ${text.slice(-500)}`));
    }, 600_000);
    q.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    q.stdout.on("data", (d: Buffer) => {
      text += d.toString();
      if (!typed && /# $/.test(text)) {
        typed = true;
        q.stdin.write(
          "until docker info >/dev/null 2>&1; do sleep 0.1; done; echo DOCKER-READ''Y\n",
        );
      }
      if (text.includes("DOCKER-READY")) {
        clearTimeout(timer);
        const ms = Math.round(performance.now() - started);
        q.kill("SIGKILL");
        resolve(ms);
      }
    });
  });
}

/** Runs `fn` on a freshly restored machine (with the bundled registry if asked), then disposes it. */
async function onRestored(fn: (machine: Machine) => Promise<void>, opts = { registry: false }) {
  const machine = restoredMachine();
  if (opts.registry) attachBundledRegistry(machine);
  try {
    await machine.start();
    await fn(machine);
  } finally {
    await machine.dispose();
  }
}

/** A group measures some keys on a machine of its own. */
interface Group {
  name: string;
  keys: string[];
  run(): Promise<void>;
}

const GROUPS: Group[] = [
  {
    name: "restore",
    keys: [
      "restore_ready_ms",
      "first_run_after_ready_ms",
      "run_busybox_ms",
      "agent_query_ms",
      "state_bytes_raw",
      "state_bytes_compressed",
      "first_boot_fetch_bytes",
      "host_rss_mb",
      "check_latency_ms",
      "first_run_no_warmup_ms",
      "warmup_ms",
    ],
    run: benchRestore,
  },
  { name: "cold-boot", keys: ["cold_boot_ready_ms", "qemu_ratio"], run: benchColdBoot },
  {
    name: "registry",
    keys: ["pull_nginx_ms", "pull_nginx_cached_ms", "run_hello_world_ms", "bundled_blob_bytes"],
    run: async () => {
      const { benchRegistry } = await import("./bench-registry.ts");
      Object.assign(out, await benchRegistry({ log: (s) => log(s) }));
    },
  },
  {
    name: "layers",
    keys: ["layers_render_ms"],
    run: async () => {
      const { benchLayersRender } = await import("../src/layers/bench.ts");
      Object.assign(out, benchLayersRender());
    },
  },
  {
    name: "layers-update",
    keys: ["layers_update_ms"],
    run: async () => {
      const { benchLayersUpdate } = await import("../src/layers/bench.ts");
      await onRestored(async (machine) => {
        await importBusybox(machine);
        Object.assign(out, await benchLayersUpdate({ machine }));
      });
    },
  },
  {
    name: "preview",
    keys: ["preview_ttfb_ms", "preview_200kb_ms"],
    run: async () => {
      const { benchPreview } = await import("../src/vm/preview/bench.ts");
      await onRestored(
        async (machine) => {
          await machine.exec(["sh", "-c", "docker pull nginx"], { timeoutMs: 400_000 });
          Object.assign(out, await benchPreview({ machine, log: (s: string) => log(s) }));
        },
        { registry: true },
      );
    },
  },
  {
    name: "editor-sync",
    keys: ["editor_sync_ms"],
    run: async () => {
      const { benchEditorSync } = await import("../src/workspace/bench.ts");
      await onRestored(async (machine) => {
        Object.assign(out, await benchEditorSync({ machine }));
      });
    },
  },
  {
    name: "browser",
    keys: [
      "browser_cold_ready_ms",
      "browser_warm_ready_ms",
      "browser_first_run_ms",
      "cold_fetch_bytes",
      "warm_fetch_bytes",
      "tab_memory_mb",
      "browser_cold_ready_slow_ms",
      "checkpoint_save_ms",
      "checkpoint_restore_ms",
      "reset_ready_ms",
    ],
    run: async () => {
      const { benchBrowser } = await import("./bench-browser.ts");
      Object.assign(out, await benchBrowser({ log: (s) => log(s) }));
    },
  },
  {
    name: "soak",
    keys: ["soak_runs_ok", "soak_ms_p50", "soak_mem_growth_mb"],
    run: async () => {
      const { benchSoak } = await import("./bench-soak.ts");
      Object.assign(out, await benchSoak({ log: (s) => log(s) }));
    },
  },
];

/**
 * Runs one group in a Node process of its own: in one long process, what earlier groups left
 * behind (their machines' wasm memory, the host's compiled guest code, garbage) slowed the later
 * ones (a first `docker run hello-world` took 35 s there, 24 s in a fresh process).
 */
function runGroupProcess(group: Group): Promise<Record<string, unknown>> {
  const script = process.argv[1]!;
  const args = [...process.execArgv, script, "--json", "--group", group.name];
  if (only) args.push("--only", [...only].join(","));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
    let text = "";
    child.stdout.on("data", (d: Buffer) => (text += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      const line = text.trim().split("\n").at(-1) ?? "";
      let result: Record<string, unknown> = {};
      try {
        result = JSON.parse(line) as Record<string, unknown>;
      } catch {
        result = { error: `the ${group.name} group printed no result (exit ${code})` };
      }
      if (code !== 0 && !result.error) result.error = `the ${group.name} group exited with ${code}`;
      resolve(result);
    });
  });
}

async function main() {
  const groupArg = argv.includes("--group") ? argv[argv.indexOf("--group") + 1] : undefined;
  if (groupArg) {
    const group = GROUPS.find((g) => g.name === groupArg);
    if (!group) throw new Error(`no bench group named ${groupArg}`);
    await group.run();
    console.log(JSON.stringify(out));
    process.exit(0);
  }
  const errors: string[] = [];
  for (const group of GROUPS.filter((g) => wants(...g.keys))) {
    log(`${group.name} group`);
    const { error, ...figures } = await runGroupProcess(group);
    Object.assign(out, figures);
    if (error) {
      log(`${group.name}: ${String(error)}`);
      errors.push(`${group.name}: ${String(error)}`);
    }
  }
  if (errors.length > 0) out.error = errors.join("; ");
  if (json) console.log(JSON.stringify(out));
  else
    for (const [k, v] of Object.entries(out)) console.log(`${k.padEnd(28)} ${JSON.stringify(v)}`);
  process.exit(errors.length > 0 ? 1 : 0);
}

main().catch((e) => {
  console.error(`[bench] error: ${e instanceof Error ? e.stack : e}`);
  if (json) console.log(JSON.stringify({ ...out, error: String(e) }));
  process.exit(1);
});
