// Well-known annotation, label, env and condition names (docs/behaviour.md §1). They are
// OpenKruise's, byte for byte, so pods it manages are adopted unchanged.
export const SIDECARSET_HASH_ANNOTATION = "kruise.io/sidecarset-hash";
export const SIDECARSET_HASH_WITHOUT_IMAGE_ANNOTATION = "kruise.io/sidecarset-hash-without-image";
export const SIDECARSET_INJECTED_LIST_ANNOTATION = "kruise.io/sidecarset-injected-list";
export const SIDECARSET_INPLACE_UPDATE_STATE_ANNOTATION = "kruise.io/sidecarset-inplace-update-state";
export const SIDECARSET_WORKING_HOT_UPGRADE_CONTAINER_ANNOTATION =
  "kruise.io/sidecarset-working-hotupgrade-container";
export const SIDECARSET_VERSION_ANNOTATION_PREFIX = "version.sidecarset.kruise.io/";
export const SIDECARSET_VERSION_ALT_ANNOTATION_PREFIX = "versionalt.sidecarset.kruise.io/";

export const IS_INJECTED_ENV = "IS_INJECTED";
export const SIDECARSET_VERSION_ENV = "SIDECARSET_VERSION";
export const SIDECARSET_VERSION_ALT_ENV = "SIDECARSET_VERSION_ALT";

export const SIDECARSET_UPGRADABLE_CONDITION = "SidecarSetUpgradable";
export const REASON_ALL_UPGRADABLE = "AllSidecarsetUpgradable";
export const REASON_UPDATE_IMMUTABLE_FIELD = "UpdateImmutableField";

export const REVISION_SIDECARSET_NAME_LABEL = "kruise.io/sidecarset-name";
export const REVISION_HASH_LABEL = "controller.kubernetes.io/hash";
export const CUSTOM_VERSION_LABEL = "apps.kruise.io/sidecarset-custom-version";

export const CANARY_ANNOTATION = "apps.kruise.io/sidecarset-canary";
export const CANARY_BASE_ANNOTATION = "apps.kruise.io/sidecarset-base";

export const WHITELIST_CONFIGMAP = "sidecarset-configuration";
export const WHITELIST_CONFIGMAP_KEY = "SidecarSet_PatchPodMetadata_WhiteList";

export const DEFAULT_MANAGER_NAMESPACE = "sidecarset-system";
/** The label that keeps the pod webhook away from the manager's own namespace. */
export const CONTROL_PLANE_LABEL = "control-plane";
export const CONTROL_PLANE_LABEL_VALUE = "sidecarset-manager";

export const HOT_UPGRADE_EMPTY_VERSION = "0";
export const HOT_UPGRADE_FIRST_VERSION = "1";

// Our own SidecarSet annotations (docs/behaviour.md §7a.5): the health-gated rollout.
export const PROGRESS_DEADLINE_ANNOTATION = "sidecarset.io/progress-deadline-seconds";
export const MAX_FAILED_UPGRADES_ANNOTATION = "sidecarset.io/max-failed-upgrades";
export const RESUMED_AT_ANNOTATION = "sidecarset.io/resumed-at";
