// The tar format, read incrementally: a push parser for ustar, pax and GNU long names that
// calls back synchronously, content as slices of the chunks it was given (no copy, no stream
// per entry). Reads both the outer save archive and each layer tar.

import type { Header } from "tar-stream";
import type { ContentSink } from "./types.js";

const BLOCK = 512;
/** pax and GNU long-name records above this size are refused (tar-stream's limit too). */
const MAX_LONG_HEADER = 1 << 20;

const enum ReadState {
  Header,
  Content,
  Padding,
  Long,
}

/** Typeflags whose size field announces no content (Go's archive/tar, which writes layers, agrees). */
const HEADER_ONLY = new Set<string | null>([
  "link",
  "symlink",
  "character-device",
  "block-device",
  "directory",
  "fifo",
]);

type EntryCallback = (header: Header) => ContentSink | undefined | void;

/**
 * A push parser for tar (ustar, pax, GNU long names): `write` takes chunks in order and
 * calls back synchronously, content as slices of the chunks, skipped content only counted.
 * Given a `gate`, it stops as soon as the gate is blocked and returns where it stopped.
 */
export class TarReader {
  private state = ReadState.Header;
  private readonly block = Buffer.alloc(BLOCK);
  private fill = 0;
  private remaining = 0;
  private padding = 0;
  private sink: ContentSink | undefined;
  private longType: string | null = null;
  private longParts: Buffer[] = [];
  private pax: Record<string, string> | null = null;
  private paxGlobal: Record<string, string> | null = null;
  private longPath: string | null = null;
  private longLink: string | null = null;

  constructor(
    private readonly onEntry: EntryCallback,
    private readonly gate?: { readonly blocked: boolean },
  ) {}

  /** Reads `buf` from `pos`; returns the position reached (`buf.length` unless the gate closed). */
  write(buf: Buffer, pos = 0): number {
    const end = buf.length;
    const gate = this.gate;
    while (pos < end) {
      if (gate?.blocked) return pos;
      switch (this.state) {
        case ReadState.Content: {
          const n = Math.min(this.remaining, end - pos);
          this.remaining -= n;
          const sink = this.sink;
          if (sink) sink.data(pos === 0 && n === end ? buf : buf.subarray(pos, pos + n));
          pos += n;
          if (this.remaining === 0) this.endEntry();
          break;
        }
        case ReadState.Padding: {
          const n = Math.min(this.padding, end - pos);
          this.padding -= n;
          pos += n;
          if (this.padding === 0) this.state = ReadState.Header;
          break;
        }
        case ReadState.Long: {
          const n = Math.min(this.remaining, end - pos);
          this.longParts.push(Buffer.from(buf.subarray(pos, pos + n)));
          this.remaining -= n;
          pos += n;
          if (this.remaining === 0) this.endLong();
          break;
        }
        default: {
          if (this.fill === 0 && end - pos >= BLOCK) {
            pos += BLOCK;
            this.header(buf, pos - BLOCK);
          } else {
            const n = Math.min(BLOCK - this.fill, end - pos);
            buf.copy(this.block, this.fill, pos, pos + n);
            this.fill += n;
            pos += n;
            if (this.fill === BLOCK) {
              this.fill = 0;
              this.header(this.block, 0);
            }
          }
        }
      }
    }
    return pos;
  }

  /** The input ended: throws when it ended inside an entry. */
  end(): void {
    if (this.state !== ReadState.Header || this.fill > 0) {
      throw new Error("unexpected end of tar data: the archive is truncated");
    }
  }

  private endEntry(): void {
    const sink = this.sink;
    this.sink = undefined;
    this.state = this.padding > 0 ? ReadState.Padding : ReadState.Header;
    sink?.end();
  }

  private header(b: Buffer, o: number): void {
    const h = decodeHeader(b, o);
    if (!h) return; // a zero block: the end-of-archive marker; keep reading (as tar-stream does)
    const type = h.type as string | null;
    if (
      type === "pax-header" ||
      type === "pax-global-header" ||
      type === "gnu-long-path" ||
      type === "gnu-long-link-path"
    ) {
      if (!(h.size >= 0) || h.size > MAX_LONG_HEADER)
        throw new Error("tar: header exceeds max size");
      this.longType = type;
      this.longParts = [];
      this.remaining = h.size;
      this.padding = padOf(h.size);
      if (h.size > 0) this.state = ReadState.Long;
      else this.endLong();
      return;
    }
    if (this.longPath !== null) {
      h.name = this.longPath;
      this.longPath = null;
    }
    if (this.longLink !== null) {
      h.linkname = this.longLink;
      this.longLink = null;
    }
    if (this.pax) {
      const pax = this.pax;
      if (pax.path) h.name = pax.path;
      if (pax.linkpath) h.linkname = pax.linkpath;
      if (pax.size) h.size = parseInt(pax.size, 10);
      h.pax = pax;
      this.pax = null;
    }
    if (!(h.size >= 0)) throw new Error(`tar: invalid size in the header of ${h.name}`);
    if (HEADER_ONLY.has(type)) h.size = 0;
    const size = h.size;
    const sink = this.onEntry(h) || undefined;
    if (size === 0) {
      sink?.end();
      return;
    }
    this.sink = sink;
    this.remaining = size;
    this.padding = padOf(size);
    this.state = ReadState.Content;
  }

