// A closed pipe ends quietly: `shrinkbench list | head -1` closes stdout after one line, and
// the next write fails with EPIPE. Like the shell's own tools, shrinkbench then stops writing
// there and finishes (a run still cleans up and saves its record) instead of dying with a stack
// trace.
import type { EventEmitter } from "node:events";

/** Swallows EPIPE (and writes after it) on a stream; any other error is thrown as before. */
export function quietOnClosedPipe(stream: EventEmitter): void {
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE" || e.code === "ERR_STREAM_DESTROYED") return;
    throw e;
  });
}

/** A writer that stops writing once the stream was closed by its reader. */
export function writerTo(stream: () => NodeJS.WritableStream & { destroyed?: boolean }) {
  return (s: string): void => {
    const target = stream();
    if (!target.destroyed) target.write(s);
  };
}
