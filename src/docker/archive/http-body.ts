// An HTTP/1.1 response body's framing, decoded incrementally: chunked, a given length, or
// everything until the connection closes.

/** Decodes an HTTP/1.1 body: chunked, a given length, or everything until the connection closes. */
export class BodyDecoder {
  done = false;
  readonly untilClose: boolean;
  private state: "size" | "data" | "data-end" | "trailer" = "size";
  private line = "";
  private remaining = 0;
  private readonly chunked: boolean;

  constructor(framing: "chunked" | "close" | number) {
    this.chunked = framing === "chunked";
    this.untilClose = framing === "close";
    if (typeof framing === "number") {
      this.state = "data";
      this.remaining = framing;
      if (framing === 0) this.done = true;
    } else if (framing === "close") {
      this.state = "data";
      this.remaining = Infinity;
    }
  }

  feed(buf: Buffer, pos: number, end: number, out: (body: Buffer) => void): void {
    while (pos < end && !this.done) {
      switch (this.state) {
        case "data": {
          const n = Math.min(this.remaining, end - pos);
          out(pos === 0 && n === buf.length ? buf : buf.subarray(pos, pos + n));
          pos += n;
          this.remaining -= n;
          if (this.remaining === 0) {
            if (this.chunked) this.state = "data-end";
            else this.done = true;
          }
          break;
        }
        case "data-end": {
          // the CRLF after a chunk's data
          const nl = newline(buf, pos, end);
          if (nl < 0) return;
          pos = nl + 1;
          this.state = "size";
          break;
        }
        default: {
          const nl = newline(buf, pos, end);
          if (nl < 0) {
            this.line += buf.toString("latin1", pos, end);
            if (this.line.length > 4096) throw new Error("malformed chunked response");
            return;
          }
          const line = (this.line + buf.toString("latin1", pos, nl)).trim();
          this.line = "";
          pos = nl + 1;
          if (this.state === "trailer") {
            if (line === "") this.done = true;
            break;
          }
          const size = parseInt(line.split(";")[0] ?? "", 16);
          if (!Number.isFinite(size) || size < 0) throw new Error("malformed chunked response");
          if (size === 0) {
            this.state = "trailer";
          } else {
            this.remaining = size;
            this.state = "data";
          }
        }
      }
    }
  }
}

function newline(buf: Buffer, pos: number, end: number): number {
  for (let i = pos; i < end; i++) if (buf[i] === 0x0a) return i;
  return -1;
}
