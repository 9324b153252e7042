// Entry point of the `sidecarset` executable.
import { run } from "./program.js";

const code = await run(process.argv.slice(2));
process.exitCode = code;
