#!/bin/bash
# Host-kernel integration, direct mode (README "Direct mode"): in a private network
# namespace, the daemon serves SNMP itself on 127.0.0.1 (-l) with the access lines of an
# snmpd.conf-style direct-config (-a), read by Net-SNMP's own handlers:
#  - its ipsecPolicyTable/ipsecPolicyTmplTable walk equals the AgentX-mode walk of a second
#    daemon through a private snmpd (same kernel state), and `ip -s xfrm policy`;
#  - a community whose view is outside the MIB gets no rows (but an answer); an unknown
#    community gets nothing (timeout);
#  - a USM user (createUser + rouser, authPriv SHA/AES) walks the same rows; a wrong
#    passphrase or a lower security level gets none;
#  - the read-only community cannot write; a write community limited to ipsecNotifyConfig
#    can write there;
#  - a notification reaches the config's trap2sink (snmptrapd);
#  - the daemon keeps serving through a burst of XFRM events and agrees with the kernel
#    afterwards; a second instance on the same address fails cleanly.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$here/snmplib.sh"

host_work direct
DPORT=16171 # the daemon in direct mode
TPORT=16172 # snmptrapd
DIRECT_PID='' TRAPD_PID=''
DAEMON=${IPX_DAEMON:-$top_builddir/agent/ipsec-agentx}
# The SNMPv3 user of direct-config.
V3=(-v3 -l authPriv -u ipxnms -a SHA -A ipx-auth-secret -x AES -X ipx-priv-secret)

direct_kill() {
	[ -n "$DIRECT_PID" ] || return 0
	kill -TERM "$DIRECT_PID" 2>/dev/null || true
	wait "$DIRECT_PID" 2>/dev/null || true
	DIRECT_PID=
}
cleanup() {
	direct_kill
	[ -z "$TRAPD_PID" ] || { kill "$TRAPD_PID" 2>/dev/null; wait "$TRAPD_PID" 2>/dev/null; } || true
	host_cleanup
}
trap cleanup EXIT
host_ns veth

# The access lines, as snmpd would take them.
cat >"$WORK/direct.conf" <<EOF
view   ipx        included  $IPX_OID
view   sysonly    included  .1.3.6.1.2.1.1
view   notifycfg  included  $IPX_OID.1.13
rocommunity  public   127.0.0.1  -V ipx
rocommunity  outside  127.0.0.1  -V sysonly
rwcommunity  private  127.0.0.1  -V notifycfg
createUser   ipxnms   SHA ipx-auth-secret  AES ipx-priv-secret
rouser       ipxnms   priv  -V ipx
trap2sink    127.0.0.1:$TPORT  public
EOF
# The daemon's own settings: no charon; counters (and so drop notifications) every second.
cat >"$WORK/direct-agent.conf" <<EOF
vici-socket none
refresh-interval 1
notify-drops 1/0/60
EOF
printf 'vici-socket none\n' >"$WORK/agentx-agent.conf"

# direct_start: the daemon in direct mode, its log in $WORK/direct.log. Its Net-SNMP state
# (engine boots, USM users, values set over SNMP) stays in $WORK/persist-direct.
# IPX_WRAPPER (e.g. "valgrind --error-exitcode=99 ...") runs it under a tool.
direct_start() {
	# shellcheck disable=SC2086
	SNMP_PERSISTENT_DIR=$WORK/persist-direct $(ns_prefix) ${IPX_WRAPPER:-} "$DAEMON" -f \
		-c "$WORK/direct-agent.conf" -l "udp:127.0.0.1:$DPORT" -a "$WORK/direct.conf" \
		</dev/null >>"$WORK/direct.log" 2>&1 &
	DIRECT_PID=$!
}

direct_stop() {
	local rc=0
	kill -TERM "$DIRECT_PID" 2>/dev/null || true
	wait "$DIRECT_PID" || rc=$?
	DIRECT_PID=
	if [ "$rc" -ne 0 ]; then
		tail -30 "$WORK/direct.log" >&2
		fail "the direct-mode daemon exited with status $rc (see $WORK/direct.log)"
	fi
}

