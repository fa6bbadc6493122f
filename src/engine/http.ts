// "What does GET http://localhost:PORT/PATH answer?" Lesson checks take this as a function,
// so the page can use its TCP path into the guest (issue 8) and headless tests can ask curl
// inside the guest.
import type { DockerEngine } from "./docker.ts";

export type HttpAnswer =
  | { ok: true; status: number; body: string }
  | { ok: false; reason: "refused" | "timeout" | "error"; detail: string };

export type HttpProbe = (port: number, path: string, signal?: AbortSignal) => Promise<HttpAnswer>;

const MARK = "\n--http-status--";

/** Ask with curl in the guest: the same published port a browser on the host would reach. */
export function guestCurlProbe(engine: DockerEngine, timeoutSeconds = 3): HttpProbe {
  return async (port, path) => {
    const url = `http://127.0.0.1:${port}${path}`;
    const reply = await engine.exec(
      ["curl", "-sS", "-m", String(timeoutSeconds), "-o", "-", "-w", `${MARK}%{http_code}`, url],
      { timeoutMs: (timeoutSeconds + 2) * 1000 },
    );
    const at = reply.stdout.lastIndexOf(MARK);
    const status = at >= 0 ? Number(reply.stdout.slice(at + MARK.length).trim()) : 0;
    if (reply.exit === 0 && status > 0)
      return { ok: true, status, body: reply.stdout.slice(0, at) };
    const detail = reply.stderr.trim() || `curl exit ${reply.exit}`;
    // curl: 7 = could not connect, 28 = timed out, 52/56 = empty reply or reset by the server.
    if (reply.exit === 7) return { ok: false, reason: "refused", detail };
    if (reply.exit === 28) return { ok: false, reason: "timeout", detail };
    return { ok: false, reason: "error", detail };
  };
}
