#!/bin/sh
# report-direct.sh RESULTS RESULTS_MD: the "direct ..." lines run-direct.sh wrote
# (bench/README.md) as a section "Direct mode" appended to RESULTS_MD (created, with a
# title, if it does not exist). Runs on the host; needs awk only.
set -eu
[ $# -eq 2 ] || { echo "usage: ${0##*/} RESULTS RESULTS_MD" >&2; exit 2; }
in=$1
md=$2
[ -r "$in" ] || { echo "report-direct: cannot read $in" >&2; exit 1; }
grep -q '^direct what=walk ' "$in" || { echo "report-direct: no direct-mode walks in $in" >&2; exit 1; }
new=$md.direct.new
trap 'rm -f "$new"' EXIT

awk -v fresh="$([ -s "$md" ] || echo 1)" '
function field(name,   i) {
	for (i = 2; i <= NF; i++)
		if (index($i, name "=") == 1)
			return substr($i, length(name) + 2)
	return ""
}
function t(s) { return s == "" ? "-" : s + 0 < 1 ? sprintf("%.3g ms", s * 1000) : sprintf("%.3g s", s) }
function us(s) { return s == "" ? "-" : sprintf("%.1f us", s) }
function pct(s) { return s == "" ? "-" : sprintf("%.2f%%", s) }
function num(x,   s) { s = sprintf("%d", x); while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", s); return s }
function verdict(ok, over) { return ok ? "pass" : sprintf("**FAIL** (%s)", over) }
$1 == "host" {
	match($0, /cpu="[^"]*"/)
	cpu = substr($0, RSTART + 5, RLENGTH - 6)
	hnproc = field("nproc"); hkernel = field("kernel"); date = field("date"); umlmem = field("uml_mem")
	next
}
$1 != "direct" { next }
{
	w = field("what"); n = field("n"); key = w SUBSEP field("scope") SUBSEP field("side")
	if (w == "env") { ukernel = field("kernel"); unproc = field("nproc"); memkb = field("mem_kb"); next }
	for (i = 2; i <= NF; i++) { split($i, kv, "="); v[key, n, kv[1]] = substr($i, length(kv[1]) + 2) }
	if (w == "walk" && field("side") == "ours" && !seen[w, field("scope"), n]++)
		if (field("scope") == "column") colns[++ncol] = n; else tabns[++ntab] = n
	if ((w == "idle" || w == "poll" || w == "settle") && !seen["cpu", n]++) cpuns[++ncpu] = n
}
function g(w, sc, si, n, k) { return v[w SUBSEP sc SUBSEP si, n, k] }
# walkrow SCOPE N: the cells shared by the column and table tables.
function ratio(sc, n,   om, bm, ov, bv) {
	om = g("walk", sc, "ours", n, "median_s") + 0; bm = g("walk", sc, "base", n, "median_s") + 0
	ov = g("walk", sc, "ours", n, "varbinds") + 0; bv = g("walk", sc, "base", n, "varbinds") + 0
	return (bm > 0 && ov > 0 && bv > 0) ? (om / ov) / (bm / bv) : -1
}
function checks(sc, n,   s, o, b) {
	o = g("walk", sc, "ours", n, "check"); b = g("walk", sc, "base", n, "check")
	s = (o == "ok" ? "ok" : "ours: " o " (" g("walk", sc, "ours", n, "bad_walks") " walks)")
	s = s " / " (b == "ok" ? "ok" : "baseline: " b " (" g("walk", sc, "base", n, "bad_walks") " walks)")
	return s
}
END {
	p = (fresh ? "# make bench: results\n\n" : "\n")
	p = p "## Direct mode (issue 5)\n\n"
	if (date != "")
		p = p sprintf("Written by `make bench` (bench/README.md) on %s. Host: %s CPU(s), %s, Linux %s. ", date, hnproc, cpu, hkernel)
	p = p sprintf("Measured inside user-mode-linux %s (%s CPU, %.0f MiB), where every syscall costs about 0.1 ms: ", ukernel, unproc, memkb / 1024)
	p = p "absolute times are many times a normal kernel'"'"'s. "
	p = p "Per N, in a namespace of its own: N null-cipher SAs (`xfrm-load --null N`) and N routes; our daemon "
	p = p "(`bench/ipsec-agentx-bench`, -O2, no sanitizers, default settings) in direct mode on udp:127.0.0.1:16181 "
	p = p "with a direct-config of `rocommunity public 127.0.0.1`; the baseline: a plain `snmpd` (default modules, no AgentX) "
	p = p "serving its own inetCidrRouteTable on udp:127.0.0.1:16182 with the same line. "
	p = p "Walks: `snmpbulkwalk -v2c -Cr50 -On`, a first walk of each reported apart, then rounds of ours then the baseline; medians over the rounds. "
	p = p "Every walk is checked: OIDs strictly increasing (no row twice, none out of order); ours: exactly N rows and, for ipsecSaSpi, the N SPIs of the SAs, each once; the baseline: at least N rows.\n\n"

	# 1. One column.
	p = p "### One column (target: ours at most 1.5x the baseline)\n\n"
	p = p "| N | ours: ipsecSaSpi | baseline: inetCidrRouteIfIndex | ratio per varbind | target | result | per-round ratio, median [min-max] | ours per varbind | baseline per varbind | first walk: ours / baseline | CPU per walk: daemon / snmpd | rounds | walks checked |\n"
	p = p "| ---: | ---: | ---: | ---: | --- | --- | --- | ---: | ---: | --- | --- | ---: | --- |\n"
	for (r = 1; r <= ncol; r++) {
		n = colns[r]; x = ratio("column", n)
		ok = g("walk", "column", "ours", n, "check") == "ok" && g("walk", "column", "base", n, "check") == "ok"
		res = x < 0 ? "**no result**: a walk failed" : !ok ? "**FAIL** (a walk failed its check)" : verdict(x <= 1.5, sprintf("%.0f%% over", (x / 1.5 - 1) * 100))
		p = p sprintf("| %s | %s | %s | %.2f | <= 1.5 | %s | %.2f [%.2f-%.2f] | %s | %s | %s / %s | %s / %s | %s | %s |\n", num(n),
			t(g("walk", "column", "ours", n, "median_s")), t(g("walk", "column", "base", n, "median_s")), x, res,
			g("walk_ratio", "column", "", n, "median"), g("walk_ratio", "column", "", n, "min"), g("walk_ratio", "column", "", n, "max"),
			us(g("walk", "column", "ours", n, "per_varbind_us")), us(g("walk", "column", "base", n, "per_varbind_us")),
			t(g("walk", "column", "ours", n, "first_s")), t(g("walk", "column", "base", n, "first_s")),
			t(g("walk", "column", "ours", n, "cpu_s")), t(g("walk", "column", "base", n, "cpu_s")),
			g("walk", "column", "ours", n, "reps"), checks("column", n))
	}
	p = p "\nTimes are whole `snmpbulkwalk` runs, fork and the client'"'"'s start included ("
	for (r = 1; r <= ncol; r++) p = p sprintf("%s%s at N = %s", r > 1 ? ", " : "", t(g("client_start", "", "", colns[r], "median_s")), num(colns[r]))
	p = p " for one `snmpget`). The route table has a few rows more than N (the namespace'"'"'s own routes): the ratio is per varbind, of the medians. "
	p = p "snmpd'"'"'s first walk loads its route cache (kept 60 s; a later walk that finds it expired reloads it), the daemon has none: it serves its store, refreshed by a full dump every `refresh-interval` (5 s, stretched to 100x the dump'"'"'s duration).\n\n"

	# 2. Whole tables.
	for (r = 1; r <= ntab; r++) {
		n = tabns[r]
		if (r == 1) {
			p = p "### Whole table (reported, no target)\n\n"
			p = p "`snmpbulkwalk -v2c -Cr50 -On` of ipsecSaEntry (52 columns for these SAs) and of inetCidrRouteEntry (11 readable columns): compare per varbind.\n\n"
			p = p "| N | ours: ipsecSaTable | varbinds | baseline: inetCidrRouteTable | varbinds | ours per varbind | baseline per varbind | ratio per varbind | per-round ratio, median [min-max] | first walk: ours / baseline | CPU per walk: daemon / snmpd | rounds | walks checked |\n"
			p = p "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- | ---: | --- |\n"
		}
		p = p sprintf("| %s | %s | %s | %s | %s | %s | %s | %.2f | %.2f [%.2f-%.2f] | %s / %s | %s / %s | %s | %s |\n", num(n),
			t(g("walk", "table", "ours", n, "median_s")), num(g("walk", "table", "ours", n, "varbinds")),
			t(g("walk", "table", "base", n, "median_s")), num(g("walk", "table", "base", n, "varbinds")),
			us(g("walk", "table", "ours", n, "per_varbind_us")), us(g("walk", "table", "base", n, "per_varbind_us")),
			ratio("table", n), g("walk_ratio", "table", "", n, "median"), g("walk_ratio", "table", "", n, "min"), g("walk_ratio", "table", "", n, "max"),
			t(g("walk", "table", "ours", n, "first_s")), t(g("walk", "table", "base", n, "first_s")),
			t(g("walk", "table", "ours", n, "cpu_s")), t(g("walk", "table", "base", n, "cpu_s")),
			g("walk", "table", "ours", n, "reps"), checks("table", n))
		if (r == ntab) p = p "\n"
	}

	# 3. CPU.
	if (ncpu) {
		p = p "### Steady state: CPU of the daemon (targets at N = 100,000: idle < 1%, an NMS polling every 60 s < 5% on average)\n\n"
		p = p "| N | idle: no requests | target | result | polled: average over the window | target | result | one poll: varbinds, time, daemon CPU (median) | idle between the polls | counter refreshes (full dumps) in the windows: idle / polled, median duration | snmpd, idle |\n"
		p = p "| ---: | ---: | --- | --- | ---: | --- | --- | --- | ---: | --- | ---: |\n"
		for (r = 1; r <= ncpu; r++) {
			n = cpuns[r]; tr = n + 0 == 100000 ? "" : " (trend)"
			ip = g("idle", "", "", n, "ours_pct"); pp = g("poll", "", "", n, "pct"); gp = g("poll", "", "", n, "gap_pct")
			# Without an idle window of its own (-i 0), the time between the polls is the idle time.
			iv = ip != "" ? ip : gp
			ires = iv == "" ? "-" : verdict(iv + 0 < 1, sprintf("%.1fx", iv / 1)) tr
			pres = pp == "" ? "-" : g("poll", "", "", n, "check") != "ok" ? "**FAIL** (a poll failed its check: " g("poll", "", "", n, "check") ")" : verdict(pp + 0 < 5, sprintf("%.1fx", pp / 5)) tr
			p = p sprintf("| %s | %s | < 1%% | %s | %s | < 5%% | %s | %s | %s | %s | %s |\n", num(n),
				ip != "" ? sprintf("%s (%.2f s CPU in %.0f s)", pct(ip), g("idle", "", "", n, "ours_cpu_s"), g("idle", "", "", n, "secs")) : gp == "" ? "-" : sprintf("%s (%.2f s CPU in %.0f s between the polls)", pct(gp), g("poll", "", "", n, "gap_cpu_s"), g("poll", "", "", n, "gap_secs")), ires,
				pp == "" ? "-" : sprintf("%s (%.2f s CPU in %.0f s, %d polls)", pct(pp), g("poll", "", "", n, "cpu_s"), g("poll", "", "", n, "secs"), g("poll", "", "", n, "polls")), pres,
				pp == "" ? "-" : sprintf("%s, %s, %s", num(g("poll", "", "", n, "poll_varbinds")), t(g("poll", "", "", n, "poll_median_s")), t(g("poll", "", "", n, "poll_cpu_median_s"))),
				pp == "" ? "-" : sprintf("%s (%.0f s)", pct(g("poll", "", "", n, "gap_pct")), g("poll", "", "", n, "gap_secs")),
				sprintf("%s / %s, %s", ip == "" ? "-" : g("idle", "", "", n, "refreshes"), pp == "" ? "-" : g("poll", "", "", n, "refreshes"),
					t(pp != "" ? g("poll", "", "", n, "refresh_median_s") : g("idle", "", "", n, "refresh_median_s"))),
				ip == "" ? "-" : pct(g("idle", "", "", n, "base_pct")))
		}
		p = p "\nCPU: utime + stime of the daemon from /proc/PID/stat (10 ms ticks; UML charges its syscalls'"'"' cost to the process). "
		p = p (g("idle", "", "", cpuns[1], "secs") == "" ? "Idle: no window of its own (`-i 0`): the result is judged on the time between the polls. " : sprintf("Idle: %.0f s without any request. ", g("idle", "", "", cpuns[1], "secs")))
		p = p "Polled: periods of " g("poll", "", "", cpuns[1], "period_s") " s, each starting with an NMS poll: `snmpbulkwalk -v2c -Cr50` of ipsecSaOctets, then of ipsecSaPackets "
		p = p "(the counters an NMS graphs: 2 N varbinds, each walk checked for N rows in order); the average is the daemon'"'"'s CPU over the whole window (the polls and the time between them). "
		p = p "Both windows include the daemon'"'"'s counter refreshes (default `refresh-interval` 5 s, stretched to 100x the last dump'"'"'s duration), counted from its `-D agent` log; "
		p = p "they start only after the first refresh that follows the daemon'"'"'s start (the cold start dump stretches the first interval: "
		for (r = 1; r <= ncpu; r++) {
			n = cpuns[r]
			p = p sprintf("%sat N = %s the start dump took %s, the first refresh %s, waited for %s after the walks", r > 1 ? "; " : "", num(n),
				t(g("settle", "", "", n, "start_dump_s")), t(g("settle", "", "", n, "first_refresh_s")), t(g("settle", "", "", n, "waited_s")))
			if (g("idle", "", "", n, "refreshes") == "0" || g("poll", "", "", n, "refreshes") == "0")
				zero = 1
		}
		p = p ")." (zero ? " **A window with 0 refreshes left the refresh'"'"'s cost out: that result says too little.**" : "") "\n"
	}
	printf "%s", p
}' "$in" >"$new"
cat "$new" >>"$md"
echo "report-direct: appended the direct-mode section to $md"
