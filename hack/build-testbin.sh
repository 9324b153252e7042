#!/usr/bin/env bash
# Builds the control-plane binary used by the end-to-end tests (etcd,
# kube-apiserver, kube-controller-manager in one executable) into a cache
# outside the work tree, keyed by a hash of the module's inputs. A warm cache
# makes this a no-op. Prints the binary's path on the last line of stdout.
set -euo pipefail
here="$(cd "$(dirname "$0")/k8s-testbin" && pwd)"
cache_root="${SIDECARSET_TESTBIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sidecarset/testbin}"
key="$(cat "$here/go.mod" "$here/go.sum" "$here/main.go" | sha256sum | cut -c1-16)"
out_dir="$cache_root/$key"
bin="$out_dir/k8s-testbin"

if [[ -x "$bin" ]]; then
  echo "control-plane binary is cached: $bin" >&2
  echo "$bin"
  exit 0
fi

k8s_version="$(sed -n 's/^\s*k8s.io\/kubernetes \(v[^ ]*\)$/\1/p' "$here/go.mod" | head -n1)"
minor="${k8s_version#v1.}"; minor="${minor%%.*}"
commit_date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
pkg=k8s.io/component-base/version
ldflags="-s -w -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$commit_date"

mkdir -p "$out_dir"
start=$(date +%s)
echo "building the control plane (Kubernetes $k8s_version) into $out_dir" >&2
echo "a cold build downloads the modules and compiles them: 20-40 minutes on 2 cores" >&2
cd "$here"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
echo "[1/2] downloading modules" >&2
go mod download -x 2>&1 | awk '/^# get/ {n++; if (n % 50 == 0) { printf "  %d modules fetched\n", n > "/dev/stderr" }}' || true
go mod download
echo "[2/2] compiling (go build -v prints each package as it finishes)" >&2
go build -trimpath -buildvcs=false -ldflags "$ldflags" -o "$bin.tmp" -v . 2>&1 \
  | awk '{n++; if (n % 100 == 0) { printf "  %d packages compiled (latest: %s)\n", n, $0 > "/dev/stderr"; fflush("/dev/stderr") }}'
if [[ ! -x "$bin.tmp" ]]; then
  echo "build failed; rerun 'cd $here && go build .' to see the compiler's errors" >&2
  exit 1
fi
mv "$bin.tmp" "$bin"
echo "built in $(( $(date +%s) - start ))s: $bin" >&2
echo "$bin"
