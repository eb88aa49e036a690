import { describe, expect, it } from "vitest";
import { canRedraw, useColor } from "../../src/report/color.js";

const tty = { isTTY: true };
const pipe = { isTTY: false };

describe("useColor", () => {
  it("follows the stream itself when nothing else says", () => {
    expect(useColor(tty, {})).toBe(true);
    expect(useColor(pipe, {})).toBe(false);
  });

  it("FORCE_COLOR turns colour on even into a pipe; 0 and false turn it off", () => {
    expect(useColor(pipe, { FORCE_COLOR: "1" })).toBe(true);
    expect(useColor(pipe, { FORCE_COLOR: "" })).toBe(true);
    expect(useColor(tty, { FORCE_COLOR: "0" })).toBe(false);
    expect(useColor(tty, { FORCE_COLOR: "false" })).toBe(false);
    // FORCE_COLOR wins over NO_COLOR and TERM=dumb, as in Node's own tty.
    expect(useColor(pipe, { FORCE_COLOR: "1", NO_COLOR: "1", TERM: "dumb" })).toBe(true);
  });

  it("NO_COLOR (non-empty) and TERM=dumb turn it off on a terminal", () => {
    expect(useColor(tty, { NO_COLOR: "1" })).toBe(false);
    expect(useColor(tty, { NO_COLOR: "" })).toBe(true);
    expect(useColor(tty, { TERM: "dumb" })).toBe(false);
    expect(useColor(tty, { TERM: "xterm-256color" })).toBe(true);
  });

  it("--color and --no-color win over everything", () => {
    expect(useColor(pipe, { NO_COLOR: "1" }, true)).toBe(true);
    expect(useColor(tty, { FORCE_COLOR: "1" }, false)).toBe(false);
  });
});

describe("canRedraw", () => {
  it("needs a terminal that is not dumb", () => {
    expect(canRedraw(tty, {})).toBe(true);
    expect(canRedraw(tty, { TERM: "dumb" })).toBe(false);
    expect(canRedraw(pipe, { FORCE_COLOR: "1" })).toBe(false);
  });
});
