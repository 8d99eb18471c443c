#!/bin/bash
# Runs INSIDE user-mode-linux (tests/lab/uml-run tests/lab/notify.sh): the daemon's
# notifications, through a real snmpd (trap2sink) to a real snmptrapd writing a file, for
# real events of moon's charon and kernel. Checks, each by the notification's OID and the
# varbinds that identify the tunnel:
#  - IKE SA up and CHILD_SA up when the tunnels come up;
#  - a CHILD_SA renegotiated for each rekey of net4 (swanctl --rekey), with the old and new
#    SPIs the kernel had before and after; the rekey-rate notification once the rate
#    threshold (2 per 300 s) is passed;
#  - drops: moon's inbound SA deleted behind charon's back, pings whose ESP replies find no
#    SA (XfrmInNoStates): one drops-high, then one back-to-normal, not one per packet;
#  - IKE SA down with reason administrative for `swanctl --terminate`;
#  - the never-up connection: connection down after notify-conn-down seconds;
#  - certificates within notify-cert-expiry days: certificate expiring, once each;
#  - the peer's charon killed: moon's SA reaches its soft lifetime unreplaced: rekey overdue.
# Prints, per notification type, the delay between charon's log line for the event and the
# notification's arrival at snmptrapd.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${IPX_TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
top_builddir=${IPX_TOP_BUILDDIR:-$top_srcdir/build}
. "$here/lab.sh"
. "$top_srcdir/tests/integration/snmplib.sh"

IPX_DAEMON=${IPX_DAEMON:-$top_builddir/tests/lab/ipsec-agentx-ubsan}
NS=moon
WORK=$LAB_DIR/snmp
TRAP_PORT=16162
TRAPS=$WORK/traps.txt
mkdir -p "$WORK"

step() { echo "notify: $* (at $SECONDS s)"; }
get() { snmp snmpget -OqvU -- "$@"; }

trapd_start() {
	persist_dir
	cat >"$WORK/snmptrapd.conf" <<-EOF
		disableAuthorization yes
		doNotRetainNotificationLogs yes
	EOF
	# One line per notification, stamped with its arrival time (ms) as read.
	in_ns /usr/sbin/snmptrapd -f -Lo -C -c "$WORK/snmptrapd.conf" -OQs \
		-M "$top_srcdir/mibs:/usr/share/snmp/mibs:/usr/share/snmp/mibs/ietf:/usr/share/snmp/mibs/iana" \
		-m +IPSEC-AGENTX-MIB -F 'TRAP %v\n' "udp:127.0.0.1:$TRAP_PORT" 2>"$WORK/snmptrapd.err" |
		while IFS= read -r line; do printf '%s %s\n' "$(date +%s.%3N)" "$line"; done >"$TRAPS" &
	TRAPD_PID=$!
	sleep 1
}
trapd_stop() {
	in_ns pkill -f "snmptrapd -f -Lo -C -c $WORK" 2>/dev/null || true
	wait "$TRAPD_PID" 2>/dev/null || true
}
cleanup() {
	trapd_stop
	stop_all
}
trap cleanup EXIT

# traps NAME [PATTERN...]: the lines of notification NAME whose varbinds match every PATTERN.
traps() {
	local name=$1 out
	shift
	out=$(grep -F "snmpTrapOID.0 = ${name#*::}	" "$TRAPS" || true)
	for p in "$@"; do out=$(grep -F -- "$p" <<<"$out" || true); done
	[ -n "$out" ] && echo "$out"
}
have() { traps "$@" >/dev/null; }
count() { traps "$@" | grep -c . || true; }
expect() { # SECONDS NAME PATTERN...: waits for a matching notification
	local secs=$1
	shift
	wait_for "$secs" have "$@" || {
		echo "--- notifications received:" >&2
		cut -c1-300 "$TRAPS" >&2
		fail "no $1 notification matching: ${*:2}"
	}
}
# The arrival time of the first matching notification (seconds since the epoch).
arrival() { traps "$@" | head -1 | cut -d' ' -f1; }
# The time of the last line of moon's charon log matching ERE before time T (epoch s).
logtime() {
	local day
	day=$(date +%F)
	grep -E -- "$1" "$LAB_DIR/moon-charon.log" | cut -d' ' -f1 |
		while read -r t; do date -d "$day $t" +%s.%3N; done |
		awk -v t="$2" '$1 <= t { last = $1 } END { if (last == "") exit 1; print last }'
}
DELAYS=$WORK/delays.txt
: >"$DELAYS"
delay() { # NAME LOG-ERE TRAP-ARGS...: records the event-to-arrival delay
	local name=$1 pat=$2 t0 t1
	shift 2
	t1=$(arrival "$@")
	t0=$(logtime "$pat" "$t1") || { echo "$name: no log line /$pat/ before $t1" >>"$DELAYS"; return 0; }
	awk -v a="$t0" -v b="$t1" -v n="$name" 'BEGIN { printf "%-26s %.3f s\n", n, b - a }' >>"$DELAYS"
}

