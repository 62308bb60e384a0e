#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# PID 1 of the test VM (kernel command line init=). The root filesystem is the
# host's, shared read-only over 9p; the writable "out" share carries the
# command in (.kvmdp/cmd) and the results out (.kvmdp/rc, dmesg, kmemleak).
# Never exits: it powers the VM off, and a crash ends QEMU (panic=-1, -no-reboot).

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /dev/hugepages
mount -t devpts devpts /dev/pts
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 out /out ||
	{ echo "kvmdp-init: cannot mount the out share on /out" >/dev/console; echo o >/proc/sysrq-trigger; }
state=/out/.kvmdp

# Writable scratch space on the read-only root: tmpfs on /run, /tmp,
# /var/tmp and /dev/shm. Host paths that these hide but the command needs
# (a checkout under /tmp, say; listed by run-in-vm.sh in host-paths) are
# bound back at the same place from a view of the host directories kept
# under /run/host.
mount -t tmpfs tmpfs /run
for d in /tmp /var/tmp; do
	mkdir -p "/run/host$d"
	mount --bind "$d" "/run/host$d"
done
for d in /dev/shm /tmp /var/tmp; do mount -t tmpfs tmpfs "$d"; done
while read -r p; do
	for d in /tmp /var/tmp; do
		case "$p" in
		"$d"/*) mkdir -p "$p" && mount --bind "/run/host$p" "$p" ;;
		esac
	done
done <"$state/host-paths"

mount -t hugetlbfs -o pagesize=2M hugetlbfs /dev/hugepages
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
ln -s /proc/self/fd /dev/fd 2>/dev/null
ip link set lo up 2>/dev/null
hostname kvmdp-vm

echo "kvmdp-init: $(uname -r) up in $(cut -d' ' -f1 /proc/uptime) s" >/dev/console
# Where KASLR put the kernel: resolves RIPs that stall-watch.py reads from QEMU.
echo "kvmdp-init: _text at $(awk '$3 == "_text" {print $1; exit}' /proc/kallsyms)" >/dev/console

# The anchor VMs (one with an irqchip, one without): open before the command's
# first VM, kept until power-off, so KVM's static keys never flip under
# multi-threaded TCG (kvm-anchor.c).
anchor=$(cat "$state/anchor" 2>/dev/null)
if [ -c /dev/kvm ] && [ -x "$anchor" ]; then
	"$anchor" /run/kvm-anchor.ready >/dev/console 2>&1 &
	for _ in $(seq 100); do
		[ -e /run/kvm-anchor.ready ] && break
		kill -0 $! 2>/dev/null || break
		sleep 0.1
	done
	[ -e /run/kvm-anchor.ready ] || echo "kvmdp-init: the anchor VMs did not start" >/dev/console
fi
# Shortly before run-in-vm.sh's time limit, show what a command still running
# is doing: each CPU's backtrace, the tasks in D state, every JVM's thread
# dump (SIGQUIT) and the process list.
dump_at=$(cat "$state/dump-at" 2>/dev/null)
watchdog=""
if [ -n "$dump_at" ]; then
	(
		up=$(cut -d. -f1 /proc/uptime)
		[ "$dump_at" -gt "$up" ] && sleep $((dump_at - up))
		: >"$state/dumped"
		echo "kvmdp-init: watchdog: the command still runs at $dump_at s, close to the time limit; what the CPUs run, blocked tasks, JVM thread dumps and processes follow"
		# Cheapest first: a guest this busy may not finish the list.
		echo l >/proc/sysrq-trigger
		echo w >/proc/sysrq-trigger
		pkill -QUIT -x java
		sleep 20
		ps --ppid 2 -p 2 --deselect -o pid,ppid,stat,wchan:32,etime,args | cut -c1-200
	) </dev/null >/dev/console 2>&1 &
	watchdog=$!
fi
# From here on a death is the command's: run-in-vm.sh boots again only a guest
# that died before this line.
: >"$state/started"
(
	export HOME=/tmp KVMDP_OUT=/out KVMDP_IN_VM=1
	# shellcheck disable=SC1091
	. "$state/cmd"
) </dev/null >/dev/console 2>&1
rc=$?
[ -z "$watchdog" ] || kill "$watchdog" 2>/dev/null
echo $rc >"$state/rc.tmp" && mv "$state/rc.tmp" "$state/rc"

if [ -w /sys/kernel/debug/kmemleak ]; then
	echo scan >/sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak >"$state/kmemleak.txt"
fi
dmesg >"$state/dmesg.txt"
sync
echo o >/proc/sysrq-trigger
# Wait for the power-off with shell builtins only: the 9p root (and /usr/bin
# with it) goes away under us, and if this script ended, init would exit and
# the kernel panic before QEMU stops (seen once under multi-threaded TCG).
while :; do read -r -t 60 _ </dev/console || :; done