  private endLong(): void {
    const data = this.longParts.length === 1 ? this.longParts[0]! : Buffer.concat(this.longParts);
    this.longParts = [];
    this.state = this.padding > 0 ? ReadState.Padding : ReadState.Header;
    switch (this.longType) {
      case "gnu-long-path":
        this.longPath = cString(data, 0, data.length);
        break;
      case "gnu-long-link-path":
        this.longLink = cString(data, 0, data.length);
        break;
      case "pax-global-header":
        this.paxGlobal = decodePax(data);
        break;
      default:
        this.pax = this.paxGlobal ? { ...this.paxGlobal, ...decodePax(data) } : decodePax(data);
    }
  }
}

function padOf(size: number): number {
  const r = size % BLOCK;
  return r === 0 ? 0 : BLOCK - r;
}

const TYPES: Record<number, string> = {
  0: "file",
  1: "link",
  2: "symlink",
  3: "character-device",
  4: "block-device",
  5: "directory",
  6: "fifo",
  7: "contiguous-file",
  72: "pax-header",
  55: "pax-global-header",
  27: "gnu-long-link-path",
  28: "gnu-long-path",
  30: "gnu-long-path",
};

/** Decodes a 512-byte header block at `o` (as tar-stream does); null for a zero block. */
function decodeHeader(b: Buffer, o: number): Header | null {
  let sum = 8 * 32;
  for (let i = o, e = o + 148; i < e; i++) sum += b[i]!;
  for (let i = o + 156, e = o + BLOCK; i < e; i++) sum += b[i]!;
  if (sum === 8 * 32) return null;
  if (sum !== octal(b, o + 148, 8)) {
    throw new Error("invalid tar header: the data is corrupt, or compressed");
  }
  const flagByte = b[o + 156]!;
  let flag = flagByte === 0 ? 0 : flagByte - 48;
  let name = cString(b, o, 100);
  // ustar ("ustar\0" "00"): a name prefix; GNU ("ustar  \0") uses that field otherwise
  if (
    b[o + 257] === 0x75 &&
    b[o + 258] === 0x73 &&
    b[o + 259] === 0x74 &&
    b[o + 260] === 0x61 &&
    b[o + 261] === 0x72 &&
    b[o + 262] === 0 &&
    b[o + 345] !== 0
  ) {
    name = `${cString(b, o + 345, 155)}/${name}`;
  }
  if (flag === 0 && name.endsWith("/")) flag = 5;
  return {
    name,
    mode: octal(b, o + 100, 8),
    uid: octal(b, o + 108, 8),
    gid: octal(b, o + 116, 8),
    size: octal(b, o + 124, 12),
    mtime: new Date(1000 * octal(b, o + 136, 12)),
    type: (TYPES[flag] ?? null) as Header["type"],
    linkname: b[o + 157] === 0 ? "" : cString(b, o + 157, 100),
    uname: cString(b, o + 265, 32),
    gname: cString(b, o + 297, 32),
    devmajor: octal(b, o + 329, 8),
    devminor: octal(b, o + 337, 8),
    pax: null,
  };
}

/** A NUL-terminated UTF-8 field. */
function cString(b: Buffer, o: number, length: number): string {
  let e = o;
  const max = o + length;
  while (e < max && b[e] !== 0) e++;
  return b.toString("utf8", o, e);
}

/** An octal number field (leading spaces and NULs allowed), or base-256 when its top bit is set. */
function octal(b: Buffer, o: number, length: number): number {
  const e = o + length;
  const first = b[o]!;
  if (first & 0x80) {
    // base-256: 0x80 positive, 0xff negative (two's complement)
    const positive = first === 0x80;
    if (!positive && first !== 0xff) return NaN;
    let value = 0;
    for (let i = o + 1; i < e; i++) value = value * 256 + (positive ? b[i]! : 0xff - b[i]!);
    return positive ? value : -(value + 1);
  }
  let i = o;
  while (i < e && (b[i] === 0x20 || b[i] === 0)) i++;
  let value = 0;
  for (; i < e; i++) {
    const c = b[i]!;
    if (c < 0x30 || c > 0x37) break;
    value = value * 8 + (c - 0x30);
  }
  return value;
}

/** pax extended header records: "<len> <key>=<value>\n". */
function decodePax(buf: Buffer): Record<string, string> {
  const result: Record<string, string> = {};
  let off = 0;
  while (off < buf.length) {
    let i = off;
    while (i < buf.length && buf[i] !== 0x20) i++;
    const len = parseInt(buf.toString("latin1", off, i), 10);
    if (!len) return result;
    const record = buf.toString("utf8", i + 1, off + len - 1);
    const eq = record.indexOf("=");
    if (eq === -1) return result;
    result[record.slice(0, eq)] = record.slice(eq + 1);
    off += len;
  }
  return result;
}
