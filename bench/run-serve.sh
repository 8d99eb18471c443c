#!/bin/bash
# run-serve.sh [-n "N ..."] [-r REPS] [-R BIG_REPS] [-t TABLE_N] [-T TABLE_REPS] [-i IDLE_S]
#              [-c CHECK_N] [-s STRACE_N] [OUT]
#
# Runs inside user-mode-linux: tests/lab/uml-run bench/run-serve.sh. The serving half of
# issue 5 (bench/README.md). For each N (default "1000 10000", or $BENCH_SERVE_N), in a
# fresh network namespace with N null-cipher SAs (xfrm-load) and N routes (ip -batch):
#  - a private snmpd master without the route tables (-I -inetCidrRouteTable,...),
#  - our daemon (bench/ipsec-agentx-bench: -O2, no sanitizers) as its AgentX subagent,
#  - the baseline: a second snmpd, `-X -I inetCidrRouteTable`, also its AgentX subagent;
# and measures: the daemon's RSS with 0 SAs and with N; its CPU use over IDLE_S seconds
# without requests (default 60); rounds of `snmpbulkwalk -Cr50 -On` of one column, ours
# then the baseline's: a first one, reported apart, then REPS (default 3; 2*REPS+1 below
# N = 10000, where a round takes seconds; BIG_REPS at N >= 100000, where it takes
# minutes); 200 GETs of one SA's ipsecSaOctets (one route's inetCidrRouteIfIndex) while
# another client walks the whole table, and 200 without. At TABLE_N (default 200) the
# whole tables are walked instead, TABLE_REPS+1 rounds (default 2+1). At STRACE_N
# (default 1000), one more column walk each under `strace -c`: syscalls per varbind.
# Then bench/serve-check.sh at CHECK_N (default 1000; 0 = skip): walks under churn must
# be ordered and complete.
# Lines "serve what=... ..." (bench/README.md) are appended to OUT (default
# $LAB_DIR/serve.txt); progress goes to stderr. Programs come from $top_builddir.
set -eu -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=${top_builddir:-$here/../build}
load=$top/tests/tools/xfrm-load
getlat=$top/tests/tools/snmp-getlat
daemon=${IPX_DAEMON:-$top/bench/ipsec-agentx-bench}
sizes=${BENCH_SERVE_N:-1000 10000}
reps=${BENCH_SERVE_R:-3}
big_reps=${BENCH_SERVE_BIG_R:-}
table_n=${BENCH_SERVE_TABLE_N:-200}
table_reps=${BENCH_SERVE_TABLE_R:-2}
idle_s=${BENCH_SERVE_IDLE_S:-60}
strace_n=${BENCH_SERVE_STRACE_N:-1000}
check_n=${BENCH_SERVE_CHECK_N:-1000}
inner=
while getopts n:r:R:t:T:i:c:s:x: o; do
	case $o in
	n) sizes=$OPTARG ;;
	r) reps=$OPTARG ;;
	R) big_reps=$OPTARG ;;
	t) table_n=$OPTARG ;;
	T) table_reps=$OPTARG ;;
	i) idle_s=$OPTARG ;;
	c) check_n=$OPTARG ;;
	s) strace_n=$OPTARG ;;
	x) inner=$OPTARG ;; # internal: one N (MODE:N), already inside its namespace
	*)
		echo "usage: ${0##*/} [-n \"N ...\"] [-r REPS] [-R BIG_REPS] [-t TABLE_N] [-T TABLE_REPS] [-i IDLE_S] [-c CHECK_N] [-s STRACE_N] [OUT]" >&2
		exit 2
		;;
	esac
done
shift $((OPTIND - 1))
out=${1:-${LAB_DIR:?run under tests/lab/uml-run, or name OUT}/serve.txt}

