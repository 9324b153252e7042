// The manager's Namespace, Deployment, webhook Service and disruption budget.
// Every replica serves the webhooks; the controller runs on the Lease holder.
import { CONTROL_PLANE_LABEL, CONTROL_PLANE_LABEL_VALUE } from "../api/keys.js";
import {
  conversionServiceName,
  DEFAULT_METRICS_PORT,
  DEFAULT_WEBHOOK_SERVICE_PORT,
  MANAGER_NAME,
  MANAGER_POD_LABELS,
  PART_OF_LABELS,
  SERVICE_ACCOUNT_NAME,
  resolveOptions,
  type Manifest,
  type ManifestOptions,
  type ResolvedOptions,
} from "./options.js";

/** The non-root user the image runs as (distroless convention). */
export const MANAGER_UID = 65532;
export const MANAGER_CONTAINER_NAME = "manager";
export const MANAGER_RESOURCES = {
  requests: { cpu: "100m", memory: "128Mi" },
  limits: { cpu: "1", memory: "512Mi" },
};

export function namespaceManifest(options: ManifestOptions = {}): Manifest {
  const { namespace } = resolveOptions(options);
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name: namespace,
      // The pod webhook skips namespaces with this label (docs/behaviour.md §5.1).
      labels: { ...PART_OF_LABELS, [CONTROL_PLANE_LABEL]: CONTROL_PLANE_LABEL_VALUE },
    },
  };
}

/** Flags of `sidecarset manager`; the image's entrypoint already names the command. */
export function managerArgs(o: ResolvedOptions): string[] {
  return ["--leader-elect", `--webhook-port=${o.webhookPort}`, `--metrics-port=${DEFAULT_METRICS_PORT}`];
}

function podTemplate(o: ResolvedOptions): Record<string, unknown> {
  return {
    metadata: { labels: { ...MANAGER_POD_LABELS } },
    spec: {
      serviceAccountName: SERVICE_ACCOUNT_NAME,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: MANAGER_UID,
        runAsGroup: MANAGER_UID,
        seccompProfile: { type: "RuntimeDefault" },
      },
      terminationGracePeriodSeconds: 30,
      containers: [
        {
          name: MANAGER_CONTAINER_NAME,
          image: o.image,
          imagePullPolicy: "IfNotPresent",
          args: managerArgs(o),
          env: [
            { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
            { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
          ],
          ports: [
            { name: "webhook", containerPort: o.webhookPort, protocol: "TCP" },
            { name: "metrics", containerPort: DEFAULT_METRICS_PORT, protocol: "TCP" },
          ],
          livenessProbe: {
            httpGet: { path: "/healthz", port: "metrics" },
            initialDelaySeconds: 10,
            periodSeconds: 10,
            failureThreshold: 3,
          },
          readinessProbe: {
            httpGet: { path: "/readyz", port: "metrics" },
            periodSeconds: 5,
            failureThreshold: 3,
          },
          resources: structuredClone(MANAGER_RESOURCES),
          securityContext: {
            runAsNonRoot: true,
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ["ALL"] },
            seccompProfile: { type: "RuntimeDefault" },
          },
          volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
        },
      ],
      volumes: [{ name: "tmp", emptyDir: {} }],
      affinity: {
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 100,
              podAffinityTerm: {
                labelSelector: { matchLabels: { ...MANAGER_POD_LABELS } },
                topologyKey: "kubernetes.io/hostname",
              },
            },
          ],
        },
      },
    },
  };
}

export function managerDeployment(options: ManifestOptions = {}): Manifest {
  const o = resolveOptions(options);
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: MANAGER_NAME, namespace: o.namespace, labels: { ...MANAGER_POD_LABELS } },
    spec: {
      replicas: o.replicas,
      selector: { matchLabels: { ...MANAGER_POD_LABELS } },
      // Never fewer ready webhook servers than asked for while rolling out:
      // pod creation cluster-wide fails when none answers.
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: podTemplate(o),
    },
  };
}

export function webhookService(options: ManifestOptions = {}): Manifest {
  const o = resolveOptions(options);
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: o.webhookServiceName, namespace: o.namespace, labels: { ...MANAGER_POD_LABELS } },
    spec: {
      selector: { ...MANAGER_POD_LABELS },
      ports: [{ name: "webhook", port: DEFAULT_WEBHOOK_SERVICE_PORT, targetPort: "webhook", protocol: "TCP" }],
    },
  };
}

/** In front of `/convert` only; it routes to not-ready pods too (see conversionServiceName). */
export function conversionService(options: ManifestOptions = {}): Manifest {
  const service = webhookService(options);
  const metadata = service.metadata as { name: string };
  metadata.name = conversionServiceName(metadata.name);
  (service.spec as Record<string, unknown>).publishNotReadyAddresses = true;
  return service;
}

/** Keeps one webhook server up during node drains; pointless (and blocking) with one replica. */
export function podDisruptionBudget(options: ManifestOptions = {}): Manifest | undefined {
  const o = resolveOptions(options);
  if (o.replicas < 2) return undefined;
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name: MANAGER_NAME, namespace: o.namespace, labels: { ...MANAGER_POD_LABELS } },
    spec: { minAvailable: 1, selector: { matchLabels: { ...MANAGER_POD_LABELS } } },
  };
}

/** Deployment, Service and disruption budget, in apply order. */
export function managerManifests(options: ManifestOptions = {}): Manifest[] {
  const pdb = podDisruptionBudget(options);
  return [webhookService(options), conversionService(options), managerDeployment(options), ...(pdb ? [pdb] : [])];
}
