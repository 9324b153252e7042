// The SidecarSet CustomResourceDefinition (docs/behaviour.md §2.1).
//
// The schema declares every SidecarSet field with its type only. Enum values,
// required fields and ranges are left to the validating webhook, which
// reports them with a field path and what is allowed; the API server's schema
// errors are checked first and are terser. No node carries `default:` — the
// API server would fill such values in and change hashes and revision data.
// Container and volume entries declare the SidecarSet-specific fields and keep
// every other Kubernetes field as given (x-kubernetes-preserve-unknown-fields).
//
// Both versions are served; v1beta1 is stored. They differ only in how a
// SidecarSet names one namespace and its custom version (src/api/conversion.ts),
// and the API server converts between them through the manager's `/convert`.
import { GROUP, KIND, PLURAL, VERSION } from "../api/types.js";
import { V1BETA1 } from "../api/v1beta1/types.js";
import { conversionServiceName, PART_OF_LABELS, resolveOptions, type Manifest, type ManifestOptions } from "./options.js";
import { webhookClientConfig } from "./webhook.js";

export type JSONSchemaProps = Record<string, unknown>;

export const CRD_NAME = `${PLURAL}.${GROUP}`;
/** Path of the conversion webhook on the manager's webhook server. */
export const CONVERT_PATH = "/convert";

const str = (description?: string): JSONSchemaProps => withDescription({ type: "string" }, description);
const bool = (description?: string): JSONSchemaProps => withDescription({ type: "boolean" }, description);
const int32 = (description?: string): JSONSchemaProps =>
  withDescription({ type: "integer", format: "int32" }, description);
const int64 = (description?: string): JSONSchemaProps =>
  withDescription({ type: "integer", format: "int64" }, description);
const arrayOf = (items: JSONSchemaProps, description?: string): JSONSchemaProps =>
  withDescription({ type: "array", items }, description);
const object = (properties: Record<string, JSONSchemaProps>, description?: string): JSONSchemaProps =>
  withDescription({ type: "object", properties }, description);
const stringMap = (description?: string): JSONSchemaProps =>
  withDescription({ type: "object", additionalProperties: { type: "string" } }, description);
const intOrString = (description?: string): JSONSchemaProps =>
  withDescription(
    { anyOf: [{ type: "integer" }, { type: "string" }], "x-kubernetes-int-or-string": true },
    description,
  );

function withDescription(schema: JSONSchemaProps, description: string | undefined): JSONSchemaProps {
  return description === undefined ? schema : { description, ...schema };
}

function labelSelector(description: string): JSONSchemaProps {
  return object(
    {
      matchLabels: stringMap("Label key to value; each pair must match."),
      matchExpressions: arrayOf(
        object({
          key: str(),
          operator: str("In, NotIn, Exists or DoesNotExist."),
          values: arrayOf(str()),
        }),
        "Requirements, all of which must match.",
      ),
    },
    description,
  );
}

function sidecarContainer(description: string): JSONSchemaProps {
  const sharePolicy = (d: string) => object({ type: str("enabled or disabled.") }, d);
  const quantities = (d: string) => object({ cpu: str(), memory: str() }, d);
  return arrayOf(
    {
      ...object({
        name: str(),
        image: str(),
        podInjectPolicy: str(
          "BeforeAppContainer or AfterAppContainer: where the sidecar goes relative to the pod's own containers.",
        ),
        upgradeStrategy: object(
          {
            upgradeType: str("ColdUpgrade (restart in place) or HotUpgrade (a pair of containers that hand over)."),
            hotUpgradeEmptyImage: str("Image the idle container of a HotUpgrade pair runs."),
          },
          "How the sidecar is upgraded in place.",
        ),
        shareVolumePolicy: sharePolicy("Copy the app containers' volumeMounts into this sidecar."),
        shareVolumeDevicePolicy: sharePolicy("Copy the app containers' volumeDevices into this sidecar."),
        transferEnv: arrayOf(
          object({
            sourceContainerName: str(),
            sourceContainerNameFrom: object({
              fieldRef: object({ apiVersion: str(), fieldPath: str() }),
            }),
            envName: str(),
            envNames: arrayOf(str()),
          }),
          "Environment variables copied from an app container.",
        ),
        resourcesPolicy: object(
          {
            targetContainersMode: str("sum or max."),
            targetContainersNameRegex: str("RE2 expression selecting the pod containers to aggregate."),
            resourcesExpr: object({
              limits: quantities("Expressions over the aggregated limits."),
              requests: quantities("Expressions over the aggregated requests."),
            }),
          },
          "Sidecar resources computed from the app containers' resources.",
        ),
      }),
      "x-kubernetes-preserve-unknown-fields": true,
    },
    description,
  );
}

function volumes(): JSONSchemaProps {
  return arrayOf(
    { ...object({ name: str() }), "x-kubernetes-preserve-unknown-fields": true },
    "Volumes the sidecars may mount; only those a sidecar references are added to a pod.",
  );
}

/** The fields in which the two versions differ. */
function versionedSpecFields(version: string): Record<string, JSONSchemaProps> {
  if (version === V1BETA1) {
    return {
      namespaceSelector: labelSelector(
        "Only pods whose Namespace's labels match; kubernetes.io/metadata.name selects a namespace by name.",
      ),
      customVersion: str("Custom version of this spec, recorded on its ControllerRevision."),
    };
  }
  return {
    namespace: str("Only pods of this namespace."),
    namespaceSelector: labelSelector("Only pods whose Namespace's labels match; exclusive with namespace."),
  };
}

