# shellcheck shell=bash
# Library for scripts that run inside user-mode-linux under tests/lab/uml-run:
#   . "$(dirname "$0")/lab.sh"
# Two network namespaces joined by a veth pair: `moon`, the monitored gateway, and `sun`,
# its remote peer, each with a strongSwan charon of its own. Functions fail by returning
# non-zero after saying why on stderr, so `set -e` scripts stop there.
# Only documentation address ranges are used (RFC 5737, RFC 3849).

: "${LAB_DIR:?LAB_DIR is unset: run this under tests/lab/uml-run}"
grep -q 'User Mode Linux' /proc/cpuinfo ||
	{ echo "lab.sh: not inside user-mode-linux: refusing to touch this kernel's netns" >&2; exit 1; }

LAB_MOON4=192.0.2.1 LAB_SUN4=192.0.2.2
LAB_MOON6=2001:db8::1 LAB_SUN6=2001:db8::2
LAB_MOON_NET4=198.51.100.0/24 LAB_SUN_NET4=203.0.113.0/24
LAB_MOON_NET6=2001:db8:1::/64 LAB_SUN_NET6=2001:db8:2::/64
LAB_MOON_HOST4=198.51.100.1 LAB_SUN_HOST4=203.0.113.1
LAB_MOON_HOST6=2001:db8:1::1 LAB_SUN_HOST6=2001:db8:2::1

lab_log() { echo "lab: $*" >&2; }
lab_error() { echo "lab: ERROR: $*" >&2; return 1; }

