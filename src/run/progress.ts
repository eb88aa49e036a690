// Live progress of a run, as pure data and pure rendering.
//
// The scheduler emits events; a reducer folds them into a `ProgressState`; a renderer turns
// the state into text and hands it to an injected `write`. Time comes from the events (`at`)
// and from an injected clock, so every output is reproducible in a test.

import { canRedraw, useColor } from "../report/color.js";
import { formatSeconds } from "../units.js";

/** What one rung is doing. */
export type RungPhase =
  "queued" | "building" | "squashing" | "smoke" | "PASS" | "FAILED" | "SKIPPED";

export const TERMINAL_PHASES: readonly RungPhase[] = ["PASS", "FAILED", "SKIPPED"];

/** Times are milliseconds since the epoch (`Date.now()`), throughout this module. */
export type ProgressEvent =
  /** The ladder, in order: every rung starts queued. */
  | { type: "run-start"; rungs: { id: string; title?: string }[]; at: number }
  | {
      type: "rung-state";
      rung: string;
      state: RungPhase;
      /** Build step, for `building` (classic builder "Step N/M"). */
      step?: number;
      steps?: number;
      /** Why a rung FAILED or was SKIPPED; shown beside the state. */
      reason?: string;
      at: number;
    }
  /** One line of build or smoke-test output. `building` rungs pick their step up from it. */
  | { type: "log"; rung: string; line: string; at?: number }
  /** The run is over (or was interrupted): final draw and summary. */
  | { type: "run-end"; at: number; interrupted?: boolean };

export interface RungProgress {
  id: string;
  title?: string;
  phase: RungPhase;
  step?: number;
  steps?: number;
  reason?: string;
  /** When it left `queued`; undefined while queued. */
  startedAt?: number;
  /** When it reached PASS, FAILED or SKIPPED. */
  finishedAt?: number;
}

export interface ProgressState {
  rungs: RungProgress[];
  startedAt?: number;
  endedAt?: number;
  interrupted: boolean;
}

export function initialProgress(): ProgressState {
  return { rungs: [], interrupted: false };
}

export function isTerminal(phase: RungPhase): boolean {
  return TERMINAL_PHASES.includes(phase);
}

/** Recognises a classic-builder step line: `Step 3/7 : RUN pip install ...` → `{ step: 3, steps: 7 }`. */
export function parseBuildStep(line: string): { step: number; steps: number } | undefined {
  const m = /^\s*Step\s+(\d+)\s*\/\s*(\d+)\s*:/.exec(line);
  if (!m) return undefined;
  const step = Number(m[1]);
  const steps = Number(m[2]);
  if (!Number.isSafeInteger(step) || !Number.isSafeInteger(steps) || steps < 1) return undefined;
  return { step, steps };
}

/** Folds one event into the state. Returns a new state; never mutates its input. */
export function reduceProgress(state: ProgressState, event: ProgressEvent): ProgressState {
  switch (event.type) {
    case "run-start": {
      const known = new Map(state.rungs.map((r) => [r.id, r]));
      const rungs = event.rungs.map(
        (r) => known.get(r.id) ?? { id: r.id, title: r.title, phase: "queued" as const },
      );
      // Rungs reported before the ladder was announced keep their place at the end.
      for (const r of state.rungs) if (!rungs.some((x) => x.id === r.id)) rungs.push(r);
      return { ...state, rungs, startedAt: state.startedAt ?? event.at };
    }
    case "rung-state": {
      const rungs = state.rungs.slice();
      let i = rungs.findIndex((r) => r.id === event.rung);
      if (i < 0) {
        rungs.push({ id: event.rung, phase: "queued" });
        i = rungs.length - 1;
      }
      const prev = rungs[i]!;
      const next: RungProgress = { ...prev, phase: event.state };
      if (event.state === "building") {
        next.step = event.step ?? (prev.phase === "building" ? prev.step : undefined);
        next.steps = event.steps ?? (prev.phase === "building" ? prev.steps : undefined);
      } else {
        delete next.step;
        delete next.steps;
      }
      if (event.reason !== undefined) next.reason = event.reason;
      else if (!isTerminal(event.state)) delete next.reason;
      if (event.state === "queued") {
        delete next.startedAt;
        delete next.finishedAt;
      } else {
        // A rung skipped straight from the queue never ran: it has no duration.
        if (next.startedAt === undefined && !(event.state === "SKIPPED" && prev.phase === "queued"))
          next.startedAt = event.at;
        if (isTerminal(event.state)) next.finishedAt = event.at;
        else delete next.finishedAt;
      }
      rungs[i] = next;
      return { ...state, rungs, startedAt: state.startedAt ?? event.at };
    }
    case "log": {
      const i = state.rungs.findIndex((r) => r.id === event.rung);
      const r = state.rungs[i];
      if (!r || r.phase !== "building") return state;
      const parsed = parseBuildStep(event.line);
      if (!parsed || (parsed.step === r.step && parsed.steps === r.steps)) return state;
      const rungs = state.rungs.slice();
      rungs[i] = { ...r, step: parsed.step, steps: parsed.steps };
      return { ...state, rungs };
    }
    case "run-end":
      return { ...state, endedAt: event.at, interrupted: event.interrupted ?? false };
  }
}

