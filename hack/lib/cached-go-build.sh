# Sourced by the hack/build-*.sh scripts: a Go binary built from a pinned
# module into a cache outside the work tree, keyed by a hash of the module's
# inputs, so a warm cache makes the build a no-op and a change to the pins
# builds anew. A caller sets, before calling these functions:
#
#   artifact    what the binary is called in messages ("helm binary")
#   subject     what is built, in messages ("helm")
#   module_dir  the Go module to build
#   cache_root  the directory holding one entry per key
#   key         the hash of the module's inputs
#   bin_name    the binary's file name inside the entry
#   on_cached   optional: a function run whenever a cached binary is used
#
# and gets out_dir, bin and log from cached_go_build_init. The full output of
# every step goes to build.log; a failure prints its tail, so compiler errors
# are never lost behind the progress lines.

cached_go_build_init() {
  out_dir="$cache_root/$key"
  bin="$out_dir/$bin_name"
  log="$out_dir/build.log"
}

cached_go_build_hit() {
  echo "$artifact is cached: $bin" >&2
  echo "$bin"
  exit 0
}

# Exits with the cached binary's path when there is one; otherwise (unless
# --check was given) returns holding the build lock, with Go on the PATH.
cached_go_build_use_cache() {
  if [[ -x "$bin" ]]; then
    if [[ -n "${on_cached:-}" ]]; then "$on_cached" 2>/dev/null || true; fi
    cached_go_build_hit
  fi
  if [[ "${1:-}" == "--check" ]]; then
    echo "$artifact is not built yet (expected at $bin)" >&2
    exit 1
  fi
  # One build at a time: CI starts the build in the background while the
  # tests run, and the e2e runner calls it again; the second caller waits.
  mkdir -p "$cache_root"
  exec 9>"$cache_root/.build.lock"
  if ! flock -n 9; then
    echo "another build of $subject is running; waiting for it" >&2
    flock 9
  fi
  if [[ -x "$bin" ]]; then
    if [[ -n "${on_cached:-}" ]]; then "$on_cached"; fi
    cached_go_build_hit
  fi
  if ! command -v go >/dev/null 2>&1; then
    echo "cannot build $subject: no 'go' on PATH (Go 1.26 is needed)" >&2
    exit 1
  fi
}

cached_go_build_fail() {
  echo "$1; the last lines of $log:" >&2
  tail -n 40 "$log" | sed 's/^/  | /' >&2
  rm -f "$bin.tmp"
  exit 1
}

# Prints the two opening lines, then works inside the module with the
# settings every build here shares.
cached_go_build_start() {
  mkdir -p "$out_dir"
  : > "$log"
  build_start=$(date +%s)
  echo "building $1 into $out_dir (full log: $log)" >&2
  echo "a cold build downloads the modules and compiles them: $2" >&2
  cd "$module_dir"
  export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
}

cached_go_build_download() {
  echo "[1/2] downloading modules" >&2
  echo "### go mod download" >> "$log"
  # -x prints one '# get' line per fetch; the count is the progress shown.
  if ! go mod download -x 2>&1 | tee -a "$log" \
    | awk '/^# get .* 200 OK/ {n++; if (n % 50 == 0) { printf "  %d module files fetched\n", n > "/dev/stderr"; fflush("/dev/stderr") }}'; then
    cached_go_build_fail "module download failed"
  fi
}

# cached_go_build_compile <packages note> <ldflags> <package>
cached_go_build_compile() {
  echo "[2/2] compiling ($1)" >&2
  echo "### go build" >> "$log"
  local build_ok=1
  go build -trimpath -buildvcs=false -ldflags "$2" -o "$bin.tmp" -v "$3" 2>&1 | tee -a "$log" \
    | awk '{n++; if (n % 100 == 0) { printf "  %d packages compiled (latest: %s)\n", n, $0 > "/dev/stderr"; fflush("/dev/stderr") }}' \
    || build_ok=0
  if [[ $build_ok -eq 0 || ! -x "$bin.tmp" ]]; then
    cached_go_build_fail "build failed"
  fi
  mv "$bin.tmp" "$bin"
}

cached_go_build_done() {
  echo "built in $(( $(date +%s) - build_start ))s: $bin" >&2
  echo "$bin"
}