# lab_wait_for CMD... [--timeout N]: run CMD (quietly) every 0.2 s until it succeeds;
# returns 1 after N seconds (default 30). `--timeout N` may also come first.
lab_wait_for() {
	local t=30 end
	if [ "${1:-}" = --timeout ]; then
		t=$2
		shift 2
	elif [ $# -ge 2 ] && [ "${*: -2:1}" = --timeout ]; then
		t=${*: -1}
		set -- "${@:1:$#-2}"
	fi
	end=$((SECONDS + t))
	until "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.2
	done
}

# The end of each FILE that exists, on stderr: context for an error.
_lab_tail() {
	local f
	for f; do
		[ ! -s "$f" ] || { echo "--- last lines of $f:"; tail -n 25 "$f"; } >&2
	done
}

_lab_ns() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# lab_net_up: creates netns moon and sun, the veth pair between them (192.0.2.0/24,
# 2001:db8::/64) and a protected subnet on a dummy interface behind each.
lab_net_up() {
	if ! { ip netns add moon && ip netns add sun &&
		ip link add veth-moon netns moon type veth peer name veth-sun netns sun; }; then
		lab_error "cannot create netns moon, sun and their veth pair"
		return
	fi
	# charon is told not to install routes, so the lab's routing is fixed here.
	_lab_ns moon ip -batch - <<-EOF || { lab_error "cannot set up netns moon"; return; }
		link set lo up
		link set veth-moon up
		link add priv type dummy
		link set priv up
		addr add $LAB_MOON4/24 dev veth-moon
		addr add $LAB_MOON6/64 dev veth-moon nodad
		addr add $LAB_MOON_HOST4/24 dev priv
		addr add $LAB_MOON_HOST6/64 dev priv nodad
		route add $LAB_SUN_NET4 via $LAB_SUN4
		route add $LAB_SUN_NET6 via $LAB_SUN6
	EOF
	_lab_ns sun ip -batch - <<-EOF || { lab_error "cannot set up netns sun"; return; }
		link set lo up
		link set veth-sun up
		link add priv type dummy
		link set priv up
		addr add $LAB_SUN4/24 dev veth-sun
		addr add $LAB_SUN6/64 dev veth-sun nodad
		addr add $LAB_SUN_HOST4/24 dev priv
		addr add $LAB_SUN_HOST6/64 dev priv nodad
		route add $LAB_MOON_NET4 via $LAB_MOON4
		route add $LAB_MOON_NET6 via $LAB_MOON6
	EOF
	lab_wait_for --timeout 10 _lab_ns moon ping -c1 -W1 "$LAB_SUN4" ||
		{ lab_error "veth link moon-sun does not pass IPv4"; return; }
	lab_wait_for --timeout 10 _lab_ns moon ping -6 -c1 -W1 "$LAB_SUN6" ||
		{ lab_error "veth link moon-sun does not pass IPv6"; return; }
}

# lab_charon_start NAME NS CONFDIR: starts charon for peer NAME in netns NS, with
# CONFDIR/strongswan.conf (written here; CONFDIR/strongswan.d/*.conf is included for
# extra settings) and CONFDIR/swanctl.conf for lab_swanctl. VICI socket:
# $LAB_DIR/NAME.vici, log: $LAB_DIR/NAME-charon.log.
lab_charon_start() {
	local name=$1 ns=$2 conf=$3 sock pid
	sock=$LAB_DIR/$name.vici
	# sun_path holds 107 bytes.
	[ "${#sock}" -lt 100 ] || { lab_error "VICI socket path too long: $sock"; return; }
	# swanctl --load-all complains about each credential directory that is missing.
	mkdir -p "$conf"/{x509,x509ca,x509ocsp,x509aa,x509ac,x509crl,pubkey,private,rsa,ecdsa,bliss,pkcs8,pkcs12}
	conf=$(cd "$conf" && pwd)
	cat >"$conf/strongswan.conf" <<-EOF
		charon {
		  # kdf is required by 5.9.8; the default set with test-vectors takes >10 s in UML.
		  # X25519 comes from openssl: Debian ships the curve25519 plugin elsewhere.
		  load = random nonce kdf openssl aes sha1 sha2 hmac gcm pem pkcs1 x509 pubkey gmp kernel-netlink socket-default vici updown counters
		  install_routes = no
		  plugins {
		    vici {
		      socket = unix://$sock
		    }
		  }
		  filelog {
		    $name {
		      path = $LAB_DIR/$name-charon.log
		      flush_line = yes
		      time_format = %H:%M:%S
		      time_add_ms = yes
		      default = 1
		      ike = 2
		    }
		  }
		  syslog {
		    daemon {
		      default = -1
		    }
		  }
		}
		swanctl {
		  # Without openssl each swanctl call is ~0.1 s faster in UML (polling).
		  load = random pem pkcs1 x509 pubkey
		}
	EOF
	# strongSwan complains about an include that matches nothing.
	if compgen -G "$conf/strongswan.d/*.conf" >/dev/null; then
		echo "include $conf/strongswan.d/*.conf" >>"$conf/strongswan.conf"
	fi
	rm -f "$sock"
	# Own mount namespace and /run: each charon writes /run/charon.pid.
	STRONGSWAN_CONF=$conf/strongswan.conf ip netns exec "$ns" unshare -m sh -c \
		'mount -t tmpfs run /run && exec /usr/lib/ipsec/charon' \
		>"$LAB_DIR/$name-charon.out" 2>&1 &
	pid=$!
	echo "$pid" >"$LAB_DIR/$name-charon.pid"
	echo "$conf" >"$LAB_DIR/$name-charon.conf"
	if ! lab_wait_for --timeout 30 _lab_charon_ready "$sock" "$pid" || ! [ -S "$sock" ]; then
		_lab_tail "$LAB_DIR/$name-charon.out" "$LAB_DIR/$name-charon.log"
		lab_error "charon $name did not open $sock"
	fi
}

_lab_charon_ready() {
	[ -S "$1" ] || ! kill -0 "$2"
}

# lab_charon_stop NAME
lab_charon_stop() {
	local name=$1 pid
	pid=$(cat "$LAB_DIR/$name-charon.pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null || true
	lab_wait_for --timeout 10 _lab_dead "$pid" || kill -KILL "$pid" 2>/dev/null || true
	rm -f "$LAB_DIR/$name-charon.pid" "$LAB_DIR/$name.vici"
}

_lab_dead() {
	! kill -0 "$1"
}

# lab_swanctl NAME COMMAND [ARGS...]: swanctl against peer NAME's charon, with its
# CONFDIR as swanctl directory (swanctl.conf).
lab_swanctl() {
	local name=$1 conf
	shift
	conf=$(cat "$LAB_DIR/$name-charon.conf") || { lab_error "charon $name was not started"; return; }
	STRONGSWAN_CONF=$conf/strongswan.conf SWANCTL_DIR=$conf \
		swanctl "$1" --uri "unix://$LAB_DIR/$name.vici" "${@:2}"
}

# _lab_swanctl_conf SIDE START_ACTION REKEY: a swanctl.conf with two IKEv2 PSK
# connections, lab4 over IPv4 (child net4: AES-GCM) and lab6 over IPv6 (child net6:
# AES-CBC + HMAC-SHA-256), so both AEAD and enc+auth SAs of both families exist.
_lab_swanctl_conf() {
	local me=$1 start=$2 rekey=$3 peer l4 r4 l6 r6 ln4 rn4 ln6 rn6
	if [ "$me" = moon ]; then
		peer=sun l4=$LAB_MOON4 r4=$LAB_SUN4 l6=$LAB_MOON6 r6=$LAB_SUN6
		ln4=$LAB_MOON_NET4 rn4=$LAB_SUN_NET4 ln6=$LAB_MOON_NET6 rn6=$LAB_SUN_NET6
	else
		peer=moon l4=$LAB_SUN4 r4=$LAB_MOON4 l6=$LAB_SUN6 r6=$LAB_MOON6
		ln4=$LAB_SUN_NET4 rn4=$LAB_MOON_NET4 ln6=$LAB_SUN_NET6 rn6=$LAB_MOON_NET6
	fi
	_lab_conn lab4 "$l4" "$r4" net4 "$ln4" "$rn4" aes128gcm16
	_lab_conn lab6 "$l6" "$r6" net6 "$ln6" "$rn6" aes256-sha256
	cat <<-EOF
		secrets {
		  ike-lab {
		    id-1 = moon
		    id-2 = sun
		    secret = lab-preshared-key-not-secret
		  }
		}
	EOF
}

# _lab_conn NAME LOCAL REMOTE CHILD LOCAL_TS REMOTE_TS ESP_PROPOSALS, with
# _lab_swanctl_conf's locals me, peer, start and rekey.
_lab_conn() {
	cat <<-EOF
		connections {
		  $1 {
		    version = 2
		    local_addrs = $2
		    remote_addrs = $3
		    proposals = aes128-sha256-x25519
		    local {
		      auth = psk
		      id = $me
		    }
		    remote {
		      auth = psk
		      id = $peer
		    }
		    children {
		      $4 {
		        local_ts = $5
		        remote_ts = $6
		        esp_proposals = $7
		        start_action = $start
		        ${rekey:+rekey_time = $rekey}
		      }
		    }
		  }
		}
	EOF
}

# lab_tunnel_up [--rekey SECS]: starts both charons (unless running), loads the
# connections (moon responds, sun initiates) and waits until moon has both CHILD_SAs
# INSTALLED. --rekey sets sun's child rekey_time; moon keeps the default (1 h) so the
# two never rekey at once.
lab_tunnel_up() {
	local rekey='' n
	if [ "${1:-}" = --rekey ]; then
		rekey=${2}s
	fi
	for n in moon sun; do
		if ! kill -0 "$(cat "$LAB_DIR/$n-charon.pid" 2>/dev/null)" 2>/dev/null; then
			lab_charon_start "$n" "$n" "$LAB_DIR/$n" || return
		fi
	done
	_lab_swanctl_conf moon none "" >"$LAB_DIR/moon/swanctl.conf"
	_lab_swanctl_conf sun start "$rekey" >"$LAB_DIR/sun/swanctl.conf"
	lab_swanctl moon --load-all >"$LAB_DIR/moon-load.out" ||
		{ cat "$LAB_DIR/moon-load.out" >&2; lab_error "swanctl --load-all failed on moon"; return; }
	lab_swanctl sun --load-all >"$LAB_DIR/sun-load.out" ||
		{ cat "$LAB_DIR/sun-load.out" >&2; lab_error "swanctl --load-all failed on sun"; return; }
	if ! lab_wait_for --timeout 60 _lab_installed moon 2; then
		lab_swanctl moon --list-sas >&2 || true
		_lab_tail "$LAB_DIR/moon-charon.log" "$LAB_DIR/sun-charon.log"
		lab_error "CHILD_SAs not INSTALLED on moon within 60 s"
	fi
}

# lab_child_count NAME: how many CHILD_SAs peer NAME has INSTALLED.
lab_child_count() {
	lab_swanctl "$1" --list-sas | grep -c ', reqid [0-9]*, INSTALLED,' || true
}

_lab_installed() {
	[ "$(lab_child_count "$1")" -ge "$2" ]
}

# lab_child_spis NAME CHILD: "IN_SPI OUT_SPI" (hex) of each INSTALLED CHILD_SA named
# CHILD at peer NAME, one line each.
lab_child_spis() {
	lab_swanctl "$1" --list-sas | awk -v child="$2" '
		$1 == child ":" { on = /, INSTALLED,/; next }
		on && $1 == "in" { spi_in = $2 }
		on && $1 == "out" { print spi_in, $2; on = 0 }' | tr -d ,
}

# lab_ping COUNT: COUNT pings from moon's protected hosts to sun's, IPv4 then IPv6,
# through the tunnel; fails unless every one is answered.
lab_ping() {
	local n=${1:-3}
	_lab_ping "$n" -4 "$LAB_MOON_HOST4" "$LAB_SUN_HOST4" &&
		_lab_ping "$n" -6 "$LAB_MOON_HOST6" "$LAB_SUN_HOST6"
}

_lab_ping() {
	local out
	if out=$(_lab_ns moon ping "$2" -q -c "$1" -i 0.2 -w $(($1 + 5)) -I "$3" "$4" 2>&1); then
		lab_log "ping $3 -> $4: $(echo "$out" | grep -o '[0-9]* received')"
	else
		echo "$out" >&2
		lab_error "ping $3 -> $4 failed"
	fi
}

# lab_sa_list NS: one line per SA in netns NS's kernel (ip -s xfrm state):
# SPI (hex) SRC DST PROTO BYTES PACKETS.
lab_sa_list() {
	_lab_ns "$1" ip -s xfrm state | awk '
		/^src / { src = $2; dst = $4 }
		$1 == "proto" { proto = $2; spi = $4; sub(/\(.*/, "", spi) }
		/^[ \t]*[0-9]+\(bytes\), [0-9]+\(packets\)/ {
			b = $1; p = $2; sub(/\(.*/, "", b); sub(/\(.*/, "", p)
			print spi, src, dst, proto, b, p
		}'
}

# --- The IKE scenario: lab4 and lab6 plus IKEv1 main and aggressive mode, certificates
# and a connection that is never up (lab_ike_up). Each added connection has a peer
# address of sun's own (one gateway, several peers) and a peer ID of its own, so moon
# picks its config by address and no INITIAL_CONTACT of one tears down another. The IPv4 children
# protect /26s carved out of lab4's /24s: more specific, so charon gives their policies
# the higher priority, and lab4's hosts (.1) are in none of them.

# lab_conn_info NAME: "MOON_ADDR SUN_ADDR MOON_TS SUN_TS MOON_HOST SUN_HOST CHILD" of the
# lab's connection NAME (lab4 lab6 v1main v1aggr cert4 idle).
lab_conn_info() {
	case $1 in
	lab4) echo "$LAB_MOON4 $LAB_SUN4 $LAB_MOON_NET4 $LAB_SUN_NET4 $LAB_MOON_HOST4 $LAB_SUN_HOST4 net4" ;;
	lab6) echo "$LAB_MOON6 $LAB_SUN6 $LAB_MOON_NET6 $LAB_SUN_NET6 $LAB_MOON_HOST6 $LAB_SUN_HOST6 net6" ;;
	v1main) echo "$LAB_MOON4 192.0.2.11 198.51.100.64/26 203.0.113.64/26 198.51.100.65 203.0.113.65 mainnet" ;;
	v1aggr) echo "$LAB_MOON4 192.0.2.12 198.51.100.128/26 203.0.113.128/26 198.51.100.129 203.0.113.129 aggrnet" ;;
	cert4) echo "$LAB_MOON4 192.0.2.13 198.51.100.192/26 203.0.113.192/26 198.51.100.193 203.0.113.193 certnet" ;;
	idle) echo "$LAB_MOON6 2001:db8::14 2001:db8:1:1::/64 2001:db8:2:1::/64 2001:db8:1:1::1 2001:db8:2:1::1 idlenet" ;;
	*) lab_error "no lab connection named '$1'" ;;
	esac
}

