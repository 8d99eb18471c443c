#!/bin/bash
# serve-check.sh [-n N] [-r RATE] [-u STABLE] [-q]
#
# Walk correctness under churn (issue 5): "a walk returns each row exactly once and in
# order while SAs are being added, rekeyed and deleted underneath it". Runs inside
# user-mode-linux; started on the host it boots UML itself (tests/lab/uml-run), so
# `make check` can run it as a TESTS entry. Needs $top_builddir (as make check and make
# bench set it; default: build/ beside this script's folder) with tests/tools/xfrm-load
# and a daemon that runs in UML: $IPX_DAEMON, else tests/lab/ipsec-agentx-ubsan, else
# bench/ipsec-agentx-bench.
#
# In a namespace of its own, with a private snmpd master and the daemon (refresh every
# 2 s, so that resyncs happen during the walks too): N SAs (default 1000) plus STABLE
# (default 100) that stay; then, all at once,
#  - xfrm-load --churn: RATE (default 100) new SAs a second and as many old ones deleted
#    (a rekey, as the kernel sees one: NEWSA of the new SA, DELSA of the old),
#  - the STABLE SAs updated in place again and again (UPDSA, ip xfrm state update),
#  - three walks: snmpbulkwalk -Cr50 of ipsecSaSpi, snmpwalk (GETNEXT) of ipsecSaProtocol
#    and ipsecSaSpi across the column boundary, snmpbulkwalk -Cr50 of ipsecSaSpi again.
# Each walk must be strictly increasing (no row twice, none out of order), serve no SPI
# twice, and hold every SA that the kernel had both in a dump finished before the walk
# and in a dump started after it (so every SA that existed during the whole walk), the
# STABLE ones included; some SAs must have come or gone during each walk. After the
# churn stops, ipsecSaSpi must equal the kernel's SAD (within 10 s), and the daemon must
# exit 0 on SIGTERM (a UBSan build fails it on any report).
# Exit status 0 if all held. stdout: one line "what=churn_check ... result=pass|FAIL";
# details on stderr; logs in $LAB_DIR/serve-check. -q: fewer progress lines.
set -eu -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
if ! grep -q 'User Mode Linux' /proc/cpuinfo 2>/dev/null; then
	top_srcdir=${top_srcdir:-$(cd "$here/.." && pwd)}
	top_builddir=${top_builddir:-$top_srcdir/build}
	export top_srcdir top_builddir
	exec "$top_srcdir/tests/lab/uml-run" --timeout 600 "$here/serve-check.sh" "$@"
fi

n=1000 rate=100 stable=100 quiet=
while getopts n:r:u:q o; do
	case $o in
	n) n=$OPTARG ;;
	r) rate=$OPTARG ;;
	u) stable=$OPTARG ;;
	q) quiet=1 ;;
	*) echo "usage: ${0##*/} [-n N] [-r RATE] [-u STABLE] [-q]" >&2; exit 2 ;;
	esac
done

top=${top_builddir:-$here/../build}
load=$top/tests/tools/xfrm-load
daemon=${IPX_DAEMON:-}
if [ -z "$daemon" ]; then
	for d in "$top/tests/lab/ipsec-agentx-ubsan" "$top/bench/ipsec-agentx-bench"; do
		if [ -x "$d" ]; then daemon=$d; break; fi
	done
fi
STABLE_AT=200000 # xfrm-load index of the first stable SA, far above the churned ones
IPX_OID=.1.3.6.1.4.1.8072.9999.9999.4500
SA_COL=$IPX_OID.1.2.1
PORT=16163
AGENT=udp:127.0.0.1:$PORT
CLIENT=(-v2c -c public -m '' -M /dev/null -t 10 -r 0 -On -OQ)
W=${LAB_DIR:-/tmp}/serve-check
rm -rf "$W"
mkdir -p "$W"
export SNMP_PERSISTENT_DIR=$W/persist

t_start=$EPOCHSECONDS
say() { [ -n "$quiet" ] || printf 'serve-check: [%3ds] %s\n' $((EPOCHSECONDS - t_start)) "$*" >&2; }
problems=0
problem() {
	echo "serve-check: FAIL: $*" >&2
	problems=$((problems + 1))
}
result() { # and exit
	echo "what=churn_check n=$n stable=$stable rate=$rate daemon=${daemon##*/} walks=${walks:-0}" \
		"rows=${rows_seen:--} churned_per_walk=${churned_seen:--} updates=${updates:-0}" \
		"secs=$((EPOCHSECONDS - t_start)) problems=$problems result=$1"
	if [ "$1" = pass ]; then exit 0; fi
	exit 1
}
abort() {
	echo "serve-check: FAIL: $*" >&2
	problems=$((problems + 1))
	result FAIL
}
for p in "$load" "$daemon" /usr/sbin/snmpd /usr/bin/snmpbulkwalk; do
	[ -n "$p" ] && [ -x "$p" ] || abort "${p:-the daemon (IPX_DAEMON)} missing: build it first"
