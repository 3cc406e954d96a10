#!/usr/bin/env bash
# Runs the README's commands as a new user would, on a minimal Debian 12 system with nothing
# installed by hand: a debootstrap (minbase) root made from this machine's own apt source,
# the current commit cloned into it with ../shared beside it, then, inside a chroot, the main
# job (`bash demo.sh`, its output checked for the scored transcript and the continuation), the
# test command, then `meson install` and the installed plugin and tools with no paths set. Prints how long each step took and what failed; exits non-zero on any
# failure. Needs root and debootstrap. Mounts live in a private mount namespace and are
# also unmounted on any exit.
#
# Usage: tools/check-fresh-debian.sh [--demo-only | --suite NAME... | --all] [--keep DIR]
#   (default)      the main job, then the test command for the suites cpu, plugin, pipelines
#                  (RWKV_SKIP_SANITIZERS=1: no sanitizer or fuzz builds)
#   --suite NAME   the test command for this suite (repeatable) instead of the default three
#   --all          the whole test command (every suite, sanitizer and fuzz builds; what CI runs)
#   --demo-only    the main job only
#   --keep DIR     build the root in DIR and keep it afterwards (default: a temporary one,
#                  removed at the end)
# Environment: RWKV_FRESH_CACHE (default /var/cache/gst-rwkv-fresh) keeps the base root as a
# tarball and apt's downloaded packages between runs; delete it to start from nothing.
# Only committed work is checked: the clone is of HEAD.
set -euo pipefail

usage() { sed -n '2,/^$/{/^#/s/^# \{0,1\}//p}' "$0"; }

repo=$(cd "$(dirname "$0")/.." && pwd)
args=("$@")
suites=()
mode=default
keep=""
while [ $# -gt 0 ]; do
  case "$1" in
    --demo-only) mode=demo ;;
    --all) mode=all ;;
    --suite) suites+=("$2"); mode=suites; shift ;;
    --suite=*) suites+=("${1#*=}"); mode=suites ;;
    --keep) keep=$2; shift ;;
    --keep=*) keep=${1#*=} ;;
    -h|--help) usage; exit 0 ;;
    *) echo "check-fresh-debian: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[ "$mode" = default ] && suites=(cpu plugin pipelines)

