#!/bin/sh
# Records the policy fixtures of tests/unit/fixtures/ from the host kernel, in a private
# network namespace (policies need no ESP support in the kernel). Run as root:
#   tests/tools/record-host-policies.sh RECORDER OUTDIR
# RECORDER is a built tests/tools/xfrm-record. Each .bin file has a .ip.txt beside it
# with what iproute2 printed for the same kernel state, which the tests assert against.
set -eu
export TZ=UTC # ip prints add/use times in local time
rec=$1
out=$2
ns=ipxrec$$
ip netns add "$ns"
trap 'ip netns del "$ns"' EXIT
in_ns() { ip netns exec "$ns" "$@"; }
x() { ip -n "$ns" xfrm "$@"; }
xs() { ip -s -n "$ns" xfrm "$@"; }

ip -n "$ns" link set lo up
ip -n "$ns" link add dummy0 type veth peer name dummy1
ip -n "$ns" link set dummy0 up

# --- a dump of varied policies ---------------------------------------------------------
x policy add src 10.1.0.0/16 dst 10.2.0.0/16 dir out priority 100 \
	tmpl src 192.0.2.1 dst 192.0.2.2 proto esp reqid 1 mode tunnel
x policy add src 10.2.0.0/16 dst 10.1.0.0/16 proto tcp sport 443 dport 8080 dir in priority 200 \
	tmpl src 192.0.2.2 dst 192.0.2.1 proto esp reqid 1 mode tunnel level use
x policy add src 10.2.0.0/16 dst 10.1.0.0/16 dir fwd \
	tmpl src 192.0.2.2 dst 192.0.2.1 proto esp reqid 1 mode tunnel
x policy add src 2001:db8:1::1/128 dst 2001:db8:2::2/128 proto udp dport 4789 dir out \
	tmpl proto esp reqid 6 mode transport
x policy add src 198.51.100.0/24 dst 203.0.113.0/24 dir out action block priority 5
x policy add src 10.3.0.0/16 dst 10.4.0.0/16 dir out mark 0x10 mask 0xff if_id 0x42 \
	tmpl src 192.0.2.1 dst 192.0.2.3 proto esp reqid 3 mode tunnel
x policy add src 10.5.0.0/16 dst 10.6.0.0/16 dir out \
	tmpl src 192.0.2.1 dst 192.0.2.4 proto comp spi 0x4242 reqid 4 mode tunnel \
	tmpl proto esp reqid 4 mode transport
x policy add src 2001:db8:5::/48 dst 2001:db8:6::/48 dev dummy0 proto ipv6-icmp type 128 code 0 \
	dir in flag icmp flag localok \
	limit time-soft 3000 limit time-hard 3600 limit byte-soft 1000000 limit byte-hard 2000000 \
	limit packet-soft 1000 limit packet-hard 2000 limit time-use-soft 600 limit time-use-hard 700 \
	tmpl src 2001:db8:ffff::2 dst 2001:db8:ffff::1 proto esp reqid 8 mode tunnel
in_ns "$rec" policy "$out/host-policy-dump.bin"
xs policy list >"$out/host-policy-dump.ip.txt"
in_ns "$rec" spdinfo "$out/host-spdinfo.bin"
ip -s -s -n "$ns" xfrm policy count >"$out/host-spdinfo.ip.txt"
x policy flush

# --- /proc/net/xfrm_stat with something counted: three datagrams a block policy drops ---
ip -n "$ns" addr add 192.0.2.1/24 dev dummy0
x policy add src 0.0.0.0/0 dst 192.0.2.99/32 proto udp dir out action block
in_ns python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(3):
    try:
        s.sendto(b'x', ('192.0.2.99', 9))
    except OSError:
        pass
"
in_ns cat /proc/net/xfrm_stat >"$out/host-xfrm_stat.txt"
x policy flush

# --- policy events: add, update, delete by selector and by index, expiry, flush ---------
in_ns "$rec" listen 12 "$out/host-policy-events.bin" &
recpid=$!
in_ns ip -s xfrm monitor policy expire >"$out/host-policy-events.ip.txt" &
monpid=$!
while [ ! -e "$out/host-policy-events.bin" ]; do sleep 0.1; done
sleep 0.5
x policy add src 10.7.0.0/16 dst 10.8.0.0/16 dir out priority 10 \
	tmpl src 192.0.2.1 dst 192.0.2.7 proto esp reqid 7 mode tunnel
x policy update src 10.7.0.0/16 dst 10.8.0.0/16 dir out priority 11 \
	tmpl src 192.0.2.1 dst 192.0.2.7 proto esp reqid 7 mode tunnel
x policy delete src 10.7.0.0/16 dst 10.8.0.0/16 dir out
x policy add src 10.9.0.0/16 dst 10.10.0.0/16 dir in mark 0x20 mask 0xff \
	tmpl src 192.0.2.7 dst 192.0.2.1 proto esp reqid 9 mode tunnel
idx=$(xs policy list dir in | sed -n 's/.*index \([0-9]*\).*/\1/p' | head -n1)
x policy delete index "$idx" dir in mark 0x20 mask 0xff
x policy add src 10.11.0.0/16 dst 10.12.0.0/16 dir out limit time-soft 1 limit time-hard 2 \
	tmpl src 192.0.2.1 dst 192.0.2.11 proto esp reqid 11 mode tunnel
sleep 3 # the policy's soft and hard expiry: two POLEXPIRE, no DELPOLICY
x policy add src 10.13.0.0/16 dst 10.14.0.0/16 dir out action block
x policy flush # an empty SPD would send no FLUSHPOLICY
wait "$recpid"
kill "$monpid"
wait "$monpid" || true
