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
		  load = random nonce kdf openssl aes sha1 sha2 hmac gcm pem pkcs1 x509 pubkey gmp kernel-netlink socket-default vici updown
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
