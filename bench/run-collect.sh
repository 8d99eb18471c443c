#!/bin/bash
# run-collect.sh [-n "N ..."] [-r REPS] [-a AEAD_N] [OUT]
#
# Runs inside user-mode-linux: tests/lab/uml-run bench/run-collect.sh. For each N (default
# "1000 10000 50000", or $BENCH_N), in a fresh network namespace: N null-cipher SAs from
# xfrm-load, collect-bench, then `ip -s xfrm state > /dev/null` timed REPS times (default
# 5, or $BENCH_R). Then the same once at AEAD_N AES-GCM SAs (default 50000, or
# $BENCH_AEAD_N; 0 = skip). Machine-readable lines (see bench/README.md) are appended to
# OUT (default $LAB_DIR/collect.txt) and progress goes to stderr.
# The programs come from $top_builddir (default: the build dir beside this script's).
set -eu -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=${top_builddir:-$here/../build}
load=$top/tests/tools/xfrm-load
bench=$top/bench/collect-bench
sizes=${BENCH_N:-1000 10000 50000}
reps=${BENCH_R:-5}
aead_n=${BENCH_AEAD_N:-50000}
while getopts n:r:a: o; do
	case $o in
	n) sizes=$OPTARG ;;
	r) reps=$OPTARG ;;
	a) aead_n=$OPTARG ;;
	*) echo "usage: ${0##*/} [-n \"N ...\"] [-r REPS] [-a AEAD_N] [OUT]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
out=${1:-${LAB_DIR:?run under tests/lab/uml-run, or name OUT}/collect.txt}

grep -q 'User Mode Linux' /proc/cpuinfo || { echo "run-collect: not inside UML" >&2; exit 1; }
for p in "$load" "$bench"; do
	[ -x "$p" ] || { echo "run-collect: $p missing: make it first" >&2; exit 1; }
done

start=$EPOCHSECONDS
progress() { printf 'bench: [%4ds] %s\n' $((EPOCHSECONDS - start)) "$*" >&2; }

echo "uml kernel=$(uname -r) nproc=$(nproc) mem_kb=$(awk '/MemTotal/ {print $2}' /proc/meminfo)" |
	tee -a "$out"
# UML's memory is a sparse file on the host: have the host back it before measuring, or
# the first dumps run up to 5x slower (see prefault() in collect-bench.c).
avail=$(awk '/MemAvailable/ {print int($2 / 1024)}' /proc/meminfo)
progress "touching ${avail} MiB - 64 MiB of memory"
"$bench" -W $((avail - 64))

# run_one CIPHER N: one size, one cipher, in a namespace of its own.
run_one() {
	local cipher=$1 n=$2 ns=bench$$ times="" t0 line
	ip netns add "$ns"
	# A gateway's own address, so that the store tells inbound SAs from outbound ones.
	ip -n "$ns" link set lo up
	ip -n "$ns" link add d0 type dummy
	ip -n "$ns" addr add 192.0.2.1/24 dev d0
	ip -n "$ns" link set d0 up

	progress "N=$n $cipher: creating SAs"
	line=$(ip netns exec "$ns" "$load" "--$cipher" "$n")
	echo "load cipher=$cipher $line" | tee -a "$out" >&2
	sleep 1 # each new SA's timer fires once, 1 s after it was added

	progress "N=$n $cipher: collect-bench"
	ip netns exec "$ns" "$bench" -r "$reps" -e "$n" -t "cipher=$cipher" | tee -a "$out"

	progress "N=$n $cipher: ip -s xfrm state x$reps"
	for _ in $(seq "$reps"); do
		t0=$EPOCHREALTIME
		ip -n "$ns" -s xfrm state >/dev/null
		times="$times $t0:$EPOCHREALTIME"
	done
	# shellcheck disable=SC2086 # one START:END word per run
	printf '%s\n' $times | awk -F: '{ print $2 - $1 }' | sort -n |
		awk -v tag="cipher=$cipher" -v n="$n" '
		{ t[NR] = $1 }
		END {
			m = NR % 2 ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
			printf "iproute %s what=ip_s_xfrm_state n=%d reps=%d median_s=%.6f min_s=%.6f max_s=%.6f per_sa_us=%.3f\n",
				tag, n, NR, m, t[1], t[NR], m / n * 1e6
		}' | tee -a "$out"

	progress "N=$n $cipher: flushing"
	ip -n "$ns" xfrm state flush
	ip netns del "$ns"
}

for n in $sizes; do
	run_one null "$n"
done
if [ "$aead_n" -gt 0 ]; then
	run_one aead "$aead_n"
fi
progress "done"
