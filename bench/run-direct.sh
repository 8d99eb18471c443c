#!/bin/bash
# run-direct.sh [-n "N ..."] [-r REPS] [-R BIG_REPS] [-t TABLE_N] [-T TABLE_REPS]
#               [-c CPU_N] [-i IDLE_S] [-p POLLS] [-P PERIOD_S] [OUT]
#
# Runs inside user-mode-linux: tests/lab/uml-run bench/run-direct.sh. The direct-mode part
# of issue 5 (bench/README.md): the daemon serving SNMP itself against a plain snmpd
# serving its own inetCidrRouteTable in-process, both with N rows. For each N (default
# "1000 10000", or $BENCH_DIRECT_N), in a fresh network namespace with N null-cipher SAs
# (xfrm-load) and N routes (ip -batch):
#  - our daemon (bench/ipsec-agentx-bench: -O2, no sanitizers), default settings, in direct
#    mode on udp:127.0.0.1:16181 (-l) with a direct-config (-a) of one read-only community;
#  - the baseline: snmpd with its default modules, no AgentX, on udp:127.0.0.1:16182, the
#    same community line;
#  - `snmpbulkwalk -v2c -Cr50 -On` of ipsecSaSpi against inetCidrRouteIfIndex: a first
#    walk of each, reported apart (snmpd loads its route cache then), then REPS rounds
#    (default 5; 2*REPS+1 below N = 10000, BIG_REPS (3) from N = 100000) of ours then the
#    baseline; every walk is checked (N rows, OIDs strictly increasing, ours: the N SPIs
#    xfrm-load made, each once).
# At TABLE_N (default 1000) the whole tables are walked too, TABLE_REPS (3) rounds after a
# first walk. At CPU_N (default: the largest N), the daemon's CPU (utime + stime from
# /proc/PID/stat): IDLE_S (60) seconds without requests, then POLLS (3) periods of
# PERIOD_S (60) seconds with an NMS poll at the start of each: `snmpbulkwalk -v2c -Cr50`
# of ipsecSaOctets, then of ipsecSaPackets (the counters an NMS graphs; 2 N varbinds).
# Lines "direct what=... ..." (bench/README.md) are appended to OUT (default
# $LAB_DIR/direct.txt); progress goes to stderr. Programs come from $top_builddir.
set -eu -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=${top_builddir:-$here/../build}
load=$top/tests/tools/xfrm-load
daemon=${IPX_DAEMON:-$top/bench/ipsec-agentx-bench}
sizes=${BENCH_DIRECT_N:-1000 10000}
reps=5
big_reps=3
table_n=1000
table_reps=3
cpu_n=
idle_s=60
polls=3
period_s=60
inner=
usage() {
	echo "usage: ${0##*/} [-n \"N ...\"] [-r REPS] [-R BIG_REPS] [-t TABLE_N] [-T TABLE_REPS] [-c CPU_N] [-i IDLE_S] [-p POLLS] [-P PERIOD_S] [OUT]" >&2
	exit 2
}
while getopts n:r:R:t:T:c:i:p:P:x: o; do
	case $o in
	n) sizes=$OPTARG ;;
	r) reps=$OPTARG ;;
	R) big_reps=$OPTARG ;;
	t) table_n=$OPTARG ;;
	T) table_reps=$OPTARG ;;
	c) cpu_n=$OPTARG ;;
	i) idle_s=$OPTARG ;;
	p) polls=$OPTARG ;;
	P) period_s=$OPTARG ;;
	x) inner=$OPTARG ;; # internal: N:TASKS, already inside its namespace
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -le 1 ] || usage
for v in "$reps" "$big_reps" "$table_n" "$table_reps" "${cpu_n:-0}" "$idle_s" "$polls" "$period_s" $sizes; do
	case $v in '' | *[!0-9]*) echo "${0##*/}: not a number: '$v'" >&2; usage ;; esac
done
out=${1:-${LAB_DIR:?run under tests/lab/uml-run, or name OUT}/direct.txt}

IPX_OID=.1.3.6.1.4.1.8072.9999.9999.4500
SA_COL=$IPX_OID.1.2.1        # ipsecSaEntry
SA_SPI=$SA_COL.7             # ipsecSaSpi
SA_OCTETS=$SA_COL.45         # ipsecSaOctets
SA_PACKETS=$SA_COL.46        # ipsecSaPackets
SA_VERSION=$IPX_OID.1.1.1.0  # ipsecAgentVersion
RT_COL=.1.3.6.1.2.1.4.24.7.1 # inetCidrRouteEntry
RT_IFINDEX=$RT_COL.7         # inetCidrRouteIfIndex
OURS=udp:127.0.0.1:16181
BASE=udp:127.0.0.1:16182
SPI0=65536 # xfrm-load: SA i has SPI 0x10000 + i
PART=direct
# shellcheck source=bench/lib.sh
. "$here/lib.sh"

