# Shared helpers for integration tests: a private snmpd master, the daemon, SNMP clients.
# Sourced by bash scripts with `set -eu`. Everything runs inside network namespace $NS
# (empty NS: the current one) and writes under $WORK.
#
# Needs: NS, WORK, top_builddir (for the daemon), top_srcdir (for the MIB).

IPX_OID=.1.3.6.1.4.1.8072.9999.9999.4500
SNMP_PORT=${SNMP_PORT:-16161}

in_ns() {
	if [ -n "${NS:-}" ]; then ip netns exec "$NS" "$@"; else "$@"; fi
}

# The command line that runs a program in $NS. Used for background jobs, so that $! is
# the program itself (ip netns exec execs it), not a subshell running in_ns.
ns_prefix() {
	[ -z "${NS:-}" ] || echo "ip netns exec $NS"
}

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# Bounded polling: wait_for SECONDS CMD...
wait_for() {
	local limit=$1 i=0
	shift
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ "$i" -le $((limit * 5)) ] || return 1
		sleep 0.2
	done
}

# Net-SNMP's persistent files (engine boots, values set over SNMP) of the private snmpd,
# snmptrapd and daemon: under $WORK, never the host's /var/lib/snmp.
persist_dir() {
	export SNMP_PERSISTENT_DIR=${SNMP_PERSISTENT_DIR:-$WORK/persist}
	mkdir -p "$SNMP_PERSISTENT_DIR"
}

snmpd_start() {
	persist_dir
	cat >"$WORK/snmpd.conf" <<CONF
agentaddress udp:127.0.0.1:$SNMP_PORT
master agentx
agentXSocket unix:$WORK/agentx.sock
rocommunity public 127.0.0.1
${SNMPD_EXTRA_CONF:-}
CONF
	rm -f "$WORK/agentx.sock"
	$(ns_prefix) /usr/sbin/snmpd -f -Lf "$WORK/snmpd.log" -C -c "$WORK/snmpd.conf" \
		-p "$WORK/snmpd.pid" -M /dev/null -m "" </dev/null >>"$WORK/snmpd.out" 2>&1 &
	SNMPD_PID=$!
	wait_for 20 test -S "$WORK/agentx.sock" || fail "snmpd did not open its AgentX socket"
}

snmpd_stop() {
	[ -n "${SNMPD_PID:-}" ] || return 0
	kill "$SNMPD_PID" 2>/dev/null || true
	wait "$SNMPD_PID" 2>/dev/null || true
	SNMPD_PID=
}

# daemon_start ARGS...: the daemon in the foreground, its log in $WORK/daemon.log.
# IPX_WRAPPER (e.g. "valgrind --error-exitcode=99 ...") runs it under a tool.
daemon_start() {
	persist_dir
	# shellcheck disable=SC2086
	$(ns_prefix) ${IPX_WRAPPER:-} "${IPX_DAEMON:-$top_builddir/agent/ipsec-agentx}" -f -x "$WORK/agentx.sock" "$@" \
		</dev/null >>"$WORK/daemon.log" 2>&1 &
	DAEMON_PID=$!
}

daemon_stop() {
	local rc=0
	[ -n "${DAEMON_PID:-}" ] || return 0
	kill -TERM "$DAEMON_PID" 2>/dev/null || true
	wait "$DAEMON_PID" || rc=$?
	DAEMON_PID=
	# A sanitizer or valgrind report turns a clean stop into a failure.
	if [ "$rc" -ne 0 ]; then
		tail -30 "$WORK/daemon.log" >&2
		fail "daemon exited with status $rc (see $WORK/daemon.log)"
	fi
}

# For EXIT traps: stop everything, whatever state the test died in.
stop_all() {
	[ -z "${DAEMON_PID:-}" ] || { kill -TERM "$DAEMON_PID" 2>/dev/null; wait "$DAEMON_PID" 2>/dev/null; } || true
	DAEMON_PID=
	snmpd_stop
}

