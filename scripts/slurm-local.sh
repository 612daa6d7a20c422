#!/usr/bin/env bash
# scripts/slurm-local.sh start|stop|status
#
# A real single-node Slurm on this machine, for the sweep tests (CI) and for trying
# `diffrg sweep --executor slurm` locally. Idempotent: `start` installs what is missing
# (Debian/Ubuntu: slurmctld, slurmd, slurm-client and munge via apt-get, as root), writes
# /etc/slurm/slurm.conf for this host (all its CPUs, its memory less 5%), and starts munged
# (as the munge user), slurmctld and slurmd without systemd; it returns once the node is idle.
# A running daemon is left alone. `stop` ends the daemons this script started (by pid file).
#
# Settings: proctrack/linuxproc, task/none, select/cons_tres (CR_Core), no accounting
# (so `sacct` has no data here: diffrg sweep status works from squeue and its own manifests).
#
# Environment: SLURM_LOCAL_PARTITION (default "debug").
set -euo pipefail

PARTITION="${SLURM_LOCAL_PARTITION:-debug}"
CONF_DIR=/etc/slurm
RUN_DIR=/run/slurm-local
STATE_DIR=/var/spool/slurm-local
LOG_DIR=/var/log/slurm-local

die() { echo "slurm-local: $*" >&2; exit 1; }
log() { echo "slurm-local: $*" >&2; }

alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

install_packages() {
  local missing=()
  command -v munged >/dev/null || missing+=(munge)
  command -v slurmctld >/dev/null || missing+=(slurmctld)
  command -v slurmd >/dev/null || missing+=(slurmd)
  command -v sbatch >/dev/null || missing+=(slurm-client)
  [[ ${#missing[@]} -eq 0 ]] && return 0
  [[ $(id -u) -eq 0 ]] || die "missing ${missing[*]} and not root: install them (apt-get install ${missing[*]}) or run as root"
  command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get on this machine: install Slurm and munge by hand"
  log "installing ${missing[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null || die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || die "apt-get install ${missing[*]} failed"
}

write_conf() {
  local host cpus mem
  host=$(hostname -s)
  cpus=$(nproc --all)
  mem=$(awk '/MemTotal/ { printf "%d", $2 / 1024 * 0.95 }' /proc/meminfo)
  mkdir -p "$CONF_DIR" "$RUN_DIR" "$STATE_DIR/ctld" "$STATE_DIR/d" "$LOG_DIR"
  local conf
  conf=$(cat <<EOF
# Written by diffrg scripts/slurm-local.sh: a single-node Slurm for tests. Do not edit by hand.
ClusterName=diffrg-local
SlurmctldHost=${host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=${STATE_DIR}/ctld
SlurmdSpoolDir=${STATE_DIR}/d
SlurmctldPidFile=${RUN_DIR}/slurmctld.pid
SlurmdPidFile=${RUN_DIR}/slurmd.pid
SlurmctldLogFile=${LOG_DIR}/slurmctld.log
SlurmdLogFile=${LOG_DIR}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
MinJobAge=300
MaxArraySize=100001
NodeName=${host} NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=${mem} State=UNKNOWN
PartitionName=${PARTITION} Nodes=${host} Default=YES MaxTime=INFINITE State=UP
EOF
)
  if [[ ! -f "$CONF_DIR/slurm.conf" ]] || [[ "$(cat "$CONF_DIR/slurm.conf")" != "$conf" ]]; then
    printf '%s\n' "$conf" >"$CONF_DIR/slurm.conf.tmp" && mv "$CONF_DIR/slurm.conf.tmp" "$CONF_DIR/slurm.conf"
    # daemons started on an older file would keep it: restart them
    stop_daemons
  fi
}

start_munge() {
  if alive "$RUN_DIR/munged.pid"; then return 0; fi
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge
  if [[ ! -s /etc/munge/munge.key ]]; then
    if command -v mungekey >/dev/null; then mungekey -c -f -k /etc/munge/munge.key; else dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none; fi
  fi
  chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
  # a munged from elsewhere (e.g. the distribution's init script) already serves the socket
  if munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then return 0; fi
  runuser -u munge -- /usr/sbin/munged --force --pid-file=/run/munge/munged.pid || die "munged did not start (see /var/log/munge/munged.log)"
  cp /run/munge/munged.pid "$RUN_DIR/munged.pid"
  for _ in $(seq 50); do munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1 && return 0; sleep 0.1; done
  die "munge does not answer (see /var/log/munge/munged.log)"
}

log_tail() { # name: the last lines of a daemon's log, for the error message
  [[ -f "$LOG_DIR/$1.log" ]] && tail -n 5 "$LOG_DIR/$1.log" | sed 's/^/  /' >&2
  return 0
}

start_daemon() { # name
  local name=$1
  alive "$RUN_DIR/$name.pid" && return 0
  "/usr/sbin/$name" || { log_tail "$name"; die "$name did not start (see $LOG_DIR/$name.log)"; }
  for _ in $(seq 50); do alive "$RUN_DIR/$name.pid" && return 0; sleep 0.1; done
  log_tail "$name"
  die "$name did not stay up (see $LOG_DIR/$name.log)"
}

wait_idle() {
  local host state
  host=$(hostname -s)
  for _ in $(seq 150); do
    state=$(sinfo -h -n "$host" -o %T 2>/dev/null | head -1 || true)
    case "$state" in
      idle* | mixed* | allocated*) return 0 ;;
      down* | drain* | fail*) scontrol update NodeName="$host" State=RESUME >/dev/null 2>&1 || true ;;
    esac
    sleep 0.2
  done
  log_tail slurmctld
  log_tail slurmd
  die "node $host is not idle after 30 s (state '${state}'; see $LOG_DIR/slurmctld.log and slurmd.log)"
}

stop_daemons() {
  local name pid
  for name in slurmd slurmctld; do
    if alive "$RUN_DIR/$name.pid"; then
      pid=$(cat "$RUN_DIR/$name.pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
  done
}

case "${1:-}" in
  start)
    install_packages
    write_conf
    start_munge
    start_daemon slurmctld
    start_daemon slurmd
    wait_idle
    log "up: partition '$PARTITION' on $(hostname -s), $(nproc --all) CPUs"
    ;;
  stop)
    stop_daemons
    if alive "$RUN_DIR/munged.pid"; then kill "$(cat "$RUN_DIR/munged.pid")" 2>/dev/null || true; rm -f "$RUN_DIR/munged.pid"; fi
    log "stopped"
    ;;
  status)
    for name in munged slurmctld slurmd; do
      if alive "$RUN_DIR/$name.pid"; then echo "$name: running (pid $(cat "$RUN_DIR/$name.pid"))"; else echo "$name: stopped"; fi
    done
    command -v sinfo >/dev/null && sinfo 2>/dev/null || true
    ;;
  *)
    echo "usage: scripts/slurm-local.sh start|stop|status" >&2
    exit 2
    ;;
esac
