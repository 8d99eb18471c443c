#!/bin/sh
# report-serve.sh RESULTS OUTDIR [append]: the "serve ..." lines run-serve.sh wrote
# (bench/README.md) into tables in OUTDIR/results.md (appended with `append`, else a
# file of their own) and OUTDIR/serve-per-row.png (gnuplot). Runs on the host.
set -eu
in=$1
out=$2
mode=${3:-new}
grep -q '^serve what=walk ' "$in" || { echo "report-serve: no serving measurements in $in" >&2; exit 1; }
command -v gnuplot >/dev/null || { echo "report-serve: gnuplot not found (gnuplot-nox)" >&2; exit 1; }
dat=$out/serve-per-row.dat

awk -v dat="$dat" -v mode="$mode" '
function field(name,   i, kv) {
	for (i = 2; i <= NF; i++) {
		split($i, kv, "=")
		if (kv[1] == name)
			return substr($i, length(name) + 2)
	}
	return ""
}
function t(s) { return s == "" ? "-" : s < 1 ? sprintf("%.3g ms", s * 1000) : sprintf("%.3g s", s) }
function us(s) { return s == "" ? "-" : sprintf("%.0f us", s) }
function kib(k) { return k == "" ? "-" : sprintf("%.1f MiB", k / 1024) }
function verdict(ok, over) { return ok ? "pass" : sprintf("**FAIL** (%s)", over) }
$1 == "host" {
	match($0, /cpu="[^"]*"/)
	cpu = substr($0, RSTART + 5, RLENGTH - 6)
	hnproc = field("nproc"); hkernel = field("kernel"); date = field("date"); umlmem = field("uml_mem")
	next
}
$1 == "uml" && field("serve_reps") != "" {
	ukernel = field("kernel"); unproc = field("nproc"); reps = field("serve_reps")
	treps = field("table_reps"); idle_s = field("idle_s")
	next
}
$1 != "serve" { next }
{
	w = field("what"); n = field("n"); key = w SUBSEP field("scope") SUBSEP field("side") SUBSEP field("load")
	for (i = 2; i <= NF; i++) { split($i, kv, "="); v[key, n, kv[1]] = substr($i, length(kv[1]) + 2) }
	if (w == "walk" && field("scope") == "column" && field("side") == "ours") colns[++ncol] = n
	if (w == "walk" && field("scope") == "table" && field("side") == "ours") tabns[++ntab] = n
	if (w == "rss" && field("mode") == "column") rssns[++nrss] = n
	if (w == "syscalls") { sysn = n; sys[field("side")] = field("per_varbind"); systop[field("side")] = field("top") }
	if (w == "churn_check") { churn = $0; sub(/^serve /, "", churn); cres = field("result") }
}
function g(w, sc, si, ld, n, k) { return v[w SUBSEP sc SUBSEP si SUBSEP ld, n, k] }
END {
	p = (mode == "append" ? "\n" : "# make bench: results\n\n")
	p = p "## Serving: SNMP through the master (issue 5)\n\n"
	p = p sprintf("Written by `make bench` (bench/README.md) on %s. Host: %s CPU(s), %s, Linux %s. ", date, hnproc, cpu, hkernel)
	p = p sprintf("Measured inside user-mode-linux %s (%s CPU, %s), where every syscall is dear: ", ukernel, unproc, umlmem)
	p = p "absolute times are 10-50x a normal kernel'"'"'s, the ratios are what counts. "
	p = p "Per N, in a namespace of its own: N null-cipher SAs and N routes; a private snmpd master "
	p = p "without the route tables; as its AgentX subagents our daemon (`bench/ipsec-agentx-bench`, -O2, "
	p = p "no sanitizers) and, for the baseline, `snmpd -X -I inetCidrRouteTable`. "
	p = p "Walks: rounds of ours then the baseline, medians over the rounds, after one first walk each, reported apart.\n\n"

	# 1. One column.
	p = p "### One column: `snmpbulkwalk -v2c -Cr50 -On` (target: ours no slower than the baseline)\n\n"
	p = p "| N | ours: ipsecSaSpi | baseline: inetCidrRouteIfIndex | ratio per varbind | target | result | per-round ratio, median [min-max] | ours per row | baseline per row | first walk: ours / baseline | daemon CPU per walk | rounds |\n"
	p = p "| ---: | ---: | ---: | ---: | --- | --- | --- | ---: | ---: | --- | ---: | ---: |\n"
	for (r = 1; r <= ncol; r++) {
		n = colns[r]
		om = g("walk", "column", "ours", "", n, "median_s") + 0; bm = g("walk", "column", "base", "", n, "median_s") + 0
		ov = g("walk", "column", "ours", "", n, "varbinds") + 0; bv = g("walk", "column", "base", "", n, "varbinds") + 0
		ratio = (bm > 0 && ov > 0) ? (om / ov) / (bm / bv) : 0
		res = verdict(ratio <= 1.0, sprintf("%.0f%% slower", (ratio - 1) * 100))
		if (ov < n + 0) res = res sprintf(" (ours: %d of %d rows!)", ov, n)
		if (bv < n + 0) res = res sprintf(" (baseline: %d of %d rows!)", bv, n)
		if (!ov || !bv) res = "**no result**: a walk failed"
		p = p sprintf("| %d | %s | %s | %.2f | <= 1.0 | %s | %.2f [%.2f-%.2f] | %s | %s | %s / %s | %s | %s |\n", n, t(om), t(bm), ratio, res,
			g("walk_ratio", "column", "", "", n, "median"), g("walk_ratio", "column", "", "", n, "min"), g("walk_ratio", "column", "", "", n, "max"),
			ov ? us(om / ov * 1e6) : "-", bv ? us(bm / bv * 1e6) : "-",
			t(g("walk", "column", "ours", "", n, "first_s")), t(g("walk", "column", "base", "", n, "first_s")),
			t(g("walk", "column", "ours", "", n, "cpu_s")), g("walk", "column", "ours", "", n, "reps"))
		printf "%d %s %s\n", n, ov ? om / ov * 1e6 : "NaN", bv ? bm / bv * 1e6 : "NaN" > dat
		if (r == 1) { n1 = n; o1 = ov ? om / ov : 0; b1 = bv ? bm / bv : 0 }
	}
	p = p "\nTimes are whole `snmpbulkwalk` runs, its start included ("
	for (r = 1; r <= ncol; r++) p = p sprintf("%s%s at N = %d", r > 1 ? ", " : "", t(g("client_start", "", "", "", colns[r], "median_s")), colns[r])
	p = p " for one `snmpget`). The route table has a row or two more than N (the namespace'"'"'s own routes): the ratio compares time per varbind. "
	p = p "The baseline'"'"'s first walk includes loading its route cache (kept 60 s: a walk that takes longer reloads it, 3-4 s at 100,000 routes in UML); ours has no cache to load (the daemon re-dumps the kernel between requests).\n\n"

	if (sysn != "") {
		p = p sprintf("Syscalls per varbind served, counted by `strace -c` attached to each subagent during one more column walk at N = %d (inside UML each costs about 0.1 ms; on a normal kernel `clock_gettime` and `time` are vDSO calls, not syscalls):\n\n", sysn)
		p = p "| subagent | syscalls per varbind | the most frequent, per varbind |\n| --- | ---: | --- |\n"
		for (k = 1; k <= 2; k++) {
			sd = k == 1 ? "ours" : "base"
			tp = systop[sd]; gsub(/:/, " ", tp); gsub(/,/, ", ", tp)
			p = p sprintf("| %s | %s | %s |\n", k == 1 ? "ours (ipsec-agentx)" : "baseline (snmpd -X)", sys[sd], tp)
		}
		p = p "\n"
	}

	# 2. Linearity.
	if (ncol > 1) {
		p = p sprintf("### Cost per row against N (target: at 100,000 within 1.5x of N = %d)\n\n", n1)
		p = p sprintf("| N | ours per row | ours / ours at %d | target | result | baseline per row | baseline / baseline at %d |\n", n1, n1)
		p = p "| ---: | ---: | ---: | --- | --- | ---: | ---: |\n"
		for (r = 1; r <= ncol; r++) {
			n = colns[r]
			ov = g("walk", "column", "ours", "", n, "varbinds") + 0; bv = g("walk", "column", "base", "", n, "varbinds") + 0
			o = ov ? g("walk", "column", "ours", "", n, "median_s") / ov : 0
			b = bv ? g("walk", "column", "base", "", n, "median_s") / bv : 0
			lr = o1 ? o / o1 : 0
			p = p sprintf("| %d | %s | %.2f | <= 1.5 | %s | %s | %s |\n", n, o ? us(o * 1e6) : "-", lr,
				r == 1 ? "-" : !o ? "**no result**" : verdict(lr <= 1.5, sprintf("%.0f%% over", (lr / 1.5 - 1) * 100)) (n + 0 == 100000 ? "" : " (trend)"),
				b ? us(b * 1e6) : "-", b && b1 ? sprintf("%.2f", b / b1) : "-")
		}
		p = p "\n"
	}

	# 3. Whole tables.
	for (r = 1; r <= ntab; r++) {
		n = tabns[r]
		if (r == 1) {
			p = p "### Whole table: `snmpbulkwalk -v2c -Cr50 -On` of the table (reported, no target)\n\n"
			p = p sprintf("%s rounds after a first walk. ipsecSaTable has 54 columns (a few exist only for some SAs), inetCidrRouteTable 11 readable ones: compare per varbind.\n\n", treps)
			p = p "| N | ours: ipsecSaTable | varbinds | baseline: inetCidrRouteTable | varbinds | ours per varbind | baseline per varbind | ratio per varbind, median [min-max] | first walk: ours / baseline | daemon CPU per walk |\n"
			p = p "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: |\n"
		}
		om = g("walk", "table", "ours", "", n, "median_s") + 0; bm = g("walk", "table", "base", "", n, "median_s") + 0
		ov = g("walk", "table", "ours", "", n, "varbinds") + 0; bv = g("walk", "table", "base", "", n, "varbinds") + 0
		p = p sprintf("| %d | %s | %d | %s | %d | %s | %s | %.2f [%.2f-%.2f] | %s / %s | %s |\n", n, t(om), ov, t(bm), bv,
			us(om / ov * 1e6), us(bm / bv * 1e6),
			g("walk_ratio", "table", "", "", n, "median"), g("walk_ratio", "table", "", "", n, "min"), g("walk_ratio", "table", "", "", n, "max"),
			t(g("walk", "table", "ours", "", n, "first_s")), t(g("walk", "table", "base", "", n, "first_s")),
			t(g("walk", "table", "ours", "", n, "cpu_s")))
		if (r == ntab) p = p "\n"
	}

	# 4. CPU.
	p = p sprintf("### Steady state: CPU of the daemon (targets at N = 100,000: idle < 1%%, polled every 60 s < 5%%)\n\n")
	p = p sprintf("| N | ours, %s s without requests | target | result | polled: idle + one column walk per 60 s | target | result | baseline snmpd -X, idle |\n", idle_s)
	p = p "| ---: | ---: | --- | --- | ---: | --- | --- | ---: |\n"
	for (r = 1; r <= ncol; r++) {
		n = colns[r]
		if (g("idle", "", "", "", n, "ours_pct") == "") continue
		ip = g("idle", "", "", "", n, "ours_pct") + 0; wc = g("walk", "column", "ours", "", n, "cpu_s") + 0
		poll = ip + wc / 60 * 100
		tr = n + 0 == 100000 ? "" : " (trend)"
		p = p sprintf("| %d | %.2f%% (%.2f s CPU) | < 1%% | %s | %.2f%% | < 5%% | %s | %.2f%% |\n", n, ip, g("idle", "", "", "", n, "ours_cpu_s"),
			verdict(ip < 1, sprintf("%.1fx", ip / 1)) tr, poll, verdict(poll < 5, sprintf("%.1fx", poll / 5)) tr,
			g("idle", "", "", "", n, "base_pct"))
	}
	p = p "\nCPU: utime + stime from /proc/PID/stat (10 ms ticks; UML charges the syscalls'"'"' cost to the process). "
	p = p "Without requests the daemon still re-dumps every SA every `refresh-interval` (5 s, stretched to 100 times the last dump'"'"'s duration when dumps are slow), to refresh the byte and packet counters: that is its idle cost. "
	p = p "The polled figure adds the daemon'"'"'s CPU during one column walk (table above), spread over 60 s; inside UML a GETNEXT costs the daemon about 1 ms of CPU, mostly syscalls, so this says more about UML than about a real host.\n\n"

	# 5. Memory.
	p = p "### Memory: RSS of the daemon (target: < 1 KiB per SA beyond the base with 0 SAs)\n\n"
	p = p "| N | RSS, 0 SAs | RSS, N SAs, after start | per SA | target | result | after the walks, per SA |\n"
	p = p "| ---: | ---: | ---: | ---: | --- | --- | ---: |\n"
	for (r = 1; r <= nrss; r++) {
		n = rssns[r]
		if (seenrss[n]++) continue
		b = g("rss", "", "", "", n, "bytes_per_sa") + 0
		p = p sprintf("| %d | %s | %s | %d B | < 1024 B | %s | %d B |\n", n, kib(g("rss", "", "", "", n, "base_kb")),
			kib(g("rss", "", "", "", n, "start_kb")), b, verdict(b < 1024, sprintf("%.0f%% over", (b / 1024 - 1) * 100)),
			g("rss", "", "", "", n, "end_bytes_per_sa"))
	}
	p = p "\nVmRSS 2 s after the daemon registered; the base is the same daemon started in the same namespace before the SAs were added. Below a few thousand SAs, pages and malloc'"'"'s arenas make the per-SA figure coarse.\n\n"

	# 6. Latency.
	p = p "### Latency: one GET of one SA'"'"'s ipsecSaOctets (target: p99 < 20 ms at N = 100,000 while another client walks the table)\n\n"
	p = p "| N | ours: p99, table walked | target | result | p50 / p90 / max | ours: p99 without the walk | baseline: p99 of one inetCidrRouteIfIndex, route table walked | baseline p50 / max |\n"
	p = p "| ---: | ---: | --- | --- | --- | ---: | ---: | --- |\n"
	for (r = 1; r <= ncol; r++) {
		n = colns[r]
		k = "latency" SUBSEP "" SUBSEP "ours" SUBSEP "walk"
		if (v[k, n, "p99_ms"] == "") continue
		p99 = v[k, n, "p99_ms"] + 0; lerr = v[k, n, "errors"] + 0
		res = verdict(p99 < 20 && lerr == 0, sprintf("%.1fx", p99 / 20)) (n + 0 == 100000 ? "" : " (trend)")
		if (lerr > 0) res = res sprintf(", %d of %d unanswered", v[k, n, "errors"], v[k, n, "count"])
		kn = "latency" SUBSEP "" SUBSEP "ours" SUBSEP "none"; kb = "latency" SUBSEP "" SUBSEP "base" SUBSEP "walk"
		p = p sprintf("| %d | %.1f ms | < 20 ms | %s | %.1f / %.1f / %.1f ms | %.1f ms | %.1f ms | %.1f / %.1f ms |\n", n, p99, res,
			v[k, n, "p50_ms"], v[k, n, "p90_ms"], v[k, n, "max_ms"], v[kn, n, "p99_ms"], v[kb, n, "p99_ms"],
			v[kb, n, "p50_ms"], v[kb, n, "max_ms"])
	}
	p = p "\n200 GETs, one every 25 ms (5 s, one default refresh interval), each timed inside `tests/tools/snmp-getlat` (no fork/exec counted), "
	p = p "while a loop of `snmpbulkwalk -Cr50` walks the whole table; p99 is the 198th fastest.\n\n"

	# 7. Churn.
	p = p "### Walks under churn (target: every row once, in order, while SAs come, go and change)\n\n"
	if (churn == "")
		p = p "Not run (BENCH_SERVE_CHECK_N=0).\n\n"
	else
		p = p sprintf("`bench/serve-check.sh`: **%s**. `%s`\n\n", cres == "pass" ? "pass" : "FAIL", churn)
	p = p "![time per row](serve-per-row.png)\n"
	printf "%s", p
}' "$in" >"$out/results-serve.md.new"

if [ "$mode" = append ] && [ -f "$out/results.md" ]; then
	cat "$out/results-serve.md.new" >>"$out/results.md"
	rm -f "$out/results-serve.md.new"
else
	mv "$out/results-serve.md.new" "$out/results.md"
fi

gnuplot <<EOF
set terminal pngcairo size 800,520 font "sans,10" noenhanced
set output "$out/serve-per-row.png"
set title "snmpbulkwalk -Cr50 of one column through snmpd's AgentX, inside user-mode-linux"
set xlabel "rows (N)"
set ylabel "microseconds per row (median)"
set logscale x
set yrange [0:*]
set grid
set key bottom right
set offsets graph 0.05, graph 0.05, 0, 0
plot "$dat" using 1:2 with linespoints title "ipsecSaTable (ipsec-agentx)", \
     "" using 1:3 with linespoints title "inetCidrRouteTable (snmpd -X, baseline)"
EOF
rm -f "$dat"
