#!/bin/bash
# direct-walk-bench.sh [-r REPS] N...
#
# Issue 5 ("direct mode"): how long one column walk takes from the daemon serving SNMP
# itself (direct mode) against snmpd serving a table of its own in-process (the
# inetCidrRouteTable baseline), at N rows each. Host kernel, as root; no user-mode-linux.
#
# For each N, in a private network namespace:
#  - N XFRM policies (`ip -batch`, `xfrm policy add`; policies need no ESP in the kernel)
#    and N routes (`ip -batch`, `route add ... dev veth0`);
#  - the daemon in direct mode on udp:127.0.0.1:16181 (IPX_DAEMON, default
#    $top_builddir/agent/ipsec-agentx: time a -O2 build without sanitizers), with its
#    default settings but VICI off, and `rocommunity public 127.0.0.1`;
#  - snmpd with all its default modules on udp:127.0.0.1:16182 (its own config only: -C),
#    with the same community line; both without a log line per request
#    (dontLogTCPWrappersConnects);
#  - `snmpbulkwalk -v2c -Cr50` of ipsecPolicyPriority (ours) and of inetCidrRouteIfIndex
#    (snmpd's): a first walk of each, reported apart (snmpd loads its route cache then),
#    then REPS rounds (default 5) alternating the two; the median of each and the ratio.
# ipsecPolicyTable is served by the same GET/GETNEXT engine (agent/table.c) and loop as
# ipsecSaTable, so this times the direct path without the SAs the host kernel cannot hold.
#
# Prints per N one line:
#   direct-walk n=N rows_direct=.. rows_native=.. first_direct_s=.. first_native_s=..
#     direct_s=.. native_s=.. ratio=.. (median of REPS; ratio = direct_s / native_s)
#     direct_cpu_per_walk_s=.. (the daemon's utime + stime per timed walk, mean)
set -eu -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
: "${top_builddir:=$here/../..}"
daemon=${IPX_DAEMON:-$top_builddir/agent/ipsec-agentx}
reps=5
while getopts r: o; do
	case $o in
	r) reps=$OPTARG ;;
	*)
		echo "usage: ${0##*/} [-r REPS] N..." >&2
		exit 2
		;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || { echo "usage: ${0##*/} [-r REPS] N..." >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "${0##*/}: needs root (network namespaces, XFRM)" >&2; exit 1; }
for p in "$daemon" /usr/sbin/snmpd /usr/bin/snmpbulkwalk; do
	[ -x "$p" ] || { echo "${0##*/}: $p missing" >&2; exit 1; }
done

IPX_OID=.1.3.6.1.4.1.8072.9999.9999.4500
POL_PRIO=$IPX_OID.1.3.1.6          # ipsecPolicyPriority
RT_IFINDEX=.1.3.6.1.2.1.4.24.7.1.7 # inetCidrRouteIfIndex
DPORT=16181 SPORT=16182
CLIENT=(-v2c -c public -m '' -M /dev/null -r 0 -On)

W=$(mktemp -d /tmp/ipx-dwbench.XXXXXX)
NS=ipx-dwbench-$$
DAEMON_PID='' SNMPD_PID=''
in_ns() { ip netns exec "$NS" "$@"; }
stop() {
	local p
	for p in $DAEMON_PID $SNMPD_PID; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	DAEMON_PID='' SNMPD_PID=''
	ip netns del "$NS" 2>/dev/null || true
}
cleanup() {
	stop
	[ -n "${KEEP_WORK:-}" ] || rm -rf "$W"
}
trap cleanup EXIT
die() {
	echo "${0##*/}: $*" >&2
	exit 1
}

