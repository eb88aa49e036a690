// Tables for people: one shape (a head, an alignment per column, rows of cells) printed either
// as aligned plain-text columns, as `docker images` prints them, or as a GitHub-flavoured
// markdown table. Every report (run, check, inspect, recommendation) goes through here, so
// escaping is decided once.

export type Align = "l" | "r";

export interface TextTable {
  head: string[];
  align: Align[];
  rows: string[][];
}

/** Text for a markdown table cell: backslashes, pipes and inline HTML escaped, one line. */
export function mdCell(text: string): string {
  return text
    .replace(/\\/g, "\\\\")
    .replace(/\|/g, "\\|")
    .replace(/</g, "&lt;")
    .replace(/\s*\r?\n\s*/g, " ");
}

/** Inline code that a backtick or a pipe inside it cannot break. */
export function mdCode(text: string): string {
  const ticks = text.includes("`") ? "``" : "`";
  const pad = text.startsWith("`") || text.endsWith("`") ? " " : "";
  return `${ticks}${pad}${text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ")}${pad}${ticks}`;
}

/** Collapses white space and cuts at `max` characters with an ellipsis. */
export function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? flat.slice(0, max - 1) + "…" : flat;
}

/**
 * Aligned columns two spaces apart, indented by `indent`; the last column is not padded so
 * lines carry no trailing blanks. `paintHead` colours the head line (the caller decides
 * whether its stream takes colour).
 */
export function textTable(
  t: TextTable,
  opts: { indent?: string; paintHead?: (line: string) => string } = {},
): string[] {
  const indent = opts.indent ?? "  ";
  const widths = t.head.map((h, i) =>
    Math.max(h.length, ...t.rows.map((r) => (r[i] ?? "").length)),
  );
  const line = (cells: string[]) =>
    `${indent}${cells
      .map((c, i) => {
        if (t.align[i] === "r") return c.padStart(widths[i] ?? 0);
        return i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0);
      })
      .join("  ")}`.trimEnd();
  const head = line(t.head);
  return [opts.paintHead ? opts.paintHead(head) : head, ...t.rows.map(line)];
}

/** A GFM table; cells are escaped here, so callers pass plain text. */
export function markdownTable(t: TextTable, opts: { escape?: boolean } = {}): string[] {
  const esc = opts.escape === false ? (s: string) => s : mdCell;
  const row = (cells: string[]) => `| ${cells.map(esc).join(" | ")} |`;
  return [
    row(t.head),
    `| ${t.align.map((a) => (a === "r" ? "---:" : ":---")).join(" | ")} |`,
    ...t.rows.map(row),
  ];
}
