// The build context of your own Dockerfile: its folder as `docker build` sends it (.dockerignore
// honoured), with the Dockerfile the run sends (yours.ts) in place of yours. Read-only on disk:
// the changed Dockerfile exists only in the tar stream.
import { existsSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import { InputError } from "../errors.js";
import { appEntries, type ContextEntry } from "./context.js";
import { bigContextWarning, pickAppFile, pickRequirementsFile } from "./yours.js";
import type { OwnDockerfile } from "../types.js";

/** Where the Dockerfile goes in the tar when it lives outside its context (as the docker CLI does). */
export const OUTSIDE_DOCKERFILE = ".shrinkbench.Dockerfile";

export interface OwnContext {
  entries: ContextEntry[];
  /** The Dockerfile's path in the tar (the build's `dockerfile` option). */
  dockerfileName: string;
  /** What an app-change rebuild changes, and what a requirements-change rebuild appends to. */
  appFile?: string;
  requirementsFile?: string;
}

/**
 * Reads your Dockerfile and checks its context folder, before anything is built. `names` say
 * where each path was given (a flag, or a ladder file's field), for the error.
 */
export async function loadOwnDockerfile(
  path: string,
  context: string | undefined,
  names: { dockerfile: string; context: string },
): Promise<OwnDockerfile> {
  if (!existsSync(path))
    throw new InputError(
      `${names.dockerfile} ${path}: no such file`,
      "name the Dockerfile your project builds, e.g. --dockerfile ./Dockerfile",
    );
  if (statSync(path).isDirectory())
    throw new InputError(
      `${names.dockerfile} ${path}: is a directory`,
      "name the Dockerfile itself; its folder is the build context unless --build-context says otherwise",
    );
  const folder = context ?? dirname(path);
  if (!existsSync(folder) || !statSync(folder).isDirectory())
    throw new InputError(
      `${names.context} ${folder}: not a directory`,
      "name the folder `docker build` is given (the build context); default: the Dockerfile's folder",
    );
  return { path: resolve(path), context: resolve(folder), text: await readFile(path, "utf8") };
}

/** A path relative to the context, with forward slashes; undefined when outside it. */
export function insideContext(context: string, path: string): string | undefined {
  const rel = relative(context, path);
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) return undefined;
  return rel.split(sep).join("/");
}

/** The files of the context (after .dockerignore) with their sizes. */
export async function contextFiles(context: string): Promise<{ name: string; size: number }[]> {
  return (await appEntries(context, true, "")).flatMap((e) =>
    e.type === "disk-file" ? [{ name: e.name, size: e.size }] : [],
  );
}

/** The big-context warning for a Dockerfile's context, read from disk (see bigContextWarning). */
export async function contextWarning(
  own: OwnDockerfile,
  limit?: number,
): Promise<string | undefined> {
  return bigContextWarning(await contextFiles(own.context), { limit, context: own.context });
}

/**
 * The entries to send: the context folder, the Dockerfile at its own path (or OUTSIDE_DOCKERFILE)
 * replaced by `sent`. `runRequirements` is the run's requirements file, for the rebuild's pick.
 */
export async function ownContext(
  own: OwnDockerfile,
  sent: string,
  runRequirements?: string,
): Promise<OwnContext> {
  const found = await appEntries(own.context, true, "");
  const dockerfileName = insideContext(own.context, own.path) ?? OUTSIDE_DOCKERFILE;
  const dockerfile: ContextEntry = { type: "file", name: dockerfileName, content: sent };
  const at = found.findIndex((e) => e.name === dockerfileName);
  // The docker CLI sends the Dockerfile even when .dockerignore names it; so does this.
  const entries =
    at < 0 ? [...found, dockerfile] : found.map((e, i) => (i === at ? dockerfile : e));
  const files = entries.flatMap((e) =>
    e.type === "file" || e.type === "disk-file" ? [e.name] : [],
  );
  const inContext = runRequirements ? insideContext(own.context, runRequirements) : undefined;
  const appFile = pickAppFile(files, own.text, dockerfileName);
  const requirementsFile = pickRequirementsFile(files, own.text, inContext);
  return {
    entries,
    dockerfileName,
    ...(appFile ? { appFile } : {}),
    ...(requirementsFile ? { requirementsFile } : {}),
  };
}