# dsnmp CMD OPTIONS... -- OID...: a client of the direct-mode daemon, numeric, no MIB.
dsnmp() {
	local cmd=$1 opts=()
	shift
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do
		opts+=("$1")
		shift
	done
	[ $# -gt 0 ] && shift
	in_ns "$cmd" -t 2 -r 1 -M /dev/null -m '' "${opts[@]}" "udp:127.0.0.1:$DPORT" "$@"
}

# dwalk OID: as walk_raw, from the direct-mode daemon with the read-only community.
dwalk() {
	dsnmp snmpbulkwalk -v2c -c public -Cr25 -On -Ox -Oe -OQ -Ot -- "$@"
}

direct_up() {
	dsnmp snmpget -v2c -c public -On -- "$IPX_OID.1.1.1.0" | grep -q STRING
}


# The direct walk of the objects subtree against `ip -s xfrm policy`.
compare_policies() {
	in_ns ip -s xfrm policy >"$WORK/ip-policy.txt"
	dwalk "$IPX_OID.1" >"$WORK/dwalk.txt"
	python3 "$here/xfrmcmp.py" policy "$WORK/ip-policy.txt" "$WORK/dwalk.txt"
}

# 1. The same kernel state served both ways: AgentX through a private snmpd, and direct.
add_policies
snmpd_start
SNMP_PERSISTENT_DIR=$WORK/persist-agentx daemon_start -c "$WORK/agentx-agent.conf" -r 3600
direct_start
wait_registered 30
wait_for 30 direct_up || { tail -20 "$WORK/direct.log" >&2; fail "the direct-mode daemon does not answer"; }
grep -q "direct mode: serving SNMP on udp:127.0.0.1:$DPORT" "$WORK/direct.log" ||
	fail "no 'serving SNMP' line in $WORK/direct.log"
for t in 3 4; do # ipsecPolicyTable, ipsecPolicyTmplTable
	walk_raw "$IPX_OID.1.$t" >"$WORK/agentx-$t.txt"
	dwalk "$IPX_OID.1.$t" >"$WORK/direct-$t.txt"
	[ "$(grep -c "^$IPX_OID.1.$t.1" "$WORK/direct-$t.txt")" -gt 10 ] ||
		fail "the direct walk of $IPX_OID.1.$t is (nearly) empty"
	diff -u "$WORK/agentx-$t.txt" "$WORK/direct-$t.txt" >&2 ||
		fail "the direct walk of $IPX_OID.1.$t differs from the AgentX walk"
done
compare_policies || fail "the direct walk differs from ip -s xfrm policy"
echo "ok direct walk = AgentX walk = ip -s xfrm policy ($(grep -c " = " "$WORK/direct-3.txt") policy varbinds)"
daemon_stop
snmpd_stop

# 2. Views and communities: outside the view, no rows but an answer; unknown, no answer.
out=$(dsnmp snmpbulkwalk -v2c -c outside -On -- "$IPX_OID" 2>&1) ||
	fail "the community outside the view got no answer: $out"
! grep -q "^$IPX_OID\\." <<<"$out" || fail "the community outside the view got rows: $out"
out=$(dsnmp snmpget -v2c -c outside -On -- "$IPX_OID.1.1.1.0" 2>&1) || true
grep -q "No Such Object" <<<"$out" || fail "outside the view, expected noSuchObject: $out"
echo "ok a community outside the view sees nothing"
if out=$(in_ns snmpget -v2c -c nosuchcommunity -t 1 -r 0 -M /dev/null -m '' \
	"udp:127.0.0.1:$DPORT" "$IPX_OID.1.1.1.0" 2>&1); then
	fail "an unknown community got an answer: $out"
fi
grep -q "Timeout" <<<"$out" || fail "an unknown community: expected a timeout, got: $out"
echo "ok an unknown community gets no answer"

# 3. SNMPv3: the USM user of direct-config walks the same rows at authPriv (SHA/AES).
dsnmp snmpbulkwalk "${V3[@]}" -Cr25 -On -Ox -Oe -OQ -Ot -- "$IPX_OID.1.3" >"$WORK/v3-3.txt" ||
	{ cat "$WORK/v3-3.txt" >&2; fail "the USM user could not walk"; }
diff -u "$WORK/direct-3.txt" "$WORK/v3-3.txt" >&2 || fail "the USM user's walk differs"
if out=$(dsnmp snmpget -v3 -l authPriv -u ipxnms -a SHA -A wrong-auth-secret -x AES \
	-X ipx-priv-secret -- "$IPX_OID.1.1.1.0" 2>&1); then
	fail "a wrong passphrase got an answer: $out"
fi
grep -qi "authentication failure" <<<"$out" || fail "a wrong passphrase: expected an authentication failure, got: $out"
out=$(dsnmp snmpget -v3 -l authNoPriv -u ipxnms -a SHA -A ipx-auth-secret -- "$IPX_OID.1.1.1.0" 2>&1) || true
! grep -q "STRING" <<<"$out" || fail "authNoPriv got a value, rouser wants priv: $out"
echo "ok the USM user walks at authPriv ($(grep -c " = " "$WORK/v3-3.txt") varbinds); wrong key or authNoPriv: nothing"

# 4. Nothing is writable unless the config grants it.
out=$(dsnmp snmpset -v2c -c public -- "$IPX_OID.1.13.7.0" u 0 2>&1) && fail "the read-only community could write: $out"
grep -q "noAccess" <<<"$out" || fail "read-only community: expected noAccess, got: $out"
out=$(dsnmp snmpset -v2c -c private -- "$IPX_OID.1.1.1.0" s x 2>&1) && fail "private could write outside its view: $out"
grep -q "noAccess" <<<"$out" || fail "outside the write view: expected noAccess, got: $out"
dsnmp snmpset -v2c -c private -- "$IPX_OID.1.13.8.0" u 120 >/dev/null || fail "private could not write ipsecNotifyConnDownAfter"
[ "$(dsnmp snmpget -v2c -c public -OqvU -- "$IPX_OID.1.13.8.0")" = 120 ] || fail "the SET did not take"
echo "ok writes: noAccess for the read-only community and outside the write view; ipsecNotifyConfig writable where granted"

# 5. Notifications go to direct-config's trap2sink: drops above notify-drops 1/0/60.
cat >"$WORK/snmptrapd.conf" <<EOF
authCommunity log public
EOF
$(ns_prefix) snmptrapd -f -On -Lf "$WORK/trapd.log" -C -c "$WORK/snmptrapd.conf" \
	-p "$WORK/trapd.pid" -M /dev/null -m '' "udp:127.0.0.1:$TPORT" </dev/null \
	>>"$WORK/trapd.out" 2>&1 &
TRAPD_PID=$!
wait_for 10 grep -q "NET-SNMP version" "$WORK/trapd.log" || fail "snmptrapd did not start"
for i in 1 2 3 4 5; do
	in_ns ping -c 1 -W 1 203.0.113.9 >/dev/null 2>&1 || true
done
# ipsecDropsHigh (.0.9) for XfrmOutPolBlock
wait_for 20 grep -q "OID: $IPX_OID.0.9[[:space:]]" "$WORK/trapd.log" ||
	{ cat "$WORK/trapd.log" >&2; fail "no ipsecDropsHigh at the trap sink"; }
grep -q "XfrmOutPolBlock" "$WORK/trapd.log" || fail "the trap does not name XfrmOutPolBlock"
echo "ok ipsecDropsHigh reached direct-config's trap2sink"

# 6. A burst of XFRM events (40,000 adds, 20,000 deletes) while a client keeps asking: every
#    request answered, the daemon alive, then in step with the kernel.
for i in $(seq 0 39999); do
	echo "xfrm policy add src 198.18.$((i / 256)).$((i % 256))/32 dst 198.51.100.0/24 dir out priority 500"
done >"$WORK/batch.txt"
sed 's/ add / delete /; s/ priority 500//' "$WORK/batch.txt" | head -20000 >"$WORK/batch-del.txt"
(in_ns ip -batch "$WORK/batch.txt" && in_ns ip -batch "$WORK/batch-del.txt") &
burst=$!
answered=0 asked=0
while kill -0 "$burst" 2>/dev/null || [ "$asked" -lt 5 ]; do
	asked=$((asked + 1))
	! direct_up || answered=$((answered + 1))
done
wait "$burst" || fail "ip -batch failed"
kill -0 "$DIRECT_PID" 2>/dev/null || { tail -20 "$WORK/direct.log" >&2; fail "the daemon died in the event burst"; }
[ "$answered" = "$asked" ] || fail "during the event burst $answered of $asked requests were answered"
kernel_policies() { in_ns ip xfrm policy | awk '/^src/ {n++} END {print n}'; }
served_policies() { dwalk "$IPX_OID.1.3.1.2" | grep -c ' = '; }
in_sync() { [ "$(served_policies)" = "$(kernel_policies)" ]; }
wait_for 30 in_sync || fail "after the burst: $(served_policies) policies served, $(kernel_policies) in the kernel"
echo "ok event burst: $answered of $asked requests answered during it; $(served_policies) policies served = kernel"
in_ns ip xfrm policy flush
add_policies
wait_for 10 compare_policies || { compare_policies || true; fail "policies differ after the burst"; }

# 7. A second instance on the same address fails at start, cleanly (status 1, a reason).
rc=0
# shellcheck disable=SC2086
SNMP_PERSISTENT_DIR=$WORK/persist-second in_ns ${IPX_WRAPPER:-} "$DAEMON" -f -c "$WORK/direct-agent.conf" \
	-l "udp:127.0.0.1:$DPORT" -a "$WORK/direct.conf" </dev/null >"$WORK/second.log" 2>&1 || rc=$?
[ "$rc" = 1 ] || { cat "$WORK/second.log" >&2; fail "a second instance on the same port: status $rc, expected 1"; }
grep -q "direct mode: cannot listen on udp:127.0.0.1:$DPORT" "$WORK/second.log" ||
	{ cat "$WORK/second.log" >&2; fail "a second instance on the same port: no reason given"; }
direct_up || fail "the first instance stopped answering"
echo "ok a second instance on the same address exits with status 1"

# 8. A clean stop (sanitizers report at exit); the SNMPv3 engine state is persisted, and
#    after a restart (engine boots 2; the user both in direct-config and, as Net-SNMP keeps
#    it, in the persistent file) the USM user still gets in.
direct_stop
grep -q '^engineBoots 1$' "$WORK/persist-direct/ipsec-agentx.conf" ||
	fail "no engineBoots 1 in $WORK/persist-direct/ipsec-agentx.conf"
direct_start
wait_for 30 direct_up || { tail -20 "$WORK/direct.log" >&2; fail "the restarted daemon does not answer"; }
dsnmp snmpget "${V3[@]}" -- "$IPX_OID.1.1.1.0" | grep -q STRING || fail "the USM user was refused after a restart"
direct_stop
grep -q '^engineBoots 2$' "$WORK/persist-direct/ipsec-agentx.conf" ||
	fail "engineBoots did not go to 2 across a restart"
echo "ok restarted: engine boots 2, the USM user still gets in"
echo "direct: all checks passed"