lab_net_up
SNMPD_EXTRA_CONF="trap2sink udp:127.0.0.1:$TRAP_PORT public"
snmpd_start
trapd_start
cat >"$WORK/agent.conf" <<EOF
vici-socket $LAB_DIR/moon.vici
vici-refresh-interval 2
notify-rekey-rate 2/300
notify-drops 5/1/6
notify-conn-down 15
notify-cert-expiry 400
notify-rekey-overdue-margin 30
notify-rate-limit 100/60
EOF
daemon_start -c "$WORK/agent.conf" -r 1
wait_registered 30
step "snmpd, snmptrapd and the daemon up"

# 1. Ups.
lab_ike_up
expect 10 IPSEC-AGENTX-MIB::ipsecIkeSaUp "= lab4"
expect 10 IPSEC-AGENTX-MIB::ipsecChildSaUp "= net4"
expect 10 IPSEC-AGENTX-MIB::ipsecIkeSaUp "= v1main"
expect 10 IPSEC-AGENTX-MIB::ipsecChildSaUp "= certnet"
delay ipsecIkeSaUp 'IKE_SA lab4\[[0-9]+\] established' IPSEC-AGENTX-MIB::ipsecIkeSaUp "= lab4"
delay ipsecChildSaUp 'CHILD_SA net4\{[0-9]+\} established' IPSEC-AGENTX-MIB::ipsecChildSaUp "= net4"
step "IKE SA and CHILD_SA up notifications"

# 2. Three rekeys of net4: one renegotiated notification each, with the SPIs; then the rate.
spi_hex_to_dec() { printf '%d' "0x$1"; }
for i in 1 2 3; do
	read -r old_in old_out <<<"$(lab_child_spis moon net4 | head -1)"
	lab_swanctl sun --rekey --child net4 >/dev/null || fail "swanctl --rekey failed"
	expect 15 IPSEC-AGENTX-MIB::ipsecChildSaRekeyed "= net4" \
		"ipsecNotifyOldInSpi.0 = $(spi_hex_to_dec "$old_in")" \
		"ipsecNotifyOldOutSpi.0 = $(spi_hex_to_dec "$old_out")"
	line=$(traps IPSEC-AGENTX-MIB::ipsecChildSaRekeyed "ipsecNotifyOldInSpi.0 = $(spi_hex_to_dec "$old_in")" | head -1)
	read -r new_in new_out <<<"$(lab_child_spis moon net4 | grep -v "^$old_in " | head -1)"
	grep -qF "ipsecNotifyInSpi.0 = $(spi_hex_to_dec "$new_in")" <<<"$line" ||
		fail "rekey $i: new inbound SPI $new_in not in: $line"
	grep -qF "ipsecNotifyOutSpi.0 = $(spi_hex_to_dec "$new_out")" <<<"$line" ||
		fail "rekey $i: new outbound SPI $new_out not in: $line"
	echo "rekey $i of net4: $old_in/$old_out -> $new_in/$new_out notified"
	[ "$i" != 1 ] || delay ipsecChildSaRekeyed 'CHILD_SA net4\{[0-9]+\} established' \
		IPSEC-AGENTX-MIB::ipsecChildSaRekeyed "= net4"
	sleep 1
done
expect 10 IPSEC-AGENTX-MIB::ipsecRekeyRateExceeded "= lab4"
[ "$(count IPSEC-AGENTX-MIB::ipsecRekeyRateExceeded "= lab4")" = 1 ] || fail "more than one rekey-rate notification"
step "3 renegotiated notifications with old and new SPIs, one rekey-rate notification"
# charon deletes each rekeyed CHILD_SA with a child-updown down: not a tunnel down
sleep 6 # charon's delete_rekeyed_delay (5 s)
[ "$(count IPSEC-AGENTX-MIB::ipsecChildSaDown "= net4")" = 0 ] ||
	fail "a rekey was reported as a CHILD_SA down: $(traps IPSEC-AGENTX-MIB::ipsecChildSaDown "= net4")"
