// BuildKit's build output. A version-2 build answers with JSON lines like the classic builder,
// but its progress comes as `{"id":"moby.buildkit.trace","aux":"<base64>"}`: a protobuf
// moby.buildkit.v1.StatusResponse (vertexes = the steps of the solve, logs = their output),
// and the image as `{"id":"moby.image.id","aux":{"ID":"sha256:..."}}`. Errors still come as
// `errorDetail` lines. dockerode's own decoder (lib/buildkit.js) turns log bytes into base64
// text and drops which step a line belongs to, so the message is decoded here, and folded into
// lines in the shape of `docker build --progress=plain` plus a step count for the progress line.
import protobuf from "protobufjs";

export const BUILDKIT_TRACE_ID = "moby.buildkit.trace";
export const BUILDKIT_IMAGE_ID = "moby.image.id";

/** The part of moby.buildkit.v1.StatusResponse (control.proto) that shrinkbench reads. */
function statusType(): protobuf.Type {
  const Timestamp = new protobuf.Type("Timestamp")
    .add(new protobuf.Field("seconds", 1, "int64"))
    .add(new protobuf.Field("nanos", 2, "int32"));
  const Vertex = new protobuf.Type("Vertex")
    .add(new protobuf.Field("digest", 1, "string"))
    .add(new protobuf.Field("inputs", 2, "string", "repeated"))
    .add(new protobuf.Field("name", 3, "string"))
    .add(new protobuf.Field("cached", 4, "bool"))
    .add(new protobuf.Field("started", 5, "Timestamp"))
    .add(new protobuf.Field("completed", 6, "Timestamp"))
    .add(new protobuf.Field("error", 7, "string"));
  const VertexLog = new protobuf.Type("VertexLog")
    .add(new protobuf.Field("vertex", 1, "string"))
    .add(new protobuf.Field("timestamp", 2, "Timestamp"))
    .add(new protobuf.Field("stream", 3, "int64"))
    .add(new protobuf.Field("msg", 4, "bytes"));
  const VertexWarning = new protobuf.Type("VertexWarning")
    .add(new protobuf.Field("vertex", 1, "string"))
    .add(new protobuf.Field("level", 2, "int64"))
    .add(new protobuf.Field("short", 3, "bytes"));
  const StatusResponse = new protobuf.Type("StatusResponse")
    .add(new protobuf.Field("vertexes", 1, "Vertex", "repeated"))
    .add(new protobuf.Field("logs", 3, "VertexLog", "repeated"))
    .add(new protobuf.Field("warnings", 4, "VertexWarning", "repeated"));
  new protobuf.Root()
    .define("moby.buildkit.v1")
    .add(Timestamp)
    .add(Vertex)
    .add(VertexLog)
    .add(VertexWarning)
    .add(StatusResponse);
  return StatusResponse;
}

let cachedType: protobuf.Type | undefined;

export interface VertexUpdate {
  digest: string;
  name: string;
  cached: boolean;
  /** Seconds since the epoch, when the engine said so. */
  started?: number;
  completed?: number;
  error?: string;
}

export interface StatusUpdate {
  vertexes: VertexUpdate[];
  logs: { vertex: string; msg: Buffer }[];
  warnings: { vertex: string; text: string }[];
}

interface RawTimestamp {
  seconds?: number | { toNumber(): number };
  nanos?: number;
}

function seconds(t: RawTimestamp | null | undefined): number | undefined {
  if (!t) return undefined;
  const s = typeof t.seconds === "object" ? t.seconds.toNumber() : (t.seconds ?? 0);
  return s + (t.nanos ?? 0) / 1e9;
}

