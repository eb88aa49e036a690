#!/usr/bin/env node
// The executable: everything else is in cli.ts, so that tests can call main() in-process.
import { hideBin } from "yargs/helpers";
import { main } from "./cli/main.js";

process.exitCode = await main(hideBin(process.argv));