# An IKE SA rekey, with the old and new IKE SPIs.
old_ispi=$(lab_swanctl moon --list-sas --ike lab4 --raw | grep -o 'initiator-spi=[0-9a-f]*' | head -1 | cut -d= -f2)
lab_swanctl sun --rekey --ike lab4 >/dev/null || fail "swanctl --rekey --ike failed"
hexspi() { echo "$1" | sed 's/../& /g; s/ $//' | tr a-f A-F; }
expect 15 IPSEC-AGENTX-MIB::ipsecIkeSaRekeyed "= lab4" "ipsecNotifyOldIkeInitiatorSpi.0 = \"$(hexspi "$old_ispi")"
new_ispi=$(lab_swanctl moon --list-sas --ike lab4 --raw | grep -o 'initiator-spi=[0-9a-f]*' | head -1 | cut -d= -f2)
have IPSEC-AGENTX-MIB::ipsecIkeSaRekeyed "ipsecNotifyIkeInitiatorSpi.0 = \"$(hexspi "$new_ispi")" ||
	fail "the IKE rekey notification lacks the new initiator SPI $new_ispi"
delay ipsecIkeSaRekeyed 'IKE_SA lab4\[[0-9]+\] rekeyed|rekeying IKE_SA|IKE_SA rekey' IPSEC-AGENTX-MIB::ipsecIkeSaRekeyed "= lab4"
step "IKE SA renegotiated: SPI $old_ispi -> $new_ispi notified; no CHILD_SA down for the rekeys"

# 3. Drops: moon's inbound net6 SA removed behind charon's back; sun's ESP finds no SA.
read -r in6 _ <<<"$(lab_child_spis moon net6 | head -1)"
in_ns ip xfrm state delete dst "$LAB_MOON6" proto esp spi "0x$in6"
_lab_ping 20 -6 "$LAB_MOON_HOST6" "$LAB_SUN_HOST6" >/dev/null 2>&1 || true # replies are dropped
expect 10 IPSEC-AGENTX-MIB::ipsecDropsHigh XfrmInNoStates
expect 20 IPSEC-AGENTX-MIB::ipsecDropsNormal XfrmInNoStates
[ "$(count IPSEC-AGENTX-MIB::ipsecDropsHigh XfrmInNoStates)" = 1 ] || fail "more than one drops-high"
step "XfrmInNoStates: one drops-high, one back-to-normal for 20 dropped packets"

# 4. Administrative down.
lab_swanctl moon --terminate --ike lab6 >/dev/null
expect 10 IPSEC-AGENTX-MIB::ipsecIkeSaDown "= lab6" "administrative"
expect 10 IPSEC-AGENTX-MIB::ipsecChildSaDown "= net6" "administrative"
traps IPSEC-AGENTX-MIB::ipsecChildSaDown "= net6" | grep -q "ipsecNotifyChildSaIndex.0 = 0	" &&
	fail "the CHILD_SA down does not name its ikeChildSaTable row"
delay ipsecIkeSaDown 'deleting IKE_SA lab6\[' IPSEC-AGENTX-MIB::ipsecIkeSaDown "= lab6"
step "IKE SA and CHILD_SA down (administrative)"

# 5. The never-up connection, and certificates close to expiry.
expect 30 IPSEC-AGENTX-MIB::ipsecConnDown "= idle"
expect 10 IPSEC-AGENTX-MIB::ipsecCertExpiring "CN=moon.example.org"
[ "$(count IPSEC-AGENTX-MIB::ipsecCertExpiring "CN=moon.example.org")" = 1 ] || fail "certificate notified twice"
step "connection down, certificate expiring"

# 6. Rekey overdue: moon gets short lifetimes (soft 20 s, hard 60 s), lab4 is set up again
# under them, then sun's charon dies: the soft expiry finds no peer to rekey with.
_lab_ike_swanctl_conf moon none $'20s\nlife_time = 60s\nrand_time = 0s' >"$LAB_DIR/moon/swanctl.conf"
lab_swanctl moon --load-all >/dev/null
lab_ike_initiate lab4 # sun deletes its old lab4 IKE SA first: a down by the peer
expect 10 IPSEC-AGENTX-MIB::ipsecIkeSaDown "= lab4" peerDeleted
lab_charon_kill sun
step "sun's charon killed; waiting for moon's net4 SAs to pass their soft lifetime"
expect 60 IPSEC-AGENTX-MIB::ipsecRekeyOverdue
delay ipsecRekeyOverdue 'rekeying CHILD_SA|retransmit|giving up' IPSEC-AGENTX-MIB::ipsecRekeyOverdue
step "rekey overdue"

daemon_stop
echo "--- delay between charon's log line and the notification's arrival:"
cat "$DELAYS"
echo "--- notifications: $(grep -c . "$TRAPS")"
echo "notify: all checks passed"
