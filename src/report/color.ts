// Whether text written to one stream gets colour. In order: --color / --no-color, FORCE_COLOR
// (any value but 0 or false turns colour on, even into a pipe; 0 or false turns it off), a
// non-empty NO_COLOR (no-color.org), TERM=dumb, and last whether that stream is a terminal.
// Each stream decides for itself: a table on stdout piped to a file is plain while the
// progress on stderr, a terminal, stays coloured.

export function useColor(
  stream: { isTTY?: boolean },
  env: NodeJS.ProcessEnv,
  flag?: boolean,
): boolean {
  if (flag !== undefined) return flag;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== "0" && force.toLowerCase() !== "false";
  if ((env.NO_COLOR ?? "") !== "") return false;
  if (env.TERM === "dumb") return false;
  return Boolean(stream.isTTY);
}

/** Whether a stream can redraw lines in place (cursor movement): a terminal that is not dumb. */
export function canRedraw(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return Boolean(stream.isTTY) && env.TERM !== "dumb";
}
