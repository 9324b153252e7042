// Pods for the end-to-end tests that look at what injection made of them:
// creating one as the webhooks leave it, and finding a container in it.
import assert from "node:assert/strict";
import type { Container, Pod } from "../../src/api/kube-types.js";
import type { Environment } from "./environment.js";
import { rawRequest } from "./kube.js";

/**
 * Creates a pod and returns it as stored, i.e. as the webhooks left it. No
 * service account token, so the ServiceAccount admission plugin adds no
 * volume and the assertions can be exact.
 */
export function createBarePod(env: Environment, namespace: string, name: string, spec: Record<string, unknown>, metadata: Record<string, unknown> = {}): Promise<Pod> {
  return rawRequest<Pod>(env.clients.kc, "POST", `/api/v1/namespaces/${namespace}/pods`, {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { ...metadata, name },
    spec: { automountServiceAccountToken: false, ...spec },
  });
}

/** The pod's container or initContainer `name`; fails the test when there is none. */
export function containerNamed(pod: Pod, name: string): Container {
  const c = pod.spec?.containers.find((x) => x.name === name) ?? pod.spec?.initContainers?.find((x) => x.name === name);
  assert.ok(c, `pod ${pod.metadata?.name} has container ${name}`);
  return c;
}
