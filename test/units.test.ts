import { describe, expect, it } from "vitest";

import { InputError } from "../src/errors.js";
import {
  formatBytes,
  formatPercent,
  formatSeconds,
  formatSignedBytes,
  parsePercent,
  parseSize,
} from "../src/units.js";

describe("formatBytes", () => {
  it.each([
    [0, "0B"],
    [1, "1B"],
    [999, "999B"],
    [1000, "1kB"],
    [32_500, "32.5kB"],
    [130_000_000, "130MB"],
    [188_123_456, "188MB"],
    [489_000_000, "489MB"],
    [1_690_000_000, "1.69GB"],
    [1_694_999_999, "1.69GB"],
    [1_695_000_001, "1.7GB"],
    [1_000_000_000, "1GB"],
    [12_345_678_901_234, "12.3TB"],
  ])("%i → %s (docker images style)", (n, text) => {
    expect(formatBytes(n)).toBe(text);
  });

  it("moves a value that rounds up to 1000 to the next unit", () => {
    expect(formatBytes(999_900_000)).toBe("1GB");
    expect(formatBytes(999_949)).toBe("1MB");
    expect(formatBytes(999.9)).toBe("1kB");
    expect(formatBytes(999_400_000)).toBe("999MB");
  });

  it("keeps the sign of a negative size and refuses non-finite numbers", () => {
    expect(formatBytes(-45_200_000)).toBe("-45.2MB");
    expect(() => formatBytes(Number.NaN)).toThrow(RangeError);
  });
});

describe("formatSignedBytes", () => {
  it("puts + on growth, - on shrinkage, nothing on zero", () => {
    expect(formatSignedBytes(45_200_000)).toBe("+45.2MB");
    expect(formatSignedBytes(-1_200)).toBe("-1.2kB");
    expect(formatSignedBytes(0)).toBe("0B");
  });
});

describe("formatPercent", () => {
  it.each<[number, boolean, string]>([
    [0.052, false, "5.2%"],
    [0.052, true, "+5.2%"],
    [-0.889, true, "-88.9%"],
    [0, true, "0.0%"],
    [-0.00001, true, "0.0%"],
    [0.9996, false, "100%"],
    [1.5, true, "+150%"],
    [Infinity, true, "n/a"],
  ])("%f (signed %s) → %s", (ratio, signed, text) => {
    expect(formatPercent(ratio, { signed })).toBe(text);
  });
});

describe("formatSeconds", () => {
  it.each([
    [0, "0.0s"],
    [0.44, "0.4s"],
    [36.24, "36.2s"],
    [59.94, "59.9s"],
    [59.96, "1m00s"],
    [245, "4m05s"],
    [3599.4, "59m59s"],
    [3599.6, "1h00m"],
    [3720, "1h02m"],
    [36_000, "10h00m"],
    [-5, "-5.0s"],
    [Number.NaN, "n/a"],
  ])("%f → %s", (s, text) => {
    expect(formatSeconds(s)).toBe(text);
  });

  it.each([
    [0, "0s"],
    [59.4, "59s"],
    [59.6, "1m00s"],
    [65, "1m05s"],
    [3540, "59m00s"],
    [3600 + 125, "1h02m"],
  ])("%f in whole seconds → %s", (s, text) => {
    expect(formatSeconds(s, { whole: true })).toBe(text);
  });
});

describe("parseSize", () => {
  it.each([
    ["123", 123],
    ["123B", 123],
    ["0", 0],
    ["100kB", 100_000],
    ["100KB", 100_000],
    ["100kb", 100_000],
    ["300MB", 300_000_000],
    ["300mb", 300_000_000],
    ["1.5GB", 1_500_000_000],
    [".5GB", 500_000_000],
    ["2TB", 2_000_000_000_000],
    ["1KiB", 1024],
    ["512MiB", 512 * 1024 * 1024],
    ["512mib", 512 * 1024 * 1024],
    ["2GiB", 2 * 1024 ** 3],
    ["1.5GiB", 1.5 * 1024 ** 3],
    ["1TiB", 1024 ** 4],
    [" 300 MB ", 300_000_000],
  ])("%j → %i bytes", (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it("round-trips what formatBytes prints", () => {
    for (const text of ["489MB", "1.69GB", "32.5kB", "0B"]) {
      expect(formatBytes(parseSize(text))).toBe(text);
    }
  });

  it.each([
    ["", /is not a size/],
    ["MB", /is not a size/],
    ["-5MB", /is not a size/],
    ["5 M B", /is not a size/],
    ["1e6", /is not a size/],
    ["3 bytes", /unknown unit "bytes"/],
    ["300XB", /unknown unit "XB"/],
    ["1.5", /not a whole number of bytes/],
    ["300M", /ambiguous unit "M"/],
    ["2g", /ambiguous unit "g"/],
    ["99999999999TB", /too large/],
  ])("rejects %j", (text, message) => {
    expect(() => parseSize(text, "--max-size")).toThrow(InputError);
    expect(() => parseSize(text, "--max-size")).toThrow(message);
  });

  it("names the flag and lists the accepted units in the hint", () => {
    try {
      parseSize("lots", "--max-size");
      expect.unreachable();
    } catch (err) {
      expect((err as InputError).message).toBe('--max-size: "lots" is not a size');
      expect((err as InputError).hint).toMatch(/MB.*GB.*MiB.*GiB/);
    }
    expect(() => parseSize("300M", "--max-size")).toThrow(
      expect.objectContaining({
        hint: "write 300MB (decimal, as docker prints: 1 MB = 1000000 bytes) or 300MiB (binary: 1 MiB = 1048576 bytes)",
      }),
    );
  });
});

describe("parsePercent", () => {
  it.each([
    ["5%", 0.05],
    ["+5%", 0.05],
    ["0.5%", 0.005],
    ["0%", 0],
    ["150 %", 1.5],
  ])("%j → %f", (text, ratio) => {
    expect(parsePercent(text)).toBeCloseTo(ratio, 12);
  });

  it.each(["5", "-5%", "five%", "5%%", ""])("rejects %j", (text) => {
    expect(() => parsePercent(text, "--max-growth")).toThrow(/^--max-growth: .* not a percentage/);
  });
});
