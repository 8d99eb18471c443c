#!/bin/bash
# Runs INSIDE user-mode-linux (tests/lab/uml-run tests/lab/ike.sh): the IKE tables against
# moon's real charon, with tunnels of every kind lab_ike_up makes (IKEv2 PSK over IPv4 and
# IPv6, IKEv1 main mode, IKEv1 aggressive mode, IKEv2 with certificates made by pki, and a
# configured connection that is never up). Checks that:
#  - the daemon starts before charon (source down, kernel tables served) and picks charon
#    up when it appears, without a restart;
#  - ikeSaTable and ikeChildSaTable equal `swanctl --list-sas --raw`, ipsecConnTable
#    `--list-conns --raw` (the idle connection included, not established), ipsecCertTable
#    `--list-certs`, ipsecIkeCounterTable `--counters --raw` and `--counters --raw --all`;
#    exchange modes main / aggressive / ikev2 are told apart;
#  - every kernel SA is linked to its CHILD_SA and back, and to its IKE SA and connection;
#  - a connection's byte counters keep growing across a CHILD_SA rekey, and the rekey is
#    counted;
#  - charon killed: the kernel's SAs (still there) stay served, unowned, the source shows
#    down; charon started again: the IKE tables come back, same daemon process.
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

step() { echo "ike: $* (at $SECONDS s)"; }
get() { snmp snmpget -OqvU -- "$@"; }
walk() { snmp snmpbulkwalk -Cr50 -OQs -Ox -- "$@"; }
compare() { # WHAT SWANCTL_FILE WALK_FILE
	python3 "$here/ikecmp.py" "$@" || fail "$1: the agent differs from swanctl (above)"
}
# The row index of the ipsecConnTable row of child config CHILD (unique in the lab).
conn_index() {
	snmp snmpbulkwalk -Cr50 -OQs -- IPSEC-AGENTX-MIB::ipsecConnChildName |
		awk -v want="$2" '$3 == want { split($1, a, "."); print a[2]; exit }'
}
source_state() { get IPSEC-AGENTX-MIB::ipsecIkeSourceState.1; }
source_is() { [ "$(source_state)" = "$1" ]; }
ike_rows() { walk IPSEC-AGENTX-MIB::ikeSaUniqueId | grep -c '^ikeSaUniqueId\.' || true; }
kernel_sa_count() { in_ns ip xfrm state | grep -c '^src' || true; }

# 1. The daemon first: no charon yet.
lab_net_up
snmpd_start
cat >"$WORK/agent.conf" <<EOF
vici-socket $LAB_DIR/moon.vici
vici-refresh-interval 2
vici-retry-max 2
EOF
daemon_start -c "$WORK/agent.conf" -r 1 -D vici
wait_registered 30
step "daemon up without charon"
wait_for 10 source_is down || fail "ipsecIkeSourceState is $(source_state), expected down"
[ "$(ike_rows)" = 0 ] || fail "IKE rows without a charon"
daemon_pid=$DAEMON_PID

# 2. Charon and the tunnels come up under the running daemon.
lab_ike_up
step "tunnels up"
wait_for 15 source_is up || fail "ipsecIkeSourceState is $(source_state) with charon running"
for c in $LAB_IKE_UP_CONNS; do lab_ping_conn "$c" 3; done
sleep 2.5 # a listing after the pings (vici-refresh-interval 2)

