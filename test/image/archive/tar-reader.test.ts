// The push tar parser against tar-stream's extract, on the same bytes, fed in every chunking.

import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import tar from "tar-stream";
import { TarReader } from "../../../src/image/archive/tar-reader.js";
import type { TarHeader } from "../../../src/image/archive/types.js";
import { tarBuffer, type FixtureEntry } from "../../fixtures/tar-fixtures.js";

interface Parsed {
  header: Partial<TarHeader>;
  sha?: string;
  bytes: number;
}

function pick(h: TarHeader): Partial<TarHeader> {
  return {
    name: h.name,
    type: h.type,
    size: h.size,
    mode: h.mode,
    uid: h.uid,
    gid: h.gid,
    mtime: h.mtime,
    linkname: h.linkname || "",
    uname: h.uname,
    gname: h.gname,
    pax: h.pax ?? null,
  };
}

/** Our reader, fed in chunks of `size` bytes. */
function readAll(archive: Buffer, size: number): Parsed[] {
  const out: Parsed[] = [];
  const reader = new TarReader((header) => {
    const p: Parsed = { header: pick(header), bytes: 0 };
    out.push(p);
    if (header.type !== "file") return undefined;
    const hash = createHash("sha256");
    return {
      data: (chunk) => {
        p.bytes += chunk.length;
        hash.update(chunk);
      },
      end: () => {
        p.sha = hash.digest("hex");
      },
    };
  });
  for (let i = 0; i < archive.length; i += size) reader.write(archive.subarray(i, i + size));
  reader.end();
  return out;
}

/** tar-stream's reading of the same bytes. */
async function reference(archive: Buffer): Promise<Parsed[]> {
  const out: Parsed[] = [];
  const extract = tar.extract();
  const done = (async () => {
    for await (const entry of extract) {
      const hash = createHash("sha256");
      let bytes = 0;
      for await (const c of entry as AsyncIterable<Buffer>) {
        hash.update(c);
        bytes += c.length;
      }
      out.push({
        header: pick(entry.header),
        bytes,
        ...(entry.header.type === "file" ? { sha: hash.digest("hex") } : {}),
      });
    }
  })();
  extract.end(archive);
  await done;
  return out;
}

const long = "deep/".repeat(40) + "name-longer-than-a-hundred-bytes.txt";

const entries: FixtureEntry[] = [
  { name: "etc/", type: "directory" },
  { name: "etc/empty", content: "" },
  { name: "etc/odd", content: "x".repeat(513) },
  { name: long, content: Buffer.alloc(3000, 9) },
  { name: "usr/lib/libz.so.1", type: "symlink", linkname: "libz.so.1.2.13" },
  { name: "usr/lib/hard", type: "link", linkname: "etc/odd" },
  { name: "usr/lib/" + "l".repeat(120), type: "symlink", linkname: "t/".repeat(70) + "x" },
  { name: "ünïcödé/файл", content: "utf-8 names\n" },
  { name: "big.bin", content: Buffer.alloc(200_000, 3) },
];

/** A GNU-format long name ('L' record), as GNU tar writes it. */
function gnuLongName(name: string, content: string): Buffer {
  const header = (n: string, type: string, size: number) => {
    const b = Buffer.alloc(512);
    b.write(n.slice(0, 99), 0, "utf8");
    b.write("0000644\0", 100);
    b.write("0000000\0", 108);
    b.write("0000000\0", 116);
    b.write(size.toString(8).padStart(11, "0") + "\0", 124);
    b.write("14000000000\0", 136);
    b.write(type, 156);
    b.write("ustar  \0", 257, "latin1");
    b.fill(0x20, 148, 156);
    let sum = 0;
    for (const x of b) sum += x;
    b.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, "latin1");
    return b;
  };
  const pad = (n: number) => Buffer.alloc((512 - (n % 512)) % 512);
  const nameBytes = Buffer.from(name + "\0");
  return Buffer.concat([
    header("././@LongLink", "L", nameBytes.length),
    nameBytes,
    pad(nameBytes.length),
    header(name, "0", content.length),
    Buffer.from(content),
    pad(content.length),
    Buffer.alloc(1024),
  ]);
}

describe("TarReader", () => {
  it("reads what tar-stream reads (pax long names, links, UTF-8), in any chunking", async () => {
    const archive = await tarBuffer(entries);
    const expected = await reference(archive);
    expect(expected.map((e) => e.header.name)).toContain(long);
    for (const size of [1, 7, 511, 512, 513, 4096, 65536, archive.length]) {
      expect(readAll(archive, size)).toEqual(expected);
    }
  });

  it("reads GNU long names", async () => {
    const name = "gnu/".repeat(40) + "file";
    const archive = gnuLongName(name, "hello");
    const parsed = readAll(archive, 100);
    expect(parsed).toHaveLength(1);
    expect(parsed[0]?.header.name).toBe(name);
    expect(parsed[0]?.sha).toBe(createHash("sha256").update("hello").digest("hex"));
    expect(await reference(archive)).toEqual(parsed);
  });

  it("rejects a truncated archive and a corrupt header", async () => {
    const archive = await tarBuffer(entries);
    expect(() => readAll(archive.subarray(0, 2000), 512)).toThrow(/truncated/);
    expect(() => readAll(archive.subarray(0, 700), 512)).toThrow(/truncated/);
    const corrupt = Buffer.from(archive);
    corrupt[10] = corrupt[10]! ^ 0xff;
    expect(() => readAll(corrupt, 512)).toThrow(/invalid tar header/);
  });

  it("stops where a gate closes and goes on from there", async () => {
    const archive = await tarBuffer(entries);
    const gate = { blocked: false };
    const names: string[] = [];
    const reader = new TarReader((h) => {
      names.push(h.name);
      gate.blocked = true; // stop after every header
    }, gate);
    let pos = 0;
    let stops = 0;
    while (pos < archive.length) {
      gate.blocked = false;
      pos = reader.write(archive, pos);
      stops++;
    }
    reader.end();
    expect(names).toEqual(entries.map((e) => e.name));
    expect(stops).toBeGreaterThanOrEqual(entries.length);
  });
});
