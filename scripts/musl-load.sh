#!/usr/bin/env bash
# scripts/musl-load.sh FILE.node
#
# The closest check of an x86-64 musl addon (linux-x64-musl) that Debian packages allow: Debian
# has musl's dynamic loader and musl-gcc (`musl`, `musl-tools`) but no Node.js built for musl.
# A small musl program dlopens the addon with RTLD_NOW under /lib/ld-musl-x86_64.so.1, after a
# stub library that defines the Node-API functions the addon imports (napi_*, which node would
# provide), so every other symbol must resolve against musl's libc; then it looks up
# napi_register_module_v1. Installs musl-tools with apt-get (as root) when musl-gcc is missing.
# Nothing is called: the addon's code does not run. Exit 0 when it loads.
set -euo pipefail

die() { echo "musl-load: $*" >&2; exit 1; }
[[ $# -eq 1 && -f "$1" ]] || die "usage: scripts/musl-load.sh FILE.node"
file=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
command -v readelf >/dev/null || die "readelf (binutils) is needed"
if ! command -v musl-gcc >/dev/null; then
  [[ $(id -u) -eq 0 ]] || die "musl-gcc is missing and not root: apt-get install musl-tools"
  apt-get install -y -qq --no-install-recommends musl-tools >/dev/null || die "apt-get install musl-tools failed"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
readelf --dyn-syms -W "$file" | awk '$7 == "UND" && $8 != "" { sub(/@.*/, "", $8); print $8 }' | sort -u >"$work/undefined"
grep -E '^(napi_|node_api_)' "$work/undefined" | awk '{ print "int " $1 "(void) { return 1; }" }' >"$work/stub.c" || true
[[ -s "$work/stub.c" ]] || die "$file imports no Node-API function: not a Node-API addon?"
cat >"$work/load.c" <<'EOF'
#include <dlfcn.h>
#include <stdio.h>
int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++)
    if (!dlopen(argv[i], RTLD_NOW | RTLD_GLOBAL)) { printf("%s\n", dlerror()); return 1; }
  return dlsym(RTLD_DEFAULT, "napi_register_module_v1") ? 0 : 2;
}
EOF
musl-gcc -shared -fPIC "$work/stub.c" -o "$work/libnapistub.so"
musl-gcc "$work/load.c" -o "$work/load"
"$work/load" "$work/libnapistub.so" "$file" || die "$file does not load under musl (above), or exports no napi_register_module_v1"
echo "musl-load: $file loads under $(ls /lib/ld-musl-*.so.1) with $(grep -c . "$work/undefined") imports resolved ($(grep -c . "$work/stub.c") Node-API ones stubbed)"
