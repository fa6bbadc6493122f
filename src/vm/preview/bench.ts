// Preview benchmarks, for scripts/bench.ts: the TCP path into a published port, measured after
// the container answers (the JIT has seen the path once). No DOM and no Node imports: it takes a
// started machine with the bundled registry attached.
import type { GuestHttpRequest } from "../protocol.ts";
import { guestHttp, type V86WithNetwork } from "./guest.ts";

export interface PreviewBench {
  /** GET / of nginx's welcome page: request sent → first byte of the answer (median). */
  preview_ttfb_ms: number;
  /** GET of a 200 KB file: request sent → last byte (median). */
  preview_200kb_ms: number;
}

export interface BenchMachine {
  emulator: unknown;
  exec(
    argv: string[],
    options?: { timeoutMs?: number },
  ): Promise<{ exit: number; stdout: string; stderr: string }>;
}

const NAME = "preview-bench";

export async function benchPreview(opts: {
  machine: BenchMachine;
  port?: number;
  runs?: number;
  log?: (s: string) => void;
}): Promise<PreviewBench> {
  const { machine } = opts;
  const port = opts.port ?? 8089;
  const runs = opts.runs ?? 7;
  const log = opts.log ?? (() => undefined);
  const emulator = machine.emulator as V86WithNetwork;
  const sh = async (cmd: string) => {
    const r = await machine.exec(["sh", "-c", `${cmd} 2>&1`], { timeoutMs: 400_000 });
    if (r.exit !== 0) throw new Error(`${cmd} failed (${r.exit}): ${r.stdout}${r.stderr}`);
    return r.stdout;
  };
  const get = (path: string, onFirstByte?: () => void) =>
    guestHttp(emulator, port, { method: "GET", path } satisfies GuestHttpRequest, {
      onFirstByte,
    });

  await sh(
    `docker rm -f ${NAME} >/dev/null 2>&1; docker run -d --name ${NAME} -p ${port}:80 nginx`,
  );
  try {
    await sh(
      `docker exec ${NAME} sh -c 'head -c 204800 /dev/urandom > /usr/share/nginx/html/200k.bin'`,
    );
    // nginx answers a moment after `docker run -d` returns; each try is a real request.
    let answered = false;
    for (let i = 0; i < 500 && !answered; i++) answered = (await get("/")).ok;
    if (!answered) throw new Error(`nginx on port ${port} never answered`);

    const ttfb: number[] = [];
    const big: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      let first = 0;
      const small = await get("/", () => (first = performance.now()));
      if (!small.ok) throw new Error(`GET / failed: ${small.message}`);
      ttfb.push(first - t0);
      const t1 = performance.now();
      const blob = await get("/200k.bin");
      if (!blob.ok || blob.body.length !== 204800)
        throw new Error(`GET /200k.bin: ${blob.ok ? `${blob.body.length} bytes` : blob.message}`);
      big.push(performance.now() - t1);
    }
    log(
      `preview ttfb ${ttfb.map(Math.round).join(" ")} ms; 200 KB ${big.map(Math.round).join(" ")} ms`,
    );
    return { preview_ttfb_ms: median(ttfb), preview_200kb_ms: median(big) };
  } finally {
    await sh(`docker rm -f ${NAME} >/dev/null`).catch(() => undefined);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.floor(s.length / 2)]! * 10) / 10;
}
