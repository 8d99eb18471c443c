#!/bin/bash
# The lab without the daemon: tests/lab/uml-run tests/lab/tunnel-demo.sh
# A strongSwan tunnel between netns moon and sun (one AES-GCM child over IPv4, one
# AES-CBC/HMAC-SHA-256 child over IPv6), pings both ways through it, one rekey. Exits 0
# only if the kernel shows the SAs, the pings were counted on every SA, and the rekey
# replaced every SPI with traffic flowing on the new SAs.
set -eu
. "$(dirname "$0")/lab.sh"

title() { printf '\n===== %s =====\n' "$*"; }
fail() {
	echo "tunnel-demo: FAIL: $*" >&2
	exit 1
}

# SAs with zero bytes, or none at all: prints a reason and fails.
all_sas_busy() {
	local sas
	sas=$(lab_sa_list moon)
	[ "$(echo "$sas" | grep -c .)" -eq 4 ] || { echo "expected 4 SAs, got: $sas"; return 1; }
	! echo "$sas" | awk '$5 == 0 { print "no traffic on SA", $1; bad = 1 } END { exit !bad }'
}

spis() { lab_sa_list moon | awk '{ print $1 }' | sort; }
# Seconds since the UML kernel booted.
uptime() { cut -d' ' -f1 /proc/uptime; }

echo "script started at uptime $(uptime) s"
lab_net_up
echo "network up at $(uptime) s"
lab_tunnel_up --rekey 15
echo "tunnel up at $(uptime) s"
[ "$(lab_child_count moon)" -eq 2 ] || fail "moon has not 2 CHILD_SAs INSTALLED"
lab_ping 3

title "ip -s xfrm state (moon)"
ip netns exec moon ip -s xfrm state
title "ip xfrm policy (moon)"
ip netns exec moon ip xfrm policy
title "swanctl --list-sas (moon)"
lab_swanctl moon --list-sas

state=$(ip netns exec moon ip xfrm state)
echo "$state" | grep -q 'aead rfc4106(gcm(aes))' || fail "no AES-GCM SA"
echo "$state" | grep -q 'enc cbc(aes)' || fail "no AES-CBC SA"
echo "$state" | grep -q 'auth-trunc hmac(sha256)' || fail "no HMAC-SHA-256 SA"
n=$(ip netns exec moon ip xfrm policy | grep -Ec 'dir (in|out|fwd) ')
[ "$n" -eq 6 ] || fail "expected 6 tunnel policies, got $n"
all_sas_busy || fail "pings not counted on every SA"

old=$(spis)
title "waiting for the rekey (rekey_time 15 s)"
# Done when no old SPI is left: strongSwan keeps the rekeyed inbound SA ~5 s longer.
no_old_spi() {
	local now s
	now=$(spis)
	for s in $old; do
		echo "$now" | grep -qx "$s" && return 1
	done
	[ "$(echo "$now" | grep -c .)" -eq 4 ]
}
lab_wait_for no_old_spi --timeout 45 || fail "SPIs unchanged 45 s later: $(spis | tr '\n' ' ')"
new=$(spis)
echo "rekey done at $(uptime) s"
echo "SPIs before: $(echo "$old" | tr '\n' ' ')"
echo "SPIs after:  $(echo "$new" | tr '\n' ' ')"
lab_ping 2
all_sas_busy || fail "pings not counted on every new SA"
lab_swanctl moon --list-sas
echo
echo "tunnel-demo: OK at uptime $(uptime) s"
