#!/usr/bin/env bash
# Regenerates go.mod from the Kubernetes release's own go.mod: every staging
# module it replaces with ./staging/... is pinned to the matching v0.x release.
set -euo pipefail
cd "$(dirname "$0")"
K8S_VERSION="${K8S_VERSION:-v1.36.3}"
STAGING_VERSION="v0.${K8S_VERSION#v1.}"
export GOTOOLCHAIN=local GOFLAGS=-mod=mod
k8s_mod="$(go mod download -json "k8s.io/kubernetes@${K8S_VERSION}" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
etcd_version="$(sed -n 's/^\s*go.etcd.io\/etcd\/server\/v3 \(v[^ ]*\).*/\1/p' "$k8s_mod")"
{
  echo "module github.com/sidecarset/sidecarset/hack/k8s-testbin"
  echo
  echo "go 1.26.0"
  echo
  echo "require ("
  echo "	k8s.io/kubernetes ${K8S_VERSION}"
  echo "	go.etcd.io/etcd/server/v3 ${etcd_version}"
  echo ")"
  echo
  echo "replace ("
  sed -n 's/^\s*\(k8s.io\/[a-z0-9-]*\) => .\/staging\/.*/\1/p' "$k8s_mod" | while read -r m; do
    echo "	${m} => ${m} ${STAGING_VERSION}"
  done
  echo ")"
} > go.mod
go mod tidy
echo "go.mod generated for Kubernetes ${K8S_VERSION}, etcd ${etcd_version}"
