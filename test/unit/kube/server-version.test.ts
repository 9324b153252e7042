import assert from "node:assert/strict";
import { test } from "node:test";
import { atLeast, parseServerVersion } from "../../../src/kube/server-version.js";

const cases: { name: string; info: { major?: string; minor?: string; gitVersion?: string }; v130: boolean }[] = [
  { name: "1.36 is at least 1.30", info: { major: "1", minor: "36", gitVersion: "v1.36.3" }, v130: true },
  { name: "1.29 is not", info: { major: "1", minor: "29", gitVersion: "v1.29.0" }, v130: false },
  { name: 'a distribution\'s "30+" minor counts as 30', info: { major: "1", minor: "30+", gitVersion: "v1.30.2-eks-1" }, v130: true },
  { name: "without major and minor, gitVersion decides", info: { gitVersion: "v1.31.0-gke.1" }, v130: true },
  { name: "nothing readable counts as 0.0", info: {}, v130: false },
];
for (const c of cases) test(c.name, () => assert.equal(atLeast(parseServerVersion(c.info), 1, 30), c.v130));
