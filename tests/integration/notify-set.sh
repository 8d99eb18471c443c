#!/bin/bash
# Host-kernel integration: the writable notification settings (ipsecNotifyConfig) through a
# real snmpd master, in a private network namespace (no SAs needed):
#  - the config file's notify-* values are served; snmpd's access control decides who may
#    write (a read-only community gets noAccess, a write community whose view is the
#    ipsecNotifyConfig subtree may write it and nothing else);
#  - good values take effect (snmpget), alone and several in one request;
#  - wrongType, wrongLength, wrongValue (range, reserved bit), inconsistentValue (drop low
#    mark at or above the high one), notWritable (a counter), noCreation (a bad instance);
#  - a refused request changes nothing;
#  - the daemon restarted: the values set over SNMP persist (Net-SNMP's persistent file in
#    SNMP_PERSISTENT_DIR) and win over the config file; values never set over SNMP follow
#    the config file.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$here/snmplib.sh"

host_work nset
trap host_cleanup EXIT
host_ns

# Everything Net-SNMP persists (the daemon's values set over SNMP included) stays in $WORK.
export SNMP_PERSISTENT_DIR=$WORK/persist
PERSIST=$SNMP_PERSISTENT_DIR/ipsec-agentx.conf
CFG=$IPX_OID.1.13
# Write access: community "private", limited by a view to ipsecNotifyConfig.
SNMPD_EXTRA_CONF="view notifycfg included $CFG
rwcommunity private 127.0.0.1 -V notifycfg"

cat >"$WORK/ipsec-agentx.conf" <<EOF
vici-socket none
notify-drops 200/20/60
notify-rate-limit 50/120
EOF

# get NAME: the value of ipsecNotifyNAME.0
get() {
	snmp snmpget -OqvU -- "IPSEC-AGENTX-MIB::ipsecNotify$1.0"
}

# set_ok COMMUNITY ARGS...: snmpset must succeed.
set_ok() {
	local c=$1
	shift
	in_ns snmpset -v2c -c "$c" -t 3 -r 1 -M "$top_srcdir/mibs:/usr/share/snmp/mibs:/usr/share/snmp/mibs/ietf:/usr/share/snmp/mibs/iana" \
		-m +IPSEC-AGENTX-MIB "udp:127.0.0.1:$SNMP_PORT" "$@" >"$WORK/set.out" 2>&1 ||
		{ cat "$WORK/set.out" >&2; fail "snmpset $* failed"; }
}

# set_err ERROR ARGS...: snmpset must fail with that SNMP error. -Ir: no client-side check of
# types and ranges, so that the agent is the one that refuses.
set_err() {
	local want=$1
	shift
	if in_ns snmpset -v2c -c private -t 3 -r 1 -Ir \
		-M "$top_srcdir/mibs:/usr/share/snmp/mibs:/usr/share/snmp/mibs/ietf:/usr/share/snmp/mibs/iana" \
		-m +IPSEC-AGENTX-MIB "udp:127.0.0.1:$SNMP_PORT" "$@" >"$WORK/set.out" 2>&1; then
		cat "$WORK/set.out" >&2
		fail "snmpset $* succeeded, expected $want"
	fi
	grep -q "Reason: $want" "$WORK/set.out" ||
		{ cat "$WORK/set.out" >&2; fail "snmpset $*: expected $want"; }
	echo "ok $want: $*"
}

expect() {
	local got
	got=$(get "$1")
	[ "$got" = "$2" ] || fail "ipsecNotify$1 is '$got', expected '$2'"
}

snmpd_start
daemon_start -c "$WORK/ipsec-agentx.conf" -r 3600
wait_registered 30