snapshot() { # NAME: swanctl's view and ours
	lab_swanctl moon --list-sas --raw >"$WORK/$1-list-sas.txt"
	walk IPSEC-AGENTX-MIB::ikeSaTable >"$WORK/$1-walk.txt"
	walk IPSEC-AGENTX-MIB::ikeChildSaTable >>"$WORK/$1-walk.txt"
	compare sas "$WORK/$1-list-sas.txt" "$WORK/$1-walk.txt"
}
# charon's counters (its counters plugin), compared below: the same scopes and names as
# swanctl, values between swanctl's before and after the walk.
counters() { lab_swanctl moon --counters --raw; lab_swanctl moon --counters --raw --all; }
listings() { get IPSEC-AGENTX-MIB::ipsecIkeSourceListings.1; }
counters >"$WORK/counters-before.txt"
l0=$(listings)
listed_twice() { [ "$(listings)" -ge $((l0 + 2)) ]; }
snapshot up
lab_swanctl moon --list-conns --raw >"$WORK/list-conns.txt"
walk IPSEC-AGENTX-MIB::ipsecConnTable >"$WORK/conn-walk.txt"
compare conns "$WORK/list-conns.txt" "$WORK/conn-walk.txt"
lab_swanctl moon --list-certs >"$WORK/list-certs.txt"
walk IPSEC-AGENTX-MIB::ipsecCertTable >"$WORK/cert-walk.txt"
compare certs "$WORK/list-certs.txt" "$WORK/cert-walk.txt"
grep -q 'CN=moon.example.org' "$WORK/list-certs.txt" || fail "lab certificates not listed by swanctl"
{ walk IPSEC-AGENTX-MIB::ipsecSaTable; walk IPSEC-AGENTX-MIB::ikeChildSaTable; } >"$WORK/links-walk.txt"
compare links "$WORK/links-walk.txt"
[ "$(kernel_sa_count)" -ge 10 ] || fail "expected 10 kernel SAs, have $(kernel_sa_count)"

# charon's counters, continued: the walk once two listings began after "before" (long
# done by now: the comparisons above take seconds each).
wait_for 10 listed_twice || fail "no two listings within 10 s"
walk IPSEC-AGENTX-MIB::ipsecIkeCounterTable >"$WORK/counter-walk.txt"
counters >"$WORK/counters-after.txt"
compare counters "$WORK/counters-before.txt" "$WORK/counters-after.txt" "$WORK/counter-walk.txt"
grep -q 'lab4 {' "$WORK/counters-after.txt" || fail "no counters of lab4 in swanctl --counters --all"
step "ipsecIkeCounterTable equals swanctl --counters"

# Exchange modes (from charon's log events: no listing tells main from aggressive).
ike_index() { # CONNECTION: the ikeSaIndex of its (last) IKE SA
	snmp snmpbulkwalk -Cr50 -OQs -- IPSEC-AGENTX-MIB::ikeSaName |
		awk -v want="$1" '$3 == want { split($1, a, "."); i = a[2] } END { if (i) print i }'
}
mode_of() { # CONNECTION
	local idx
	idx=$(ike_index "$1")
	[ -n "$idx" ] || return 1
	get "IPSEC-AGENTX-MIB::ikeSaExchangeMode.$idx"
}
for pair in v1main:main v1aggr:aggressive lab4:ikev2 cert4:ikev2; do
	got=$(mode_of "${pair%%:*}") || fail "no ikeSaTable row for ${pair%%:*}"
	[ "$got" = "${pair#*:}" ] || fail "ikeSaExchangeMode of ${pair%%:*}: $got, expected ${pair#*:}"
done
step "exchange modes main, aggressive and ikev2 told apart"

# The connection that is configured but not up: visible, not established.
idle=$(conn_index idle idlenet)
[ -n "$idle" ] || fail "the idle connection is not in ipsecConnTable"
[ "$(get "IPSEC-AGENTX-MIB::ipsecConnEstablished.$idle")" = false ] || fail "idle shows established"
[ "$(get "IPSEC-AGENTX-MIB::ipsecConnChildSasUp.$idle")" = 0 ] || fail "idle has CHILD_SAs up"
net4=$(conn_index lab4 net4)
[ "$(get "IPSEC-AGENTX-MIB::ipsecConnEstablished.$net4")" = true ] || fail "lab4/net4 not established"