# ---------------------------------------------------------------------------------------
# Outer part: one namespace per N, this script again inside it (-x N:TASKS).
if [ -z "$inner" ]; then
	grep -q 'User Mode Linux' /proc/cpuinfo || die "not inside UML"
	for p in "$load" "$daemon" /usr/sbin/snmpd /usr/bin/snmpbulkwalk /usr/bin/snmpget; do
		[ -x "$p" ] || die "$p missing: make bench builds it"
	done
	[ -n "$sizes" ] || die "no N given"
	# shellcheck disable=SC2086 # $sizes: numbers, checked above
	if [ -z "$cpu_n" ]; then
		cpu_n=$(printf '%s\n' $sizes | sort -n | tail -n 1)
	fi
	# shellcheck disable=SC2086
	emit "what=env kernel=$(uname -r) nproc=$(nproc) mem_kb=$(awk '/MemTotal/ {print $2}' /proc/meminfo)" \
		"sizes=$(printf '%s\n' $sizes | paste -sd,) reps=$reps big_reps=$big_reps table_n=$table_n" \
		"table_reps=$table_reps cpu_n=$cpu_n idle_s=$idle_s polls=$polls period_s=$period_s"
	run_ns() { # N TASKS (comma list of column, table, cpu)
		local ns=direct$$ rc=0 r=$reps
		# Below 10,000 rows a walk takes a fraction of a second and UML's timings are
		# noisy: more rounds. At 100,000 a round takes tens of seconds: fewer.
		[ "$1" -ge 10000 ] || r=$((2 * reps + 1))
		[ "$1" -lt 100000 ] || r=$big_reps
		ip netns add "$ns"
		ip netns exec "$ns" "$0" -r "$r" -T "$table_reps" -i "$idle_s" -p "$polls" -P "$period_s" \
			-x "$1:$2" "$out" || rc=$?
		ip -n "$ns" xfrm state flush 2>/dev/null || true
		ip netns del "$ns" || true
		[ "$rc" -eq 0 ] || die "N=$1 ($2) failed (status $rc); logs in ${LAB_DIR:-?}/direct-$1"
	}
	done_table='' done_cpu=''
	for n in $sizes; do
		tasks=column
		[ "$n" != "$table_n" ] || { tasks=$tasks,table; done_table=1; }
		[ "$n" != "$cpu_n" ] || { tasks=$tasks,cpu; done_cpu=1; }
		run_ns "$n" "$tasks"
	done
	if [ -z "$done_table" ] && [ "$table_n" -gt 0 ]; then
		run_ns "$table_n" table
	fi
	if [ -z "$done_cpu" ] && [ "$cpu_n" -gt 0 ]; then
		run_ns "$cpu_n" cpu
	fi
	progress "done"
	exit 0
fi