# The connections lab_ike_up configures, and those of them sun brings up.
# shellcheck disable=SC2034 # for the scripts that source this
LAB_IKE_CONNS="lab4 lab6 v1main v1aggr cert4 idle"
LAB_IKE_UP_CONNS="lab4 lab6 v1main v1aggr cert4"

# _lab_ike_net: sun's extra peer addresses on veth-sun, the extra protected hosts on both
# priv devices (IPv4 as /32: no new subnet routes) and routes for idle's /64s.
# Idempotent (replace).
_lab_ike_net() {
	local c ma sa mt st mh sh child moon='' sun=''
	for c in v1main v1aggr cert4 idle; do
		read -r ma sa mt st mh sh child < <(lab_conn_info "$c")
		case $sa in
		*:*)
			sun+="addr replace $sa/64 dev veth-sun nodad"$'\n'
			moon+="addr replace $mh/64 dev priv nodad"$'\n'"route replace $st via $LAB_SUN6"$'\n'
			sun+="addr replace $sh/64 dev priv nodad"$'\n'"route replace $mt via $LAB_MOON6"$'\n'
			;;
		*)
			sun+="addr replace $sa/24 dev veth-sun"$'\n'
			moon+="addr replace $mh/32 dev priv"$'\n'
			sun+="addr replace $sh/32 dev priv"$'\n'
			;;
		esac
	done
	_lab_ns moon ip -batch - <<<"$moon" || { lab_error "cannot add the IKE scenario's addresses to moon"; return; }
	_lab_ns sun ip -batch - <<<"$sun" || lab_error "cannot add the IKE scenario's addresses to sun"
}

