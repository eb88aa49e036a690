// `run --dockerfile PATH [--build-context DIR]`: the rung `yours` joins the ladder, first, so that
// every other rung reads as a change against it. Checked before the engine is touched.
import { InputError } from "../errors.js";
import { contextWarning, loadOwnDockerfile } from "../ladder/own-context.js";
import { mapBaseImages, YOURS, yoursRung } from "../ladder/yours.js";
import type { BaseRole, Ladder, OwnDockerfile } from "../types.js";

/** Your Dockerfile from the flags, read; a path that does not exist exits 2 naming it. */
export async function ownDockerfileOf(opts: {
  dockerfile?: string;
  buildContext?: string;
}): Promise<OwnDockerfile | undefined> {
  if (opts.dockerfile === undefined) {
    if (opts.buildContext !== undefined)
      throw new InputError(
        "--build-context needs --dockerfile",
        "e.g. --dockerfile ./docker/app.Dockerfile --build-context . (the folder docker build is given)",
      );
    return undefined;
  }
  return loadOwnDockerfile(opts.dockerfile, opts.buildContext, {
    dockerfile: "--dockerfile",
    context: "--build-context",
  });
}

/** The ladder with `yours` first; a ladder of a rung named `yours` already is an error. */
export function withYours(ladder: Ladder, own: OwnDockerfile | undefined): Ladder {
  if (!own) return ladder;
  if (ladder.rungs.some((r) => r.id === YOURS))
    throw new InputError(
      `${ladder.file}: the ladder has a rung named "${YOURS}", the name --dockerfile gives your Dockerfile`,
      "rename that rung, or give your Dockerfile as a rung of the ladder file (a `dockerfile` field)",
    );
  return { ...ladder, rungs: [yoursRung(own), ...ladder.rungs] };
}

/** What the run tells about your Dockerfile before it starts: base mapping, a big context. */
export async function yoursNotes(
  own: OwnDockerfile,
  bases: Record<BaseRole, string>,
): Promise<string[]> {
  const notes = mapBaseImages(own.text, bases).mapped.map(
    (m) =>
      `${YOURS}: FROM ${m.from} is built on ${m.to} (the config's image for that base role), as the other rungs are`,
  );
  const big = await contextWarning(own);
  return big ? [...notes, `${YOURS}: ${big}`] : notes;
}
