// `shrinkbench render`: write one rung's Dockerfile and context files, ready to copy.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { loadLadder, loadScripts, loadTemplates } from "../assets.js";
import { loadConfig } from "../config.js";
import { InputError } from "../errors.js";
import { selectRungs } from "../ladder.js";
import { planRung } from "../plan.js";
import { flattenConstraints, flattenRequirements, loadRequirements } from "../requirements.js";

export interface RenderOptions {
  requirements: string;
  ladder: string;
  rung: string;
  out: string;
  config?: string;
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The `docker build` command for a rendered rung. Package sources are left to the user's env. */
export function buildCommand(rungId: string, buildArgs: Record<string, string>): string {
  const args = Object.entries(buildArgs)
    .filter(([k]) => !k.startsWith("PIP_"))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `  --build-arg ${shellQuote(`${k}=${v}`)} \\`);
  return [`docker build \\`, ...args, `  -t ${shellQuote(`myapp:${rungId}`)} .`].join("\n");
}

export async function renderCommand(opts: RenderOptions): Promise<string[]> {
  const requirements = loadRequirements(opts.requirements, { allowEditable: false });
  const ladder = selectRungs(await loadLadder(opts.ladder), [opts.rung]);
  const rung = ladder.rungs[0]!;
  const config = await loadConfig(opts.config);
  const plan = planRung(rung, {
    runId: "render",
    bases: { images: config.bases, unavailable: {} },
    sources: { extraIndexUrls: [], findLinks: [], trustedHosts: [] },
  });
  const [templates, scripts] = await Promise.all([loadTemplates(ladder), loadScripts()]);
  try {
    await mkdir(join(opts.out, "scripts"), { recursive: true });
    await mkdir(join(opts.out, "app"), { recursive: true });
  } catch (e) {
    throw new InputError(`--out ${opts.out}: cannot create the folder: ${(e as Error).message}`);
  }
  const written: string[] = [];
  const put = async (name: string, text: string) => {
    await writeFile(join(opts.out, name), text);
    written.push(join(opts.out, name));
  };
  await put("Dockerfile", templates[plan.template]!);
  await put("requirements.txt", flattenRequirements(requirements));
  await put("constraints.txt", flattenConstraints(requirements));
  for (const [name, text] of Object.entries(scripts)) await put(`scripts/${name}`, text);
  await put("app/.keep", "");
  const squashNote = rung.post.includes("squash")
    ? "\nThis rung squashes the layers the Dockerfile adds into one after the build: `docker build --squash` on an\nengine in experimental mode, or let `shrinkbench run --rung " +
      rung.id +
      " --keep-images` do it without.\n"
    : "";
  await put(
    "BUILD.md",
    `# ${rung.id}: ${rung.title}\n\n${rung.description}\n\nPut your application code in app/ and build with:\n\n` +
      "```sh\n" +
      buildCommand(rung.id, plan.buildArgs) +
      "\n```\n\npip reads its index from your environment (PIP_INDEX_URL, PIP_EXTRA_INDEX_URL, PIP_FIND_LINKS): pass them as\n`--build-arg` when you need a private index.\n" +
      squashNote,
  );
  return written;
}
