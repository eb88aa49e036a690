import { describe, expect, it } from "vitest";

import {
  budgetForRung,
  budgetsFromConfig,
  budgetsFromFlags,
  describeBudget,
  formatGrowthLimit,
  parseGrowth,
  unmatchedBudgets,
  type Budgets,
} from "../../src/results/budget.js";
import { InputError } from "../../src/errors.js";

const CONFIG = "shrinkbench.config.json";

function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }
  throw new Error("expected an InputError");
}

describe("parseGrowth", () => {
  it("reads a percentage as a ratio and a size as bytes", () => {
    expect(parseGrowth("5%", "--max-growth")).toEqual({ kind: "ratio", ratio: 0.05 });
    expect(parseGrowth("+0.5%", "--max-growth")).toEqual({ kind: "ratio", ratio: 0.005 });
    expect(parseGrowth("20MB", "--max-growth")).toEqual({ kind: "bytes", bytes: 20_000_000 });
    expect(parseGrowth("+1MiB", "--max-growth")).toEqual({ kind: "bytes", bytes: 1_048_576 });
  });

  it("refuses a bare number, which could be either", () => {
    const err = inputError(() => parseGrowth("5", "--max-growth"));
    expect(err.message).toBe('--max-growth: "5" needs a unit');
    expect(err.hint).toMatch(/write 5% .* or a size such as 20MB/);
  });
});

describe("budgetsFromFlags", () => {
  it.each<[string, number]>([
    ["100kB", 100e3],
    ["100KB", 100e3],
    ["300MB", 300e6],
    ["1.5GB", 1.5e9],
    ["1TB", 1e12],
    ["64KiB", 64 * 1024],
    ["512MiB", 512 * 2 ** 20],
    ["2GiB", 2 * 2 ** 30],
    ["1TiB", 2 ** 40],
    ["123", 123],
    ["123B", 123],
  ])("--max-size %s is %i bytes, for every rung or for one", (text, bytes) => {
    const budgets = budgetsFromFlags({ maxSize: [text, `slim=${text}`] });
    expect(budgets).toEqual([
      { rung: "*", from: "flag", origin: `--max-size ${text}`, budget: { maxSizeBytes: bytes } },
      {
        rung: "slim",
        from: "flag",
        origin: `--max-size slim=${text}`,
        budget: { maxSizeBytes: bytes },
      },
    ]);
  });

  it("reads --max-growth and --max-layers, once or repeated, strings or numbers", () => {
    const budgets = budgetsFromFlags({
      maxGrowth: "5%",
      maxLayers: [30, "slim=12"],
    });
    expect(budgetForRung(budgets, "slim")).toEqual({
      maxGrowth: { kind: "ratio", ratio: 0.05 },
      maxLayers: 12,
    });
    expect(budgetForRung(budgets, "full")).toEqual({
      maxGrowth: { kind: "ratio", ratio: 0.05 },
      maxLayers: 30,
    });
    expect(budgetsFromFlags({})).toEqual([]);
  });

  it.each<[string, Parameters<typeof budgetsFromFlags>[0], RegExp, RegExp]>([
    ["size junk", { maxSize: "lots" }, /^--max-size: "lots" is not a size$/, /MiB/],
    ["size ambiguous", { maxSize: "slim=300M" }, /^--max-size: "300M" .*ambiguous/, /MB .*MiB/],
    ["size no rung", { maxSize: "=300MB" }, /^--max-size: "=300MB" has no rung id/, /slim=/],
    ["size no value", { maxSize: "slim=" }, /^--max-size: "slim=" has no value/, /slim=300MB/],
    ["growth bare", { maxGrowth: "5" }, /^--max-growth: "5" needs a unit/, /5%/],
    ["growth number", { maxGrowth: 5 }, /^--max-growth: "5" needs a unit/, /5%/],
    ["growth junk", { maxGrowth: "slim=much" }, /^--max-growth: "much"/, /percentage .*5%/],
    ["growth negative", { maxGrowth: "-5%" }, /^--max-growth: "-5%" is not a percentage/, /5%/],
    ["layers junk", { maxLayers: "many" }, /^--max-layers: "many" is not a whole number/, /12/],
    ["layers fraction", { maxLayers: 2.5 }, /^--max-layers: "2.5"/, /whole number/],
    ["layers negative", { maxLayers: "slim=-1" }, /^--max-layers: "-1"/, /whole number/],
  ])("rejects %s, naming the flag", (_name, flags, message, hint) => {
    const err = inputError(() => budgetsFromFlags(flags));
    expect(err.message).toMatch(message);
    expect(err.hint).toMatch(hint);
    expect(err.exitCode).toBe(2);
  });
});

