#!/bin/bash
# run-churn.sh [-n "N ..."] [-r RATE] [-s SECONDS] [-a OVERFLOW_ADDS] [-d OVERFLOW_DELS] [OUT]
#
# Runs inside user-mode-linux: tests/lab/uml-run bench/run-churn.sh. "Events under churn"
# of issue 5 (bench/README.md):
#   1,000 SA add/delete events per second for 60 s are all reflected in the store; an
#   ENOBUFS overflow triggers one resync and the store ends equal to the kernel's.
# For each N (default 10000, or $BENCH_CHURN_N), in a fresh network namespace, with N
# null-cipher SAs (xfrm-load) and our daemon (bench/ipsec-agentx-bench: -O2, no
# sanitizers) in direct mode (it serves SNMP itself on 127.0.0.1: no master, fast walks),
# with refresh-interval 3600, so that no periodic full dump can hide a lost event:
#  1. setup: the store (a walk of ipsecSaSpi, ipsecSaDstAddress, ipsecSaProtocol) must equal
#     the kernel's SAD (`ip xfrm state`) as a set of (SPI, dst, protocol);
#  2. events: `xfrm-load --churn RATE SECONDS N` (default 1000 pairs a second for 60 s: one
#     NEWSA and one DELSA event each, 120,000 events). ipsecAgentXfrmEvents must grow by
#     exactly 2 x pairs, ipsecAgentXfrmEventOverruns, ipsecAgentResyncs and
#     ipsecAgentMalformedMessages must not move, the kernel must have dropped nothing on
#     the daemon's event socket (/proc/net/netlink), and the store must equal the SAD.
#     Reported: the daemon's CPU (utime + stime) over the churn, how far behind it was
#     (the largest receive queue of its event socket in samples every ~2 s), and how long
#     after the last event its queue was empty (catch-up);
#  3. overflow: the daemon is stopped (SIGSTOP); OVERFLOW_ADDS new SAs are added (default
#     30000), then OVERFLOW_DELS live ones deleted (default N / 2): far more events than
#     its receive buffer holds, so the kernel drops the rest and flags ENOBUFS; SIGCONT.
#     ipsecAgentXfrmEventOverruns must grow, ipsecAgentResyncs by exactly 1 (also 3 s
#     after it did: no second one), and the store must equal the SAD, in which SAs were
#     both added and deleted behind the daemon's back. Reported: time from SIGCONT to the
#     resync (after which the store is equal: nothing changes in the kernel meanwhile);
#  4. the daemon must exit 0 on SIGTERM.
# One line "churn what=... ..." per phase (bench/README.md) is appended to OUT (default
# $LAB_DIR/churn.txt); progress goes to stderr; logs, walks and dumps stay in
# $LAB_DIR/churn-N/. Exit status 0 when everything ran, whatever the verdicts (they are
# in the lines, result=pass|FAIL); 1 when something could not be run or measured.
set -eu -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=${top_builddir:-$here/../build}
load=$top/tests/tools/xfrm-load
daemon=${IPX_DAEMON:-$top/bench/ipsec-agentx-bench}
sizes=${BENCH_CHURN_N:-10000}
rate=${BENCH_CHURN_RATE:-1000}
secs=${BENCH_CHURN_S:-60}
ovf_add=${BENCH_CHURN_OVF_ADD:-30000}
ovf_del=${BENCH_CHURN_OVF_DEL:-}
inner=
usage() {
	echo "usage: ${0##*/} [-n \"N ...\"] [-r RATE] [-s SECONDS] [-a OVERFLOW_ADDS] [-d OVERFLOW_DELS] [OUT]" >&2
	exit 2
}
while getopts n:r:s:a:d:x: o; do
	case $o in
	n) sizes=$OPTARG ;;
	r) rate=$OPTARG ;;
	s) secs=$OPTARG ;;
	a) ovf_add=$OPTARG ;;
	d) ovf_del=$OPTARG ;;
	x) inner=$OPTARG ;; # internal: one N, already inside its namespace
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -le 1 ] || usage
for v in "$rate" "$secs" "$ovf_add" ${ovf_del:+"$ovf_del"} $sizes; do
	case $v in '' | *[!0-9]*) echo "run-churn: not a number: '$v'" >&2; usage ;; esac