done

ns=ipxsc$$
S=$(mktemp -d /run/serve-check.XXXXXX)
MASTER_PID='' DAEMON_PID='' CHURN_PID='' UPD_PID=''
cleanup() {
	local p
	for p in $UPD_PID $CHURN_PID $DAEMON_PID $MASTER_PID; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	ip -n "$ns" xfrm state flush 2>/dev/null || true
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$S"
}
trap cleanup EXIT
ip netns add "$ns"
# Background jobs are started with ip netns exec itself (it execs), so that $! is the program.
in_ns() { ip netns exec "$ns" "$@"; }
ip -n "$ns" link set lo up
ip -n "$ns" link add d0 type dummy
ip -n "$ns" addr add 192.0.2.1/24 dev d0
ip -n "$ns" link set d0 up

# wait_for SECONDS CMD...: CMD every 0.2 s until it succeeds; 1 once SECONDS have passed.
wait_for() {
	local end=$((EPOCHSECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$EPOCHSECONDS" -lt "$end" ] || return 1
		sleep 0.2
	done
}

cat >"$W/snmpd.conf" <<CONF
agentaddress udp:127.0.0.1:$PORT
master agentx
agentXSocket unix:$S/agentx.sock
rocommunity public 127.0.0.1
CONF
ip netns exec "$ns" /usr/sbin/snmpd -f -Lf "$W/snmpd.log" -C -c "$W/snmpd.conf" -p "$S/snmpd.pid" -M /dev/null -m '' \
	</dev/null >"$W/snmpd.out" 2>&1 &
MASTER_PID=$!
wait_for 30 test -S "$S/agentx.sock" || abort "snmpd did not open its AgentX socket"

say "$n SAs to churn, $stable stable ones; daemon ${daemon##*/}"
in_ns "$load" --null "$n" >"$W/load.txt"
in_ns "$load" --null --start "$STABLE_AT" "$stable" >>"$W/load.txt"
ip netns exec "$ns" "$daemon" -f -r 2 -x "$S/agentx.sock" </dev/null >"$W/daemon.log" 2>&1 &
DAEMON_PID=$!

# kernel_spis FILE: the SPIs in the namespace's SAD, as 0x%08x, one a line.
kernel_spis() { ip -n "$ns" xfrm state | awk '{ for (i = 1; i < NF; i++) if ($i == "spi") print $(i + 1) }' | sort >"$1"; }
# walked_spis WALK: the SPIs of a walk's ipsecSaSpi lines, as 0x%08x.
walked_spis() { awk -v p="$SA_COL.7." 'index($1, p) == 1 { printf "0x%08x\n", $3 }' "$1" | sort; }
bulk() { in_ns snmpbulkwalk "${CLIENT[@]}" -Cc -Cr50 "$AGENT" "$@"; }
complete() { # the daemon serves exactly the kernel's SAs
	bulk "$SA_COL.7" >"$W/now-walk.txt" 2>>"$W/walk.err" || return 1
	kernel_spis "$W/now-kernel.txt"
	walked_spis "$W/now-walk.txt" | cmp -s - "$W/now-kernel.txt"
}
wait_for 60 complete || abort "the daemon never served the $((n + stable)) SAs (see $W/daemon.log)"

# The stable SAs, updated in place: their lifetimes change at every pass.
awk -v a="$STABLE_AT" -v k="$stable" 'BEGIN {
	for (i = a; i < a + k; i++) {
		p = int(i / 2) % 131070 + 1
		peer = sprintf("198.%d.%d.%d", 18 + int(p / 65536), int(p / 256) % 256, p % 256)
		src = i % 2 ? peer : "192.0.2.1"; dst = i % 2 ? "192.0.2.1" : peer
		reqid = 1 + (int(i / 2) * 625341585) % 16777216 # xfrm-load: (i/2 * 0x2545f491) & 0xffffff
		printf "xfrm state update src %s dst %s proto esp spi 0x%08x reqid %d mode tunnel replay-window 32 enc ecb(cipher_null) \"\" limit time-hard LIFE\n",
			src, dst, 65536 + i, reqid
	}
}' >"$W/update.tmpl"
sed 's/LIFE/3600/' "$W/update.tmpl" >"$W/update-a"
sed 's/LIFE/7200/' "$W/update.tmpl" >"$W/update-b"
ip -n "$ns" -batch "$W/update-a" || abort "ip xfrm state update of the stable SAs failed"

say "churn: $rate NEWSA + $rate DELSA a second, $stable UPDSA every pass; 3 walks"
ip netns exec "$ns" "$load" --null --churn "$rate" 600 "$n" >"$W/churn.txt" 2>&1 &
CHURN_PID=$!
(
	i=0
	while :; do
		if [ $((i % 2)) = 0 ]; then f=update-b; else f=update-a; fi
		ip -n "$ns" -batch "$W/$f" 2>>"$W/update.err" || echo fail >>"$W/update.fails"
		i=$((i + 1))
		echo "$i" >"$W/update.passes"
		sleep 0.3
	done
) &
UPD_PID=$!
sleep 1

walks=0 rows_seen='' churned_seen=''
# check WALK BEFORE AFTER: ordered, no SPI twice, every SA of BEFORE and AFTER present.
check() {
	awk -v p="$SA_COL." -v before="$2" -v after="$3" -v walk="$1" '
	function fail(m) { if (++bad <= 5) print "serve-check: FAIL: " walk ": " m > "/dev/stderr"; else if (bad == 6) print "serve-check: (more)" > "/dev/stderr" }
	BEGIN {
		while ((getline l < before) > 0) b[l] = 1
		while ((getline l < after) > 0) { if (l in b) need[l] = 1; a[l] = 1 }
		for (l in b) if (!(l in a)) gone++
		for (l in a) if (!(l in b)) came++
	}
	{
		if (index($1, p) != 1) { fail("outside ipsecSaTable: " $0); next }
		split(substr($1, length(p) + 1), s, ".")
		c = s[1] + 0; i = s[2] + 0
		if (NR > 1 && (c < pc || (c == pc && i <= pi)))
			fail(sprintf("column %d row %d after column %d row %d: not increasing", c, i, pc, pi))
		pc = c; pi = i
		if (c != 7) next
		rows++
		spi = sprintf("0x%08x", $3)
		if (spi in seen) fail(sprintf("SPI %s in rows %d and %d", spi, seen[spi], i))
		seen[spi] = i
	}
	END {
		for (l in need) if (!(l in seen)) { missing++; if (missing <= 5) fail("SA with SPI " l " existed during the whole walk but is missing") }
		if (!rows) fail("no ipsecSaSpi rows")
		if (!gone || !came) fail(sprintf("nothing changed underneath the walk (%d came, %d went)", came, gone))
		printf "%d %d %d %d %d\n", rows, length(need), came + gone, missing, bad
		exit bad > 0
	}' "$1"
}
walk_once() { # NAME CMD...
	local name=$1 r
	shift
	kernel_spis "$W/$name-before.txt"
	"$@" >"$W/$name.txt" 2>"$W/$name.err" || problem "$name: walk failed: $(head -c 300 "$W/$name.err")"
	kernel_spis "$W/$name-after.txt"
	if r=$(check "$W/$name.txt" "$W/$name-before.txt" "$W/$name-after.txt"); then :; else problems=$((problems + 1)); fi
	walks=$((walks + 1))
	# r: ROWS NEEDED CHURNED MISSING PROBLEMS
	# shellcheck disable=SC2086 # five numbers
	set -- $r 0 0 0 0 0
	rows_seen=${rows_seen:+$rows_seen,}$1
	churned_seen=${churned_seen:+$churned_seen,}$3
	say "$name: $1 rows, $2 SAs existed throughout (all must be there: $4 missing), $3 came or went during the walk"
}
walk_once walk1-bulk bulk "$SA_COL.7"
walk_once walk2-getnext in_ns snmpwalk "${CLIENT[@]}" -Cc -CE "$SA_COL.8" "$AGENT" "$SA_COL.6"
walk_once walk3-bulk bulk "$SA_COL.7"

kill -0 "$CHURN_PID" 2>/dev/null || problem "xfrm-load --churn ended early: $(cat "$W/churn.txt")"
kill "$UPD_PID" "$CHURN_PID" 2>/dev/null || true
wait "$UPD_PID" 2>/dev/null || true
wait "$CHURN_PID" 2>/dev/null || true
UPD_PID='' CHURN_PID=''
updates=$(($(cat "$W/update.passes" 2>/dev/null || echo 0) * stable))
[ ! -s "$W/update.fails" ] || problem "ip xfrm state update failed $(wc -l <"$W/update.fails") times: $(head -c 300 "$W/update.err")"
[ "$updates" -gt 0 ] || problem "no in-place update was made"

say "churn stopped; the daemon must now serve exactly the kernel's SAs"
wait_for 10 complete || problem "10 s after the churn stopped, ipsecSaSpi still differs from the SAD: $(walked_spis "$W/now-walk.txt" | comm -3 - "$W/now-kernel.txt" | head -n 5 | tr '\n\t' '  ')"

kill "$DAEMON_PID"
rc=0
wait "$DAEMON_PID" || rc=$?
DAEMON_PID=''
[ "$rc" -eq 0 ] || problem "the daemon exited with status $rc: $(tail -n 5 "$W/daemon.log")"
if [ "$problems" -eq 0 ]; then result pass; else result FAIL; fi
