#!/bin/sh
# Records the SA fixtures of tests/unit/fixtures/ from a kernel with ESP/AH/IPComp: run it
# inside user-mode-linux (the host kernel has none of them), as root:
#   tests/lab/uml-run tests/tools/record-uml-sas.sh RECORDER OUTDIR
# RECORDER is a tests/tools/xfrm-record built WITHOUT AddressSanitizer (ASan cannot run
# inside UML). Each .bin file has a .ip.txt beside it with what iproute2 printed for the
# same kernel state, which the tests assert against.
#
# The keys below are random throwaway values made for these fixtures only; the tests look
# for them after parsing, to prove the parser wiped them.
set -eu
export TZ=UTC # ip prints add/use times in local time
rec=$1
out=$2

K1E=0x8e0ef16f469ac9b3171092498f12f7b2
K1A=0x9ef7f0151b101b7d248d264fd315c637e2fdf77820648e0f3fde14c480ecd063
K2G=0xfb7ab51446bb131d7ac91d0bd53748c8c172263a
K3A=0x31565a33971ed6a2f88b139d177eb1bb0cb136cc
K5E=0x481f48812c1d229843b289006e05f5230f62fe4e7ed7b1d3e96fba6c61965b96
K5A=0xc6d9462a9ae9b32d55d6e99d201c213d9e914494
K6E=0xff6b326ccf84951ec68967793794078a
K6A=0xbe36ac18acecc315843c707d48eb4dfd64c91221da499f7c32d1678ce5f84dd8
K7E=0xeb21c44794827b9c1827a4c63e07c9aa
K7A=0x53cf76ca61002d4fe41379075b63b555e5a44b955c4c257a759d3513983477d3
K8G=0xde5f0048c3f77e1d738359536752ff226389f954c47dc607838a625b045cc7a0d449e5b8
K9E=0x4b26a4c8f19d8b9afcca52cf4ee674862c8a9532657ba3b5
K9A=0xd64d128a89060d49acb9a7a8ae1ac6fcadff5fa76caf436135691840b1e3b12a584c15a55f98ec5a27acb295d0d96cfe9e8d39da2497a2d8a3ef08d9b0536d2a

# uml-run has loaded xfrm_user, esp4/6, ah4/6, ipcomp/6 and veth; the kernel loads the
# crypto modules it needs (sha512, deflate, ...) through uml-run's modprobe wrapper.

# Two namespaces joined by a veth pair: traffic over lo would bypass XFRM (the kernel sets
# disable_xfrm on loopback), so the SAs with traffic need a real link. Everything is
# recorded in namespace a; b is the peer.
a=ipxa$$
b=ipxb$$
ip netns add "$a"
ip netns add "$b"
trap 'ip netns del "$a"; ip netns del "$b"' EXIT
ip -n "$a" link add va type veth peer name vb netns "$b"
ip -n "$a" addr add 10.0.0.1/24 dev va
ip -n "$b" addr add 10.0.0.2/24 dev vb
ip -n "$a" link set va up
ip -n "$b" link set vb up
ip -n "$a" link set lo up
ip -n "$b" link set lo up
inA() { ip netns exec "$a" "$@"; }
xa() { ip -n "$a" xfrm "$@"; }
xb() { ip -n "$b" xfrm "$@"; }

# Waits until the recorder has subscribed (it creates its file then).
wait_file() {
	while [ ! -e "$1" ]; do sleep 0.1; done
	sleep 0.3
}

# send_udp NS SRC DST N: N UDP datagrams of 100 bytes from SRC to DST:9.
send_udp() {
	ip netns exec "$1" python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('$2', 0))
for _ in range($4):
    s.sendto(b'x' * 100, ('$3', 9))
"
}

# --- a dump of varied SAs -----------------------------------------------------------------
# cbc(aes) + hmac(sha256) truncated to 128 bits, tunnel, selector, every kind of limit.
xa state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0xc0010001 reqid 1 mode tunnel \
	replay-window 32 enc 'cbc(aes)' $K1E auth-trunc 'hmac(sha256)' $K1A 128 \
	sel src 10.1.0.0/16 dst 10.2.0.0/16 \
	limit time-soft 3000 limit time-hard 3600 limit time-use-soft 600 limit time-use-hard 700 \
	limit byte-soft 1000000 limit byte-hard 2000000 limit packet-soft 1000 limit packet-hard 2000
# AEAD over IPv6 with extended sequence numbers and a 128-packet window.
xa state add src 2001:db8::1 dst 2001:db8::2 proto esp spi 0xc0020002 reqid 2 mode tunnel \
	aead 'rfc4106(gcm(aes))' $K2G 128 flag esn replay-window 128
# AH in transport mode, a TCP selector with ports.
xa state add src 192.0.2.1 dst 192.0.2.3 proto ah spi 0xc0030003 reqid 3 mode transport \
	auth 'hmac(sha1)' $K3A sel src 192.0.2.1/32 dst 192.0.2.3/32 proto tcp sport 1234 dport 80
# IPComp (its SPI is the 16-bit CPI).
xa state add src 192.0.2.1 dst 192.0.2.4 proto comp spi 0x4242 reqid 4 mode tunnel \
	comp deflate
