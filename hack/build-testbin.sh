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
here="$(cd "$(dirname "$0")/k8s-testbin" && pwd)"
cache_root="${SIDECARSET_TESTBIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sidecarset/testbin}"
key="$(cat "$here/go.mod" "$here/go.sum" "$here/main.go" | sha256sum | cut -c1-16)"
out_dir="$cache_root/$key"
bin="$out_dir/k8s-testbin"
log="$out_dir/build.log"

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

if [[ -x "$bin" ]]; then
  link_components 2>/dev/null || true
  echo "control-plane binary is cached: $bin" >&2
  echo "$bin"
  exit 0
fi
if [[ "${1:-}" == "--check" ]]; then
  echo "control-plane binary is not built yet (expected at $bin)" >&2
  exit 1
fi
# One build at a time: CI starts this in the background while the tests run,
# and the e2e runner calls it again; the second caller waits for the first.
mkdir -p "$cache_root"
exec 9>"$cache_root/.build.lock"
if ! flock -n 9; then
  echo "another build of the control plane is running; waiting for it" >&2
  flock 9
fi
if [[ -x "$bin" ]]; then
  link_components
  echo "control-plane binary is cached: $bin" >&2
  echo "$bin"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "cannot build the control plane: no 'go' on PATH (Go 1.26 is needed)" >&2
  exit 1
fi

k8s_version="$(sed -n 's/^\s*k8s.io\/kubernetes \(v[^ ]*\)$/\1/p' "$here/go.mod" | head -n1)"
minor="${k8s_version#v1.}"; minor="${minor%%.*}"
commit_date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
pkg=k8s.io/component-base/version
ldflags="-s -w -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$commit_date"

mkdir -p "$out_dir"
: > "$log"
fail() {
  echo "$1; the last lines of $log:" >&2
  tail -n 40 "$log" | sed 's/^/  | /' >&2
  rm -f "$bin.tmp"
  exit 1
}
start=$(date +%s)
echo "building the control plane (Kubernetes $k8s_version) into $out_dir (full log: $log)" >&2
echo "a cold build downloads the modules and compiles them: about 11 minutes on 2 cores" >&2
cd "$here"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod

echo "[1/2] downloading modules" >&2
echo "### go mod download" >> "$log"
# -x prints one '# get' line per fetch; the count is the progress shown.
if ! go mod download -x 2>&1 | tee -a "$log" \
  | awk '/^# get .* 200 OK/ {n++; if (n % 50 == 0) { printf "  %d module files fetched\n", n > "/dev/stderr"; fflush("/dev/stderr") }}'; then
  fail "module download failed"
fi

echo "[2/2] compiling (about 2500 packages)" >&2
echo "### go build" >> "$log"
build_ok=1
go build -trimpath -buildvcs=false -ldflags "$ldflags" -o "$bin.tmp" -v . 2>&1 | tee -a "$log" \
  | awk '{n++; if (n % 100 == 0) { printf "  %d packages compiled (latest: %s)\n", n, $0 > "/dev/stderr"; fflush("/dev/stderr") }}' \
  || build_ok=0
if [[ $build_ok -eq 0 || ! -x "$bin.tmp" ]]; then
  fail "build failed"
fi
mv "$bin.tmp" "$bin"
link_components
echo "built in $(( $(date +%s) - start ))s: $bin" >&2
echo "$bin"
