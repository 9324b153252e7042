#!/usr/bin/env bash
# Builds the promtool the end-to-end tests check and unit-test the alerting
# rules with (and lint the manager's /metrics with), pinned by
# hack/promtool/go.mod, into a cache outside the work tree keyed by a hash of
# that module's inputs. A warm cache makes this a no-op. Prints the binary's
# path on the last line of stdout.
#
#   hack/build-promtool.sh           build unless cached, print the path
#   hack/build-promtool.sh --check   print the path if cached, else exit 1 (no Go needed)
#
# Built without Prometheus's service-discovery plugins (the remove_all_sd tag):
# rule and metric checks need none of them, and they are a fifth of the packages.
# The full output of every step goes to build.log next to the binary; on a
# failure its tail is printed.
set -euo pipefail
module_dir="$(cd "$(dirname "$0")/promtool" && pwd)"
source "$(dirname "$0")/lib/cached-go-build.sh"
artifact="promtool binary"
subject="promtool"
cache_root="${SIDECARSET_PROMTOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sidecarset/promtool}"
key="$(cat "$module_dir/go.mod" "$module_dir/go.sum" | sha256sum | cut -c1-16)"
bin_name=promtool
cached_go_build_init
cached_go_build_use_cache "$@"

prometheus_version="$(sed -n 's/^\s*github.com\/prometheus\/prometheus \(v[^ ]*\).*$/\1/p' "$module_dir/go.mod" | head -n1)"

cached_go_build_start "promtool (Prometheus module $prometheus_version)" "about 3 minutes on 2 cores"
export GOFLAGS="$GOFLAGS -tags=remove_all_sd"
cached_go_build_download
ldflags="-s -w -X github.com/prometheus/common/version.Version=$prometheus_version"
cached_go_build_compile "about 1,100 packages" "$ldflags" github.com/prometheus/prometheus/cmd/promtool
cached_go_build_done
