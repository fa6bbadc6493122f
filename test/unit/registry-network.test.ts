import { describe, expect, it } from "vitest";
import { installTcpFixes, tcpFixStats, type V86TcpConnection } from "../../src/vm/network.ts";

const MSS = 1460;

/**
 * A miniature of v86 0.5.462's TCPConnection send path (fake_network.js): a ring buffer, a
 * stop-and-wait pump that sends one segment at this.seq, and process() that drops the payload
 * of a FIN segment. Our fixes patch these methods on the prototype.
 */
class Ring {
  buffer = new Uint8Array(1 << 20);
  tail = 0;
  length = 0;
  write(d: Uint8Array) {
    for (const b of d) this.buffer[(this.tail + this.length++) % this.buffer.length] = b;
  }
  peek(dst: Uint8Array) {
    const n = Math.min(this.length, dst.length);
    for (let i = 0; i < n; i++) dst[i] = this.buffer[(this.tail + i) % this.buffer.length]!;
    return n;
  }
  remove(n: number) {
    this.tail = (this.tail + n) % this.buffer.length;
    this.length -= n;
  }
}

/** A fresh class each time: the fixes patch a prototype once, as they do v86's. */
function miniConnClass() {
  return class MiniConn {
    sport = 5000;
    dport = 40000;
    state = "established";
    seq = 1000;
    ack = 1;
    pending = false;
    last = { tcp: { winsize: 65535 } };
    send_buffer = new Ring();
    sent: { seq: number; data: Uint8Array }[] = [];
    handlers: Record<string, (...a: unknown[]) => void> = {};
    on(ev: string, fn: (...a: unknown[]) => void) {
      this.handlers[ev] = fn;
    }
    emit(ev: string, ...a: unknown[]) {
      this.handlers[ev]?.(...a);
    }
    accept() {}
    close() {}
    write(d: Uint8Array) {
      this.send_buffer.write(d);
      this.pump();
    }
    pump() {
      if (this.send_buffer.length && !this.pending) {
        const buf = new Uint8Array(MSS);
        const n = this.send_buffer.peek(buf);
        this.sent.push({ seq: this.seq, data: buf.slice(0, n) });
        this.pending = true;
      }
    }
    /** The guest acknowledges everything up to `ackn`. */
    ackTo(ackn: number) {
      const n = ackn - this.seq;
      if (n > 0) {
        this.send_buffer.remove(n);
        this.seq += n;
        this.pending = false;
      }
      this.pump();
    }
    process(p: { tcp: { seq: number; fin?: boolean }; tcp_data?: Uint8Array }) {
      if (p.tcp.fin) {
        this.ack++;
        this.state = "close-wait";
        this.emit("shutdown");
      } else if (p.tcp_data?.length) {
        this.ack += p.tcp_data.length;
        this.emit("data", p.tcp_data);
      }
    }
  };
}

describe("v86 TCP fixes", () => {
  it("keeps up to `window` segments in flight, in sequence, and refills on ACK", () => {
    const c = new (miniConnClass())();
    installTcpFixes(c as unknown as V86TcpConnection, { window: 4, retransmitMs: 60_000 });
    const data = new Uint8Array(10 * MSS + 100).map((_, i) => i & 255);
    c.write(data);
    expect(c.sent.map((s) => s.seq)).toEqual([1000, 1000 + MSS, 1000 + 2 * MSS, 1000 + 3 * MSS]);
    c.ackTo(1000 + 2 * MSS);
    expect(c.sent.length).toBe(6);
    for (let i = 0; i < 20; i++) c.ackTo(c.sent.at(-1)!.seq + c.sent.at(-1)!.data.length);
    const got = new Uint8Array(c.sent.reduce((a, s) => a + s.data.length, 0));
    let off = 0;
    for (const s of c.sent) {
      expect(s.seq).toBe(1000 + off);
      got.set(s.data, off);
      off += s.data.length;
    }
    expect([...got]).toEqual([...data]);
    expect(c.send_buffer.length).toBe(0);
    expect(c.pending).toBe(false);
  });

  it("re-sends from the first unacknowledged byte when no ACK comes", async () => {
    const c = new (miniConnClass())();
    installTcpFixes(c as unknown as V86TcpConnection, { window: 2, retransmitMs: 20 });
    const before = tcpFixStats.retransmits;
    c.write(new Uint8Array(3 * MSS));
    expect(c.sent.length).toBe(2);
    await new Promise<void>((resolve, reject) => {
      const t0 = Date.now();
      const poll = () =>
        c.sent.length > 2
          ? resolve()
          : Date.now() - t0 > 2000
            ? reject(new Error("no retransmit"))
            : setImmediate(poll);
      poll();
    });
    expect(c.sent[2]!.seq).toBe(1000);
    expect(tcpFixStats.retransmits).toBe(before + 1);
    c.ackTo(1000 + 3 * MSS);
  });

  it("delivers the payload of a data+FIN segment before the FIN", () => {
    const c = new (miniConnClass())();
    installTcpFixes(c as unknown as V86TcpConnection);
    const events: string[] = [];
    c.on("data", (d) => events.push(`data:${new TextDecoder().decode(d as Uint8Array)}`));
    c.on("shutdown", () => events.push("fin"));
    c.process({ tcp: { seq: 1, fin: true }, tcp_data: new TextEncoder().encode("last bytes") });
    expect(events).toEqual(["data:last bytes", "fin"]);
    expect(c.ack).toBe(1 + 10 + 1);
  });
});
