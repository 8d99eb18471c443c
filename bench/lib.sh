# bench/lib.sh: what bench/run-serve.sh, run-direct.sh and run-churn.sh share. Sourced by
# bash after the script has set PART (serve, direct, churn: the first word of its result
# lines and the name in its errors) and out (the result file).
# shellcheck shell=bash disable=SC2154,SC2034

bench_start=$EPOCHSECONDS
progress() { printf 'bench: [%4ds] %s\n' $((EPOCHSECONDS - bench_start)) "$*" >&2; }
die() {
	echo "run-$PART: $*" >&2
	exit 1
}
emit() { echo "$PART $*" | tee -a "$out"; }

# Net-SNMP keeps its persistent state here (else /var/lib/snmp, on the host's disk).
export SNMP_PERSISTENT_DIR=${LAB_DIR:-/tmp}/$PART-persist
mkdir -p "$SNMP_PERSISTENT_DIR"

# The namespace's links: lo, and a dummy d0 with 192.0.2.1/24, the local end of every SA.
bench_links() {
	ip link set lo up
	ip link add d0 type dummy
	ip addr add 192.0.2.1/24 dev d0
	ip link set d0 up
}

# wait_for SECONDS CMD...: CMD every 0.2 s until it succeeds; 1 once SECONDS have passed.
wait_for() {
	local end=$((EPOCHSECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$EPOCHSECONDS" -lt "$end" ] || return 1
		sleep 0.2
	done
}

# Forks are dear inside UML (a fork+exec costs tens of ms): helpers used between two timed
# steps set variables instead of printing through $(...).
# secs T0 T1: T1 - T0 ($EPOCHREALTIME values) in seconds, into SECS.
secs() {
	local d=$((${2/./} - ${1/./}))
	printf -v SECS '%d.%06d' $((d / 1000000)) $((d % 1000000))
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
# utime + stime of PID, in seconds.
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); printf "%.2f\n", ($12 + $13) / hz }' "/proc/$1/stat"; }

# stats [PREFIX]: median/min/max of the numbers on stdin: "PREFIXmedian=.. PREFIXmin=.. PREFIXmax=..".
stats() {
	sort -g | awk -v p="${1:-}" '{ v[NR] = $1 }
		END {
			if (!NR) { printf "%smedian=0 %smin=0 %smax=0", p, p, p; exit }
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%smedian=%.6g %smin=%.6g %smax=%.6g", p, m, p, v[1], p, v[NR]
		}'
}

# add_routes N DIR: N /32 routes on d0 (10.x.y.z), the baseline's table; seconds into
# ROUTES_S. 20,000 a batch: one `ip -batch` of 100,000 routes grew past what UML can map
# for one process (the host's vm.max_map_count: "UML ran out of memory on the host side").
add_routes() {
	local f t0=$EPOCHREALTIME
	awk -v n="$1" -v w="$2/routes" 'BEGIN { for (i = 0; i < n; i++)
		printf "route add 10.%d.%d.%d/32 dev d0\n", int(i / 65536) % 256, int(i / 256) % 256, i % 256 > (w "." int(i / 20000)) }'
	for f in "$2"/routes.*; do
		ip -batch "$f"
	done
	secs "$t0" "$EPOCHREALTIME"
	ROUTES_S=$SECS
}
