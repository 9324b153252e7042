import assert from "node:assert/strict";
import { test } from "node:test";
import { demoCommand, demoOutput } from "../../../src/cli/demo.js";

function capture(isTTY: boolean) {
  let text = "";
  return { out: { isTTY, write: (s: string) => (text += s) }, text: () => text };
}

test("demo output to a pipe is plain lines: no escapes, [ok]/[FAIL] marks, elapsed time on progress", () => {
  const c = capture(false);
  const say = demoOutput(c.out, Date.now() - 1500, {});
  say.step("1. Something");
  say.progress("matched 1");
  say.info("done");
  say.check({ ok: true, text: "fine" });
  say.check({ ok: false, text: "broken" });
  assert.equal(c.text(), "\n== 1. Something\n[  1.5s] matched 1\n[  1.5s] -> done\n  [ok]   fine\n  [FAIL] broken\n");
});

test("demo output to a terminal is emphasised, and plain again with NO_COLOR", () => {
  const tty = capture(true);
  demoOutput(tty.out, Date.now(), {}).check({ ok: true, text: "fine" });
  assert.match(tty.text(), /\u001b\[32m✓\u001b\[0m fine/);
  const noColor = capture(true);
  demoOutput(noColor.out, Date.now(), { NO_COLOR: "1" }).check({ ok: true, text: "fine" });
  assert.equal(noColor.text(), "  [ok]   fine\n");
});

const badFlags: { name: string; args: string[]; message: RegExp }[] = [
  { name: "zero replicas", args: ["--replicas", "0"], message: /"0" is not a whole number of at least 1/ },
  { name: "a fractional partition", args: ["--partition", "1.5"], message: /"1\.5" is not a whole number of at least 0/ },
  { name: "maxUnavailable 0 (nothing could ever upgrade)", args: ["--max-unavailable", "0"], message: /"0" is not a whole number of at least 1/ },
];
for (const c of badFlags) {
  test(`demo refuses ${c.name}`, async () => {
    let stderr = "";
    const cmd = demoCommand({ write: () => true }).exitOverride().configureOutput({ writeErr: (s) => (stderr += s) });
    await assert.rejects(cmd.parseAsync(c.args, { from: "user" }));
    assert.match(stderr, c.message);
  });
}

test("demo refuses a partition larger than the Deployment before starting anything", async () => {
  const cmd = demoCommand({ write: () => true }).exitOverride();
  await assert.rejects(cmd.parseAsync(["--replicas", "3", "--partition", "4"], { from: "user" }), /--partition 4 is more than --replicas 3/);
});
