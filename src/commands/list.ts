// `shrinkbench list`: the rungs of a ladder and what each one does.
import { builtinLadders, loadLadder } from "../ladder/assets.js";
import type { Output } from "./io.js";

export async function listCommand(opts: { ladder: string }, io: Pick<Output, "stdout">) {
  const ladder = await loadLadder(opts.ladder);
  io.stdout(`${ladder.name}: ${ladder.description}\n\n`);
  for (const r of ladder.rungs) {
    const stages = r.builder ? `${r.builder} → ${r.base}` : r.base;
    const ref = r.reference?.size ? ` (talk: ${r.reference.size})` : "";
    io.stdout(`  ${r.id.padEnd(22)} [${stages}] ${r.title}${ref}\n      ${r.description}\n`);
  }
  io.stdout(`\nbuilt-in ladders: ${(await builtinLadders()).join(", ")}\n`);
}