done
if [ "$rate" -eq 0 ] || [ "$secs" -eq 0 ]; then usage; fi
out=${1:-${LAB_DIR:?run under tests/lab/uml-run, or name OUT}/churn.txt}

IPX_OID=.1.3.6.1.4.1.8072.9999.9999.4500
ST=$IPX_OID.1.1                 # ipsecAgentStatus
SA_COL=$IPX_OID.1.2.1           # ipsecSaEntry
# ipsecAgentVersion, ipsecAgentResyncs, ipsecAgentMalformedMessages,
# ipsecAgentXfrmEventOverruns, ipsecAgentXfrmEvents
ST_VERSION=$ST.1.0
ST_OIDS=("$ST.3.0" "$ST.4.0" "$ST.6.0" "$ST.7.0")
PORT=16181
AGENT=udp:127.0.0.1:$PORT
RESYNC_MIN=1 # resync-min-interval given to the daemon
MAX_INDEX=262140 # xfrm-load's SA indexes
PART=churn
# shellcheck source=bench/lib.sh
. "$here/lib.sh"

# ---------------------------------------------------------------------------------------
# Outer part: one namespace per N, this script again inside it (-x).
if [ -z "$inner" ]; then
	grep -q 'User Mode Linux' /proc/cpuinfo || die "not inside UML (run it with tests/lab/uml-run)"
	for p in "$load" "$daemon" /usr/bin/snmpget /usr/bin/snmpbulkwalk; do
		[ -x "$p" ] || die "$p missing: make bench builds it (or make bench/ipsec-agentx-bench tests/tools/xfrm-load)"
	done
	emit "what=uml kernel=$(uname -r) nproc=$(nproc) mem_kb=$(awk '/MemTotal/ {print $2}' /proc/meminfo)" \
		"rate=$rate secs=$secs overflow_add=$ovf_add overflow_del=${ovf_del:-n/2} resync_min_interval=$RESYNC_MIN"
	rc_all=0
	for n in $sizes; do
		[ "$n" -gt 1 ] || die "N=$n: at least 2 SAs"
		ns=churn$$
		rc=0
		ip netns add "$ns"
		ip netns exec "$ns" "$0" -r "$rate" -s "$secs" -a "$ovf_add" ${ovf_del:+-d "$ovf_del"} \
			-x "$n" "$out" || rc=$?
		ip -n "$ns" xfrm state flush || true
		ip netns del "$ns" || true
		if [ "$rc" -ne 0 ]; then
			progress "N=$n failed (status $rc); logs in ${LAB_DIR:-?}/churn-$n"
			emit "what=error n=$n status=$rc result=FAIL"
			rc_all=1
		fi
	done
	progress "done"
	exit "$rc_all"
fi

# ---------------------------------------------------------------------------------------
# Inner part: one N, inside its own namespace.
n=$inner
pairs=$((rate * secs))
ovf_del=${ovf_del:-$((n / 2))}
[ "$ovf_del" -le "$n" ] || die "OVERFLOW_DELS=$ovf_del: only $n SAs are live"
[ $((n + pairs + ovf_add)) -le "$MAX_INDEX" ] ||
	die "N + RATE x SECONDS + OVERFLOW_ADDS = $((n + pairs + ovf_add)) SAs: xfrm-load numbers at most $MAX_INDEX"
W=${LAB_DIR:-/tmp}/churn-$n
rm -rf "$W"
mkdir -p "$W"
DAEMON_PID='' LOAD_PID='' STOPPED=''
cleanup() {
	[ -z "$LOAD_PID" ] || { kill "$LOAD_PID" 2>/dev/null; wait "$LOAD_PID" 2>/dev/null; } || true
	if [ -n "$DAEMON_PID" ]; then
		[ -z "$STOPPED" ] || kill -CONT "$DAEMON_PID" 2>/dev/null || true
		kill "$DAEMON_PID" 2>/dev/null || true
		wait "$DAEMON_PID" 2>/dev/null || true
	fi
}
trap cleanup EXIT

