#!/bin/sh
# bench.sh: what `make bench` runs, on the host. Boots user-mode-linux once and runs
# bench/run-collect.sh in it, then bench/report.sh on what it measured.
#
# Environment (all optional): BENCH_N sizes (default "1000 10000 50000"), BENCH_BIG=1 adds
# 100000 (and gives UML 2 GiB), BENCH_R repetitions (5), BENCH_AEAD_N the size measured
# with AES-GCM SAs too (50000; 0 = none), BENCH_OUT where results.md, results.txt and
# time-per-sa.png go (default: bench/ of the source tree). top_srcdir and top_builddir
# come from make; the raw output and logs stay in $top_builddir/bench/lab.
set -eu

src=${top_srcdir:?run me through make bench}
build=${top_builddir:?run me through make bench}
sizes=${BENCH_N:-1000 10000 50000}
reps=${BENCH_R:-5}
aead_n=${BENCH_AEAD_N:-50000}
out=${BENCH_OUT:-$src/bench}
mem=768M
limit=1200
if [ -n "${BENCH_BIG:-}" ] && [ "${BENCH_BIG}" != 0 ]; then
	sizes="$sizes 100000"
	mem=2G
	limit=3600
fi
lab=$build/bench/lab
rm -rf "$lab"
mkdir -p "$lab" "$out"

echo "bench: N = $sizes (null cipher), AES-GCM at N = $aead_n, $reps repetitions each"
echo "bench: booting user-mode-linux ($mem); the default run takes about 5 minutes"
{
	echo "host nproc=$(nproc) cpu=\"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)\"" \
		"kernel=$(uname -r) date=$(date -u +%Y-%m-%dT%H:%MZ) reps=$reps uml_mem=$mem"
} >"$lab/collect.txt"
LAB_DIR=$lab "$src/tests/lab/uml-run" --mem "$mem" --timeout "$limit" \
	"$src/bench/run-collect.sh" -n "$sizes" -r "$reps" -a "$aead_n" "$lab/collect.txt"
"$src/bench/report.sh" "$lab/collect.txt" "$out"
echo "bench: wrote $out/results.md, $out/results.txt and $out/time-per-sa.png"