function specSchema(version: string): JSONSchemaProps {
  return object(
    {
      selector: labelSelector("Pods to inject; required and non-empty."),
      ...versionedSpecFields(version),
      initContainers: sidecarContainer("Init containers injected when a pod is created."),
      containers: sidecarContainer("Sidecar containers; injected at creation and upgraded in place."),
      volumes: volumes(),
      updateStrategy: object(
        {
          type: str("RollingUpdate or NotUpdate."),
          paused: bool("Stop upgrading pods."),
          selector: labelSelector("Only pods matching it are upgraded."),
          partition: intOrString("How many matched pods stay on old versions: a number or a percentage like 10%."),
          maxUnavailable: intOrString("Upgrade budget: a number or a percentage like 10%."),
          priorityStrategy: object({
            weightPriority: arrayOf(
              object({ weight: int32(), matchSelector: labelSelector("Pods the weight applies to.") }),
            ),
            orderPriority: arrayOf(object({ orderedKey: str() })),
          }),
          scatterStrategy: arrayOf(
            object({ key: str(), value: str("A value of key; * or empty means every value.") }),
            "Spread upgrades across pods with these label values.",
          ),
        },
        "How injected pods are upgraded.",
      ),
      injectionStrategy: object({
        paused: bool("Stop injecting into new pods."),
        revision: object({
          customVersion: str(),
          revisionName: str(),
          policy: str("Always or Partial."),
        }),
      }),
      imagePullSecrets: arrayOf(object({ name: str() }), "Added to a pod when it is created."),
      revisionHistoryLimit: int32("ControllerRevisions kept."),
      patchPodMetadata: arrayOf(
        object({
          annotations: stringMap(),
          patchPolicy: str("Retain, Overwrite or MergePatchJson."),
        }),
        "Pod annotations to set.",
      ),
    },
    "Desired state of the SidecarSet.",
  );
}

function statusSchema(): JSONSchemaProps {
  return object(
    {
      observedGeneration: int64(),
      matchedPods: int32("Pods that carry this SidecarSet's sidecars."),
      updatedPods: int32("Matched pods on the current version."),
      readyPods: int32("Matched pods that are ready."),
      updatedReadyPods: int32("Matched pods on the current version and ready."),
      notInjectedPods: int32("Selected pods created without this SidecarSet's sidecars."),
      latestRevision: str("Name of the ControllerRevision of the current spec."),
      collisionCount: int32(),
      conditions: arrayOf(
        object({
          type: str(),
          status: str("True, False or Unknown."),
          reason: str(),
          message: str(),
          lastTransitionTime: { type: "string", format: "date-time" },
          observedGeneration: int64(),
        }),
        "Conditions of the SidecarSet; Reconciled=False carries the error that keeps it from converging.",
      ),
    },
    "Observed state of the SidecarSet.",
  );
}

export function sidecarSetSchema(version: string = VERSION): JSONSchemaProps {
  return object({
    apiVersion: str(),
    kind: str(),
    metadata: { type: "object" },
    spec: specSchema(version),
    status: statusSchema(),
  });
}

export const PRINTER_COLUMNS: readonly JSONSchemaProps[] = [
  { name: "MATCHED", type: "integer", jsonPath: ".status.matchedPods", description: "Pods with the sidecars." },
  { name: "UPDATED", type: "integer", jsonPath: ".status.updatedPods", description: "Pods on the current version." },
  { name: "READY", type: "integer", jsonPath: ".status.readyPods", description: "Pods that are ready." },
  {
    name: "UPDATEDREADY",
    type: "integer",
    jsonPath: ".status.updatedReadyPods",
    description: "Pods on the current version and ready.",
  },
  { name: "AGE", type: "date", jsonPath: ".metadata.creationTimestamp" },
];

function version(name: string, served: boolean, storage: boolean): JSONSchemaProps {
  return {
    name,
    served,
    storage,
    schema: { openAPIV3Schema: sidecarSetSchema(name) },
    subresources: { status: {} },
    additionalPrinterColumns: PRINTER_COLUMNS.map((c) => ({ ...c })),
  };
}

/**
 * `spec.conversion`: the API server calls `/convert` on the manager, through
 * its conversion Service or, with `webhookHost`, at its URL (ConversionReview
 * v1 only).
 */
export function crdConversion(options: ManifestOptions = {}): Record<string, unknown> {
  const service = conversionServiceName(resolveOptions(options).webhookServiceName);
  return {
    strategy: "Webhook",
    webhook: {
      conversionReviewVersions: ["v1"],
      clientConfig: webhookClientConfig({ ...options, webhookServiceName: service }, CONVERT_PATH),
    },
  };
}

export function sidecarSetCRD(options: ManifestOptions = {}): Manifest {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: CRD_NAME, labels: { ...PART_OF_LABELS } },
    spec: {
      group: GROUP,
      names: { kind: KIND, listKind: `${KIND}List`, plural: PLURAL, singular: KIND.toLowerCase() },
      scope: "Cluster",
      // v1beta1 is stored, as by OpenKruise >= 1.9, so its SidecarSets are
      // taken over as they are; ones an earlier release stored as v1alpha1 are
      // converted on read until they are next written.
      versions: [version(VERSION, true, false), version(V1BETA1, true, true)],
      conversion: crdConversion(options),
    },
  };
}