# wait_for SECONDS CMD...
wait_for() {
	local end=$((EPOCHSECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$EPOCHSECONDS" -lt "$end" ] || return 1
		sleep 0.2
	done
}

# walk PORT OID: seconds (EPOCHREALTIME) on stdout; the varbinds in $W/walk.txt.
walk() {
	local t0 t1
	t0=$EPOCHREALTIME
	in_ns snmpbulkwalk "${CLIENT[@]}" -t 30 -Cr50 "udp:127.0.0.1:$1" "$2" >"$W/walk.txt"
	t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
}
rows() { grep -c ' = ' "$W/walk.txt" || true; }
HZ=$(getconf CLK_TCK)
# utime + stime of PID, in clock ticks.
cpu_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

cat >"$W/direct.conf" <<EOF
rocommunity public 127.0.0.1
EOF
cat >"$W/agent.conf" <<EOF
vici-socket none
EOF
cat >"$W/snmpd.conf" <<EOF
agentaddress udp:127.0.0.1:$SPORT
rocommunity public 127.0.0.1
dontLogTCPWrappersConnects yes
EOF
export SNMP_PERSISTENT_DIR=$W/persist

bench() {
	local n=$1 d s first_d first_s rows_d rows_s
	ip netns add "$NS"
	in_ns ip link set lo up
	in_ns ip link add veth0 type veth peer name veth1
	in_ns ip addr add 192.0.2.1/24 dev veth0
	in_ns ip link set veth0 up
	in_ns ip link set veth1 up
	# row i: 10.x.y.z/32, as policy selector and as route
	awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++)
		printf "xfrm policy add src 10.%d.%d.%d/32 dst 198.51.100.0/24 dir out priority %d\n",
			int(i / 65536), int(i / 256) % 256, i % 256, 100 + i % 1000 }' >"$W/policies.txt"
	awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++)
		printf "route add 10.%d.%d.%d/32 dev veth0\n", int(i / 65536), int(i / 256) % 256, i % 256 }' \
		>"$W/routes.txt"
	in_ns ip -batch "$W/policies.txt"
	in_ns ip -batch "$W/routes.txt"

	# not through in_ns: $! must be the program (ip netns exec execs it), not a subshell
	ip netns exec "$NS" "$daemon" -f -c "$W/agent.conf" -l "udp:127.0.0.1:$DPORT" \
		-a "$W/direct.conf" </dev/null >"$W/daemon-$n.log" 2>&1 &
	DAEMON_PID=$!
	ip netns exec "$NS" /usr/sbin/snmpd -f -Lf "$W/snmpd-$n.log" -C -c "$W/snmpd.conf" -p "$W/snmpd.pid" \
		-M /dev/null -m '' </dev/null >"$W/snmpd-$n.out" 2>&1 &
	SNMPD_PID=$!
	# (-t 1: a request sent before the port is open is lost, not refused)
	wait_for 120 in_ns snmpget "${CLIENT[@]}" -t 1 "udp:127.0.0.1:$DPORT" "$IPX_OID.1.1.1.0" ||
		die "the daemon does not answer (see $W/daemon-$n.log)"
	wait_for 120 in_ns snmpget "${CLIENT[@]}" -t 1 "udp:127.0.0.1:$SPORT" .1.3.6.1.2.1.1.3.0 ||
		die "snmpd does not answer (see $W/snmpd-$n.log)"

	first_d=$(walk "$DPORT" "$POL_PRIO")
	rows_d=$(rows)
	first_s=$(walk "$SPORT" "$RT_IFINDEX")
	rows_s=$(rows)
	[ "$rows_d" = "$n" ] || die "N=$n: the direct walk gave $rows_d rows"
	[ "$rows_s" -ge "$n" ] || die "N=$n: the route walk gave $rows_s rows"
	: >"$W/direct-times"
	: >"$W/native-times"
	cpu_d=0 # the daemon's CPU over its timed walks
	for _ in $(seq "$reps"); do
		c0=$(cpu_ticks "$DAEMON_PID")
		walk "$DPORT" "$POL_PRIO" >>"$W/direct-times"
		c1=$(cpu_ticks "$DAEMON_PID")
		walk "$SPORT" "$RT_IFINDEX" >>"$W/native-times"
		cpu_d=$((cpu_d + c1 - c0))
	done
	d=$(median <"$W/direct-times")
	s=$(median <"$W/native-times")
	echo "direct-walk n=$n rows_direct=$rows_d rows_native=$rows_s first_direct_s=$first_d" \
		"first_native_s=$first_s direct_s=$d native_s=$s" \
		"ratio=$(awk -v a="$d" -v b="$s" 'BEGIN { printf "%.2f", a / b }')" \
		"direct_cpu_per_walk_s=$(awk -v t="$cpu_d" -v r="$reps" -v hz="$HZ" 'BEGIN { printf "%.3f", t / r / hz }')" \
		"reps=$reps direct_all=$(paste -sd/ "$W/direct-times") native_all=$(paste -sd/ "$W/native-times")"
	stop
}

for n in "$@"; do
	bench "$n"
done