describe("budgetsFromConfig", () => {
  it("reads blocks for every rung and for one rung, in every unit", () => {
    const budgets = budgetsFromConfig(
      {
        "*": { maxGrowth: "5%", maxSize: "2GB", maxLayers: 30 },
        slim: { maxSize: "300MiB", maxGrowth: "10MB" },
        full: { maxSize: 1_500_000_000 },
      },
      CONFIG,
    );
    expect(budgets.map((e) => [e.rung, e.origin])).toEqual([
      ["*", "shrinkbench.config.json budgets.*"],
      ["slim", "shrinkbench.config.json budgets.slim"],
      ["full", "shrinkbench.config.json budgets.full"],
    ]);
    expect(budgetForRung(budgets, "slim")).toEqual({
      maxGrowth: { kind: "bytes", bytes: 10e6 },
      maxSizeBytes: 300 * 2 ** 20,
      maxLayers: 30,
    });
    expect(budgetForRung(budgets, "full").maxSizeBytes).toBe(1.5e9);
    expect(budgetForRung(budgets, "other")).toEqual({
      maxGrowth: { kind: "ratio", ratio: 0.05 },
      maxSizeBytes: 2e9,
      maxLayers: 30,
    });
    expect(budgetsFromConfig(undefined, CONFIG)).toEqual([]);
  });

  it.each<[string, unknown, string]>([
    ["not an object", [], "shrinkbench.config.json: budgets: expected an object"],
    ["block", { slim: "300MB" }, "shrinkbench.config.json: budgets.slim: expected an object"],
    [
      "unknown key",
      { slim: { maxsize: "300MB" } },
      "shrinkbench.config.json: budgets.slim.maxsize: unknown budget; expected one of maxGrowth, maxGrowthAboveBase, maxSize, maxLayers, maxWasted, maxWastedPercent, minEfficiency",
    ],
    [
      "size unit",
      { slim: { maxSize: "2XB" } },
      'shrinkbench.config.json: budgets.slim.maxSize: "2XB" has an unknown unit "XB"',
    ],
    [
      "size type",
      { "*": { maxSize: true } },
      'shrinkbench.config.json: budgets.*.maxSize: expected a size such as "300MB", got true',
    ],
    [
      "size negative",
      { "*": { maxSize: -1 } },
      'shrinkbench.config.json: budgets.*.maxSize: expected a size such as "300MB" or a whole number of bytes, got -1',
    ],
    [
      "growth number",
      { "*": { maxGrowth: 5 } },
      'shrinkbench.config.json: budgets.*.maxGrowth: expected a string such as "5%" or "20MB", got 5',
    ],
    [
      "growth bare string",
      { "*": { maxGrowth: "5" } },
      'shrinkbench.config.json: budgets.*.maxGrowth: "5" needs a unit',
    ],
    [
      "layers",
      { "*": { maxLayers: "30" } },
      'shrinkbench.config.json: budgets.*.maxLayers: expected a whole number of layers, got "30"',
    ],
  ])("rejects %s, naming the config field", (_name, value, message) => {
    expect(inputError(() => budgetsFromConfig(value, CONFIG)).message).toBe(message);
  });
});