IPX_OID=.1.3.6.1.4.1.8072.9999.9999.4500
SA_COL=$IPX_OID.1.2.1           # ipsecSaEntry
SA_SPI=$SA_COL.7                # ipsecSaSpi
SA_OCTETS=$SA_COL.45            # ipsecSaOctets
SA_VERSION=$IPX_OID.1.1.1.0     # ipsecAgentVersion
RT_COL=.1.3.6.1.2.1.4.24.7.1    # inetCidrRouteEntry
RT_IFINDEX=$RT_COL.7            # inetCidrRouteIfIndex
PORT=16161
AGENT=udp:127.0.0.1:$PORT
PART=serve
# shellcheck source=bench/lib.sh
. "$here/lib.sh"

# ---------------------------------------------------------------------------------------
# Outer part: one namespace per N, this script again inside it (-x), then serve-check.
if [ -z "$inner" ]; then
	grep -q 'User Mode Linux' /proc/cpuinfo || die "not inside UML"
	for p in "$load" "$getlat" "$daemon" /usr/sbin/snmpd /usr/bin/snmpbulkwalk; do
		[ -x "$p" ] || die "$p missing: make bench builds it"
	done
	echo "uml kernel=$(uname -r) nproc=$(nproc) mem_kb=$(awk '/MemTotal/ {print $2}' /proc/meminfo)" \
		"serve_reps=$reps table_reps=$table_reps idle_s=$idle_s" | tee -a "$out"
	run_ns() { # MODE N
		local ns=serve$$ rc=0 r=$reps
		# A round at 1,000 rows takes seconds, and UML's timings are noisy: more of them.
		[ "$2" -ge 10000 ] || r=$((2 * reps + 1))
		[ "$2" -lt 100000 ] || r=${big_reps:-$reps}
		ip netns add "$ns"
		ip netns exec "$ns" "$0" -r "$r" -T "$table_reps" -i "$idle_s" -s "$strace_n" -x "$1:$2" "$out" || rc=$?
		ip -n "$ns" xfrm state flush || true
		ip netns del "$ns" || true
		[ "$rc" -eq 0 ] || die "N=$2 ($1) failed (status $rc); logs in ${LAB_DIR:-?}/serve-$1-$2"
	}
	for n in $sizes; do
		run_ns column "$n"
	done
	[ "$table_n" -le 0 ] || run_ns table "$table_n"
	if [ "$check_n" -gt 0 ]; then
		progress "walk under churn: bench/serve-check.sh -n $check_n"
		if line=$(IPX_DAEMON=$daemon "$here/serve-check.sh" -n "$check_n" -q); then
			emit "$line"
		else
			emit "${line:-what=churn_check n=$check_n result=FAIL}"
			progress "serve-check FAILED (see its output above)"
		fi
	fi
	progress "done"
	exit 0
fi