# host_work NAME: the test's WORK (a fresh directory) and NS (the name of its network
# namespace); needs root. The test's EXIT trap calls host_cleanup.
host_work() {
	[ "$(id -u)" = 0 ] || fail "needs root (network namespaces, CAP_NET_ADMIN for XFRM)"
	WORK=$(mktemp -d "/tmp/ipx-$1.XXXXXX")
	NS=ipx-$1-$$
}

# host_ns [veth]: the namespace with lo up; with "veth", also veth0 (192.0.2.1/24, the
# local end of the policies) and its peer up and a route to 203.0.113.0/24 (the host
# kernel has veth but no dummy interfaces).
host_ns() {
	ip netns add "$NS"
	in_ns ip link set lo up
	[ "${1:-}" = veth ] || return 0
	in_ns ip link add veth0 type veth peer name veth1
	in_ns ip addr add 192.0.2.1/24 dev veth0
	in_ns ip link set veth0 up
	in_ns ip link set veth1 up
	in_ns ip route add 203.0.113.0/24 dev veth0
}

# Everything started stopped, the namespace and (unless KEEP_WORK) WORK removed.
host_cleanup() {
	stop_all
	ip netns del "$NS" 2>/dev/null || true
	[ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}

# snmp CMD [OPTIONS...] -- OID...
snmp() {
	local cmd=$1 opts=()
	shift
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do
		opts+=("$1")
		shift
	done
	[ $# -gt 0 ] && shift
	in_ns "$cmd" -v2c -c public -t 3 -r 1 \
		-M "$top_srcdir/mibs:/usr/share/snmp/mibs:/usr/share/snmp/mibs/ietf:/usr/share/snmp/mibs/iana" \
		-m +IPSEC-AGENTX-MIB "${opts[@]}" "udp:127.0.0.1:$SNMP_PORT" "$@"
}

# Machine-readable walk of OID: numeric OIDs, every string in hex, no types. No MIB is
# loaded, so no DISPLAY-HINT reformats a value.
walk_raw() {
	snmp snmpbulkwalk -m '' -Cr25 -On -Ox -Oe -OQ -Ot -- "$@"
}

registered() {
	snmp snmpget -On -- "$IPX_OID.1.1.1.0" | grep -q STRING
}

wait_registered() {
	wait_for "${1:-30}" registered || {
		tail -20 "$WORK/daemon.log" >&2
		fail "the daemon did not register with snmpd"
	}
}

# add_policies: the host tests' policy set in $NS (IPv4/IPv6, ports, mark+mask, if_id, a
# block policy, nested IPComp+ESP transport templates).
add_policies() {
	local x="in_ns ip xfrm policy add"
	$x src 198.51.100.0/24 dst 203.0.113.0/24 dir out priority 100 \
		tmpl src 192.0.2.1 dst 192.0.2.2 proto esp reqid 1 mode tunnel
	$x src 203.0.113.0/24 dst 198.51.100.0/24 dir in priority 100 \
		tmpl src 192.0.2.2 dst 192.0.2.1 proto esp reqid 1 mode tunnel
	$x src 203.0.113.0/24 dst 198.51.100.0/24 dir fwd priority 100 \
		tmpl src 192.0.2.2 dst 192.0.2.1 proto esp reqid 1 mode tunnel level use
	$x src 2001:db8:1::/64 dst 2001:db8:2::/64 proto tcp dport 443 dir out priority 200 \
		mark 0x2a mask 0xff if_id 7 \
		tmpl src 2001:db8::1 dst 2001:db8::2 proto esp reqid 2 mode tunnel
	$x src 192.0.2.1/32 dst 192.0.2.3/32 proto udp sport 500 dir out priority 300 \
		tmpl proto comp reqid 3 mode transport level use \
		tmpl proto esp spi 0x1234 reqid 3 mode transport
	$x dst 203.0.113.9/32 dir out action block priority 10
}
