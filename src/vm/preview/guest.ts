// TCP into the guest through v86's fetch network adapter: `adapter.connect(port)` sends a SYN
// from the router (192.168.86.1) to the guest (192.168.86.100), where Docker's DNAT rule for a
// published port forwards it to the container.
import { installTcpFixes, type V86TcpConnection } from "../network.ts";
import type { GuestHttpRequest, GuestHttpResponse } from "../protocol.ts";
import { fetchGuest, type HttpClientOptions, type TcpStream } from "./http.ts";

/** The part of the V86 object this needs. */
export interface V86WithNetwork {
  network_adapter?: { connect?(port: number): V86TcpConnection };
}

/** Opens TCP connections to the guest's ports; throws when the machine has no fetch network. */
export function guestConnector(emulator: V86WithNetwork): (port: number) => TcpStream {
  return (port) => {
    const adapter = emulator.network_adapter;
    if (!adapter?.connect) throw new Error("the machine has no network to connect through");
    const conn = adapter.connect(port);
    // Same class as the registry's connections: a guest's FIN must not swallow its last data.
    installTcpFixes(conn);
    return conn as unknown as TcpStream;
  };
}

/** GET http://localhost:PORT/PATH (or any method) as a browser on the learner's computer would. */
export function guestHttp(
  emulator: V86WithNetwork,
  port: number,
  request: GuestHttpRequest,
  opts: HttpClientOptions = {},
): Promise<GuestHttpResponse> {
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    return Promise.resolve({ ok: false, reason: "error", message: `bad port ${port}` });
  const connect = guestConnector(emulator);
  return fetchGuest(() => connect(port), port, request, {
    ...opts,
    connectTimeoutMs: opts.connectTimeoutMs ?? request.timeoutMs,
    timeoutMs: opts.timeoutMs ?? request.timeoutMs,
  });
}