# 1. The config file's values and the defaults.
expect DropHigh 200
expect DropLow 20
expect DropWindow 60
expect RateLimit 50
expect RateWindow 120
expect RekeyRateMax 5
expect CertExpiryDays 30
# every bit but reserved(0): ikeSaUp(1) .. certExpiring(12)
[ "$(snmp snmpget -OqvUx -m '' -- "$CFG.1.0" | tr -d ' "')" = 7FF8 ] ||
	fail "ipsecNotifyEnables is not every notification by default"

# 2. Access control: the read-only community cannot write; the write community's view
#    stops at ipsecNotifyConfig.
if in_ns snmpset -v2c -c public -t 3 -r 1 -m '' "udp:127.0.0.1:$SNMP_PORT" "$CFG.7.0" u 5 \
	>"$WORK/set.out" 2>&1; then
	fail "the read-only community could write"
fi
grep -q "Reason: noAccess" "$WORK/set.out" || { cat "$WORK/set.out" >&2; fail "expected noAccess"; }
echo "ok noAccess for the read-only community"
set_err noAccess IPSEC-AGENTX-MIB::ipsecAgentVersion.0 s x

# 3. Good values take effect at once, alone and together.
set_ok private IPSEC-AGENTX-MIB::ipsecNotifyDropLow.0 u 5
expect DropLow 5
set_ok private IPSEC-AGENTX-MIB::ipsecNotifyCertExpiryDays.0 u 14 \
	IPSEC-AGENTX-MIB::ipsecNotifyEnables.0 b '1 2 12'
expect CertExpiryDays 14
[ "$(snmp snmpget -OqvUx -m '' -- "$CFG.1.0" | tr -d ' "')" = 6008 ] ||
	fail "ipsecNotifyEnables is not ikeSaUp, ikeSaDown, certExpiring"
# the high mark under the current low one is fine when the low one moves in the same request
set_ok private IPSEC-AGENTX-MIB::ipsecNotifyDropHigh.0 u 4 IPSEC-AGENTX-MIB::ipsecNotifyDropLow.0 u 2
expect DropHigh 4
expect DropLow 2
set_ok private IPSEC-AGENTX-MIB::ipsecNotifyDropHigh.0 u 300
echo "ok good values: DropHigh 300, DropLow 2, CertExpiryDays 14, Enables ikeSaUp,ikeSaDown,certExpiring"

# 4. Refusals; none of them changes anything.
set_err wrongType IPSEC-AGENTX-MIB::ipsecNotifyDropLow.0 i 5
set_err wrongType IPSEC-AGENTX-MIB::ipsecNotifyEnables.0 u 6
set_err wrongLength IPSEC-AGENTX-MIB::ipsecNotifyEnables.0 x '60 00 00'
set_err wrongValue IPSEC-AGENTX-MIB::ipsecNotifyDropLow.0 u 2000000000
set_err wrongValue IPSEC-AGENTX-MIB::ipsecNotifyRateLimit.0 u 4097
set_err wrongValue IPSEC-AGENTX-MIB::ipsecNotifyEnables.0 x '80 00'
set_err inconsistentValue IPSEC-AGENTX-MIB::ipsecNotifyDropLow.0 u 300
set_err inconsistentValue IPSEC-AGENTX-MIB::ipsecNotifyRateWindow.0 u 0
set_err notWritable IPSEC-AGENTX-MIB::ipsecNotifySuppressed.0 u 0
set_err noCreation "$CFG.7.1" u 5
# one bad varbind fails the whole request
set_err wrongValue IPSEC-AGENTX-MIB::ipsecNotifyConnDownAfter.0 u 10 \
	IPSEC-AGENTX-MIB::ipsecNotifyCertExpiryDays.0 u 9999
expect DropLow 2
expect RateWindow 120
expect ConnDownAfter 300
expect CertExpiryDays 14

# 5. Persisted at once, in Net-SNMP's persistent file of the daemon.
[ -f "$PERSIST" ] || fail "$PERSIST was not written"
grep -q '^ipsecNotifyConfig ' "$PERSIST" || { cat "$PERSIST" >&2; fail "no ipsecNotifyConfig line in $PERSIST"; }
echo "persisted: $(grep '^ipsecNotifyConfig ' "$PERSIST")"

# 6. Restart with a changed config file: what was set over SNMP wins, the rest follows the file.
daemon_stop
cat >"$WORK/ipsec-agentx.conf" <<EOF
vici-socket none
notify-drops 400/40/90
notify-rate-limit 60/120
notify-cert-expiry 60
EOF
daemon_start -c "$WORK/ipsec-agentx.conf" -r 3600
wait_registered 30
expect DropHigh 300       # set over SNMP
expect DropLow 2          # set over SNMP
expect CertExpiryDays 14  # set over SNMP
expect DropWindow 90      # the file's
expect RateLimit 60       # the file's
[ "$(snmp snmpget -OqvUx -m '' -- "$CFG.1.0" | tr -d ' "')" = 6008 ] ||
	fail "ipsecNotifyEnables set over SNMP was not kept across the restart"
grep -q 'notification settings set over SNMP earlier' "$WORK/daemon.log" ||
	fail "the daemon did not log the values it read back"
echo "ok persisted across a restart; the config file rules the rest"

# 7. Persisted values that no longer fit the file are ignored, with a message naming the file.
daemon_stop
cat >"$WORK/ipsec-agentx.conf" <<EOF
vici-socket none
notify-drops 400/40/1
EOF
sed -i 's/DropHigh=[0-9]*//' "$PERSIST" # leave DropLow=2 against a file's high mark ...
sed -i 's/DropLow=[0-9]*/DropLow=500/' "$PERSIST" # ... made inconsistent
daemon_start -c "$WORK/ipsec-agentx.conf" -r 3600
wait_registered 30
expect DropHigh 400
expect DropLow 40
grep -q "ipsec-agentx.conf: line [0-9]*: .*inconsistent" "$WORK/daemon.log" ||
	{ tail "$WORK/daemon.log" >&2; fail "no message about the inconsistent persisted values"; }
daemon_stop
echo "notify-set: all checks passed"