# ---------------------------------------------------------------------------------------
# Inner part: one N, inside its own namespace.
mode=${inner%%:*}
n=${inner#*:}
W=${LAB_DIR:-/tmp}/serve-$mode-$n
rm -rf "$W"
mkdir -p "$W"
S=$(mktemp -d /run/serve.XXXXXX) # sockets and pid files: UML's own tmpfs
MASTER_PID='' DAEMON_PID='' SUB_PID='' WALKER_PID=''
cleanup() {
	local p
	for p in $WALKER_PID $SUB_PID $DAEMON_PID $MASTER_PID; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$S"
}
trap cleanup EXIT

bench_links

CLIENT=(-v2c -c public -m '' -M /dev/null -t 60 -r 0) # 60 s: see agentxTimeout below

ours_up() { snmpget "${CLIENT[@]}" -On -OQ "$AGENT" "$SA_VERSION" | grep -q '^\.1\.3.* = "'; }
base_up() { snmpgetnext "${CLIENT[@]}" -On "$AGENT" "$RT_IFINDEX" | grep -q "^$RT_IFINDEX\\."; }

master_start() {
	cat >"$W/master.conf" <<CONF
agentaddress udp:127.0.0.1:$PORT
master agentx
agentXSocket unix:$S/agentx.sock
rocommunity public 127.0.0.1
# 60 s, not 1: a subagent that stalls (the baseline reloading its route cache: 10-20 s
# for 100,000 routes in UML; ours resyncing) must make a walk slower, not lose its session.
agentxTimeout 60
CONF
	/usr/sbin/snmpd -f -Lf "$W/master.log" -C -c "$W/master.conf" -p "$S/master.pid" \
		-M /dev/null -m '' -I -inetCidrRouteTable,-ipCidrRouteTable,-ip_forward \
		</dev/null >"$W/master.out" 2>&1 &
	MASTER_PID=$!
	wait_for 30 test -S "$S/agentx.sock" || die "snmpd master did not open $S/agentx.sock"
	wait_for 30 snmpget "${CLIENT[@]}" "$AGENT" .1.3.6.1.2.1.1.3.0 || die "snmpd master does not answer"
}

daemon_start() {
	"$daemon" -f -x "$S/agentx.sock" </dev/null >>"$W/daemon.log" 2>&1 &
	DAEMON_PID=$!
	wait_for 120 ours_up || die "the daemon did not register (see $W/daemon.log)"
}

daemon_stop() {
	kill "$DAEMON_PID"
	wait "$DAEMON_PID" || die "the daemon exited with status $? (see $W/daemon.log)"
	DAEMON_PID=
}

sub_start() {
	cat >"$W/sub.conf" <<CONF
agentXSocket unix:$S/agentx.sock
CONF
	/usr/sbin/snmpd -f -X -Lf "$W/sub.log" -C -c "$W/sub.conf" -p "$S/sub.pid" \
		-M /dev/null -m '' -I inetCidrRouteTable </dev/null >"$W/sub.out" 2>&1 &
	SUB_PID=$!
	wait_for 120 base_up || die "snmpd -X (inetCidrRouteTable) did not register (see $W/sub.log)"
}


# walk OID FILE: snmpbulkwalk -Cr50 -On of OID into FILE; prints "SECONDS VARBINDS".
walk() {
	local t0 t1 rc=0
	t0=$EPOCHREALTIME
	snmpbulkwalk "${CLIENT[@]}" -On -Cr50 "$AGENT" "$1" >"$2" 2>"$2.err" || rc=$?
	t1=$EPOCHREALTIME
	[ "$rc" -eq 0 ] || echo "walk of $1: status $rc: $(head -c 300 "$2.err")" >&2
	awk -v a="$t0" -v b="$t1" -v n="$(wc -l <"$2")" 'BEGIN { printf "%.6f %d\n", b - a, n }'
}

progress "N=$n ($mode): snmpd master, daemon with no SAs"
master_start
daemon_start
sleep 2
base_kb=$(rss_kb "$DAEMON_PID")
daemon_stop

progress "N=$n ($mode): $n SAs, $n routes"
line=$("$load" --null "$n")
echo "load cipher=null $line" >>"$W/load.txt"
add_routes "$n" "$W"
routes_s=$ROUTES_S
sleep 1 # each new SA's timer fires once, 1 s after it was added

t0=$EPOCHREALTIME
daemon_start
start_s=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }')
t0=$EPOCHREALTIME
sub_start
sub_s=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }')
sleep 2
start_kb=$(rss_kb "$DAEMON_PID")
emit "what=setup n=$n mode=$mode load=\"${line#xfrm-load }\" routes_s=$routes_s daemon_start_s=$start_s sub_start_s=$sub_s"

if [ "$mode" = column ] && [ "$idle_s" -gt 0 ]; then
	progress "N=$n: ${idle_s} s without requests (CPU of the daemon and of snmpd -X)"
	c0=$(cpu_s "$DAEMON_PID") b0=$(cpu_s "$SUB_PID") t0=$EPOCHREALTIME
	sleep "$idle_s"
	c1=$(cpu_s "$DAEMON_PID") b1=$(cpu_s "$SUB_PID") t1=$EPOCHREALTIME
	emit "$(awk -v n="$n" -v c0="$c0" -v c1="$c1" -v b0="$b0" -v b1="$b1" -v t0="$t0" -v t1="$t1" 'BEGIN {
		s = t1 - t0
		printf "what=idle n=%d secs=%.1f ours_cpu_s=%.2f ours_pct=%.3f base_cpu_s=%.2f base_pct=%.3f",
			n, s, c1 - c0, (c1 - c0) / s * 100, b1 - b0, (b1 - b0) / s * 100 }')"
