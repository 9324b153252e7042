import assert from "node:assert/strict";
import { test } from "node:test";
import type { SidecarContainer, SidecarSet } from "../../../../src/api/types.js";
import { changesBesidesImages } from "../../../../src/core/rollout/changes-besides-images.js";
import { makeSet } from "./fixtures.js";

const withContainers = (containers: SidecarContainer[], initContainers?: SidecarContainer[]): SidecarSet =>
  makeSet({}, { containers, ...(initContainers ? { initContainers } : {}) });

const agent = (extra: Partial<SidecarContainer> = {}): SidecarContainer => ({ name: "agent", image: "agent:1", ...extra });

const cases: { name: string; before: SidecarSet; after: SidecarSet; changes: string[] }[] = [
  { name: "an image change alone is no change besides images", before: withContainers([agent()]), after: withContainers([agent({ image: "agent:2" })]), changes: [] },
  {
    name: "a changed field is named by container and field",
    before: withContainers([agent()]),
    after: withContainers([agent({ image: "agent:2", env: [{ name: "LEVEL", value: "debug" }] })]),
    changes: ["containers[agent].env"],
  },
  {
    name: "added and removed containers are named",
    before: withContainers([agent(), { name: "old", image: "old:1" }]),
    after: withContainers([agent(), { name: "new", image: "new:1" }]),
    changes: ["containers[new] added", "containers[old] removed"],
  },
  {
    name: "a reorder alone changes the hash and is named",
    before: withContainers([agent(), { name: "b", image: "b:1" }]),
    after: withContainers([{ name: "b", image: "b:1" }, agent()]),
    changes: ["containers: order"],
  },
  {
    name: "plain initContainers are not hashed, so their changes are not named",
    before: withContainers([agent()], [{ name: "init", image: "init:1" }]),
    after: withContainers([agent()], [{ name: "init", image: "init:1", args: ["x"] }]),
    changes: [],
  },
  {
    name: "native sidecar initContainers are hashed, so their changes are named",
    before: withContainers([agent()], [{ name: "proxy", image: "proxy:1", restartPolicy: "Always" }]),
    after: withContainers([agent()], [{ name: "proxy", image: "proxy:2", restartPolicy: "Always", args: ["--v=2"] }]),
    changes: ["initContainers[proxy].args"],
  },
];
for (const c of cases) test(`changes besides images: ${c.name}`, () => assert.deepEqual(changesBesidesImages(c.before, c.after), c.changes));
