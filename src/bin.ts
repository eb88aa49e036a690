#!/usr/bin/env node
// The executable: everything else is in cli/main.ts, so that tests can call main() in-process.
import { hideBin } from "yargs/helpers";
import { quietOnClosedPipe } from "./cli/pipes.js";
import { main } from "./cli/main.js";

quietOnClosedPipe(process.stdout);
quietOnClosedPipe(process.stderr);
process.exitCode = await main(hideBin(process.argv));
