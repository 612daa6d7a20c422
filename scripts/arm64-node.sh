#!/usr/bin/env bash
# scripts/arm64-node.sh ROOT
#
# An arm64 Node.js that runs on an x86-64 Debian/Ubuntu machine under user-mode emulation, for
# testing the linux-arm64-gnu package (__test__/package.test.ts). Idempotent: installs
# qemu-user-static (apt-get, as root) when qemu-aarch64-static is missing, enables the arm64
# architecture for apt (dpkg --add-architecture), downloads Debian's arm64 `nodejs` package and
# its dependency closure with `apt-get download` and extracts them under ROOT with `dpkg-deb -x`
# (nothing arm64 is installed into the system). Prints the command that runs that node:
#   qemu-aarch64-static -L ROOT ROOT/usr/bin/node
# and fails with a message saying what is missing, never silently.
set -euo pipefail

die() { echo "arm64-node: $*" >&2; exit 1; }
log() { echo "arm64-node: $*" >&2; }

[[ $# -eq 1 ]] || die "usage: scripts/arm64-node.sh ROOT"
ROOT=$(mkdir -p "$1" && cd "$1" && pwd)
QEMU=qemu-aarch64-static
export DEBIAN_FRONTEND=noninteractive

need_root() { [[ $(id -u) -eq 0 ]] || die "$1 and not root: run as root (as CI does) or do it by hand: $2"; }
command -v apt-get >/dev/null || die "no apt-get: this script needs Debian or Ubuntu (qemu-user-static and arm64 packages)"

if ! command -v "$QEMU" >/dev/null; then
  need_root "missing $QEMU" "apt-get install qemu-user-static"
  log "installing qemu-user-static (apt-get)"
  apt-get update -qq >/dev/null || die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends qemu-user-static >/dev/null || die "apt-get install qemu-user-static failed"
fi

if [[ ! -x "$ROOT/usr/bin/node" ]]; then
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    need_root "apt has no arm64 architecture" "dpkg --add-architecture arm64 && apt-get update"
    log "enabling the arm64 architecture for apt"
    dpkg --add-architecture arm64
    apt-get update -qq >/dev/null || die "apt-get update failed"
  fi
  if ! apt-cache show nodejs:arm64 >/dev/null 2>&1; then
    need_root "apt knows no nodejs:arm64" "apt-get update"
    apt-get update -qq >/dev/null || die "apt-get update failed"
    apt-cache show nodejs:arm64 >/dev/null 2>&1 || die "no nodejs:arm64 package in the apt sources"
  fi
  # The dependency closure, restricted to arm64 packages and the architecture-independent
  # JavaScript modules Debian's node loads (node-acorn, node-undici, ...: listed as virtual
  # `<name:arm64>` or plain names); amd64 tools the closure drags in (perl, python3) are left out.
  mapfile -t pkgs < <(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
    --no-replaces --no-enhances nodejs:arm64 | grep -v '^ ' | sed -E 's/^<(node-.*):arm64>$/\1/' \
    | grep -E '^[a-z0-9.+-]+:arm64$|^node-[a-z0-9.+-]+$' | sort -u)
  [[ ${#pkgs[@]} -gt 1 ]] || die "could not resolve the dependencies of nodejs:arm64"
  debs="$ROOT/.debs"
  rm -rf "$debs" && mkdir -p "$debs"
  log "downloading ${#pkgs[@]} packages (apt-get download)"
  (cd "$debs" && apt-get download -qq "${pkgs[@]}" >/dev/null 2>&1) || die "apt-get download of ${pkgs[*]} failed"
  for d in "$debs"/*.deb; do dpkg-deb -x "$d" "$ROOT" || die "dpkg-deb -x $d failed"; done
  rm -rf "$debs"
  [[ -x "$ROOT/usr/bin/node" ]] || die "nodejs:arm64 extracted but $ROOT/usr/bin/node is missing"
fi

"$QEMU" -L "$ROOT" "$ROOT/usr/bin/node" -e 'process.arch === "arm64" || process.exit(3)' \
  || die "the arm64 node under $QEMU failed to start"
echo "$QEMU -L $ROOT $ROOT/usr/bin/node"
