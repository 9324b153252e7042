#!/usr/bin/env bash
# Builds the helm binary the end-to-end tests render and install the chart
# with, pinned by hack/helm/go.mod, into a cache outside the work tree keyed by
# a hash of that module's inputs. A warm cache makes this a no-op. Prints the
# binary's path on the last line of stdout.
#
#   hack/build-helm.sh           build unless cached, print the path
#   hack/build-helm.sh --check   print the path if cached, else exit 1 (no Go needed)
#
# The full output of every step goes to build.log next to the binary; on a
# failure its tail is printed.
set -euo pipefail
module_dir="$(cd "$(dirname "$0")/helm" && pwd)"
source "$(dirname "$0")/lib/cached-go-build.sh"
artifact="helm binary"
subject="helm"
cache_root="${SIDECARSET_HELM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sidecarset/helm}"
key="$(cat "$module_dir/go.mod" "$module_dir/go.sum" | sha256sum | cut -c1-16)"
bin_name=helm
cached_go_build_init
cached_go_build_use_cache "$@"

helm_version="$(sed -n 's/^\s*helm.sh\/helm\/v4 \(v[^ ]*\).*$/\1/p' "$module_dir/go.mod" | head -n1)"
pkg=helm.sh/helm/v4/internal/version
ldflags="-s -w -X $pkg.version=$helm_version -X $pkg.gitTreeState=clean"

cached_go_build_start "helm $helm_version" "about 4 minutes on 2 cores"
cached_go_build_download
cached_go_build_compile "about 900 packages" "$ldflags" helm.sh/helm/v4/cmd/helm
cached_go_build_done
