#!/usr/bin/env bash
# Runs a command against a fresh single-node Slurm cluster on this machine, then tears the
# cluster down (whatever the command's outcome, and on SIGINT/SIGTERM).
#
# Usage: bash scripts/slurm/cluster.sh COMMAND [ARG...]     (as root)
#   e.g. bash scripts/slurm/cluster.sh sbatch --wait --array=0-3 scripts/slurm/flowbench-array.sbatch ...
#
# It installs slurm-wlm and munge from Debian when missing, writes its own munge key and
# slurm.conf in a temporary directory (one node: this host at 127.0.0.1 with all its CPUs,
# one partition, cores as consumable resources, no cgroups, no accounting), starts munged,
# slurmctld and slurmd on free ports, waits until the node is idle, exports SLURM_CONF for
# the command, and on exit stops the daemons and removes the directory. Nothing outside that
# directory is changed (no system service is started or configured).
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: $0 COMMAND [ARG...]" >&2
  exit 2
fi
if [ "$(id -u)" != 0 ]; then
  echo "$0: needs root (it starts slurmd and munged)" >&2
  exit 2
fi
if ! command -v slurmctld >/dev/null 2>&1 || ! command -v slurmd >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1 || ! command -v sbatch >/dev/null 2>&1; then
  echo "== installing slurm-wlm munge" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q slurm-wlm munge >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q slurm-wlm munge >/dev/null; }
fi

S=$(mktemp -d /tmp/flowbench-slurm.XXXXXX)
chmod 755 "$S"
pids=()
cleanup() {
  local rc=$?
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$S/munged.pid" ] && kill "$(cat "$S/munged.pid")" 2>/dev/null || true
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ $rc -ne 0 ] && [ -z "${SLURM_KEEP_LOGS:-}" ]; then
    for f in "$S"/*.log; do [ -f "$f" ] && { echo "== $f (last lines)" >&2; tail -n 20 "$f" >&2; }; done
  fi
  rm -rf "$S"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# munge: its own key and socket.
dd if=/dev/urandom of="$S/munge.key" bs=1024 count=1 status=none
chmod 400 "$S/munge.key"
mkdir -m 700 "$S/munge"
munged --force --key-file="$S/munge.key" --socket="$S/munge/munge.socket" \
  --pid-file="$S/munged.pid" --log-file="$S/munged.log" --seed-file="$S/munge/seed"
for _ in $(seq 100); do [ -S "$S/munge/munge.socket" ] && break; sleep 0.05; done

# Two free TCP ports (not guaranteed to stay free, but the window is short).
read -r cport dport < <(/usr/bin/python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
host=$(hostname -s)
cpus=$(nproc)
mkdir -p "$S/ctld" "$S/spool"
cat >"$S/slurm.conf" <<CONF
ClusterName=flowbench
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$cport
SlurmdPort=$dport
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$S/munge/munge.socket
StateSaveLocation=$S/ctld
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldLogFile=$S/slurmctld.log
SlurmdLogFile=$S/slurmd.log
SlurmdParameters=config_overrides
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=main Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$S/slurm.conf"

slurmctld -D -i -f "$SLURM_CONF" >"$S/slurmctld.out.log" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" -N "$host" >"$S/slurmd.out.log" 2>&1 &
pids+=($!)

state=""
for _ in $(seq 300); do
  state=$(sinfo -h -N -o '%T' 2>/dev/null | head -1 || true)
  [ "$state" = idle ] && break
  sleep 0.2
done
if [ "$state" != idle ]; then
  echo "$0: the node did not become idle within 60 s (state: ${state:-none})" >&2
  exit 1
fi
echo "== slurm: node $host idle ($cpus CPUs), SLURM_CONF=$SLURM_CONF" >&2
"$@"
