import assert from "node:assert/strict";
import { test } from "node:test";
import type { Container, Pod } from "../../../../src/api/kube-types.js";
import type { ResourcesPolicy } from "../../../../src/api/types.js";
import { computeSidecarResources } from "../../../../src/core/inject/resources-policy.js";
import { inject, injected, pod, sidecar, sidecarSet } from "./fixtures.js";

function app(name: string, requests?: Record<string, string>, limits?: Record<string, string>): Container {
  const c: Container = { name, image: `${name}:1` };
  if (requests || limits) c.resources = { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) };
  return c;
}

function policy(extra: Partial<ResourcesPolicy>): ResourcesPolicy {
  return { targetContainersMode: "sum", targetContainersNameRegex: ".*", resourcesExpr: {}, ...extra };
}

const none = new Set<string>();

const cases: { name: string; pod: Pod; policy: ResourcesPolicy; excluded?: Set<string>; want: unknown }[] = [
  {
    name: "docs/behaviour.md §5.9 example: requests 1 + 500m, sum, max(cpu*20%, 50m) → 300m",
    pod: pod({ containers: [app("a", { cpu: "1" }), app("b", { cpu: "500m" })] }),
    policy: policy({ resourcesExpr: { requests: { cpu: "max(cpu*20%, 50m)" } } }),
    want: { requests: { cpu: "300m" } },
  },
  {
    name: "max mode takes the largest",
    pod: pod({ containers: [app("a", { cpu: "1" }), app("b", { cpu: "1500m" })] }),
    policy: policy({ targetContainersMode: "max", resourcesExpr: { requests: { cpu: "cpu*10%" } } }),
    want: { requests: { cpu: "150m" } },
  },
  {
    name: "a missing request counts as 0",
    pod: pod({ containers: [app("a", { cpu: "1" }), app("b")] }),
    policy: policy({ resourcesExpr: { requests: { cpu: "cpu*10%" } } }),
    want: { requests: { cpu: "100m" } },
  },
  {
    name: "no requests anywhere: the floor applies",
    pod: pod({ containers: [app("a")] }),
    policy: policy({ resourcesExpr: { requests: { cpu: "max(cpu*10%, 50m)" } } }),
    want: { requests: { cpu: "50m" } },
  },
  {
    name: "a target without a limit makes the limit unlimited: left unset",
    pod: pod({ containers: [app("a", undefined, { cpu: "1" }), app("b")] }),
    policy: policy({ resourcesExpr: { limits: { cpu: "cpu*50%" } } }),
    want: {},
  },
  {
    name: "limits when every target has one",
    pod: pod({ containers: [app("a", undefined, { cpu: "1", memory: "1Gi" }), app("b", undefined, { cpu: "1", memory: "1Gi" })] }),
    policy: policy({ resourcesExpr: { limits: { cpu: "cpu*50%", memory: "memory*25%" } } }),
    want: { limits: { cpu: "1", memory: "512Mi" } },
  },
  {
    name: "the regex chooses targets (unanchored)",
    pod: pod({ containers: [app("web-app", { cpu: "2" }), app("debug", { cpu: "8" })] }),
    policy: policy({ targetContainersNameRegex: "app", resourcesExpr: { requests: { cpu: "cpu*10%" } } }),
    want: { requests: { cpu: "200m" } },
  },
  {
    name: "sidecar names of the SidecarSets being injected are never targets",
    pod: pod({ containers: [app("app", { cpu: "1" }), app("envoy", { cpu: "4" })] }),
    policy: policy({ resourcesExpr: { requests: { cpu: "cpu" } } }),
    excluded: new Set(["envoy"]),
    want: { requests: { cpu: "1" } },
  },
  {
    name: "native-sidecar initContainers are targets, plain initContainers are not",
    pod: pod({
      initContainers: [{ ...app("native", { cpu: "1" }), restartPolicy: "Always" }, app("setup", { cpu: "8" })],
      containers: [app("app", { cpu: "1" })],
    }),
    policy: policy({ resourcesExpr: { requests: { cpu: "cpu" } } }),
    want: { requests: { cpu: "2" } },
  },
  {
    name: "a unitless cpu result is cores truncated to millis",
    pod: pod({ containers: [app("a", { cpu: "1" })] }),
    policy: policy({ resourcesExpr: { requests: { cpu: "0.12345" } } }),
    want: { requests: { cpu: "123m" } },
  },
  {
    name: "memory sums keep the binary format",
    pod: pod({ containers: [app("a", { memory: "512Mi" }), app("b", { memory: "1536Mi" })] }),
    policy: policy({ resourcesExpr: { requests: { memory: "memory/2" } } }),
    want: { requests: { memory: "1Gi" } },
  },
  {
    name: "the variable follows the word memory, not the field",
    pod: pod({ containers: [app("a", { cpu: "2", memory: "1Gi" })] }),
    policy: policy({ resourcesExpr: { requests: { cpu: "memory * 0 + 1" } } }),
    want: { requests: { cpu: "1" } },
  },
  {
    name: "empty expressions are not evaluated",
    pod: pod({ containers: [app("a", { cpu: "1" })] }),
    policy: policy({ resourcesExpr: { requests: { cpu: "", memory: "100Mi" } } }),
    want: { requests: { memory: "100Mi" } },
  },
  {
    name: "numbers in pod resources (from YAML) are read as quantities",
    pod: pod({ containers: [{ name: "a", image: "a", resources: { requests: { cpu: 2 as unknown as string } } }] }),
    policy: policy({ resourcesExpr: { requests: { cpu: "cpu / 4" } } }),
    want: { requests: { cpu: "500m" } },
  },
];

