#!/usr/bin/env bash
# scripts/device-scaling.sh: the issue-17 scaling figures on one many-core node, in one prepared
# run of about 8 minutes (16 cores; `npm run bench -- scaling` at the full preset).
#
#   OUT=/tmp/scaling scripts/device-scaling.sh            # results under $OUT
#
# 1. Builds the release addon and the TypeScript (`npm run build`) unless a build newer than the
#    sources is there already (SCALING_BUILD=never skips the build, =always forces it; the node
#    needs cargo and the crates in ~/.cargo when it builds; without network, carry native/ and
#    dist/ built on a machine of the same architecture instead).
# 2. Runs benches/scaling.mjs (the triad bandwidth and every kernel: SLQ, LIF, LGD with penalty
#    search and surrogates, the sparse RG step, MPS compression) at 1, 2, 4, 8, 16 threads (or
#    SCALING_THREADS), with a time limit per stage so that a slow node still leaves partial
#    results; each kernel is a separate process so one that runs over keeps the others.
# 3. Writes $OUT/scaling-<kernel>.txt (the printed tables: wall time, speed-up, efficiency,
#    fraction of the triad for the memory-bound SLQ), $OUT/scaling-<kernel>.json,
#    $OUT/machine.txt (lscpu, memory, load, git commit) and $OUT/summary.txt.
#
# Env: OUT (default ./scaling-out), SCALING_THREADS (default "1,2,4,8,16", capped at the cores),
# SCALING_PRESET (full | small | smoke; default full), SCALING_KERNELS (default
# "lgd,lif,slq,mps,rg": the issue's main target first, the longest last), SCALING_LIMIT_S
# (seconds per kernel, default 150; a kernel stopped by it keeps the rows it finished),
# SCALING_BUILD (auto | always | never; default auto).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-$PWD/scaling-out}"
mkdir -p "$OUT"
cores=$(nproc)
THREADS="${SCALING_THREADS:-1,2,4,8,16}"
THREADS=$(echo "$THREADS" | tr ',' '\n' | awk -v c="$cores" '$1 <= c' | paste -sd, -)
PRESET="${SCALING_PRESET:-full}"
KERNELS="${SCALING_KERNELS:-lgd,lif,slq,mps,rg}"
LIMIT="${SCALING_LIMIT_S:-150}"
BUILD="${SCALING_BUILD:-auto}"
t0=$(date +%s)
log() { echo "device-scaling [$(( $(date +%s) - t0 ))s]: $*" | tee -a "$OUT/summary.txt" >&2; }

{
  echo "date: $(date -u +%FT%TZ)"
  echo "commit: $(git rev-parse HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (+ local changes)')"
  echo "cores: $cores; load: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "node: $(node --version 2>/dev/null || echo missing)"
  lscpu 2>/dev/null
  grep -E 'MemTotal|MemAvailable' /proc/meminfo
} >"$OUT/machine.txt"
log "cores $cores, threads $THREADS, preset $PRESET, kernels $KERNELS, ${LIMIT}s per kernel"

stale() {
  local addon
  addon=$(ls native/*.node 2>/dev/null | head -1)
  [[ -z "$addon" || ! -f dist/index.js ]] && return 0
  [[ -n "$(find crates ts -newer "$addon" -name '*.rs' -o -newer "$addon" -name '*.ts' 2>/dev/null | head -1)" ]]
}
need_build=0
case "$BUILD" in
  always) need_build=1 ;;
  never) ;;
  *) stale && need_build=1 ;;
esac
if [[ $need_build -eq 1 ]]; then
  log "building (npm run build, release)"
  if ! CARGO_BUILD_JOBS="$cores" npm run build >"$OUT/build.log" 2>&1; then
    log "build failed (see build.log)"; tail -20 "$OUT/build.log" >&2; exit 1
  fi
  log "built"
else
  log "using the existing build (native/, dist/)"
fi

status=0
for k in ${KERNELS//,/ }; do
  log "kernel $k"
  DIFFRG_SCALING="$PRESET" DIFFRG_SCALING_THREADS="$THREADS" DIFFRG_SCALING_KERNELS="$k" \
    DIFFRG_SCALING_JSON="$OUT/scaling-$k.json" \
    timeout --signal=TERM --kill-after=10 "$LIMIT" node benches/scaling.mjs >"$OUT/scaling-$k.txt" 2>&1
  rc=$?
  if [[ $rc -ne 0 ]]; then
    status=1
    log "kernel $k: exit $rc$([[ $rc -eq 124 ]] && echo " (over ${LIMIT}s: partial table in scaling-$k.txt)")"
  fi
  cat "$OUT/scaling-$k.txt" >>"$OUT/summary.txt"
done
log "done (load $(cut -d' ' -f1-3 /proc/loadavg))"
exit $status