# _lab_ike_certs: a lab CA and ECDSA P-256 end-entity certificates for moon and sun
# (made once per LAB_DIR, in $LAB_DIR/pki, with strongSwan's pki: 7 calls, ~2 s in UML),
# copied into each peer's CONFDIR: x509ca/labca.pem, x509/NAME.pem,
# private/NAME.pem. Subject "C=CH, O=ipsec-agentx lab, CN=NAME.example.org"; SANs
# NAME.example.org and NAME's cert4 address.
_lab_ike_certs() {
	local d=$LAB_DIR/pki n
	if [ ! -s "$d/sun.pem" ]; then
		mkdir -p "$d"
		printf 'pki {\n  load = random pem pkcs1 x509 pubkey openssl\n}\n' >"$d/strongswan.conf"
		if ! STRONGSWAN_CONF=$d/strongswan.conf _lab_pki "$d" >"$d/pki.out" 2>&1; then
			cat "$d/pki.out" >&2
			lab_error "pki failed to make the lab's certificates"
			return
		fi
	fi
	for n in moon sun; do
		mkdir -p "$LAB_DIR/$n"/{x509ca,x509,private}
		cp "$d/labca.pem" "$LAB_DIR/$n/x509ca/labca.pem"
		cp "$d/$n.pem" "$LAB_DIR/$n/x509/$n.pem"
		cp "$d/$n.key" "$LAB_DIR/$n/private/$n.pem"
	done
}