fi

# Starting a client costs something too (fork, exec, libnetsnmp's init): one GET.
for _ in 1 2 3; do
	t0=$EPOCHREALTIME
	snmpget "${CLIENT[@]}" "$AGENT" .1.3.6.1.2.1.1.3.0 >/dev/null
	awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }'
done >"$W/client.txt"
emit "what=client_start n=$n $(stats "" <"$W/client.txt" | sed 's/median=/median_s=/; s/min=/min_s=/; s/max=/max_s=/')"

if [ "$mode" = column ]; then
	ours_oid=$SA_SPI base_oid=$RT_IFINDEX rounds=$reps
else
	ours_oid=$SA_COL base_oid=$RT_COL rounds=$table_reps
fi
: >"$W/rounds.txt"
for r in $(seq 0 "$rounds"); do
	progress "N=$n: $mode walk, round $r of $rounds (0 = first walk), ours then snmpd -X"
	c0=$(cpu_s "$DAEMON_PID")
	read -r ot ov < <(walk "$ours_oid" "$W/ours-$r.txt")
	c1=$(cpu_s "$DAEMON_PID")
	b0=$(cpu_s "$SUB_PID")
	read -r bt bv < <(walk "$base_oid" "$W/base-$r.txt")
	b1=$(cpu_s "$SUB_PID")
	echo "$r $ot $ov $bt $bv $(awk -v a="$c0" -v b="$c1" 'BEGIN { print b - a }') $(awk -v a="$b0" -v b="$b1" 'BEGIN { print b - a }')" >>"$W/rounds.txt"
done
# rounds.txt: ROUND OURS_S OURS_VARBINDS BASE_S BASE_VARBINDS OURS_CPU_S BASE_CPU_S
for side in ours base; do
	if [ $side = ours ]; then ts=2 vs=3 cs=6; else ts=4 vs=5 cs=7; fi
	first=$(awk -v t=$ts '$1 == 0 { print $t }' "$W/rounds.txt")
	vb=$(awk -v v=$vs '$1 == 0 { print $v }' "$W/rounds.txt")
	vb_min=$(awk -v v=$vs '$1 > 0 { print $v }' "$W/rounds.txt" | sort -n | head -n 1)
	vb_max=$(awk -v v=$vs '$1 > 0 { print $v }' "$W/rounds.txt" | sort -n | tail -n 1)
	tstat=$(awk -v t=$ts '$1 > 0 { print $t }' "$W/rounds.txt" | stats "" |
		sed 's/median=/median_s=/; s/min=/min_s=/; s/max=/max_s=/')
	cstat=$(awk -v c=$cs '$1 > 0 { print $c }' "$W/rounds.txt" | stats cpu_ | sed 's/cpu_median=/cpu_s=/')
	med=$(echo "$tstat" | sed 's/.*median_s=\([^ ]*\).*/\1/')
	emit "what=walk scope=$mode side=$side n=$n reps=$rounds varbinds=${vb_max:-$vb} varbinds_min=${vb_min:-$vb} first_s=$first first_varbinds=$vb $tstat" \
		"per_varbind_us=$(awk -v m="$med" -v v="${vb_max:-$vb}" 'BEGIN { printf "%.1f", v ? m / v * 1e6 : 0 }') $cstat"
done
# Per round: ours / baseline, per varbind (the tables' row counts differ by a route or two).
emit "what=walk_ratio scope=$mode n=$n $(awk '$1 > 0 && $3 && $5 { print ($2 / $3) / ($4 / $5) }' "$W/rounds.txt" | stats "")"