# ---------------------------------------------------------------------------------------
# Inner part: one N, inside its own namespace.
n=${inner%%:*}
tasks=,${inner#*:},
W=${LAB_DIR:-/tmp}/direct-$n
rm -rf "$W"
mkdir -p "$W"
S=$(mktemp -d /run/direct.XXXXXX) # pid files: UML's own tmpfs
DAEMON_PID='' BASE_PID=''
cleanup() {
	local p
	for p in $BASE_PID $DAEMON_PID; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$S"
}
trap cleanup EXIT

bench_links

# -t 60 -r 0: no retry hides a lost request; a request waiting behind a full dump (or the
# baseline's route cache reload) makes the walk slower, it does not fail it.
CLIENT=(-v2c -c public -m '' -M /dev/null -t 60 -r 0)

# (-t 1: a request sent before the port is open is lost, not refused)
ours_up() { snmpget "${CLIENT[@]}" -t 1 -On -OQ "$OURS" "$SA_VERSION" | grep -q '^\.1\.3.* = "'; }
base_up() { snmpgetnext "${CLIENT[@]}" -t 1 -On "$BASE" "$RT_IFINDEX" | grep -q "^$RT_IFINDEX\\."; }

# Forks are dear inside UML: these set variables too (see secs in lib.sh).
HZ=$(getconf CLK_TCK)
# ticks PID: utime + stime of PID (/proc/PID/stat), in clock ticks, into TICKS.
ticks() {
	local s a
	read -r s <"/proc/$1/stat"
	read -r -a a <<<"${s##*) }"
	TICKS=$((a[11] + a[12]))
}
# cpus TICKS0 TICKS1: the difference in seconds, into CPUS.
cpus() {
	local c=$((($2 - $1) * 100 / HZ))
	printf -v CPUS '%d.%02d' $((c / 100)) $((c % 100))
}


# check FILE PREFIX KIND: a walk's output. Every varbind line starts with "."; the OIDs must
# be under PREFIX and strictly increasing (no row twice, none out of order). KIND:
#  spi    exactly N rows whose values are the N SPIs xfrm-load made, each once
#  count  exactly N rows (ours: ipsecSaOctets, ipsecSaPackets)
#  atleast  at least N rows (the baseline: the namespace's own routes come on top)
#  satable  the whole ipsecSaTable: its ipsecSaSpi column has exactly N rows
# Prints "VARBINDS ok" or "VARBINDS why" (no spaces in why).
check() {
	awk -v pre="$2." -v kind="$3" -v n="$n" -v spi0="$SPI0" -v spicol="$SA_SPI." '
	function cmp(a, b,   x, y, i, na, nb) {
		na = split(a, x, "."); nb = split(b, y, ".")
		for (i = 2; i <= na && i <= nb; i++)
			if (x[i] + 0 != y[i] + 0) return x[i] + 0 < y[i] + 0 ? -1 : 1
		return na < nb ? -1 : na > nb ? 1 : 0
	}
	function bad(why) { if (err == "") err = why }
	substr($0, 1, 1) != "." { if ($0 != "" && !seen_other++) other = $0; next }
	{
		vb++
		if (index($1, pre) != 1) bad("outside_" pre ":" $1)
		if (prev != "" && cmp(prev, $1) >= 0) bad("not_increasing_at_" $1)
		prev = $1
		if (kind == "spi" || (kind == "satable" && index($1, spicol) == 1)) {
			spis++
			if (kind == "spi") {
				s = $NF + 0
				if (s < spi0 || s >= spi0 + n) bad("spi_out_of_range:" $NF)
				else if (seen[s]++) bad("spi_twice:" $NF)
			}
		}
	}
	END {
		if (other != "" && err == "") bad("stray_line")
		if (kind == "spi" && spis != n) bad("rows=" spis "_not_" n)
		if (kind == "satable" && spis != n) bad("spi_rows=" spis "_not_" n)
		if (kind == "count" && vb != n) bad("rows=" vb "_not_" n)
		if (kind == "atleast" && vb < n) bad("rows=" vb "_below_" n)
		print vb + 0, err == "" ? "ok" : err
	}' "$1"
}

# walk AGENT OID FILE: snmpbulkwalk -Cr50 -On of OID into FILE; its wall time (from fork
# to exit: the client's start is part of every walk, as for an NMS's poller) into WALK_S.
walk() {
	local t0 t1 rc=0
	t0=$EPOCHREALTIME
	snmpbulkwalk "${CLIENT[@]}" -On -Cr50 "$1" "$2" >"$3" 2>"$3.err" || rc=$?
	t1=$EPOCHREALTIME
	[ "$rc" -eq 0 ] || echo "walk of $2 at $1: status $rc: $(head -c 300 "$3.err")" >&2
	secs "$t0" "$t1"
	WALK_S=$SECS
}

# ---------------------------------------------------------------------------------------
progress "N=$n ($tasks): $n SAs, $n routes"
line=$("$load" --null "$n")
echo "load cipher=null $line" >>"$W/load.txt"
add_routes "$n" "$W"
routes_s=$ROUTES_S
sleep 1 # each new SA's timer fires once, 1 s after it was added

# The same community line for both; no view: both check every varbind against "all".
cat >"$W/direct.conf" <<CONF
rocommunity public 127.0.0.1
CONF
cat >"$W/snmpd.conf" <<CONF
agentaddress $BASE
rocommunity public 127.0.0.1
dontLogTCPWrappersConnects yes
CONF

# Our daemon: default settings (no -c), direct mode. -D agent logs one line per resync
# (its duration): the counter refreshes inside the CPU windows are counted from it.
t0=$EPOCHREALTIME
"$daemon" -f -D agent -l "$OURS" -a "$W/direct.conf" </dev/null >"$W/daemon.log" 2>&1 &
DAEMON_PID=$!
wait_for 120 ours_up || die "the daemon does not answer on $OURS (see $W/daemon.log)"
secs "$t0" "$EPOCHREALTIME"
daemon_s=$SECS
grep -q "direct mode: serving SNMP on $OURS" "$W/daemon.log" || die "no 'serving SNMP' line in $W/daemon.log"

# The baseline: a plain snmpd, default modules (inetCidrRouteTable among them), its config only.
t0=$EPOCHREALTIME
/usr/sbin/snmpd -f -Lf "$W/snmpd.log" -C -c "$W/snmpd.conf" -p "$S/snmpd.pid" -M /dev/null -m '' \
	</dev/null >"$W/snmpd.out" 2>&1 &
BASE_PID=$!
wait_for 120 base_up || die "snmpd does not answer on $BASE (see $W/snmpd.log)"
secs "$t0" "$EPOCHREALTIME"
base_s=$SECS
sleep 2
emit "what=setup n=$n load=\"${line#xfrm-load }\" routes_s=$routes_s daemon_start_s=$daemon_s" \
	"base_start_s=$base_s rss_kb=$(rss_kb "$DAEMON_PID") base_rss_kb=$(rss_kb "$BASE_PID")"

# Starting a client costs something too (fork, exec, libnetsnmp's init): one GET.
for _ in 1 2 3; do
	t0=$EPOCHREALTIME
	snmpget "${CLIENT[@]}" "$OURS" "$SA_VERSION" >/dev/null
	secs "$t0" "$EPOCHREALTIME"
	echo "$SECS"
done >"$W/client.txt"
emit "what=client_start n=$n $(stats "" <"$W/client.txt" | sed 's/median=/median_s=/; s/min=/min_s=/; s/max=/max_s=/')"

# walks SCOPE ROUNDS OURS_OID OURS_KIND BASE_OID: round 0 (the first walks) and ROUNDS
# more, ours then the baseline, each checked; the lines walk (per side) and walk_ratio.
walks() {
	local scope=$1 rounds=$2 ooid=$3 okind=$4 boid=$5 r side f c0 c1 b0 b1 ot bt ov bv oc bc oc_s
	: >"$W/$scope-rounds.txt"
	for r in $(seq 0 "$rounds"); do
		progress "N=$n: $scope walk, round $r of $rounds (0 = first walk), ours then snmpd"
		ticks "$DAEMON_PID"
		c0=$TICKS
		walk "$OURS" "$ooid" "$W/$scope-ours-$r.txt"
		ot=$WALK_S
		ticks "$DAEMON_PID"
		c1=$TICKS
		ticks "$BASE_PID"
		b0=$TICKS
		walk "$BASE" "$boid" "$W/$scope-base-$r.txt"
		bt=$WALK_S
		ticks "$BASE_PID"
		b1=$TICKS
		read -r ov oc < <(check "$W/$scope-ours-$r.txt" "$ooid" "$okind")
		read -r bv bc < <(check "$W/$scope-base-$r.txt" "$boid" atleast)
		[ "$oc" = ok ] || progress "N=$n: $scope walk of ours, round $r: $oc"
		[ "$bc" = ok ] || progress "N=$n: $scope walk of the baseline, round $r: $bc"
		# ROUND OURS_S OURS_VB OURS_CHECK BASE_S BASE_VB BASE_CHECK OURS_CPU BASE_CPU
		cpus "$c0" "$c1"
		oc_s=$CPUS
		cpus "$b0" "$b1"
		echo "$r $ot $ov $oc $bt $bv $bc $oc_s $CPUS" >>"$W/$scope-rounds.txt"
	done
	for side in ours base; do
		if [ $side = ours ]; then f='ts=2; vs=3; ks=4; cs=8'; else f='ts=5; vs=6; ks=7; cs=9'; fi
		emit "what=walk scope=$scope side=$side n=$n $(awk "BEGIN { $f }"'
			function med(a, k,   i, j, t) {
				for (i = 2; i <= k; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
				return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
			}
			$1 == 0 { first = $ts; fvb = $vs; fchk = $ks; next }
			{
				k++; t[k] = $ts; c[k] = $cs
				if (vmin == "" || $vs < vmin) vmin = $vs
				if ($vs > vmax) vmax = $vs
				if ($ks != "ok") { bad++; why = $ks }
				if (min == "" || $ts < min) min = $ts
				if ($ts > max) max = $ts
			}
			END {
				m = k ? med(t, k) : 0
				printf "reps=%d varbinds=%d varbinds_min=%d first_s=%s first_varbinds=%d median_s=%.6f min_s=%s max_s=%s per_varbind_us=%.2f cpu_s=%.3f",
					k, vmax, vmin, first, fvb, m, min, max, vmax ? m / vmax * 1e6 : 0, k ? med(c, k) : 0
				if (fchk != "ok") { bad++; why = fchk }
				printf " check=%s bad_walks=%d", bad ? why : "ok", bad
			}' "$W/$scope-rounds.txt")"
	done
	# Per round, ours / baseline per varbind (the route table has a row or two more than N).
	emit "what=walk_ratio scope=$scope n=$n $(awk '$1 > 0 && $3 && $6 { print ($2 / $3) / ($5 / $6) }' "$W/$scope-rounds.txt" | stats "")"
}

rounds=$reps
case $tasks in *,column,*)
	walks column "$rounds" "$SA_SPI" spi "$RT_IFINDEX"
	;;
esac
case $tasks in *,table,*)
	walks table "$table_reps" "$SA_COL" satable "$RT_COL"
	;;