fail() { echo "check-fresh-debian: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || fail "needs root (debootstrap, chroot and mounts)"
command -v debootstrap >/dev/null || fail "needs debootstrap (apt-get install debootstrap)"

# Mounts made below vanish with this private mount namespace, whatever ends the script.
if [ -z "${RWKV_FRESH_NS:-}" ]; then
  RWKV_FRESH_NS=1 exec unshare --mount --propagation private -- "$0" "${args[@]}"
fi

suite=bookworm   # Debian 12, what the README promises
cache=${RWKV_FRESH_CACHE:-/var/cache/gst-rwkv-fresh}

# The host's apt sources as "URI SUITE" lines (one-line .list and deb822 .sources files).
apt_sources() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" | awk '$1 == "deb" { print $2, $3 }'
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk 'BEGIN { RS = ""; FS = "\n" }
      { types = ""; uris = ""; suites = ""; enabled = "yes"
        for (i = 1; i <= NF; i++) {
          line = $i; sub(/#.*/, "", line)
          if (line ~ /^Types:/) types = substr(line, 7)
          else if (line ~ /^URIs:/) uris = substr(line, 6)
          else if (line ~ /^Suites:/) suites = substr(line, 8)
          else if (line ~ /^Enabled:/) enabled = substr(line, 9)
        }
        if (types !~ /(^| )deb( |$)/ || enabled ~ /no/) next
        n = split(uris, u, " "); m = split(suites, s, " ")
        for (a = 1; a <= n; a++) for (b = 1; b <= m; b++) print u[a], s[b]
      }' "$f"
  done
}
mirror_for() { apt_sources | awk -v s="$1" '$2 == s { print $1; exit }'; }
mirror=$(mirror_for "$suite")
[ -n "$mirror" ] || fail "no '$suite' source in /etc/apt to build the root from"
security=$(mirror_for "$suite-security")
updates=$(mirror_for "$suite-updates")

root=${keep:-$(mktemp -d /var/tmp/fresh-debian.XXXXXX)}
mkdir -p "$root" "$cache/apt-archives"
cleanup() {
  local m
  # Deepest first; the namespace would drop them anyway.
  for m in $(awk -v r="$root" '$2 == r || index($2, r "/") == 1 { print $2 }' /proc/self/mounts | sort -r); do
    umount -l "$m" 2>/dev/null || true
  done
  [ -n "$keep" ] || rm -rf "$root"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

results=()
failed=0
# step NAME COMMAND...: runs and times one step and records the result. Step functions check
# each command themselves: errexit does not hold inside a function called from `||`.
step() {
  local name=$1 start rc
  shift
  echo "=== $name"
  start=$(date +%s)
  set +e
  "$@"
  rc=$?
  set -e
  local took=$(( $(date +%s) - start ))
  if [ $rc -eq 0 ]; then
    results+=("ok      ${took}s  $name")
  else
    results+=("FAILED  ${took}s  $name (exit $rc)")
    failed=1
  fi
  return $rc
}
report() {
  echo
  echo "check-fresh-debian ($suite from $mirror, commit $commit):"
  printf '  %s\n' "${results[@]}"
}

commit=$(git -C "$repo" rev-parse --short HEAD)
if [ -n "$(git -C "$repo" status --porcelain --untracked-files=no)" ]; then
  echo "check-fresh-debian: uncommitted changes are not checked (the clone is of $commit)" >&2
fi

make_base() {
  local tarball="$cache/$suite-minbase.tar"
  if [ -f "$tarball" ]; then
    echo "from the cached $tarball"
    tar -xpf "$tarball" -C "$root"
    return
  fi
  debootstrap --variant=minbase "$suite" "$root" "$mirror" || return 1
  # Keep the cache free of downloaded packages; apt's archive has its own cache below.
  rm -f "$root"/var/cache/apt/archives/*.deb
  tar -cpf "$tarball.tmp" -C "$root" . && mv "$tarball.tmp" "$tarball"
}

# What a fresh installation has: the distribution's sources, DNS, no daemons started by
# package scripts (as in Debian's container images), the kernel's file systems.
prepare_root() {
  {
    echo "deb $mirror $suite main"
    [ -z "$updates" ] || echo "deb $updates $suite-updates main"
    [ -z "$security" ] || echo "deb $security $suite-security main"
  } >"$root/etc/apt/sources.list"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod +x "$root/usr/sbin/policy-rc.d"
  mount -t proc proc "$root/proc"
  mount -t sysfs sys "$root/sys"
  mount --rbind /dev "$root/dev"
  mount -t tmpfs tmpfs "$root/tmp"
  # Downloaded .deb files are kept between runs; what is installed is not.
  mount --bind "$cache/apt-archives" "$root/var/cache/apt/archives"
}

# The clone a user would make, with the test data beside it (read-only, as CI has it).
clone() {
  mkdir -p "$root/work"
  git clone -q --no-hardlinks "$repo" "$root/work/main" || return 1
  git -C "$root/work/main" checkout -q "$(git -C "$repo" rev-parse HEAD)" || return 1
  if [ -d "$repo/../shared" ]; then
    mkdir -p "$root/work/shared"
    mount --bind "$repo/../shared" "$root/work/shared" || return 1
    mount -o remount,bind,ro "$root/work/shared" || return 1
  else
    echo "check-fresh-debian: no ../shared beside the repository: tests that need it will skip" >&2
  fi
}

# in_root COMMAND: runs a shell command inside the root as a login with a clean environment.
in_root() {
  chroot "$root" /usr/bin/env -i HOME=/root TERM="${TERM:-dumb}" \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    /bin/bash -c "cd /work/main && $1"
}

demo() {
  local out="$root/tmp/demo.txt"
  in_root "bash demo.sh" 2>&1 | tee "$out"
  local rc=${PIPESTATUS[0]}
  [ "$rc" -eq 0 ] || return "$rc"
  # The scored transcript: at least one utterance line with its bits per byte; then the
  # continuation, a line of text after "...".
  grep -q '^Heard by pocketsphinx' "$out" || { echo "demo: no transcript heading" >&2; return 1; }
  awk '/^Heard by pocketsphinx/ { on = 1; next } on && /^  .*[0-9]\.[0-9][0-9]$/ { n++ } /^$/ && n { on = 0 }
       END { exit !(n > 0) }' "$out" || { echo "demo: no scored utterance in the transcript" >&2; return 1; }
  grep -q '^summary:' "$out" || { echo "demo: no rwkv-summary" >&2; return 1; }
  grep -Eq '^  \.\.\..*[[:alnum:]]' "$out" || { echo "demo: no continuation" >&2; return 1; }
}

tests() {
  local out="$root/tmp/tests.txt" cmd
  case "$mode" in
    all) cmd="sh tests/run.sh" ;;
    *) cmd="RWKV_SKIP_SANITIZERS=1 sh tests/run.sh$(printf ' --suite %s' "${suites[@]}")" ;;
  esac
  echo "+ $cmd"
  in_root "$cmd" 2>&1 | tee "$out"
  local rc=${PIPESTATUS[0]}
  tail -n 1 "$out" | grep -Eq '^[0-9]+ passed, 0 failed' || { echo "tests: the run did not end 'N passed, 0 failed'" >&2; return 1; }
  return "$rc"
}

# The README's install: the plugin found by GStreamer with no GST_PLUGIN_PATH, the bundled
# model found with no model=, the CLI on PATH. Last, so that the tests ran on a clean system.
installed() {
  in_root 'meson install -C build --quiet >/tmp/install.log 2>&1 || { cat /tmp/install.log; exit 1; }
    gst-inspect-1.0 rwkv | grep -q "RWKV language model" || { echo "gst-inspect-1.0 rwkv: not found"; exit 1; }
    out=$(printf "In the beginning God created the heaven and the earth.\n" | gst-launch-1.0 -q fdsrc ! rwkv ! fdsink)
    [ "$out" = "In the beginning God created the heaven and the earth." ] || { echo "pipeline output: $out"; exit 1; }
    rwkv-cli info | grep -q rwkv4 || { echo "rwkv-cli info failed"; exit 1; }
    echo "installed: gst-inspect-1.0 rwkv, fdsrc ! rwkv ! fdsink and rwkv-cli work"'
}

step "base root (debootstrap --variant=minbase $suite)" make_base || { report; exit 1; }
prepare_root
step "clone $commit with ../shared beside it" clone || { report; exit 1; }
step "main job: bash demo.sh" demo || true
if [ "$mode" != demo ]; then
  step "test command${suites:+ (suites: ${suites[*]})}" tests || true
fi
step "meson install, then the installed plugin and tools" installed || true
report
exit $failed