# 3. Monotonic counters across a CHILD_SA rekey of lab4/net4.
octets() { get "IPSEC-AGENTX-MIB::ipsecConnOutOctets.$net4" "IPSEC-AGENTX-MIB::ipsecConnInOctets.$net4" | paste -sd' '; }
read -r out1 in1 <<<"$(octets)"
[ "$out1" -gt 0 ] && [ "$in1" -gt 0 ] || fail "lab4/net4 counted no traffic: out $out1 in $in1"
old=$(lab_child_spis moon net4)
lab_swanctl sun --rekey --child net4 >"$WORK/rekey.out" || fail "swanctl --rekey failed"
gone() { ! in_ns ip xfrm state | grep -q "spi 0x${old%% *} "; }
wait_for 40 gone || fail "the old net4 SAs did not go within 40 s"
step "net4 rekeyed: SPIs $old -> $(lab_child_spis moon net4 | tr '\n' ' ')"
lab_ping_conn lab4 3
sleep 2.5
read -r out2 in2 <<<"$(octets)"
echo "ipsecConnOutOctets lab4/net4: $out1 -> $out2, InOctets: $in1 -> $in2"
[ "$out2" -gt "$out1" ] && [ "$in2" -gt "$in1" ] || fail "the connection counters did not grow across the rekey"
rekeys=$(get "IPSEC-AGENTX-MIB::ipsecConnChildRekeys.$net4")
[ "$rekeys" -ge 1 ] || fail "ipsecConnChildRekeys of lab4/net4 is $rekeys after a rekey"
snapshot rekeyed

# An IKE SA rekey of lab4: a new IKE SA row, its CHILD_SA follows it, the rekey is counted.
old_ike=$(ike_index lab4)
lab_swanctl sun --rekey --ike lab4 >"$WORK/ike-rekey.out" || fail "swanctl --rekey --ike failed"
ike_rekeyed() {
	local idx
	idx=$(ike_index lab4) && [ -n "$idx" ] && [ "$idx" != "$old_ike" ] &&
		[ "$(get "IPSEC-AGENTX-MIB::ikeSaConnIkeRekeys.$idx")" -ge 1 ]
}
wait_for 30 ike_rekeyed || fail "no new lab4 IKE SA with ikeSaConnIkeRekeys >= 1 within 30 s"
step "lab4's IKE SA rekeyed: ikeSaIndex $old_ike -> $(ike_index lab4)"
sleep 2.5
snapshot ike-rekeyed
{ walk IPSEC-AGENTX-MIB::ipsecSaTable; walk IPSEC-AGENTX-MIB::ikeChildSaTable; } >"$WORK/links2-walk.txt"
compare links "$WORK/links2-walk.txt"

# 4. Charon killed: the kernel's SAs stay (nobody deletes them) and stay served.
n_kernel=$(kernel_sa_count)
lab_charon_kill moon
step "charon killed"
wait_for 15 source_is down || fail "ipsecIkeSourceState is $(source_state) after charon died"
[ "$(ike_rows)" = 0 ] || fail "IKE SA rows left after charon died"
served=$(walk IPSEC-AGENTX-MIB::ipsecSaSpi | grep -c '^ipsecSaSpi\.' || true)
[ "$served" = "$n_kernel" ] || fail "$served SAs served, the kernel has $n_kernel"
owned=$(walk IPSEC-AGENTX-MIB::ipsecSaChildSaIndex | grep '^ipsecSaChildSaIndex\.' | grep -vc ' = 0$' || true)
[ "$owned" = 0 ] || fail "$owned kernel SAs still owned by a CHILD_SA of a dead charon"
[ -n "$(conn_index lab4 net4)" ] || fail "connections vanished with charon (should stay as last listed)"

# 5. Charon back: the IKE tables return in the same daemon process.
lab_charon_start moon moon "$LAB_DIR/moon"
lab_swanctl moon --load-all >/dev/null
lab_ike_initiate
step "charon restarted, tunnels re-initiated"
wait_for 15 source_is up || fail "ipsecIkeSourceState is $(source_state) after charon restarted"
sleep 2.5
snapshot restarted
[ "$(get IPSEC-AGENTX-MIB::ipsecIkeSourceConnects.1)" -ge 2 ] || fail "expected a second VICI connection"
kill -0 "$daemon_pid" || fail "the daemon died"
[ "$DAEMON_PID" = "$daemon_pid" ] || fail "the daemon was restarted"
walk IPSEC-AGENTX-MIB::ipsecIkeSourceTable
daemon_stop
echo "ike: all checks passed"