# _lab_pki DIR: the CA (labca.key, labca.pem) and moon's and sun's key, public key and
# certificate (NAME.key, NAME.pub, NAME.pem) in DIR.
_lab_pki() {
	local d=$1 n addr
	pki --gen --type ecdsa --size 256 --outform pem >"$d/labca.key" || return
	pki --self --ca --lifetime 3650 --in "$d/labca.key" --type ecdsa \
		--dn "C=CH, O=ipsec-agentx lab, CN=ipsec-agentx lab CA" --outform pem >"$d/labca.pem" || return
	for n in moon sun; do
		if [ "$n" = moon ]; then addr=$LAB_MOON4; else addr=$(lab_conn_info cert4 | cut -d' ' -f2); fi
		pki --gen --type ecdsa --size 256 --outform pem >"$d/$n.key" || return
		pki --pub --in "$d/$n.key" --type ecdsa >"$d/$n.pub" || return
		pki --issue --in "$d/$n.pub" --type pub --cacert "$d/labca.pem" --cakey "$d/labca.key" \
			--dn "C=CH, O=ipsec-agentx lab, CN=$n.example.org" --san "$n.example.org" \
			--san "$addr" --flag serverAuth --lifetime 365 --outform pem >"$d/$n.pem.new" || return
		mv "$d/$n.pem.new" "$d/$n.pem" || return
	done
}

