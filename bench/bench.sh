#!/bin/sh
# bench.sh: what `make bench` runs, on the host. Boots user-mode-linux for each part:
# bench/run-collect.sh (collection), bench/run-serve.sh (serving through snmpd) and
# bench/run-churn.sh (events under churn) and bench/run-direct.sh (direct mode), then the
# bench/report*.sh on what they measured.
#
# Environment (all optional, see bench/README.md): BENCH_PARTS ("collect serve churn
# direct"), BENCH_N collection sizes (default "1000 10000 50000"), BENCH_SERVE_N serving
# sizes ("1000 10000"), BENCH_BIG=1 adds 100000 to all parts (and gives UML 2 GiB),
# BENCH_R collection repetitions (5), BENCH_AEAD_N the size measured with AES-GCM SAs too
# (50000; 0 = none), BENCH_SERVE_R walk rounds (3, plus a first one), BENCH_SERVE_BIG_R at
# N = 100000 (1), BENCH_SERVE_TABLE_N the whole-table size (200; 0 = none),
# BENCH_SERVE_TABLE_R (2), BENCH_SERVE_IDLE_S (60),
# BENCH_SERVE_CHECK_N the walk-under-churn check (1000; 0 = none), BENCH_SERVE_STRACE_N
# where syscalls are counted (1000), BENCH_CHURN_N (10000), BENCH_CHURN_RATE (1000),
# BENCH_CHURN_S (60), BENCH_CHURN_OVF_ADD (30000) for the churn part, BENCH_DIRECT_* for
# the direct part, BENCH_OUT where results.md, results.txt and the plots go (default:
# bench/ of the source tree). top_srcdir and top_builddir come from make; the raw output
# and logs stay in $top_builddir/bench/lab.
set -eu

src=${top_srcdir:?run me through make bench}
build=${top_builddir:?run me through make bench}
parts=${BENCH_PARTS:-collect serve churn direct}
sizes=${BENCH_N:-1000 10000 50000}
serve_sizes=${BENCH_SERVE_N:-1000 10000}
reps=${BENCH_R:-5}
aead_n=${BENCH_AEAD_N:-50000}
out=${BENCH_OUT:-$src/bench}
mem=768M
limit=1200
serve_limit=1800
churn_sizes=${BENCH_CHURN_N:-10000}
churn_limit=900
direct_sizes=${BENCH_DIRECT_N:-1000 10000}
direct_idle=${BENCH_DIRECT_IDLE_S:-0}
direct_polls=${BENCH_DIRECT_POLLS:-1}
direct_limit=1200
# The CPU targets are stated at N = 100,000: the default run only shows the way there
# with one poll of the direct mode, BENCH_BIG measures them in full (three polls).
if [ -n "${BENCH_BIG:-}" ] && [ "${BENCH_BIG}" != 0 ]; then
	sizes="$sizes 100000"
	serve_sizes="$serve_sizes 100000"
	mem=2G
	limit=3600
	serve_limit=10800
	churn_sizes="$churn_sizes 100000"
	churn_limit=1800
	direct_sizes="$direct_sizes 100000"
	direct_idle=${BENCH_DIRECT_IDLE_S:-60}
	direct_polls=${BENCH_DIRECT_POLLS:-3}
	direct_limit=3600
fi
lab=$build/bench/lab
rm -rf "$lab"
mkdir -p "$lab" "$out"
t0=$(date +%s)
host="host nproc=$(nproc) cpu=\"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)\""
host="$host kernel=$(uname -r) date=$(date -u +%Y-%m-%dT%H:%MZ) reps=$reps uml_mem=$mem"
: >"$lab/all.txt"

case " $parts " in *" collect "*)
	echo "bench: collection: N = $sizes (null cipher), AES-GCM at N = $aead_n, $reps repetitions each"
	echo "bench: booting user-mode-linux ($mem); about 2-3 minutes"
	echo "$host" >"$lab/collect.txt"
	LAB_DIR=$lab "$src/tests/lab/uml-run" --mem "$mem" --timeout "$limit" \
		"$src/bench/run-collect.sh" -n "$sizes" -r "$reps" -a "$aead_n" "$lab/collect.txt"
	cat "$lab/collect.txt" >>"$lab/all.txt"
	;;
esac