bench_links

CLIENT=(-v2c -c public -m '' -M /dev/null -t 10 -r 1)

# A short timeout: a GET sent before the daemon listens is lost, not refused.
ours_up() { snmpget -v2c -c public -m '' -M /dev/null -t 0.5 -r 0 -On -OQ "$AGENT" "$ST_VERSION" | grep -q ' = "'; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# counters: "RESYNCS MALFORMED OVERRUNS EVENTS" from one GET (nothing when it fails).
counters() {
	snmpget "${CLIENT[@]}" -On -OQ "$AGENT" "${ST_OIDS[@]}" 2>/dev/null | awk -v oids="${ST_OIDS[*]}" '
		{ v[$1] = $3 }
		END {
			k = split(oids, o, " ")
			for (i = 1; i <= k; i++) {
				if (!(o[i] in v) || v[o[i]] !~ /^[0-9]+$/) exit 1
				printf "%s%s", v[o[i]], i < k ? " " : "\n"
			}
		}'
}
counters_or_die() {
	local c
	c=$(counters) || die "cannot read the daemon's counters over SNMP ($AGENT; see $W/daemon.log)"
	echo "$c"
}

# event_sock: "RMEM DROPS" of the daemon's XFRM event socket, from /proc/net/netlink of
# this namespace (protocol 6 = NETLINK_XFRM, the only such socket here in multicast
# groups): bytes queued for it, messages the kernel dropped for want of room.
event_sock() {
	awk 'NR > 1 && $2 == 6 && $4 != "00000000" { print $5, $9; found = 1; exit }
		END { if (!found) exit 1 }' /proc/net/netlink
}

# queue_bytes: the same RMEM, with builtins only (polled every 20 ms: no fork per poll).
queue_bytes() {
	local _sk eth _pid groups rmem _rest
	while read -r _sk eth _pid groups rmem _rest; do
		if [ "$eth" = 6 ] && [ "$groups" != 00000000 ]; then
			echo "$rmem"
			return
		fi
	done </proc/net/netlink
	echo none
}

# compare TAG: the store against the kernel, as sets of (SPI, dst, protocol). Walks three
# columns of ipsecSaTable and dumps the SAD; prints "store_rows=.. kernel_sas=.. missing=..
# extra=.." (missing: in the kernel, not in the store; extra: the other way), files in
# $W/TAG-*.
compare() {
	local tag=$1 col name t0
	t0=$EPOCHREALTIME
	for col in 7:spi 5:dst 6:proto; do
		name=${col#*:}
		snmpbulkwalk "${CLIENT[@]}" -On -OQ -Ox -Cr100 "$AGENT" "$SA_COL.${col%%:*}" \
			>"$W/$tag-walk-$name.txt" 2>"$W/$tag-walk-$name.err" ||
			die "$tag: walk of ipsecSaTable column ${col%%:*} failed: $(head -c 300 "$W/$tag-walk-$name.err")"
	done
	ip xfrm state >"$W/$tag-kernel.txt" || die "$tag: ip xfrm state failed"
	# The store: index -> SPI (decimal), dst (hex octets -> dotted quad), protocol number.
	awk -v col="$SA_COL." '
		function hex(s,   i, v) {
			v = 0
			s = tolower(s)
			for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
			return v
		}
		index($1, col) != 1 { next }
		{
			rest = substr($1, length(col) + 1)
			c = substr(rest, 1, index(rest, ".") - 1); idx = substr(rest, index(rest, ".") + 1)
			val = $0; sub(/^[^=]*= /, "", val); gsub(/"/, "", val); sub(/ +$/, "", val)
			if (c == 5) {
				k = split(val, b, " ")
				if (k == 4) val = hex(b[1]) "." hex(b[2]) "." hex(b[3]) "." hex(b[4])
				else gsub(/ /, ":", val) # not IPv4: kept as hex octets (xfrm-load makes IPv4 only)
			}
			v[c, idx] = val; idxs[idx] = 1
		}
		END { for (i in idxs) print v[7, i], v[5, i], v[6, i] }' \
		"$W/$tag-walk-spi.txt" "$W/$tag-walk-dst.txt" "$W/$tag-walk-proto.txt" | sort >"$W/$tag-store.set"
	# The kernel: `src S dst D` then `<tab>proto P spi 0xX ...` per SA.
	awk '
		function hex(s,   i, v) {
			v = 0
			s = tolower(s); sub(/^0x/, "", s)
			for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
			return v
		}
		/^src / { dst = $4; next }
		/^[ \t]+proto / {
			p = $2 == "esp" ? 50 : $2 == "ah" ? 51 : $2 == "comp" ? 108 : $2
			printf "%.0f %s %s\n", hex($4), dst, p
		}' "$W/$tag-kernel.txt" | sort >"$W/$tag-kernel.set"
	local rows ksas missing extra uniq
	rows=$(wc -l <"$W/$tag-store.set")
	uniq=$(sort -u "$W/$tag-store.set" | wc -l)
	ksas=$(wc -l <"$W/$tag-kernel.set")
	comm -23 "$W/$tag-kernel.set" "$W/$tag-store.set" >"$W/$tag-missing.txt"
	comm -13 "$W/$tag-kernel.set" "$W/$tag-store.set" >"$W/$tag-extra.txt"
	missing=$(wc -l <"$W/$tag-missing.txt")
	extra=$(wc -l <"$W/$tag-extra.txt")
	[ "$rows" -eq "$uniq" ] || echo "run-churn: $tag: $((rows - uniq)) SAs served on two rows" >&2
	[ "$missing" -eq 0 ] || echo "run-churn: $tag: $missing SAs of the kernel not in the store, e.g. $(head -n 3 "$W/$tag-missing.txt" | tr '\n' ';')" >&2
	[ "$extra" -eq 0 ] || echo "run-churn: $tag: $extra rows the kernel does not have, e.g. $(head -n 3 "$W/$tag-extra.txt" | tr '\n' ';')" >&2
	echo "store_rows=$rows store_unique=$uniq kernel_sas=$ksas missing=$missing extra=$extra compare_s=$(elapsed "$t0" "$EPOCHREALTIME")"
}
# equal "KV" (compare's output): 0 if the store equalled the kernel.
equal() { [[ " $1 " == *" missing=0 extra=0 "* ]] && [[ $1 =~ store_rows=([0-9]+)\ store_unique=([0-9]+)\ kernel_sas=([0-9]+) ]] && [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] && [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[3]}" ]; }

# -------------------------------------------------------------------------- 1. setup
progress "N=$n: $n SAs, the daemon (direct mode, refresh-interval 3600)"
line=$("$load" --null "$n") || die "xfrm-load --null $n failed: $line"
load_line=${line#xfrm-load }
cat >"$W/direct.conf" <<CONF
rocommunity public 127.0.0.1
CONF
cat >"$W/agent.conf" <<CONF
# No periodic full dump during the run: a lost event would stay lost (and visible).
refresh-interval 3600
resync-min-interval $RESYNC_MIN
vici-socket none
direct-listen udp:127.0.0.1:$PORT
direct-config $W/direct.conf
CONF
t0=$EPOCHREALTIME
"$daemon" -f -c "$W/agent.conf" -D agent,store </dev/null >"$W/daemon.log" 2>&1 &
DAEMON_PID=$!
wait_for 120 ours_up || die "the daemon does not answer on $AGENT (see $W/daemon.log)"
start_s=$(elapsed "$t0" "$EPOCHREALTIME")
kv=$(compare setup)
res=pass
equal "$kv" || res=FAIL
emit "what=setup n=$n load=\"$load_line\" daemon_start_s=$start_s $kv result=$res"

# -------------------------------------------------------------------------- 2. events
progress "N=$n: churn, $rate add/delete pairs a second for $secs s"
read -r r0 m0 o0 e0 < <(counters_or_die)
read -r _ d0 < <(event_sock) || die "no XFRM event socket in /proc/net/netlink"
: >"$W/churn-samples.txt"
c0=$(cpu_s "$DAEMON_PID")
t0=$EPOCHREALTIME
# The end of the load, and when the daemon's queue was empty after it (it applies each
# event as it reads it): the catch-up.
{
	lrc=0
	"$load" --null --churn "$rate" "$secs" "$n" >"$W/churn-load.txt" 2>&1 || lrc=$?
	t=$EPOCHREALTIME
	for _ in $(seq 3000); do # 60 s at most
		[ "$(queue_bytes)" != 0 ] || break
		sleep 0.02
	done
	echo "$t $lrc $EPOCHREALTIME $(cpu_s "$DAEMON_PID")" >"$W/churn-end.txt"
} &
LOAD_PID=$!
# Every ~2 s while it runs: the daemon's event counter (one GET) and its socket's queue.
i=0
while kill -0 "$LOAD_PID" 2>/dev/null; do
	sleep 0.25
	i=$((i + 1))
	[ $((i % 8)) -eq 0 ] || continue
	t=$EPOCHREALTIME
	read -r _ _ _ e < <(counters) || e=-1
	read -r q d < <(event_sock) || { q=-1 d=-1; }
	echo "$(elapsed "$t0" "$t") $e $q $d" >>"$W/churn-samples.txt"
done
wait "$LOAD_PID" || true
LOAD_PID=
read -r t_load lrc t_drained c1 <"$W/churn-end.txt" || die "xfrm-load --churn did not finish: $(cat "$W/churn-load.txt")"
[ "$lrc" -eq 0 ] || die "xfrm-load --churn failed (status $lrc): $(cat "$W/churn-load.txt")"
churn_line=$(tail -n 1 "$W/churn-load.txt")
made=$(echo "$churn_line" | sed -n 's/.* n=\([0-9]*\) .*/\1/p')
load_s=$(echo "$churn_line" | sed -n 's/.* seconds=\([0-9.]*\) .*/\1/p')
if [ -z "$made" ] || [ -z "$load_s" ]; then die "cannot read xfrm-load's line: $churn_line"; fi
expected=$((2 * made))
# Every event counted (within 60 s)?
caught=''
end=$((EPOCHSECONDS + 60))
while [ "$EPOCHSECONDS" -lt "$end" ]; do
	read -r _ _ _ e < <(counters) || e=0
	if [ "$e" -ge $((e0 + expected)) ]; then
		caught=$EPOCHREALTIME
		break
	fi
	sleep 0.2
done
sleep 1 # anything more (there should be nothing) is counted too
read -r r1 m1 o1 e1 < <(counters_or_die)
read -r _ d1 < <(event_sock) || die "no XFRM event socket in /proc/net/netlink"
progress "N=$n: churn done ($churn_line); comparing the store with the kernel"
kv=$(compare churn)
# How far behind: the largest receive queue of the daemon's event socket at the samples,
# i.e. events the kernel had sent that it had not read yet (the overflow phase gives the
# bytes per event: a full buffer over the events it held).
lag=$(awk '$3 > mq { mq = $3 } END { printf "samples=%d max_queue_kb=%.1f", NR, mq / 1024 }' "$W/churn-samples.txt")
why=''
[ $((e1 - e0)) -eq "$expected" ] || why="$why,events"
[ $((o1 - o0)) -eq 0 ] || why="$why,overruns"
[ $((r1 - r0)) -eq 0 ] || why="$why,resyncs"
[ $((m1 - m0)) -eq 0 ] || why="$why,malformed"
[ $((d1 - d0)) -eq 0 ] || why="$why,kernel_drops"
[ -n "$caught" ] || why="$why,not_caught_up"
equal "$kv" || why="$why,store_vs_kernel"
# The load must have kept the pace asked for (else the target was not what was measured).
awk -v m="$made" -v s="$load_s" -v r="$rate" -v p="$pairs" 'BEGIN { exit !(m == p && s > 0 && m / s >= 0.95 * r) }' ||
	why="$why,load_rate"
res=pass
[ -z "$why" ] || res=FAIL
emit "what=events n=$n rate=$rate secs=$secs pairs=$made load_s=$load_s" \
	"load_rate=$(awk -v m="$made" -v s="$load_s" 'BEGIN { printf "%.0f", (s > 0 ? m / s : 0) }')" \
	"events_expected=$expected events_counted=$((e1 - e0)) overruns=$((o1 - o0)) resyncs=$((r1 - r0))" \
	"malformed=$((m1 - m0)) kernel_drops=$((d1 - d0)) catchup_s=$(elapsed "$t_load" "$t_drained")" \
	"$lag cpu_s=$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.2f", b - a }')" \
	"cpu_pct=$(awk -v a="$c0" -v b="$c1" -v s="$(elapsed "$t0" "$t_drained")" 'BEGIN { printf "%.1f", (s > 0 ? (b - a) / s * 100 : 0) }')" \
	"wall_s=$(elapsed "$t0" "$t_drained") counted_s=$([ -n "$caught" ] && elapsed "$t_load" "$caught" || echo -1) $kv result=$res${why:+ why=${why#,}}"

# -------------------------------------------------------------------------- 3. overflow
first_new=$((n + pairs)) # the churn left SAs pairs .. pairs+n-1 live
progress "N=$n: overflow: daemon stopped, $ovf_add SAs added, $ovf_del deleted, daemon continued"
read -r r2 m2 o2 e2 < <(counters_or_die)
read -r _ d2 < <(event_sock) || die "no XFRM event socket in /proc/net/netlink"
kill -STOP "$DAEMON_PID"
STOPPED=1
add_line=$("$load" --null --start "$first_new" "$ovf_add") || die "xfrm-load (overflow adds) failed: $add_line"
del_line=$("$load" --delete --start "$pairs" "$ovf_del") || die "xfrm-load (overflow deletes) failed: $del_line"
read -r q3 d3 < <(event_sock) || die "no XFRM event socket in /proc/net/netlink"
t0=$EPOCHREALTIME
kill -CONT "$DAEMON_PID"
STOPPED=
resynced=''
end=$((EPOCHSECONDS + 120))
while [ "$EPOCHSECONDS" -lt "$end" ]; do
	if read -r r _ _ _ < <(counters) && [ "$r" -gt "$r2" ]; then
		resynced=$EPOCHREALTIME
		break
	fi
	sleep 0.2
done
resync_s=-1
[ -z "$resynced" ] || resync_s=$(elapsed "$t0" "$resynced")
sleep $((RESYNC_MIN + 2)) # a second resync, if one were to come, would be in by now
read -r r3 m3 o3 e3 < <(counters_or_die)
read -r _ d4 < <(event_sock) || die "no XFRM event socket in /proc/net/netlink"
progress "N=$n: overflow: resync after ${resync_s} s; comparing the store with the kernel"
kv=$(compare overflow)
why=''
[ $((d3 - d2)) -gt 0 ] || why="$why,no_overflow" # nothing dropped: the phase tested nothing
[ $((o3 - o2)) -ge 1 ] || why="$why,overruns"
[ $((r3 - r2)) -eq 1 ] || why="$why,resyncs"
[ -n "$resynced" ] || why="$why,no_resync"
equal "$kv" || why="$why,store_vs_kernel"
res=pass
[ -z "$why" ] || res=FAIL
emit "what=overflow n=$n added=$ovf_add deleted=$ovf_del events_made=$((ovf_add + ovf_del))" \
	"queue_kb=$((q3 / 1024)) bytes_per_event=$((e3 - e2 > 0 ? q3 / (e3 - e2) : 0)) kernel_drops=$((d3 - d2)) events_counted=$((e3 - e2)) overruns=$((o3 - o2))" \
	"resyncs=$((r3 - r2)) malformed=$((m3 - m2)) resync_s=$resync_s later_drops=$((d4 - d3)) $kv result=$res${why:+ why=${why#,}}"

# -------------------------------------------------------------------------- 4. exit
st=0
kill "$DAEMON_PID"
wait "$DAEMON_PID" || st=$?
DAEMON_PID=
res=pass
[ "$st" -eq 0 ] || res=FAIL
emit "what=exit n=$n status=$st result=$res"
grep -E 'resync|warn|error|cannot' "$W/daemon.log" | tail -n 20 >&2 || true
progress "N=$n: done"