# _lab_ike_settings NAME: CONFDIR/strongswan.d/lab-ike.conf, which lab_charon_start
# includes: aggressive mode with a PSK allowed (refused otherwise), and swanctl with the
# openssl plugin (it parses the ECDSA keys and certificates it loads and lists).
_lab_ike_settings() {
	mkdir -p "$LAB_DIR/$1/strongswan.d"
	cat >"$LAB_DIR/$1/strongswan.d/lab-ike.conf" <<-EOF
		charon {
		  i_dont_care_about_security_and_use_aggressive_mode_psk = yes
		}
		swanctl {
		  load = random pem pkcs1 x509 pubkey openssl
		}
	EOF
}

# _lab_ike_conn NAME VERSION AGGRESSIVE AUTH MY_ID PEER_ID IKE_PROPOSALS ESP_PROPOSALS
# [START]: connection NAME of lab_conn_info as seen from $me (moon or sun), with
# _lab_ike_swanctl_conf's locals me, start and rekey; START overrides start.
_lab_ike_conn() {
	local ma sa mt st mh sh child la ra lt rt cert='' cacert=''
	read -r ma sa mt st mh sh child < <(lab_conn_info "$1")
	if [ "$me" = moon ]; then
		la=$ma ra=$sa lt=$mt rt=$st
	else
		la=$sa ra=$ma lt=$st rt=$mt
	fi
	if [ "$4" = pubkey ]; then
		cert="certs = $me.pem"
		cacert="cacerts = labca.pem"
	fi
	cat <<-EOF
		connections {
		  $1 {
		    version = $2
		    aggressive = $3
		    local_addrs = $la
		    remote_addrs = $ra
		    proposals = $7
		    local {
		      auth = $4
		      id = $5
		      $cert
		    }
		    remote {
		      auth = $4
		      id = $6
		      $cacert
		    }
		    children {
		      $child {
		        local_ts = $lt
		        remote_ts = $rt
		        esp_proposals = $8
		        start_action = ${9:-$start}
		        ${rekey:+rekey_time = $rekey}
		      }
		    }
		  }
		}
	EOF
}

# _lab_ike_ids MOON_ID SUN_ID: sets _lab_ike_swanctl_conf's locals id (this side's) and
# peer (the other's) from its local me.
_lab_ike_ids() {
	if [ "$me" = moon ]; then id=$1 peer=$2; else id=$2 peer=$1; fi
}

# _lab_ike_swanctl_conf SIDE START_ACTION REKEY: _lab_swanctl_conf's lab4 and lab6, then
# v1main, v1aggr, cert4 and idle.
_lab_ike_swanctl_conf() {
	local me=$1 start=$2 rekey=$3 id peer
	_lab_swanctl_conf "$@"
	_lab_ike_ids "$LAB_MOON4" "$(lab_conn_info v1main | cut -d' ' -f2)"
	_lab_ike_conn v1main 1 no psk "$id" "$peer" aes256-sha256-modp2048 aes256-sha1
	_lab_ike_ids moon sun-v1aggr
	# Not started on load: see _lab_ike_initiate.
	_lab_ike_conn v1aggr 1 yes psk "$id" "$peer" aes128-sha1-ecp256 aes256gcm16 none
	_lab_ike_ids moon.example.org sun.example.org
	_lab_ike_conn cert4 2 no pubkey "$id" "$peer" aes256gcm16-prfsha384-ecp384 aes128gcm16
	_lab_ike_ids moon sun-idle
	_lab_ike_conn idle 2 no psk "$id" "$peer" aes128-sha256-x25519 aes128gcm16 none
	cat <<-EOF
		secrets {
		  ike-v1main {
		    id-1 = $LAB_MOON4
		    id-2 = $(lab_conn_info v1main | cut -d' ' -f2)
		    secret = v1main-preshared-key-not-secret
		  }
		  ike-v1aggr {
		    id-1 = moon
		    id-2 = sun-v1aggr
		    secret = v1aggr-preshared-key-not-secret
		  }
		  ike-idle {
		    id-1 = moon
		    id-2 = sun-idle
		    secret = idle-preshared-key-not-secret
		  }
		}
	EOF
}