export interface Overall {
  total: number;
  done: number;
  passed: number;
  failed: number;
  skipped: number;
  /** Seconds since the run started. */
  elapsedSeconds: number;
  /** Mean duration of finished rungs × rungs not finished; undefined until one rung has finished. */
  estimateSeconds?: number;
}

/** Seconds a rung has been running (or ran); undefined while queued or when skipped unrun. */
export function rungElapsedSeconds(r: RungProgress, now: number): number | undefined {
  if (r.startedAt === undefined) return undefined;
  return Math.max(0, ((r.finishedAt ?? now) - r.startedAt) / 1000);
}

export function overall(state: ProgressState, now: number): Overall {
  const total = state.rungs.length;
  const finished = state.rungs.filter((r) => isTerminal(r.phase));
  const timed = finished
    .map((r) => rungElapsedSeconds(r, now))
    .filter((s): s is number => s !== undefined);
  const end = state.endedAt ?? now;
  const out: Overall = {
    total,
    done: finished.length,
    passed: finished.filter((r) => r.phase === "PASS").length,
    failed: finished.filter((r) => r.phase === "FAILED").length,
    skipped: finished.filter((r) => r.phase === "SKIPPED").length,
    elapsedSeconds: state.startedAt === undefined ? 0 : Math.max(0, (end - state.startedAt) / 1000),
  };
  if (timed.length > 0) {
    const mean = timed.reduce((a, b) => a + b, 0) / timed.length;
    out.estimateSeconds = mean * (total - finished.length);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Text

/** "building step 3/7", "smoke test", "FAILED: no space left". */
export function describePhase(r: RungProgress): string {
  switch (r.phase) {
    case "queued":
      return "queued";
    case "building":
      return r.step !== undefined && r.steps !== undefined
        ? `building step ${r.step}/${r.steps}`
        : "building";
    case "squashing":
      return "squashing";
    case "smoke":
      return "smoke test";
    default:
      return r.reason ? `${r.phase}: ${oneLine(r.reason)}` : r.phase;
  }
}

export function overallLine(o: Overall): string {
  const parts = [`${o.done}/${o.total} done`, `${formatElapsed(o.elapsedSeconds)} elapsed`];
  if (o.estimateSeconds !== undefined && o.done < o.total)
    parts.push(`about ${formatElapsed(o.estimateSeconds)} left`);
  return parts.join(" · ");
}

function summaryLine(o: Overall, interrupted: boolean): string {
  const counts = [`${o.passed} PASS`, `${o.failed} FAILED`, `${o.skipped} SKIPPED`];
  const head = interrupted ? "interrupted after" : "finished in";
  return `${head} ${formatElapsed(o.elapsedSeconds)}: ${o.done}/${o.total} rungs, ${counts.join(", ")}`;
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}

/** Removes C0/C1 control characters (escape sequences in build output included). */
function stripControl(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, "").replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, "");
}

/** "12:03:04Z": UTC wall clock, so logs from machines in different zones line up. */
export function clockStamp(at: number): string {
  return `${new Date(at).toISOString().slice(11, 19)}Z`;
}

const ANSI = {
  reset: "\x1b[0m",
  bold: "\x1b[1m",
  dim: "\x1b[2m",
  red: "\x1b[31m",
  green: "\x1b[32m",
  yellow: "\x1b[33m",
  cyan: "\x1b[36m",
} as const;

