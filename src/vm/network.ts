// Fixes for v86 0.5.462's fake TCP stack (src/browser/fake_network.js), applied to its
// TCPConnection prototype, which the library does not export: we reach it through the first
// connection object. Measured in shared/spike/network/NOTES.md:
//  - a guest segment carrying data + FIN loses its data (HTTP/1.0 answers come back short);
//  - the host sends one segment at a time and waits for its ACK (~1 MB/s into dockerd).
// The third quirk, a new MAC after restore_state, is the V86 option
// `preserve_mac_from_state_image: true` (see machineNetworkOptions below).

/** The parts of v86's TCPConnection that the registry server and these fixes use. */
export interface V86TcpConnection {
  /** Port on our side (the port the guest connected to). */
  sport: number;
  /** Port on the guest's side. */
  dport: number;
  state: string;
  on(event: "data", fn: (data: Uint8Array) => void): void;
  on(event: "shutdown" | "close" | "connect", fn: () => void): void;
  accept(packet?: unknown): void;
  write(data: Uint8Array): void;
  close(): void;
}

interface TcpInternals extends V86TcpConnection {
  seq: number;
  ack: number;
  pending: boolean;
  last?: { tcp?: { winsize?: number } };
  send_buffer: { length: number; tail: number; buffer: Uint8Array };
  emit(event: string, ...args: unknown[]): void;
  pump(): void;
  process(packet: TcpPacket): void;
  /** Our windowed pump's next sequence number to send. */
  sndNext?: number;
  retransmitTimer?: ReturnType<typeof setTimeout>;
  retransmitSeq?: number;
}

interface TcpPacket {
  tcp: { seq: number; fin?: boolean; rst?: boolean; syn?: boolean };
  tcp_data?: Uint8Array;
}

/** V86 constructor options the network needs (merge into the Machine's options). */
export const machineNetworkOptions = {
  net_device: { type: "virtio", relay_url: "fetch" },
  // Otherwise the adapter picks a new MAC after restore_state and frames to the guest are lost.
  preserve_mac_from_state_image: true,
} as const;

export interface TcpFixOptions {
  /** Segments in flight before waiting for an ACK (virtio: 32 measured 3x faster than 8; ne2k: 4). */
  window?: number;
  /** Re-send everything unacknowledged after this long without progress. */
  retransmitMs?: number;
}

const MSS = 1460;
const patched = new WeakSet<object>();
export const tcpFixStats = { finPayloadRescued: 0, retransmits: 0 };
/** The send window in segments, read on every pump (so a benchmark can change it). */
export const tcpFixSettings = { window: 32, retransmitMs: 300 };

/** Patches the TCPConnection class of this connection once; later calls are no-ops. */
export function installTcpFixes(conn: V86TcpConnection, opts: TcpFixOptions = {}): void {
  const proto = Object.getPrototypeOf(conn) as TcpInternals;
  if (patched.has(proto)) return;
  patched.add(proto);
  if (opts.window !== undefined) tcpFixSettings.window = Math.max(1, opts.window);
  if (opts.retransmitMs !== undefined) tcpFixSettings.retransmitMs = opts.retransmitMs;

  const origProcess = proto.process;
  proto.process = function (this: TcpInternals, packet: TcpPacket) {
    const t = packet.tcp;
    const data = packet.tcp_data;
    // v86 takes the FIN branch and never emits the payload; deliver it first, in order.
    if (
      t &&
      t.fin &&
      !t.rst &&
      !t.syn &&
      data &&
      data.length &&
      this.ack === t.seq &&
      this.state === "established"
    ) {
      tcpFixStats.finPayloadRescued++;
      this.ack += data.length;
      this.emit("data", data);
    }
    return origProcess.call(this, packet);
  };

  const origPump = proto.pump;
  proto.pump = function (this: TcpInternals) {
    const rb = this.send_buffer;
    if (this.sndNext === undefined || this.sndNext - this.seq < 0) this.sndNext = this.seq;
    let inflight = this.sndNext - this.seq;
    const peerWindow = Math.max(this.last?.tcp?.winsize ?? 65535, MSS);
    const limit = Math.min(tcpFixSettings.window * MSS, peerWindow);
    while (inflight < rb.length && inflight < limit) {
      // The stock pump sends one segment from the head of the buffer at this.seq; show it a
      // view that starts at the first unsent byte, then restore the real state.
      const { tail, length } = rb;
      const seq = this.seq;
      rb.tail = (tail + inflight) % rb.buffer.length;
      rb.length = length - inflight;
      this.seq = this.sndNext;
      this.pending = false;
      origPump.call(this);
      rb.tail = tail;
      rb.length = length;
      this.seq = seq;
      const sent = Math.min(MSS, length - inflight);
      this.sndNext += sent;
      inflight += sent;
    }
    this.pending = inflight > 0;
    if (inflight > 0 && this.retransmitTimer === undefined)
      armRetransmit(this, tcpFixSettings.retransmitMs);
  };
}

function armRetransmit(conn: TcpInternals, ms: number): void {
  conn.retransmitSeq = conn.seq;
  conn.retransmitTimer = setTimeout(() => {
    conn.retransmitTimer = undefined;
    if (conn.state === "closed" || conn.sndNext === undefined || conn.sndNext === conn.seq) return;
    if (conn.seq === conn.retransmitSeq) {
      // No ACK progress: go back to the first unacknowledged byte.
      tcpFixStats.retransmits++;
      conn.sndNext = conn.seq;
      conn.pump();
    } else {
      armRetransmit(conn, ms);
    }
  }, ms);
}