# NAT-T, mark, if_id, an extra flag.
xa state add src 192.0.2.1 dst 198.51.100.5 proto esp spi 0xc0050005 reqid 5 mode tunnel \
	enc 'cbc(aes)' $K5E auth-trunc 'hmac(sha1)' $K5A 96 \
	encap espinudp 4500 4501 0.0.0.0 mark 0x10 mask 0xff if_id 0x42 \
	extra-flag dont-encap-dscp
# SAs with traffic, one per direction, in transport mode over the veth link; b holds the
# mirror images. Gives counters, use times, XFRMA_LASTUSED and replay sequence numbers.
for ns in "$a" "$b"; do
	ip -n "$ns" xfrm state add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0xc0060006 reqid 6 \
		mode transport replay-window 32 \
		enc 'cbc(aes)' $K6E auth-trunc 'hmac(sha256)' $K6A 128
	ip -n "$ns" xfrm state add src 10.0.0.2 dst 10.0.0.1 proto esp spi 0xc0160016 reqid 16 \
		mode transport replay-window 32 \
		enc 'cbc(aes)' $K6E auth-trunc 'hmac(sha256)' $K6A 128
done
xa policy add src 10.0.0.1/32 dst 10.0.0.2/32 proto udp dir out \
	tmpl src 10.0.0.1 dst 10.0.0.2 proto esp reqid 6 mode transport
xb policy add src 10.0.0.2/32 dst 10.0.0.1/32 proto udp dir out \
	tmpl src 10.0.0.2 dst 10.0.0.1 proto esp reqid 16 mode transport
send_udp "$a" 10.0.0.1 10.0.0.2 3
send_udp "$b" 10.0.0.2 10.0.0.1 4
sleep 1.1 # so that use and add times can differ
send_udp "$a" 10.0.0.1 10.0.0.2 2
inA "$rec" sa "$out/uml-sa-dump.bin"
ip -s -n "$a" xfrm state list >"$out/uml-sa-dump.ip.txt"
inA "$rec" sadinfo "$out/uml-sadinfo.bin"
ip -s -s -n "$a" xfrm state count >"$out/uml-sadinfo.ip.txt"
xa policy flush
xa state flush

# --- SA events: NEWSA, UPDSA (on an existing SA and on a larval one), DELSA, EXPIRE ------
inA "$rec" listen 20 "$out/uml-sa-events.bin" 8 &
recpid=$!
inA ip -s xfrm monitor SA expire >"$out/uml-sa-events.ip.txt" &
monpid=$!
wait_file "$out/uml-sa-events.bin"
xa state add src 192.0.2.1 dst 192.0.2.7 proto esp spi 0xc0070007 reqid 7 mode tunnel \
	enc 'cbc(aes)' $K7E auth-trunc 'hmac(sha256)' $K7A 128 mark 0x7 mask 0xf if_id 0x7
xa state update src 192.0.2.1 dst 192.0.2.7 proto esp spi 0xc0070007 reqid 7 mode tunnel \
	enc 'cbc(aes)' $K7E auth-trunc 'hmac(sha256)' $K7A 128 mark 0x7 mask 0xf if_id 0x7 \
	limit time-hard 7777
xa state delete src 192.0.2.1 dst 192.0.2.7 proto esp spi 0xc0070007 mark 0x7 mask 0xf
# The kernel allocates an SPI for a larval SA; filling it in is an UPDSA (strongSwan's
# inbound SAs arrive this way).
spi=$(xa state allocspi src 192.0.2.9 dst 192.0.2.1 proto esp reqid 9 mode tunnel \
	min 0xc0090000 max 0xc009ffff | sed -n 's/.*spi \(0x[0-9a-f]*\).*/\1/p')
xa state update src 192.0.2.9 dst 192.0.2.1 proto esp spi "$spi" reqid 9 mode tunnel \
	enc 'cbc(aes)' $K9E auth-trunc 'hmac(sha512)' $K9A 256
# Soft expiry after 1 s, hard after 2 s: EXPIRE hard=0, then EXPIRE hard=1 and no DELSA.
xa state add src 192.0.2.1 dst 192.0.2.8 proto esp spi 0xc0080008 reqid 8 mode tunnel \
	aead 'rfc4106(gcm(aes))' $K8G 128 limit time-soft 1 limit time-hard 2
sleep 4
xa state flush # one SA left: the kernel sends no FLUSHSA for an empty SAD
wait "$recpid"
sleep 0.5
kill "$monpid"
wait "$monpid" || true

# --- ACQUIRE: a policy with no SA for it, and a packet that needs one ------------------------
inA "$rec" listen 6 "$out/uml-acquire.bin" 2 & # NEWPOLICY, ACQUIRE
recpid=$!
inA ip -s xfrm monitor acquire policy >"$out/uml-acquire.ip.txt" &
monpid=$!
wait_file "$out/uml-acquire.bin"
# The mark matches unmarked packets (value 0 under the mask) and still travels along.
xa policy add src 10.0.0.1/32 dst 10.0.0.2/32 proto udp dir out priority 7 \
	mark 0 mask 0xff00 tmpl src 10.0.0.1 dst 10.0.0.2 proto esp reqid 12 mode transport
send_udp "$a" 10.0.0.1 10.0.0.2 1 || true # larval_drop: the kernel drops it, asks for an SA
wait "$recpid"
sleep 0.5
kill "$monpid"
wait "$monpid" || true
xa policy flush
xa state flush