describe("budgetForRung", () => {
  const config = budgetsFromConfig(
    {
      "*": { maxGrowth: "5%", maxSize: "2GB", maxLayers: 30 },
      slim: { maxGrowth: "1%", maxSize: "300MB" },
    },
    CONFIG,
  );

  it("takes flags over config, and a rung's own entry over *", () => {
    const flags = budgetsFromFlags({ maxSize: "1GB", maxLayers: "slim=10" });
    const budgets: Budgets = [...flags, ...config];
    expect(budgetForRung(budgets, "slim")).toEqual({
      maxGrowth: { kind: "ratio", ratio: 0.01 },
      maxSizeBytes: 1e9,
      maxLayers: 10,
    });
    expect(budgetForRung(budgets, "full")).toEqual({
      maxGrowth: { kind: "ratio", ratio: 0.05 },
      maxSizeBytes: 1e9,
      maxLayers: 30,
    });
  });

  it("lets the last of several values at one level win, whatever the order of sources", () => {
    const flags = budgetsFromFlags({ maxSize: ["slim=100MB", "slim=200MB"] });
    expect(budgetForRung([...config, ...flags], "slim").maxSizeBytes).toBe(200e6);
  });

  it("is empty without budgets", () => {
    expect(budgetForRung([], "slim")).toEqual({});
  });
});

describe("unmatchedBudgets", () => {
  it("lists entries for rung ids in neither run", () => {
    const budgets = budgetsFromFlags({ maxSize: ["300MB", "slim=1GB", "slimm=1GB"] });
    expect(unmatchedBudgets(budgets, ["full", "slim"]).map((e) => e.origin)).toEqual([
      "--max-size slimm=1GB",
    ]);
  });
});

describe("describeBudget", () => {
  it("prints each limit in docker's units", () => {
    expect(
      describeBudget({
        maxGrowth: { kind: "ratio", ratio: 0.05 },
        maxSizeBytes: 300e6,
        maxLayers: 30,
      }),
    ).toBe("+5%, ≤ 300MB, ≤ 30 layers");
    expect(formatGrowthLimit({ kind: "ratio", ratio: 0.125 })).toBe("+12.5%");
    expect(formatGrowthLimit({ kind: "bytes", bytes: 20e6 })).toBe("+20MB");
    expect(describeBudget({})).toBe("none");
  });
});

describe("the above-base growth budget", () => {
  it("comes from --max-growth-above-base and the config's maxGrowthAboveBase, flags first", () => {
    const config = budgetsFromConfig(
      { "*": { maxGrowthAboveBase: "5%" }, slim: { maxGrowthAboveBase: "20MB", maxGrowth: "1%" } },
      CONFIG,
    );
    const flags = budgetsFromFlags({ maxGrowthAboveBase: ["full=2%"] });
    const budgets = [...flags, ...config];
    expect(budgetForRung(budgets, "full")).toEqual({
      maxGrowthAboveBase: { kind: "ratio", ratio: 0.02 },
    });
    expect(budgetForRung(budgets, "slim")).toEqual({
      maxGrowth: { kind: "ratio", ratio: 0.01 },
      maxGrowthAboveBase: { kind: "bytes", bytes: 20e6 },
    });
    expect(budgetForRung(budgets, "multi-stage").maxGrowthAboveBase).toEqual({
      kind: "ratio",
      ratio: 0.05,
    });
    expect(describeBudget(budgetForRung(budgets, "slim"))).toBe("+1%, +20MB above base");
  });

  it("refuses a bare number and a missing value, naming the flag", () => {
    expect(inputError(() => budgetsFromFlags({ maxGrowthAboveBase: "5" })).message).toContain(
      "--max-growth-above-base",
    );
    expect(inputError(() => budgetsFromFlags({ maxGrowthAboveBase: "slim=" })).hint).toContain(
      "above its base",
    );
    expect(
      inputError(() => budgetsFromConfig({ slim: { maxGrowthAboveBase: 5 } }, CONFIG)).message,
    ).toContain("budgets.slim.maxGrowthAboveBase");
  });
});