# lab_ike_up [--rekey SECS]: lab_tunnel_up's lab4 and lab6 plus, each with a peer
# address of sun's own (see lab_conn_info): v1main (IKEv1 main mode, PSK), v1aggr (IKEv1
# aggressive mode, PSK), cert4 (IKEv2, ECDSA certificates of a lab CA) and idle (IKEv2,
# PSK, loaded on both sides, never initiated). Adds the addresses, makes the
# certificates, starts both charons (unless running: then their settings are reloaded),
# loads moon (responder) then sun (initiator: start_action = start, but v1aggr is
# initiated by hand, IKE_SA then CHILD_SA: see _lab_ike_initiate) and waits (60 s) until
# moon has the CHILD_SAs of all but idle INSTALLED. --rekey sets sun's children's
# rekey_time. Use it instead of lab_tunnel_up (which would unload the added connections).
lab_ike_up() {
	local rekey='' n certs
	if [ "${1:-}" = --rekey ]; then
		rekey=${2}s
	fi
	_lab_ike_net || return
	# pki (~2 s in UML) while the charons start.
	_lab_ike_certs &
	certs=$!
	for n in moon sun; do
		_lab_ike_settings "$n"
		if ! kill -0 "$(cat "$LAB_DIR/$n-charon.pid" 2>/dev/null)" 2>/dev/null; then
			lab_charon_start "$n" "$n" "$LAB_DIR/$n" || return
		else
			# Started without CONFDIR/strongswan.d: include it now.
			grep -q '^include .*/strongswan\.d/\*\.conf$' "$LAB_DIR/$n/strongswan.conf" ||
				echo "include $LAB_DIR/$n/strongswan.d/*.conf" >>"$LAB_DIR/$n/strongswan.conf"
			lab_swanctl "$n" --reload-settings >/dev/null ||
				{ lab_error "swanctl --reload-settings failed on $n"; return; }
		fi
	done
	wait "$certs" || return
	_lab_ike_swanctl_conf moon none "" >"$LAB_DIR/moon/swanctl.conf"
	_lab_ike_swanctl_conf sun start "$rekey" >"$LAB_DIR/sun/swanctl.conf"
	lab_swanctl moon --load-all >"$LAB_DIR/moon-load.out" ||
		{ cat "$LAB_DIR/moon-load.out" >&2; lab_error "swanctl --load-all failed on moon"; return; }
	lab_swanctl sun --load-all >"$LAB_DIR/sun-load.out" ||
		{ cat "$LAB_DIR/sun-load.out" >&2; lab_error "swanctl --load-all failed on sun"; return; }
	_lab_ike_initiate v1aggr "$(lab_conn_info v1aggr | cut -d' ' -f7)" >"$LAB_DIR/sun-initiate-v1aggr.out" 2>&1 ||
		{ tail -n 5 "$LAB_DIR/sun-initiate-v1aggr.out" >&2; lab_error "sun could not initiate v1aggr"; return; }
	_lab_ike_wait 60
}

# _lab_ike_wait SECS: until moon has an INSTALLED CHILD_SA of each connection sun brings up.
_lab_ike_wait() {
	local c children=()
	for c in $LAB_IKE_UP_CONNS; do
		children+=("$(lab_conn_info "$c" | cut -d' ' -f7)")
	done
	if ! lab_wait_for --timeout "$1" _lab_children_installed moon "${children[@]}"; then
		lab_swanctl moon --list-sas >&2 || true
		_lab_tail "$LAB_DIR/moon-charon.log" "$LAB_DIR/sun-charon.log"
		lab_error "not all of ${children[*]} INSTALLED on moon within $1 s"
	fi
}

# _lab_children_installed NAME CHILD...: peer NAME has an INSTALLED CHILD_SA of each CHILD.
_lab_children_installed() {
	local name=$1
	shift
	lab_swanctl "$name" --list-sas | awk -v want="$*" '
		/, reqid [0-9]*, INSTALLED,/ { c = $1; sub(/:$/, "", c); have[c] = 1 }
		END {
			n = split(want, w, " ")
			for (i = 1; i <= n; i++)
				if (!(w[i] in have))
					exit 1
		}'
}

