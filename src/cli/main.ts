// Entry point of the `sidecarset` executable.
import { commandName, run } from "./program.js";

// `sidecarset … | head` closes the pipe early; that is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw e;
  });
}

const code = await run(process.argv.slice(2), commandName(process.argv[1]));
process.exitCode = code;