case " $parts " in *" serve "*)
	echo "bench: serving: N = $serve_sizes, whole tables at ${BENCH_SERVE_TABLE_N:-200}," \
		"walk under churn at ${BENCH_SERVE_CHECK_N:-1000}"
	echo "bench: booting user-mode-linux ($mem); about 9 minutes for the default sizes"
	echo "$host" >"$lab/serve.txt"
	LAB_DIR=$lab "$src/tests/lab/uml-run" --mem "$mem" --timeout "$serve_limit" \
		"$src/bench/run-serve.sh" -n "$serve_sizes" -r "${BENCH_SERVE_R:-3}" \
		-R "${BENCH_SERVE_BIG_R:-1}" -t "${BENCH_SERVE_TABLE_N:-200}" -T "${BENCH_SERVE_TABLE_R:-2}" \
		-i "${BENCH_SERVE_IDLE_S:-60}" -c "${BENCH_SERVE_CHECK_N:-1000}" \
		-s "${BENCH_SERVE_STRACE_N:-1000}" "$lab/serve.txt"
	cat "$lab/serve.txt" >>"$lab/all.txt"
	;;
esac

case " $parts " in *" churn "*)
	echo "bench: events under churn: N = $churn_sizes, ${BENCH_CHURN_RATE:-1000} add/delete pairs a second" \
		"for ${BENCH_CHURN_S:-60} s, then an ENOBUFS overflow"
	echo "bench: booting user-mode-linux ($mem); about 2 minutes per N = 10000 (3 at 100000)"
	echo "$host" >"$lab/churn.txt"
	LAB_DIR=$lab "$src/tests/lab/uml-run" --mem "$mem" --timeout "$churn_limit" \
		"$src/bench/run-churn.sh" -n "$churn_sizes" -r "${BENCH_CHURN_RATE:-1000}" \
		-s "${BENCH_CHURN_S:-60}" -a "${BENCH_CHURN_OVF_ADD:-30000}" "$lab/churn.txt" ||
		echo "bench: run-churn.sh failed (status $?); logs in $lab/churn-*/" >&2
	cat "$lab/churn.txt" >>"$lab/all.txt"
	;;
esac

case " $parts " in *" direct "*)
	echo "bench: direct mode: N = $direct_sizes, whole table at ${BENCH_DIRECT_TABLE_N:-1000}," \
		"CPU at the largest N ($direct_polls polls 60 s apart)"
	echo "bench: booting user-mode-linux ($mem); about 4 minutes for the default sizes (7-12 with BENCH_BIG)"
	echo "$host" >"$lab/direct.txt"
	LAB_DIR=$lab "$src/tests/lab/uml-run" --mem "$mem" --timeout "$direct_limit" \
		"$src/bench/run-direct.sh" -n "$direct_sizes" -r "${BENCH_DIRECT_R:-5}" \
		-R "${BENCH_DIRECT_BIG_R:-3}" -t "${BENCH_DIRECT_TABLE_N:-1000}" \
		-T "${BENCH_DIRECT_TABLE_R:-3}" -i "$direct_idle" -p "$direct_polls" \
		"$lab/direct.txt" ||
		echo "bench: run-direct.sh failed (status $?); logs in $lab/direct-*/" >&2
	cat "$lab/direct.txt" >>"$lab/all.txt"
	;;
esac

# report SCRIPT: that part's section of results.md. The first report writes results.md
# afresh and copies the raw lines to results.txt; the later ones append.
wrote=
report() {
	if [ -n "$wrote" ]; then
		"$src/bench/$1" "$lab/all.txt" "$out" append
	else
		"$src/bench/$1" "$lab/all.txt" "$out"
		cp "$lab/all.txt" "$out/results.txt"
		wrote="$out/results.md, $out/results.txt"
	fi
}
if grep -q '^collect ' "$lab/all.txt"; then
	report report.sh
	wrote="$wrote, $out/time-per-sa.png"
fi
if grep -q '^serve what=walk ' "$lab/all.txt"; then
	report report-serve.sh
	wrote="$wrote, $out/serve-per-row.png"
fi
if grep -q '^churn what=\(events\|overflow\|error\) ' "$lab/all.txt"; then
	report report-churn.sh
fi
if grep -q '^direct what=walk ' "$lab/all.txt"; then
	if [ -z "$wrote" ]; then
		rm -f "$out/results.md"
		cp "$lab/all.txt" "$out/results.txt"
		wrote="$out/results.md, $out/results.txt"
	fi
	"$src/bench/report-direct.sh" "$lab/all.txt" "$out/results.md"
fi
[ -n "$wrote" ] || { echo "bench: nothing measured (BENCH_PARTS=$parts)" >&2; exit 1; }
echo "bench: wrote $wrote"
echo "bench: wall time $(($(date +%s) - t0)) s"
