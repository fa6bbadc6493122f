// Serves the Registry over v86's emulated network: the guest's dockerd connects to
// registry.local:5000 (v86's fake DNS answers every name with 192.168.87.1), and each TCP
// connection gets an HTTP/1.1 keep-alive session answered by Registry.handle().
import { installTcpFixes, type TcpFixOptions, type V86TcpConnection } from "../network.ts";
import { errorResponse, type Registry } from "./registry.ts";
import { RegistryError } from "./errors.ts";
import { HttpError, RequestParser, serializeHead } from "./http.ts";

/** The part of the V86 object this needs. */
export interface V86Bus {
  add_listener(event: "tcp-connection", fn: (conn: V86TcpConnection) => void): void;
  remove_listener(event: "tcp-connection", fn: (conn: V86TcpConnection) => void): void;
}

export interface ServeOptions extends TcpFixOptions {
  port?: number;
  signal?: AbortSignal;
}

export const REGISTRY_PORT = 5000;

/** Starts answering registry connections; stops when `signal` aborts or dispose() is called. */
export function serveRegistry(
  emulator: V86Bus,
  registry: Registry,
  opts: ServeOptions = {},
): { dispose(): void } {
  const port = opts.port ?? REGISTRY_PORT;
  const listener = (conn: V86TcpConnection) => {
    installTcpFixes(conn, opts);
    if (conn.sport !== port) return;
    serveConnection(conn, registry);
    conn.accept();
  };
  emulator.add_listener("tcp-connection", listener);
  const dispose = () => emulator.remove_listener("tcp-connection", listener);
  opts.signal?.addEventListener("abort", dispose, { once: true });
  return { dispose };
}

/** One keep-alive connection: requests are answered strictly in order. */
export function serveConnection(
  conn: Pick<V86TcpConnection, "on" | "write" | "close">,
  registry: Registry,
): void {
  const parser = new RequestParser();
  let queue: Promise<void> = Promise.resolve();
  let closed = false;
  let sawData = false;

  conn.on("data", (data: Uint8Array) => {
    if (closed) return;
    // dockerd probes https first on an insecure registry; a TLS ClientHello here means "no TLS".
    if (!sawData && data[0] === 0x16) {
      closed = true;
      conn.close();
      return;
    }
    sawData = true;
    let requests;
    try {
      requests = parser.push(data);
    } catch (e) {
      const status = e instanceof HttpError ? e.status : 400;
      const res = errorResponse(new RegistryError(status, "UNSUPPORTED", (e as Error).message));
      closed = true;
      queue = queue.then(() => {
        conn.write(serializeHead(res, true));
        if (res.body) conn.write(res.body);
        conn.close();
      });
      return;
    }
    for (const req of requests) {
      queue = queue.then(async () => {
        const res = await registry.handle(req);
        const wantsClose = (req.headers["connection"] ?? "").toLowerCase() === "close";
        conn.write(serializeHead(res, wantsClose));
        if (res.body && res.body.length) conn.write(res.body);
        if (wantsClose) {
          closed = true;
          conn.close();
        }
      });
    }
  });
  conn.on("shutdown", () => {
    // The guest finished sending; answer what is queued, then close our side.
    queue = queue.then(() => {
      if (!closed) {
        closed = true;
        conn.close();
      }
    });
  });
  conn.on("close", () => {
    closed = true;
  });
}