# lab_ike_initiate [CONN...]: sun initiates the child of each CONN (default: all but
# idle) at once, then waits (60 s) until moon has them INSTALLED. For after a charon
# restart. An IKE_SA of CONN that sun still has (moon's charon was killed, not stopped)
# is terminated first, without waiting for moon's answer (--force).
lab_ike_initiate() {
	local c child pids=() st=0 pid children=() stale
	# shellcheck disable=SC2086 # a list of names
	[ $# -gt 0 ] || set -- $LAB_IKE_UP_CONNS
	stale=$(lab_swanctl sun --list-sas | awk '/^[^ ].*: #[0-9]+, / { sub(/:$/, "", $1); print $1 }')
	for c; do
		if grep -qxF "$c" <<<"$stale"; then
			lab_swanctl sun --terminate --ike "$c" --force >"$LAB_DIR/sun-terminate-$c.out" 2>&1 &
			pids+=($!)
		fi
	done
	for pid in "${pids[@]}"; do
		wait "$pid" || st=1
	done
	[ "$st" = 0 ] || { lab_error "swanctl --terminate failed on sun"; return; }
	pids=()
	for c; do
		child=$(lab_conn_info "$c" | cut -d' ' -f7) || return
		children+=("$child")
		_lab_ike_initiate "$c" "$child" >"$LAB_DIR/sun-initiate-$c.out" 2>&1 &
		pids+=($!)
	done
	for pid in "${pids[@]}"; do
		wait "$pid" || st=1
	done
	if [ "$st" != 0 ]; then
		for c; do tail -n 5 "$LAB_DIR/sun-initiate-$c.out" >&2; done
		lab_error "swanctl --initiate failed on sun"
		return
	fi
	if ! lab_wait_for --timeout 60 _lab_children_installed moon "${children[@]}"; then
		lab_swanctl moon --list-sas >&2 || true
		lab_error "not all of ${children[*]} INSTALLED on moon within 60 s"
	fi
}

# _lab_ike_initiate CONN CHILD: sun initiates CHILD of CONN. v1aggr's IKE_SA first, then
# its CHILD_SA: initiated at once, the Quick Mode request leaves right after the last
# Aggressive Mode message, and moon's charon often takes the two in the wrong order
# ("ignoring QUICK_MODE request while phase 1 is incomplete"): 4 s until sun resends it.
_lab_ike_initiate() {
	if [ "$1" = v1aggr ]; then
		lab_swanctl sun --initiate --ike "$1" || return
	fi
	lab_swanctl sun --initiate --ike "$1" --child "$2"
}

# lab_charon_kill NAME: SIGKILL: charon NAME ends without deleting anything, so its
# kernel keeps the SAs and policies and the peer its IKE_SAs and CHILD_SAs (lab_charon_stop
# lets charon delete them all, at both ends).
lab_charon_kill() {
	local name=$1 pid
	pid=$(cat "$LAB_DIR/$name-charon.pid" 2>/dev/null) || return 0
	kill -KILL "$pid" 2>/dev/null || true
	# Reaped here if this shell started it: no "Killed" job notice on stderr.
	wait "$pid" 2>/dev/null || true
	lab_wait_for --timeout 10 _lab_dead "$pid" || { lab_error "charon $name (pid $pid) survived SIGKILL"; return; }
	rm -f "$LAB_DIR/$name-charon.pid" "$LAB_DIR/$name.vici"
}

# lab_charon_restart NAME: stops charon NAME, starts it again (netns NAME, same CONFDIR)
# and loads its swanctl.conf. Its SAs are gone: re-initiate them (lab_ike_initiate).
lab_charon_restart() {
	local name=$1 conf
	conf=$(cat "$LAB_DIR/$name-charon.conf") || { lab_error "charon $name was never started"; return; }
	lab_charon_stop "$name"
	lab_charon_start "$name" "$name" "$conf" || return
	lab_swanctl "$name" --load-all >"$LAB_DIR/$name-load.out" ||
		{ cat "$LAB_DIR/$name-load.out" >&2; lab_error "swanctl --load-all failed on $name"; }
}

# lab_ping_conn NAME [COUNT]: COUNT (3) pings from moon's protected host of connection
# NAME to sun's (lab_conn_info), through its tunnel; fails unless all are answered.
lab_ping_conn() {
	local ma sa mt st mh sh child fam=-4
	read -r ma sa mt st mh sh child < <(lab_conn_info "$1") && [ -n "$mh" ] || return
	case $mh in *:*) fam=-6 ;; esac
	_lab_ping "${2:-3}" "$fam" "$mh" "$sh"
}