for (const c of cases) {
  test(`resourcesPolicy: ${c.name}`, () => {
    const r = computeSidecarResources(c.policy, c.pod, c.excluded ?? none);
    assert.ok(r.ok, r.ok ? "" : `${r.path}: ${r.message}`);
    assert.deepEqual(r.resources, c.want);
  });
}

const failures: { name: string; pod: Pod; policy: ResourcesPolicy; path: string; message: RegExp }[] = [
  {
    name: "no target container",
    pod: pod({ containers: [app("web")] }),
    policy: policy({ targetContainersNameRegex: "^db$", resourcesExpr: { requests: { cpu: "cpu" } } }),
    path: "resourcesPolicy.targetContainersNameRegex",
    message: /no container of the pod matches "\^db\$"/,
  },
  {
    name: "invalid RE2 (lookahead)",
    pod: pod({}),
    policy: policy({ targetContainersNameRegex: "(?=a)", resourcesExpr: { requests: { cpu: "cpu" } } }),
    path: "resourcesPolicy.targetContainersNameRegex",
    message: /not a valid RE2/,
  },
  {
    name: "expression error names the field and the bound value",
    pod: pod({ containers: [app("a", { cpu: "1" })] }),
    policy: policy({ resourcesExpr: { requests: { cpu: "cpu * 2m" } } }),
    path: "resourcesPolicy.resourcesExpr.requests.cpu",
    message: /cpu = 1\).*multiply two quantities/,
  },
  {
    name: "negative result",
    pod: pod({ containers: [app("a", undefined, { cpu: "1" })] }),
    policy: policy({ resourcesExpr: { limits: { cpu: "cpu - 2" } } }),
    path: "resourcesPolicy.resourcesExpr.limits.cpu",
    message: /negative/,
  },
  {
    name: "a malformed pod quantity is reported on the pod field",
    pod: pod({ containers: [app("a", { cpu: "lots" })] }),
    policy: policy({ resourcesExpr: { requests: { cpu: "cpu" } } }),
    path: "spec.containers[0].resources.requests.cpu",
    message: /"lots" is not a valid quantity/,
  },
];

for (const c of failures) {
  test(`resourcesPolicy rejected: ${c.name}`, () => {
    const r = computeSidecarResources(c.policy, c.pod, none);
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.path, c.path);
      assert.match(r.message, c.message);
    }
  });
}

test("injection: computed resources replace the sidecar's, and a failure denies with the full path", () => {
  const p = pod({ containers: [app("app", { cpu: "1", memory: "1Gi" })] });
  const set = sidecarSet("res", {
    containers: [
      sidecar("proxy", {
        resources: { requests: { cpu: "5" } },
        resourcesPolicy: policy({ resourcesExpr: { requests: { cpu: "max(cpu*20%, 50m)", memory: "memory*10%" } } }),
      }),
    ],
  });
  const r = injected(inject(p, [set]));
  const proxy = r.pod.spec!.containers.find((c) => c.name === "proxy")!;
  assert.deepEqual(proxy.resources, { requests: { cpu: "200m", memory: "107374182400m" } });

  const bad = sidecarSet("res", {
    containers: [sidecar("proxy", { resourcesPolicy: policy({ targetContainersNameRegex: "^nothing$", resourcesExpr: { requests: { cpu: "cpu" } } }) })],
  });
  const denied = inject(p, [bad]);
  assert.equal(denied.kind, "denied");
  if (denied.kind === "denied") {
    assert.match(denied.message, /^sidecarset "res": spec\.containers\[0\]\.resourcesPolicy\.targetContainersNameRegex: no container/);
  }
});

test("injection: sidecars of every SidecarSet being injected are excluded from targets", () => {
  const p = pod({ containers: [app("app", { cpu: "1" }), app("mesh", { cpu: "3" })] });
  const meshSet = sidecarSet("a-mesh", { containers: [sidecar("mesh")] });
  const logSet = sidecarSet("b-log", {
    containers: [sidecar("log", { resourcesPolicy: policy({ resourcesExpr: { requests: { cpu: "cpu" } } }) })],
  });
  const r = injected(inject(p, [meshSet, logSet]));
  assert.deepEqual(r.pod.spec!.containers.find((c) => c.name === "log")!.resources, { requests: { cpu: "1" } });
});
