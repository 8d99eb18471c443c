#!/bin/sh
# report.sh RESULTS OUTDIR: the lines run-collect.sh wrote (bench/README.md) into
# OUTDIR/results.md (tables), OUTDIR/results.txt (the lines themselves) and
# OUTDIR/time-per-sa.png (gnuplot). Runs on the host; needs awk and gnuplot.
set -eu
in=$1
out=$2
[ -s "$in" ] || { echo "report: $in is empty" >&2; exit 1; }
command -v gnuplot >/dev/null || { echo "report: gnuplot not found (gnuplot-nox)" >&2; exit 1; }
cp "$in" "$out/results.txt.new"
mv "$out/results.txt.new" "$out/results.txt"

# One awk pass: v[cipher SUBSEP n SUBSEP what SUBSEP key] = value.
awk -v md="$out/results.md.new" -v dat="$out/time-per-sa.dat" '
function field(name,   i, kv) {
	for (i = 2; i <= NF; i++) {
		split($i, kv, "=")
		if (kv[1] == name)
			return substr($i, length(name) + 2)
	}
	return ""
}
function t(s) { return s < 1 ? sprintf("%.3g ms", s * 1000) : sprintf("%.3g s", s) }
function ms(s) { return sprintf("%.3g", s * 1000) }
function get(c, n, w, k) { return v[c, n, w, k] }
$1 == "host" {
	match($0, /cpu="[^"]*"/)
	cpu = substr($0, RSTART + 5, RLENGTH - 6)
	hnproc = field("nproc"); hkernel = field("kernel"); date = field("date")
	reps = field("reps"); umlmem = field("uml_mem")
	next
}
$1 == "uml" { ukernel = field("kernel"); unproc = field("nproc"); next }
$1 == "load" {
	c = field("cipher"); n = field("n")
	load[c, n] = field("seconds"); rate[c, n] = field("rate")
	next
}
$1 == "collect" || $1 == "iproute" {
	c = field("cipher"); n = field("n"); w = field("what")
	if (!((c, n) in seen)) { seen[c, n] = 1; order[++rows] = c SUBSEP n }
	for (i = 2; i <= NF; i++) { split($i, kv, "="); v[c, n, w, kv[1]] = substr($i, length(kv[1]) + 2) }
}
END {
	if (!rows) { print "report: no measurements" > "/dev/stderr"; exit 1 }
	p = "# make bench: results\n\n## Collection: full resync against a raw dump\n\n"
	p = p sprintf("Written by `make bench` (bench/README.md) on %s. Host: %s CPU(s), %s, Linux %s. ", date, hnproc, cpu, hkernel)
	p = p sprintf("Measured inside user-mode-linux %s (%s CPU, %s); every time is the median of %s runs.\n\n", ukernel, unproc, umlmem, reps)
	p = p "Target: a full resync of N SAs into a store that already has them (`warm`, the steady state: "
	p = p "`ipx_collector_resync()`, dump + parse + store update) takes at most **1.5x** a raw "
	p = p "`XFRM_MSG_GETSA` dump of the same SAs that parses nothing (`raw`, the floor).\n\n"
	p = p "| N | cipher | ours: warm resync | baseline: raw dump | ratio | target | result | per-round ratio, median [min-max] | ours - raw, per SA | cold resync | `ip -s xfrm state` | RSS per SA |\n"
	p = p "| ---: | --- | ---: | ---: | ---: | --- | --- | --- | ---: | ---: | ---: | ---: |\n"
	for (r = 1; r <= rows; r++) {
		split(order[r], k, SUBSEP); c = k[1]; n = k[2]
		warm = get(c, n, "warm", "median_s"); raw = get(c, n, "raw", "median_s")
		ratio = raw > 0 ? warm / raw : 0
		res = ratio <= 1.5 ? "pass" : sprintf("**FAIL** (%.0f%% over)", (ratio / 1.5 - 1) * 100)
		p = p sprintf("| %d | %s | %s | %s | %.2f | <= 1.5 | %s | %s [%s-%s] | %.2f us | %s | %s | %s B |\n",
			n, c == "aead" ? "AES-GCM" : "null", t(warm), t(raw), ratio, res,
			get(c, n, "ratio", "median"), get(c, n, "ratio", "min"), get(c, n, "ratio", "max"),
			(warm - raw) / n * 1e6,
			t(get(c, n, "cold", "median_s")), t(get(c, n, "ip_s_xfrm_state", "median_s")),
			get(c, n, "rss", "bytes_per_sa"))
		if (c == "null")
			printf "%d %s %s %s %s\n", n, get(c, n, "raw", "per_sa_us"), get(c, n, "warm", "per_sa_us"),
				get(c, n, "cold", "per_sa_us"), get(c, n, "ip_s_xfrm_state", "per_sa_us") > dat
	}
	p = p "\nRatio: median warm / median raw; the raw dump, a dump+parse and a warm resync are taken in turn, "
	p = p reps " rounds, so the per-round ratio shows the spread. Cold: into a fresh store (daemon start). "
	p = p "Ours - raw, per SA: what the collector adds to the floor; the target allows half the floor. "
	p = p "RSS per SA: growth of VmRSS over the first cold resync / N.\n\n"
	p = p "### Where a warm resync spends its time (medians, ms)\n\n"
	p = p "| N | cipher | raw dump | parse (dump+parse - raw) | store upserts | store sync_end | store set_local_addrs | info requests | rest | warm resync |\n"
	p = p "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
	for (r = 1; r <= rows; r++) {
		split(order[r], k, SUBSEP); c = k[1]; n = k[2]
		raw = get(c, n, "raw", "median_s"); parse = get(c, n, "parse", "median_s") - raw
		up = get(c, n, "store_upsert", "median_s"); end = get(c, n, "store_sync_end", "median_s")
		ad = get(c, n, "store_set_addrs", "median_s"); info = get(c, n, "info", "median_s")
		warm = get(c, n, "warm", "median_s")
		p = p sprintf("| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", n, c == "aead" ? "AES-GCM" : "null",
			ms(raw), ms(parse), ms(up), ms(end), ms(ad), ms(info),
			ms(warm - raw - parse - up - end - ad - info), ms(warm))
	}
	p = p "\nParse, upserts, sync_end and set_local_addrs are measured apart (bench/README.md); "
	p = p "`info` is `ipx_collector_refresh_info()` (GETSADINFO, GETSPDINFO, /proc/net/xfrm_stat); "
	p = p "`rest` is what the parts do not explain: the policy and address dumps, and the cache misses "
	p = p "of doing it all interleaved with the kernel.\n\n"
	p = p "### Making the SAs (xfrm-load, 64 NEWSA per send)\n\n| N | cipher | seconds | SAs/s |\n| ---: | --- | ---: | ---: |\n"
	for (r = 1; r <= rows; r++) {
		split(order[r], k, SUBSEP); c = k[1]; n = k[2]
		p = p sprintf("| %d | %s | %s | %s |\n", n, c == "aead" ? "AES-GCM" : "null", load[c, n], rate[c, n])
	}
	p = p "\n![time per SA](time-per-sa.png)\n"
	printf "%s", p > md
}' "$in"
mv "$out/results.md.new" "$out/results.md"

gnuplot <<EOF
set terminal pngcairo size 800,520 font "sans,10" noenhanced
set output "$out/time-per-sa.png"
set title "Full SA collection inside user-mode-linux: time per SA (null-cipher SAs)"
set xlabel "SAs in the kernel (N)"
set ylabel "microseconds per SA (median)"
set logscale xy
set grid
set key bottom right
set xrange [500:200000]
plot "$out/time-per-sa.dat" using 1:5 with linespoints title "ip -s xfrm state > /dev/null", \
     "" using 1:4 with linespoints title "ipx_collector_resync, fresh store (cold)", \
     "" using 1:3 with linespoints title "ipx_collector_resync, warm store (ours)", \
     "" using 1:2 with linespoints title "raw GETSA dump (floor)"
EOF
rm -f "$out/time-per-sa.dat"
