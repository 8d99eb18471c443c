#!/bin/bash
# Host-kernel integration: in a private network namespace, a private snmpd master and the
# daemon; SPD policies made with `ip xfrm policy` must come back through snmpwalk exactly
# as `ip -s xfrm policy` prints them, follow adds and deletes through XFRM events alone,
# and the drop counters must equal /proc/net/xfrm_stat. Also: the daemon starts before
# snmpd and survives an snmpd restart.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$here/snmplib.sh"

host_work host
trap host_cleanup EXIT
host_ns veth

compare_policies() {
	in_ns ip -s xfrm policy >"$WORK/ip-policy.txt"
	walk_raw "$IPX_OID.1" >"$WORK/walk.txt"
	python3 "$here/xfrmcmp.py" policy "$WORK/ip-policy.txt" "$WORK/walk.txt"
}


# 1. The daemon comes up before snmpd and keeps trying.
add_policies
daemon_start -r 3600
sleep 1
snmpd_start
wait_registered 30
compare_policies || fail "policies differ after start"

# 2. Adds and deletes reach the store through XFRM events (no resync: -r 3600).
in_ns ip xfrm policy add src 198.51.100.7/32 dst 203.0.113.7/32 proto icmp dir out \
	priority 5 tmpl src 192.0.2.1 dst 192.0.2.7 proto ah reqid 9 mode tunnel
in_ns ip xfrm policy delete src 198.51.100.0/24 dst 203.0.113.0/24 dir out
sleep 1
compare_policies || fail "policies differ after add/delete events"
resyncs=$(snmp snmpget -OqvU -- "$IPX_OID.1.1.3.0")
[ "$resyncs" = 1 ] || fail "expected events alone to keep up (resyncs=$resyncs)"

# 3. Lost events: while the daemon is stopped, 40,000 policy events overflow its 8 MiB
#    event socket (ENOBUFS); once it runs again it must resync and agree with the kernel.
kill -STOP "$DAEMON_PID"
for i in $(seq 0 39999); do
	echo "xfrm policy add src 198.18.$((i / 256)).$((i % 256))/32 dst 198.51.100.0/24 dir out priority 500"
done >"$WORK/batch.txt"
in_ns ip -batch "$WORK/batch.txt"
in_ns ip -batch - <<<"$(sed 's/ add / delete /; s/ priority 500//' "$WORK/batch.txt" | head -20000)"
kill -CONT "$DAEMON_PID"
overruns() { [ "$(snmp snmpget -OqvU -- "$IPX_OID.1.1.6.0")" -ge 1 ]; }
wait_for 30 overruns || fail "no event overrun was seen (ipsecAgentXfrmEventOverruns)"
kernel_policies() { in_ns ip xfrm policy | awk '/^src/ {n++} END {print n}'; }
served_policies() { walk_raw "$IPX_OID.1.3.1.2" | grep -c ' = '; }
in_sync() { [ "$(served_policies)" = "$(kernel_policies)" ]; }
wait_for 30 in_sync || fail "after the overrun: $(served_policies) policies served, $(kernel_policies) in the kernel"
echo "overrun: $(snmp snmpget -OqvU -- "$IPX_OID.1.1.6.0") overruns, $(served_policies) policies served = kernel"
in_ns ip xfrm policy flush
add_policies

# 4. snmpd restarts; the daemon registers again by itself.
snmpd_stop
snmpd_start
wait_registered 30
compare_policies || fail "policies differ after snmpd restart"
daemon_stop

# 5. Drop counters: provoke XfrmOutPolBlock with the block policy, then compare.
in_ns ping -c 2 -W 1 203.0.113.9 >/dev/null 2>&1 || true
daemon_start -r 1
wait_registered 30
sleep 2
in_ns cat /proc/net/xfrm_stat >"$WORK/xfrm_stat.txt"
grep -q 'XfrmOutPolBlock[[:space:]]*[1-9]' "$WORK/xfrm_stat.txt" ||
	fail "the block policy did not count (XfrmOutPolBlock still 0)"
walk_raw "$IPX_OID.1.5" >"$WORK/walk-stat.txt"
python3 "$here/xfrmcmp.py" stat "$WORK/xfrm_stat.txt" "$WORK/walk-stat.txt" ||
	fail "drop counters differ from /proc/net/xfrm_stat"
n=$(walk_raw "$IPX_OID.1.6" | wc -l)
[ "$n" = 11 ] || fail "expected 11 SAD/SPD info scalars, got $n"
spd_out=$(snmp snmpget -OqvU -- "$IPX_OID.1.6.5.0")
[ "$spd_out" = "$(in_ns ip xfrm policy list dir out | grep -c '^src')" ] ||
	fail "ipsecSpdOutCount $spd_out differs from ip xfrm policy"
daemon_stop
echo "host-policy: all checks passed"
