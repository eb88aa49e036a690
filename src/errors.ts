// Errors are thrown where they are known and rendered once, by the CLI.

/** Exit codes: 0 fine, 1 something measured failed (a rung, a budget), 2 usage or input. */
export const EXIT = { ok: 0, failed: 1, usage: 2, sigint: 130, sigterm: 143 } as const;

export class ShrinkbenchError extends Error {
  constructor(
    message: string,
    /** What the user can do about it. */
    readonly hint?: string,
    readonly exitCode: number = EXIT.usage,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad input: a file, a flag, a ladder. Always names what was wrong and where. */
export class InputError extends ShrinkbenchError {}

/** The Docker engine could not be reached or refused a request outside of a rung. */
export class EngineError extends ShrinkbenchError {}

/** Formats a "file:line: message" location prefix, the way compilers do. */
export function at(file: string, line?: number): string {
  return line === undefined ? file : `${file}:${line}`;
}
