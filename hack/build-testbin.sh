#!/usr/bin/env bash
# Builds the control-plane binary used by the end-to-end tests and by
# `sidecarset start` (etcd, kube-apiserver, kube-controller-manager and kubectl
# in one executable) into a cache outside the work tree, keyed by a hash of the
# module's inputs. A warm cache makes this a no-op. Next to the binary it keeps
# symlinks named etcd, kube-apiserver, kube-controller-manager and kubectl: the
# binary runs the component it is invoked as. Prints the binary's path on the
# last line of stdout.
#
#   hack/build-testbin.sh           build unless cached, print the path
#   hack/build-testbin.sh --check   print the path if cached, else exit 1 (no Go needed)
#
# The full output of every step goes to build.log next to the binary; on a
# failure its tail is printed, so compiler errors are never lost behind the
# progress lines.
set -euo pipefail
module_dir="$(cd "$(dirname "$0")/k8s-testbin" && pwd)"
source "$(dirname "$0")/lib/cached-go-build.sh"
artifact="control-plane binary"
subject="the control plane"
cache_root="${SIDECARSET_TESTBIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sidecarset/testbin}"
key="$(cat "$module_dir/go.mod" "$module_dir/go.sum" "$module_dir/main.go" | sha256sum | cut -c1-16)"
bin_name=k8s-testbin
cached_go_build_init

# The symlinks are cheap to (re)create, so a cache entry built before they
# existed gets them on its next use.
link_components() {
  local name
  for name in etcd kube-apiserver kube-controller-manager kubectl; do
    if [[ "$(readlink "$out_dir/$name" 2>/dev/null)" != "k8s-testbin" ]]; then
      ln -sfn k8s-testbin "$out_dir/$name.tmp" && mv -fT "$out_dir/$name.tmp" "$out_dir/$name"
    fi
  done
}
on_cached=link_components
cached_go_build_use_cache "$@"

k8s_version="$(sed -n 's/^\s*k8s.io\/kubernetes \(v[^ ]*\)$/\1/p' "$module_dir/go.mod" | head -n1)"
minor="${k8s_version#v1.}"; minor="${minor%%.*}"
commit_date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
pkg=k8s.io/component-base/version
ldflags="-s -w -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$commit_date"

cached_go_build_start "the control plane (Kubernetes $k8s_version)" "about 11 minutes on 2 cores"
cached_go_build_download
cached_go_build_compile "about 2500 packages" "$ldflags" .
link_components
cached_go_build_done