esac

case $tasks in *,cpu,*)
	# resync_stats FROM_LINE: "refreshes=K refresh_median_s=.." of the resync lines after FROM_LINE.
	resync_stats() {
		tail -n +"$(($1 + 1))" "$W/daemon.log" | sed -n 's/.*resync (\([^)]*\)):.* in \([0-9.]*\) s.*/\1 \2/p' |
			awk '{ k++; d[k] = $2; s += $2 } END {
				for (i = 2; i <= k; i++) for (j = i; j > 1 && d[j - 1] > d[j]; j--) { t = d[j]; d[j] = d[j - 1]; d[j - 1] = t }
				printf "refreshes=%d refresh_median_s=%.3f refresh_total_s=%.3f", k, k ? (k % 2 ? d[(k + 1) / 2] : (d[k / 2] + d[k / 2 + 1]) / 2) : 0, s }'
	}
	loglines() { wc -l <"$W/daemon.log"; }
	# Steady state: the first dump (at start, cold: the store's pages touched for the first
	# time, 3-4 s at 100,000 SAs in UML) stretches the next refresh to 100 times its
	# duration, minutes at 100,000. Windows measured before that refresh would contain no
	# dump at all; wait for the first "resync (refresh)" (at most 100 x the start dump + 60 s).
	start_dump=$(sed -n 's/.*resync (start):.* in \([0-9.]*\) s.*/\1/p' "$W/daemon.log" | head -n 1)
	settle=$(awk -v d="${start_dump:-0}" 'BEGIN { printf "%d", d * 100 + 60 }')
	progress "N=$n: waiting for the daemon's first counter refresh (start dump ${start_dump:-?} s; at most $settle s)"
	t0=$EPOCHREALTIME
	wait_for "$settle" grep -q 'resync (refresh)' "$W/daemon.log" || progress "N=$n: no refresh within $settle s"
	sleep 2 # the refresh itself
	secs "$t0" "$EPOCHREALTIME"
	emit "what=settle n=$n start_dump_s=${start_dump:-} waited_s=$SECS" \
		"first_refresh_s=$(sed -n 's/.*resync (refresh):.* in \([0-9.]*\) s.*/\1/p' "$W/daemon.log" | head -n 1)"
	if [ "$idle_s" -gt 0 ]; then
		progress "N=$n: ${idle_s} s without requests (CPU of the daemon and of snmpd)"
		l0=$(loglines)
		ticks "$DAEMON_PID"
		c0=$TICKS
		ticks "$BASE_PID"
		b0=$TICKS t0=$EPOCHREALTIME
		sleep "$idle_s"
		ticks "$DAEMON_PID"
		c1=$TICKS
		ticks "$BASE_PID"
		b1=$TICKS t1=$EPOCHREALTIME
		emit "$(awk -v n="$n" -v c0="$c0" -v c1="$c1" -v b0="$b0" -v b1="$b1" -v t0="$t0" -v t1="$t1" -v hz="$HZ" 'BEGIN {
			s = t1 - t0; c = (c1 - c0) / hz; b = (b1 - b0) / hz
			printf "what=idle n=%d secs=%.1f ours_cpu_s=%.2f ours_pct=%.3f base_cpu_s=%.2f base_pct=%.3f",
				n, s, c, c / s * 100, b, b / s * 100 }') $(resync_stats "$l0")"
	fi
	if [ "$polls" -gt 0 ]; then
		progress "N=$n: $polls periods of $period_s s, each starting with a poll (ipsecSaOctets, ipsecSaPackets)"
		: >"$W/polls.txt"
		l0=$(loglines)
		ticks "$DAEMON_PID"
		c0=$TICKS T0=$EPOCHREALTIME
		for k in $(seq 0 $((polls - 1))); do
			wait_s=$(awk -v t0="$T0" -v k="$k" -v p="$period_s" -v now="$EPOCHREALTIME" 'BEGIN { w = t0 + k * p - now; printf "%.3f", (w > 0 ? w : 0) }')
			sleep "$wait_s"
			ticks "$DAEMON_PID"
			pc0=$TICKS pt0=$EPOCHREALTIME
			walk "$OURS" "$SA_OCTETS" "$W/poll-$k-octets.txt"
			t_oct=$WALK_S
			walk "$OURS" "$SA_PACKETS" "$W/poll-$k-packets.txt"
			t_pkt=$WALK_S
			ticks "$DAEMON_PID"
			pc1=$TICKS pt1=$EPOCHREALTIME
			read -r v1 k1 < <(check "$W/poll-$k-octets.txt" "$SA_OCTETS" count)
			read -r v2 k2 < <(check "$W/poll-$k-packets.txt" "$SA_PACKETS" count)
			chk=ok
			[ "$k1" = ok ] || chk=octets:$k1
			[ "$k2" = ok ] || chk=packets:$k2
			[ "$chk" = ok ] || progress "N=$n: poll $k: $chk"
			# K START_S END_S SECONDS VARBINDS CPU_S CHECK (times from T0)
			secs "$T0" "$pt0"
			ps0=$SECS
			secs "$T0" "$pt1"
			ps1=$SECS
			secs "$pt0" "$pt1"
			cpus "$pc0" "$pc1"
			echo "$k $ps0 $ps1 $SECS $((v1 + v2)) $CPUS $chk" >>"$W/polls.txt"
			progress "N=$n: poll $k: $((v1 + v2)) varbinds in $SECS s (octets $t_oct s, packets $t_pkt s), daemon CPU $CPUS s"
		done
		wait_s=$(awk -v t0="$T0" -v k="$polls" -v p="$period_s" -v now="$EPOCHREALTIME" 'BEGIN { w = t0 + k * p - now; printf "%.3f", (w > 0 ? w : 0) }')
		sleep "$wait_s"
		ticks "$DAEMON_PID"
		c1=$TICKS T1=$EPOCHREALTIME
		secs "$T0" "$T1"
		emit "what=poll n=$n $(awk -v c0="$c0" -v c1="$c1" -v hz="$HZ" -v secs="$SECS" -v p="$period_s" '
			function med(a, k,   i, j, t) {
				for (i = 2; i <= k; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
				return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
			}
			{ k++; d[k] = $4; c[k] = $6; vb = vb < $5 ? $5 : vb; if (vmin == "" || $5 < vmin) vmin = $5
			  busy += $4; pcpu += $6; if ($4 > dmax) dmax = $4
			  if ($7 != "ok") { bad++; why = $7 } }
			END {
				cpu = (c1 - c0) / hz; gap = secs - busy; gcpu = cpu - pcpu
				printf "period_s=%d polls=%d secs=%.1f cpu_s=%.2f pct=%.3f poll_varbinds=%d poll_varbinds_min=%d poll_median_s=%.3f poll_max_s=%.3f poll_cpu_median_s=%.3f poll_cpu_total_s=%.2f gap_secs=%.1f gap_cpu_s=%.2f gap_pct=%.3f check=%s",
					p, k, secs, cpu, cpu / secs * 100, vb, vmin, med(d, k), dmax, med(c, k), pcpu, gap, gcpu, (gap > 0 ? gcpu / gap * 100 : 0), bad ? why : "ok"
			}' "$W/polls.txt") $(resync_stats "$l0")"
	fi
	;;
esac

rss=$(rss_kb "$DAEMON_PID")
kill "$DAEMON_PID"
rc=0
wait "$DAEMON_PID" || rc=$?
DAEMON_PID=
[ "$rc" -eq 0 ] || die "the daemon exited with status $rc (see $W/daemon.log)"
progress "N=$n: done (daemon RSS at the end $rss kB)"
