// The complaint about one logical line of a requirements file. The pieces of the parser throw it
// without knowing the file; parseRequirementsText turns it into an InputError naming file:line.

/** A complaint about one logical line; turned into an InputError naming file:line. */
export class LineError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** Quotes a piece of a line for a message, shortened to `max` characters. */
export function quote(s: string, max = 60): string {
  const short = s.length > max ? `${s.slice(0, max)}...` : s;
  return `'${short}'`;
}