# Why one is dearer than the other: syscalls per varbind, counted by strace -c attached to
# each subagent for one more column walk (in UML every syscall costs ~0.1 ms).
if [ "$mode" = column ] && [ "$n" = "$strace_n" ] && command -v strace >/dev/null; then
	progress "N=$n: one more column walk each under strace -c"
	for side in ours base; do
		if [ $side = ours ]; then pid=$DAEMON_PID oid=$ours_oid; else pid=$SUB_PID oid=$base_oid; fi
		strace -c -p "$pid" -o "$W/strace-$side.txt" 2>/dev/null &
		tpid=$!
		sleep 1 # attached
		read -r _ vb < <(walk "$oid" "$W/strace-walk-$side.txt")
		kill -INT "$tpid"
		wait "$tpid" || true
		emit "what=syscalls side=$side n=$n varbinds=$vb $(awk -v vb="$vb" '
			$1 ~ /^[0-9.]+$/ && NF >= 5 {
				if ($NF == "total") { total = $4; next }
				c[$NF] = $4
			}
			END {
				printf "per_varbind=%.2f top=", total / vb
				for (k = 0; k < 6; k++) {
					best = ""
					for (s in c) if (best == "" || c[s] > c[best]) best = s
					if (best == "") break
					printf "%s%s:%.2f", k ? "," : "", best, c[best] / vb
					delete c[best]
				}
			}' "$W/strace-$side.txt")"
	done
fi

if [ "$mode" = column ]; then
	# One SA and one route in the middle of the table.
	mid() { awk -v k=$(((n + 1) / 2)) -v p="$1." 'NR == k && index($1, p) == 1 { print substr($1, length(p) + 1) }' "$2"; }
	sa_idx=$(mid "$SA_SPI" "$W/ours-0.txt")
	rt_idx=$(mid "$RT_IFINDEX" "$W/base-0.txt")
	# lat SIDE LOAD OID WALK_OID: 200 GETs, 25 ms apart; LOAD=walk: while WALK_OID is walked.
	lat() {
		local line
		if [ "$2" = walk ]; then
			(
				trap 'kill $c 2>/dev/null; exit 0' TERM
				while :; do
					snmpbulkwalk "${CLIENT[@]}" -On -Cr50 "$AGENT" "$4" >/dev/null 2>&1 &
					c=$!
					wait $c || true
				done
			) &
			WALKER_PID=$!
			sleep 1
		fi
		line=$("$getlat" -n 200 -i 25 "$AGENT" "$3" || true)
		if [ -n "$WALKER_PID" ]; then
			kill "$WALKER_PID"
			wait "$WALKER_PID" 2>/dev/null || true
			WALKER_PID=
		fi
		emit "what=latency side=$1 load=$2 n=$n oid=$3 ${line#getlat }"
	}
	if [ -n "$sa_idx" ]; then
		progress "N=$n: 200 GETs of ipsecSaOctets.$sa_idx while ipsecSaTable is walked, then alone"
		lat ours walk "$SA_OCTETS.$sa_idx" "$SA_COL"
		lat ours none "$SA_OCTETS.$sa_idx"
	else
		progress "N=$n: no latency of ours: its first walk returned no row $(((n + 1) / 2))"
	fi
	if [ -n "$rt_idx" ]; then
		progress "N=$n: 200 GETs of inetCidrRouteIfIndex.$rt_idx while inetCidrRouteTable is walked"
		lat base walk "$RT_IFINDEX.$rt_idx" "$RT_COL"
	else
		progress "N=$n: no latency of the baseline: its first walk returned no row $(((n + 1) / 2))"
	fi
fi

end_kb=$(rss_kb "$DAEMON_PID")
emit "what=rss mode=$mode n=$n base_kb=$base_kb start_kb=$start_kb end_kb=$end_kb" \
	"bytes_per_sa=$(awk -v a="$base_kb" -v b="$start_kb" -v n="$n" 'BEGIN { printf "%.0f", (b - a) * 1024 / n }')" \
	"end_bytes_per_sa=$(awk -v a="$base_kb" -v b="$end_kb" -v n="$n" 'BEGIN { printf "%.0f", (b - a) * 1024 / n }')"
daemon_stop
progress "N=$n ($mode): done"
