#!/bin/bash
# profile-collect.sh [-o] [N] [OUTDIR]
#
# Runs inside user-mode-linux: tests/lab/uml-run bench/profile-collect.sh. Makes N (5000)
# null-cipher SAs in a fresh network namespace and runs collect-bench's warm resyncs under
# valgrind --tool=callgrind --cache-sim=yes, collecting inside bench_rounds() only: 3 warm
# resyncs and 3 refresh_info calls (the cold resync that fills the store is not counted).
# Writes callgrind.out and the annotated inclusive and self costs to OUTDIR (default
# $LAB_DIR). User space only: the kernel's side of the dump is invisible to valgrind.
# -o: the store has an observer (collect-bench -o), as the daemon's has.
set -eu -o pipefail

observe=
if [ "${1:-}" = -o ]; then
	observe=-o
	shift
fi
here=$(cd "$(dirname "$0")" && pwd)
top=${top_builddir:-$here/../build}
n=${1:-5000}
dir=${2:-${LAB_DIR:?run under tests/lab/uml-run, or name OUTDIR}}
ns=prof$$

grep -q 'User Mode Linux' /proc/cpuinfo || { echo "profile-collect: not inside UML" >&2; exit 1; }
ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" link add d0 type dummy
ip -n "$ns" addr add 192.0.2.1/24 dev d0
ip -n "$ns" link set d0 up
ip netns exec "$ns" "$top/tests/tools/xfrm-load" --null "$n" >&2
sleep 1
ip netns exec "$ns" valgrind --tool=callgrind --callgrind-out-file="$dir/callgrind.out" \
	--collect-atstart=no --toggle-collect=bench_rounds --cache-sim=yes \
	"$top/bench/collect-bench" -r 3 -e "$n" -m warm $observe
callgrind_annotate --inclusive=yes "$dir/callgrind.out" >"$dir/callgrind-inclusive.txt"
callgrind_annotate "$dir/callgrind.out" >"$dir/callgrind-self.txt"
sed -n '/^Ir/,/^$/p' "$dir/callgrind-inclusive.txt" | head -45
sed -n '/^Ir/,/^$/p' "$dir/callgrind-self.txt" | head -30
ip -n "$ns" xfrm state flush
ip netns del "$ns"