/** Decodes the base64 `aux` of a moby.buildkit.trace message. */
export function decodeStatus(base64: string): StatusUpdate {
  cachedType ??= statusType();
  const raw = cachedType.decode(Buffer.from(base64, "base64")) as unknown as {
    vertexes?: {
      digest?: string;
      name?: string;
      cached?: boolean;
      started?: RawTimestamp;
      completed?: RawTimestamp;
      error?: string;
    }[];
    logs?: { vertex?: string; msg?: Uint8Array }[];
    warnings?: { vertex?: string; short?: Uint8Array }[];
  };
  return {
    vertexes: (raw.vertexes ?? []).map((v) => ({
      digest: v.digest ?? "",
      name: v.name ?? "",
      cached: v.cached ?? false,
      started: seconds(v.started),
      completed: seconds(v.completed),
      ...(v.error ? { error: v.error } : {}),
    })),
    logs: (raw.logs ?? []).map((l) => ({
      vertex: l.vertex ?? "",
      msg: Buffer.from(l.msg ?? new Uint8Array()),
    })),
    warnings: (raw.warnings ?? []).map((w) => ({
      vertex: w.vertex ?? "",
      text: Buffer.from(w.short ?? new Uint8Array()).toString("utf8"),
    })),
  };
}

/** A Dockerfile instruction's vertex: `[2/4] RUN ...`, or `[builder 3/7] RUN ...` in a stage. */
const INSTRUCTION = /^\[(?:[^\]\s]+ )?\d+\/\d+\]/;

interface VertexState {
  name: string;
  /** The `#N` of plain progress output: numbered in the order the steps start. */
  number?: number;
  started?: number;
  completed?: number;
  cached: boolean;
  error?: string;
  /** Output not yet ended by a newline. */
  partial: string;
}

/**
 * Folds BuildKit status updates into log lines (as `docker build --progress=plain` prints them:
 * `#5 [2/4] RUN pip install ...`, `#5 <output>`, `#5 DONE 12.3s`, `#5 CACHED`, `#5 ERROR: ...`)
 * and a step count. Pure: fed decoded updates, it keeps no clock of its own.
 */
export class BuildKitProgress {
  private readonly vertexes = new Map<string, VertexState>();
  private next = 1;

  push(update: StatusUpdate): string[] {
    const lines: string[] = [];
    for (const v of update.vertexes) {
      let state = this.vertexes.get(v.digest);
      if (!state) {
        state = { name: v.name, cached: false, partial: "" };
        this.vertexes.set(v.digest, state);
      }
      if (v.name) state.name = v.name;
      if ((v.started !== undefined || v.cached) && state.number === undefined) {
        state.number = this.next++;
        lines.push(`#${state.number} ${state.name}`);
      }
      if (v.started !== undefined) state.started ??= v.started;
      if (v.cached && !state.cached) {
        state.cached = true;
        lines.push(`#${state.number} CACHED`);
      }
      if (v.error && !state.error) {
        state.error = v.error;
        lines.push(...this.flush(state), `#${state.number} ERROR: ${v.error}`);
      }
      if (v.completed !== undefined && state.completed === undefined) {
        state.completed = v.completed;
        lines.push(...this.flush(state));
        if (!state.cached && !state.error) {
          const took = state.started === undefined ? 0 : Math.max(0, v.completed - state.started);
          lines.push(`#${state.number} DONE ${took.toFixed(1)}s`);
        }
      }
    }
    for (const log of update.logs) {
      const state = this.vertexes.get(log.vertex);
      const text = (state?.partial ?? "") + log.msg.toString("utf8");
      const parts = text.split(/\r?\n/);
      const rest = parts.pop() ?? "";
      const prefix = state?.number !== undefined ? `#${state.number} ` : "";
      lines.push(...parts.map((p) => prefix + p));
      if (state) state.partial = rest;
      else if (rest) lines.push(rest);
    }
    for (const w of update.warnings) lines.push(`WARNING: ${w.text}`);
    return lines;
  }

  /** Step N of M: the Dockerfile's instructions started so far, of all those the solve holds. */
  steps(): { step: number; steps: number } | undefined {
    const instructions = [...this.vertexes.values()].filter((v) => INSTRUCTION.test(v.name));
    if (instructions.length === 0) return undefined;
    const started = instructions.filter((v) => v.number !== undefined).length;
    return { step: Math.max(1, started), steps: instructions.length };
  }

  /** The messages of the steps that failed, in the order they failed. */
  errors(): string[] {
    return [...this.vertexes.values()].flatMap((v) => (v.error ? [v.error] : []));
  }

  private flush(state: VertexState): string[] {
    if (!state.partial) return [];
    const line = `#${state.number ?? "?"} ${state.partial}`;
    state.partial = "";
    return [line];
  }
}
