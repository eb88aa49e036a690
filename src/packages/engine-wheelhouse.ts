// Serving a wheelhouse on an engine: the files are sent to the engine once (a tar stream through
// the Engine API, so whatever transport reaches the engine, ssh and TLS included, carries them)
// into a helper container on the engine's host network, whose python serves them on the
// engine's own 127.0.0.1. Host-network builds on that engine read them from there with
// --no-index --find-links. Every engine of a run gets the same port, as the builds' arguments
// are the same everywhere; a port taken on one of them means another try on all.

import * as path from "node:path";
import type { Readable } from "node:stream";
import type { Engine, Helper } from "../docker/engine.js";
import { ShrinkbenchError } from "../errors.js";
import { packContext, type ContextEntry } from "../ladder/context.js";
import type { WheelhouseFile } from "./wheelhouse.js";

/** Where the files are in the helper container. */
export const WHEELHOUSE_DIR = "shrinkbench-wheelhouse";

const READY = /shrinkbench-wheelhouse-ready (\d+)/;

/** python3 -c SERVER PORT ROOT: a directory listing pip's --find-links reads, on loopback only. */
export const SERVER_SCRIPT = `
import functools, http.server, sys
class Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass
handler = functools.partial(Handler, directory=sys.argv[2])
server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), handler)
print("shrinkbench-wheelhouse-ready", server.server_address[1], flush=True)
server.serve_forever()
`;

/** A tar stream of the files under WHEELHOUSE_DIR/, read from disk as it is consumed. */
export function wheelhouseArchive(dir: string, files: readonly WheelhouseFile[]): Readable {
  const entries: ContextEntry[] = [
    { type: "directory", name: `${WHEELHOUSE_DIR}/` },
    ...files.map((f): ContextEntry => ({
      type: "disk-file",
      name: `${WHEELHOUSE_DIR}/${f.name}`,
      path: path.join(dir, f.name),
      size: f.size,
      mode: 0o644,
    })),
  ];
  return packContext(entries).stream;
}

export interface ServedWheelhouse {
  /** What the builds use as --find-links: http://127.0.0.1:PORT/ on every engine. */
  url: string;
  stop(): Promise<void>;
}

export interface ServeOptions {
  dir: string;
  files: readonly WheelhouseFile[];
  /** An image with python3 present on every engine (a base image of the run). */
  image: string;
  labels: Record<string, string>;
  timeoutMs?: number;
  /** Port picker, for tests; default: random in 20000–59999. */
  pickPort?: () => number;
  attempts?: number;
}

/** Starts the wheelhouse server on every engine, on one port. */
export async function serveWheelhouse(
  engines: readonly Engine[],
  opts: ServeOptions,
): Promise<ServedWheelhouse> {
  const pick = opts.pickPort ?? (() => 20000 + Math.floor(Math.random() * 40000));
  let lastError: unknown;
  for (let attempt = 0; attempt < (opts.attempts ?? 4); attempt++) {
    const port = pick();
    const started: Helper[] = [];
    try {
      for (const engine of engines) {
        if (!engine.startHelper) {
          throw new ShrinkbenchError(
            `the engine at ${engine.host} cannot run the wheelhouse server`,
            "use --sources server",
          );
        }
        started.push(
          await engine.startHelper({
            image: opts.image,
            cmd: ["python3", "-c", SERVER_SCRIPT, String(port), `/${WHEELHOUSE_DIR}`],
            archive: wheelhouseArchive(opts.dir, opts.files),
            labels: opts.labels,
            ready: READY,
            timeoutMs: opts.timeoutMs ?? 120_000,
          }),
        );
      }
      return {
        url: `http://127.0.0.1:${port}/`,
        stop: async () => {
          await Promise.all(started.map((h) => h.stop().catch(() => undefined)));
        },
      };
    } catch (e) {
      await Promise.all(started.map((h) => h.stop().catch(() => undefined)));
      lastError = e;
      // Only a port in use on some engine is worth another try.
      if (!/address already in use|errno 98/i.test(String((e as Error).message))) throw e;
    }
  }
  throw lastError;
}