type Paint = (style: keyof typeof ANSI, s: string) => string;
const paintWith: Paint = (style, s) => `${ANSI[style]}${s}${ANSI.reset}`;
const noPaint: Paint = (_style, s) => s;

function phaseStyle(phase: RungPhase): keyof typeof ANSI {
  switch (phase) {
    case "PASS":
      return "green";
    case "FAILED":
      return "red";
    case "SKIPPED":
      return "yellow";
    case "queued":
      return "dim";
    default:
      return "cyan";
  }
}

function marker(phase: RungPhase): string {
  switch (phase) {
    case "PASS":
      return "✓";
    case "FAILED":
      return "✗";
    case "SKIPPED":
      return "-";
    case "queued":
      return " ";
    default:
      return "›";
  }
}

function truncate(s: string, width: number | undefined): string {
  if (width === undefined || width <= 0 || s.length <= width) return s;
  return width <= 1 ? s.slice(0, width) : `${s.slice(0, width - 1)}…`;
}

/** The block a TTY shows: one line per rung, then the overall line. No escape codes in it unless `paint` adds them. */
export function renderBlock(
  state: ProgressState,
  now: number,
  opts: { paint?: Paint; columns?: number } = {},
): string[] {
  const paint = opts.paint ?? noPaint;
  const idWidth = Math.min(28, Math.max(4, ...state.rungs.map((r) => r.id.length)));
  const lines = state.rungs.map((r) => {
    const elapsed = rungElapsedSeconds(r, now);
    const desc = describePhase(r);
    const time = elapsed === undefined ? "" : formatElapsed(elapsed);
    // Truncate the plain text first, so colour codes never get cut and lines never wrap.
    const id = stripControl(r.id).padEnd(idWidth);
    const head = `${marker(r.phase)} ${id}  `;
    const tail = time ? `  ${time}` : "";
    const columns = opts.columns;
    const style = phaseStyle(r.phase);
    if (columns !== undefined && head.length + tail.length + 1 > columns) {
      // Too narrow for the layout: cut the whole plain line, and colour it as one.
      return paint(style, truncate(`${head}${stripControl(desc)}${tail}`, columns));
    }
    const room = columns === undefined ? undefined : columns - head.length - tail.length;
    const padded = tail ? stripControl(desc).padEnd(22) : stripControl(desc);
    const body = truncate(padded, room);
    return `${paint(style, marker(r.phase))} ${id}  ${paint(style, body)}${tail}`;
  });
  const o = overall(state, now);
  lines.push(paint("bold", truncate(overallLine(o), opts.columns)));
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Renderers

export interface ProgressRenderer {
  /** Feeds one event; the renderer writes whatever it shows for it. */
  handle(event: ProgressEvent): void;
  /** Refreshes elapsed times (the TTY renderer redraws; the others do nothing). Call it on a timer. */
  tick(): void;
  /** The state so far, for a final table or a test. */
  readonly state: ProgressState;
}

export interface RendererIO {
  write: (s: string) => void;
  /** Milliseconds since the epoch. */
  now: () => number;
}

abstract class BaseRenderer implements ProgressRenderer {
  state: ProgressState = initialProgress();
  constructor(protected readonly io: RendererIO) {}
  handle(event: ProgressEvent): void {
    const before = this.state;
    this.state = reduceProgress(before, event);
    this.show(event, before);
  }
  tick(): void {}
  protected abstract show(event: ProgressEvent, before: ProgressState): void;
}

/** Redraws the block in place with cursor-up and clear-line. */
export class TtyRenderer extends BaseRenderer {
  private drawn = 0;
  private ended = false;
  private readonly paint: Paint;
  constructor(
    io: RendererIO,
    private readonly opts: { color: boolean; columns?: number },
  ) {
    super(io);
    this.paint = opts.color ? paintWith : noPaint;
  }
  override tick(): void {
    if (!this.ended && this.drawn > 0) this.draw();
  }
  protected show(event: ProgressEvent, before: ProgressState): void {
    if (this.ended) return;
    if (event.type === "log" && this.state === before) return;
    this.draw();
    if (event.type === "run-end") {
      this.ended = true;
      const o = overall(this.state, event.at);
      this.io.write(`${summaryLine(o, this.state.interrupted)}\n`);
    }
  }
  private draw(): void {
    const lines = renderBlock(this.state, this.io.now(), {
      paint: this.paint,
      columns: this.opts.columns,
    });
    let out = this.drawn > 0 ? `\x1b[${this.drawn}A` : "";
    for (const line of lines) out += `\r\x1b[2K${line}\n`;
    // A block that shrank (it never should) leaves stale lines: clear them.
    for (let i = lines.length; i < this.drawn; i++) out += "\r\x1b[2K\n";
    if (this.drawn > lines.length) out += `\x1b[${this.drawn - lines.length}A`;
    this.drawn = lines.length;
    this.io.write(out);
  }
}

/** One timestamped line per state change; never an escape code. */
export class PlainRenderer extends BaseRenderer {
  protected show(event: ProgressEvent, before: ProgressState): void {
    const w = (at: number, s: string) => this.io.write(`${clockStamp(at)} ${stripControl(s)}\n`);
    switch (event.type) {
      case "run-start":
        w(event.at, `ladder of ${this.state.rungs.length} rungs`);
        return;
      case "rung-state": {
        const r = this.state.rungs.find((x) => x.id === event.rung)!;
        const p = before.rungs.find((x) => x.id === event.rung);
        if (p && p.phase === r.phase && p.step === r.step && p.steps === r.steps) return;
        let line = `${r.id}: ${describePhase(r)}`;
        if (isTerminal(r.phase)) {
          const elapsed = rungElapsedSeconds(r, event.at);
          if (elapsed !== undefined) line += ` in ${formatElapsed(elapsed)}`;
          line += ` (${overallLine(overall(this.state, event.at))})`;
        }
        w(event.at, line);
        return;
      }
      case "log":
        this.onLog(event, before);
        return;
      case "run-end":
        w(event.at, summaryLine(overall(this.state, event.at), this.state.interrupted));
        return;
    }
  }
  /** Step changes picked up from build output are state changes too. */
  protected onLog(event: Extract<ProgressEvent, { type: "log" }>, before: ProgressState): void {
    if (this.state === before) return;
    const r = this.state.rungs.find((x) => x.id === event.rung)!;
    this.io.write(`${clockStamp(event.at ?? this.io.now())} ${r.id}: ${describePhase(r)}\n`);
  }
}

/** Plain, and every output line too, prefixed with its rung id. */
export class VerboseRenderer extends PlainRenderer {
  protected override onLog(
    event: Extract<ProgressEvent, { type: "log" }>,
    before: ProgressState,
  ): void {
    super.onLog(event, before);
    const line = stripControl(event.line.replace(/\r?\n$/, ""));
    this.io.write(`[${stripControl(event.rung)}] ${line}\n`);
  }
}

/** Prints nothing: with --quiet the CLI prints only the final table. */
export class QuietRenderer extends BaseRenderer {
  protected show(): void {}
}

export interface ProgressOptions {
  isTTY: boolean;
  /** Reads FORCE_COLOR, NO_COLOR and TERM (report/color.ts). */
  env: Record<string, string | undefined>;
  quiet?: boolean;
  verbose?: boolean;
  /** --color / --no-color: wins over the environment. */
  color?: boolean;
  /** Terminal width, so TTY lines never wrap (a wrapped line would break the redraw). */
  columns?: number;
  write: (s: string) => void;
  now: () => number;
}

/**
 * quiet wins over verbose; verbose is always plain text; a terminal that can redraw (not
 * TERM=dumb) gets the redrawn block.
 */
export function createProgress(opts: ProgressOptions): ProgressRenderer {
  const io: RendererIO = { write: opts.write, now: opts.now };
  if (opts.quiet) return new QuietRenderer(io);
  if (opts.verbose) return new VerboseRenderer(io);
  const stream = { isTTY: opts.isTTY };
  if (!canRedraw(stream, opts.env)) return new PlainRenderer(io);
  return new TtyRenderer(io, {
    color: useColor(stream, opts.env, opts.color),
    columns: opts.columns,
  });
}

/** Elapsed and remaining time, in whole seconds: a clock that ticks, never below zero. */
function formatElapsed(seconds: number): string {
  return formatSeconds(Math.max(0, seconds), { whole: true });
}
