#!/bin/bash
# Runs INSIDE user-mode-linux (tests/lab/uml-run tests/lab/sa-tunnel.sh): a real strongSwan
# tunnel between namespaces moon and sun, real ESP traffic, a real CHILD_SA rekey, with a
# private snmpd and ipsec-agentx in moon. Checks that:
#  - every ipsecSaTable row equals `ip -s xfrm state` (SPIs, algorithms, bytes, packets),
#    every ipsecPolicyTable row `ip -s xfrm policy` (socket policies included);
#  - after a rekey the old SAs are gone and the new ones served, with no restart;
#  - no key byte appears in any SNMP output, in the logs, or in the daemon's memory.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${IPX_TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
top_builddir=${IPX_TOP_BUILDDIR:-$top_srcdir/build}
. "$here/lab.sh"
. "$top_srcdir/tests/integration/snmplib.sh"

IPX_DAEMON=${IPX_DAEMON:-$top_builddir/tests/lab/ipsec-agentx-ubsan}
NS=moon
WORK=$LAB_DIR/snmp
mkdir -p "$WORK"
trap stop_all EXIT

lab_net_up
lab_tunnel_up --rekey 20
snmpd_start
daemon_start -r 1 -D agent
wait_registered 30

sa_snapshot() { # NAME: ip's view and ours, taken while no traffic flows
	sleep 2.5 # more than one refresh interval since the last packet
	in_ns ip -s xfrm state >"$WORK/$1-ip.txt"
	walk_raw "$IPX_OID.1.2" >"$WORK/$1-walk.txt"
	IPX_LOCAL_ADDRS="$LAB_MOON4 $LAB_MOON6" \
		python3 "$top_srcdir/tests/integration/xfrmcmp.py" sa "$WORK/$1-ip.txt" "$WORK/$1-walk.txt"
}

spis() {
	in_ns ip xfrm state | awk '/proto/ {print $4}' | sort
}

lab_ping 3
sa_snapshot before-rekey || fail "ipsecSaTable differs from ip -s xfrm state"
# strongSwan's policies, including the per-socket bypass policies of its IKE sockets.
in_ns ip -s xfrm policy >"$WORK/policy-ip.txt"
walk_raw "$IPX_OID.1" >"$WORK/policy-walk.txt"
python3 "$top_srcdir/tests/integration/xfrmcmp.py" policy "$WORK/policy-ip.txt" "$WORK/policy-walk.txt" ||
	fail "ipsecPolicyTable differs from ip -s xfrm policy"
grep -q '^[[:space:]]*socket in' "$WORK/policy-ip.txt" || fail "expected charon's socket policies"
busy=$(grep -Ec '^[[:space:]]*[1-9][0-9]*\(bytes\)' "$WORK/before-rekey-ip.txt" || true)
[ "$busy" -ge 2 ] || fail "only $busy SAs carried traffic: the pings did not go through the tunnel"
old=$(spis)
echo "SAs before the rekey: $(echo "$old" | tr '\n' ' ')"

# Wait for the rekey to finish: none of the old SPIs left (the old inbound SA lingers
# about 5 s after the new one is in).
rekeyed() { [ -z "$(spis | comm -12 - <(echo "$old"))" ]; }
wait_for 60 rekeyed || fail "no rekey within 60 s"
new=$(spis)
echo "SAs after the rekey: $(echo "$new" | tr '\n' ' ')"
[ -n "$new" ] || fail "no SAs after the rekey"
lab_ping 2
sa_snapshot after-rekey || fail "ipsecSaTable differs from ip -s xfrm state after the rekey"
for spi in $old; do
	if grep -q "\.1\.2\.1\.7\.[0-9]* = $((spi))\$" "$WORK/after-rekey-walk.txt"; then
		fail "old SPI $spi still served after the rekey"
	fi
done

# Keys: ip prints them; we must not, anywhere.
in_ns ip xfrm state >"$WORK/keys-ip.txt"
walk_raw "$IPX_OID" >"$WORK/full-walk.txt"
snmp snmpwalk -- "$IPX_OID" >"$WORK/full-walk-text.txt"
python3 "$here/keycheck.py" "$WORK/keys-ip.txt" --pid "$DAEMON_PID" \
	"$WORK"/*-walk.txt "$WORK/full-walk-text.txt" "$WORK/daemon.log" "$WORK/snmpd.log" ||
	fail "key material leaked"
daemon_stop
echo "sa-tunnel: all checks passed"
