// Lesson checks ask "what does GET http://localhost:PORT/PATH answer?" (HttpProbe, in
// src/engine/http.ts). In the page this answers over the same TCP path as the preview, so a
// check sees exactly what the learner sees; `guestCurlProbe` stays for headless runs.
import type { HttpAnswer, HttpProbe } from "../../engine/http.ts";
import type { GuestHttpRequest, GuestHttpResponse } from "../protocol.ts";

export type GuestHttp = (port: number, request: GuestHttpRequest) => Promise<GuestHttpResponse>;

/** An HttpProbe over `http(port, request)`: MachineClient.http in the page, guestHttp in Node. */
export function tcpHttpProbe(http: GuestHttp, timeoutMs = 5000): HttpProbe {
  return async (port, path, signal) => {
    const asked = http(port, { method: "GET", path, timeoutMs });
    const res = await (signal ? abortable(asked, signal) : asked);
    return toAnswer(res);
  };
}

function toAnswer(res: GuestHttpResponse): HttpAnswer {
  if (res.ok) return { ok: true, status: res.status, body: new TextDecoder().decode(res.body) };
  // HttpAnswer has no "reset": a server that hangs up mid-answer is an error to a check.
  const reason = res.reason === "refused" || res.reason === "timeout" ? res.reason : "error";
  return { ok: false, reason, detail: res.message };
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}
