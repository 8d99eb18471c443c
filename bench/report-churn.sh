#!/bin/sh
# report-churn.sh RESULTS OUTDIR [append]: the "churn ..." lines run-churn.sh wrote
# (bench/README.md) into the section "Events under churn" of OUTDIR/results.md (appended
# with `append`, else a file of its own). Runs on the host. Exit status 0 when the lines
# were there, whatever the verdicts.
set -eu
[ $# -ge 2 ] || { echo "usage: ${0##*/} RESULTS OUTDIR [append]" >&2; exit 2; }
in=$1
out=$2
mode=${3:-new}
[ -r "$in" ] || { echo "report-churn: cannot read $in" >&2; exit 1; }
grep -q '^churn what=\(events\|overflow\|error\) ' "$in" ||
	{ echo "report-churn: no churn measurements in $in" >&2; exit 1; }
mkdir -p "$out"
md=$out/results.md
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

awk -v mode="$mode" '
function field(name,   i, kv) {
	for (i = 2; i <= NF; i++) {
		split($i, kv, "=")
		if (kv[1] == name)
			return substr($i, length(name) + 2)
	}
	return ""
}
function num(x) { # 120000 -> 120,000
	x = sprintf("%d", x)
	while (x ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", x)
	return x
}
function verdict(r, why) {
	if (r == "pass") return "pass"
	gsub(/,/, ", ", why)
	return "**FAIL**" (why == "" ? "" : " (" why ")")
}
function mk(r) { return r == "" ? "-" : r }
$1 == "host" {
	match($0, /cpu="[^"]*"/)
	cpu = substr($0, RSTART + 5, RLENGTH - 6)
	hnproc = field("nproc"); hkernel = field("kernel"); date = field("date")
	next
}
$1 != "churn" { next }
{ w = field("what"); n = field("n") }
w == "uml" { ukernel = field("kernel"); unproc = field("nproc"); umem = field("mem_kb"); rmin = field("resync_min_interval"); next }
w == "setup" || w == "events" || w == "overflow" || w == "exit" || w == "error" {
	if (!(n in seen)) { seen[n] = 1; ns[++nn] = n }
	line[w, n] = $0
	for (i = 2; i <= NF; i++) { split($i, kv, "="); v[w, n, kv[1]] = substr($i, length(kv[1]) + 2) }
}
function g(w, n, k) { return v[w, n, k] }
END {
	p = (mode == "append" ? "\n" : "# make bench: results\n\n")
	p = p "## Events under churn (issue 5)\n\n"
	p = p "> Events under churn: 1,000 SA add/delete events per second for 60 s are all reflected in the store; "
	p = p "an ENOBUFS overflow triggers one resync and the store ends equal to the kernel'"'"'s.\n\n"
	p = p "Written by `make bench` (bench/README.md, `bench/run-churn.sh`)"
	if (date != "") p = p sprintf(" on %s. Host: %s CPU(s), %s, Linux %s", date, hnproc, cpu, hkernel)
	p = p sprintf(". Inside user-mode-linux %s (%s CPU, %d MiB). ", ukernel, unproc, umem / 1024)
	p = p "Per N, in a network namespace of its own: N null-cipher SAs, our daemon (`bench/ipsec-agentx-bench`, -O2, "
	p = p "no sanitizers) in direct mode with `refresh-interval 3600` (no periodic full dump that would hide a lost event) "
	p = p sprintf("and `resync-min-interval %s`. ", rmin)
	p = p "Store vs kernel: the set of (SPI, destination, protocol) of a walk of `ipsecSaSpi`, `ipsecSaDstAddress` and "
	p = p "`ipsecSaProtocol` against `ip xfrm state`, exactly; missing = in the kernel, not served; extra = served, "
	p = p "not in the kernel. Counters are deltas of `ipsecAgentXfrmEvents`, `ipsecAgentXfrmEventOverruns`, "
	p = p "`ipsecAgentResyncs` over the phase; kernel drops from the daemon'"'"'s event socket in `/proc/net/netlink`.\n\n"

	p = p "### Churn: `xfrm-load --churn RATE SECONDS N` (one NEWSA and one DELSA event per pair)\n\n"
	p = p "| N | rate (pairs/s) | seconds | load achieved | events expected | events counted | overruns | resyncs | kernel drops | store vs kernel: missing / extra | daemon CPU | largest queue seen | catch-up after the last event | target | result |\n"
	p = p "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- | ---: | --- | --- |\n"
	for (k = 1; k <= nn; k++) {
		n = ns[k]
		if (!((("events", n) in line))) {
			p = p sprintf("| %s | | | | | | | | | | | | | | **no result** (%s) |\n", num(n),
				(("error", n) in line) ? "the run failed, status " g("error", n, "status") : "missing")
			continue
		}
		bpe = g("overflow", n, "bytes_per_event") + 0
		q = g("events", n, "max_queue_kb")
		p = p sprintf("| %s | %s | %s | %s/s | %s | %s | %s | %s | %s | %s / %s (%s rows, %s SAs) | %s%% (%s s) | %s KiB%s | %s s | all counted, 0 overruns, 0 resyncs, store = kernel | %s |\n",
			num(n), num(g("events", n, "rate")), g("events", n, "secs"), num(g("events", n, "load_rate")),
			num(g("events", n, "events_expected")), num(g("events", n, "events_counted")),
			g("events", n, "overruns"), g("events", n, "resyncs"), g("events", n, "kernel_drops"),
			num(g("events", n, "missing")), num(g("events", n, "extra")),
			num(g("events", n, "store_rows")), num(g("events", n, "kernel_sas")),
			g("events", n, "cpu_pct"), g("events", n, "cpu_s"),
			q, bpe > 0 ? sprintf(" (~%s events)", num(q * 1024 / bpe + 0.5)) : "",
			g("events", n, "catchup_s") == "-1" ? "never" : g("events", n, "catchup_s"),
			verdict(g("events", n, "result"), g("events", n, "why")))
	}
	p = p "\nDaemon CPU: utime + stime from `/proc/PID/stat` from the start of the churn until the daemon had read the "
	p = p "last event, over that wall time (inside UML, where the kernel'"'"'s work on the daemon'"'"'s syscalls is charged to it). "
	p = p "Largest queue: how far behind the daemon was, as the bytes waiting on its event socket (`Rmem` of "
	p = p "`/proc/net/netlink`) sampled every ~2 s, in events at the bytes per event of the overflow phase (its "
	p = p "full buffer over the events that buffer held). Catch-up: from the end of `xfrm-load` until that queue "
	p = p "was empty (the daemon applies each event as it reads it), polled from the shell every 20 ms; a poll costs "
	p = p "forks, 0.1 s or more in a busy UML, so this is an upper bound.\n\n"

	p = p "### Overflow: daemon stopped (SIGSTOP), SAs added then deleted, SIGCONT\n\n"
	p = p "| N | added / deleted while stopped | events made | queued (bytes per event) | dropped by the kernel | events counted | overruns | resyncs | SIGCONT to resync | store vs kernel: missing / extra | target | result |\n"
	p = p "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |\n"
	for (k = 1; k <= nn; k++) {
		n = ns[k]
		if (!((("overflow", n) in line))) {
			p = p sprintf("| %s | | | | | | | | | | | **no result** |\n", num(n))
			continue
		}
		p = p sprintf("| %s | %s / %s | %s | %s KiB (%s) | %s | %s | %s | %s | %s s | %s / %s (%s rows, %s SAs) | overruns >= 1, exactly 1 resync, store = kernel | %s |\n",
			num(n), num(g("overflow", n, "added")), num(g("overflow", n, "deleted")), num(g("overflow", n, "events_made")),
			num(g("overflow", n, "queue_kb")), g("overflow", n, "bytes_per_event"), num(g("overflow", n, "kernel_drops")), num(g("overflow", n, "events_counted")),
			g("overflow", n, "overruns"), g("overflow", n, "resyncs"),
			g("overflow", n, "resync_s") == "-1" ? "never" : g("overflow", n, "resync_s"),
			num(g("overflow", n, "missing")), num(g("overflow", n, "extra")),
			num(g("overflow", n, "store_rows")), num(g("overflow", n, "kernel_sas")),
			verdict(g("overflow", n, "result"), g("overflow", n, "why")))
	}
	p = p "\nEvents counted: those the full buffer held, applied after SIGCONT and before the resync. "
	p = p "The SAs are added first, then live ones (that the store holds) deleted: the deletes come after the "
	p = p "receive buffer is full, so they are all lost, and the resync must both add the SAs whose NEWSA was dropped "
	p = p "and remove the rows of SAs deleted unseen. SIGCONT to resync: polled every 0.2 s; the kernel does not change "
	p = p "after SIGCONT, so from the resync on the store equals it (checked by the walk after it). Resyncs are counted "
	p = p sprintf("again %s s later, so that a second one would show.\n\n", rmin + 2)

	p = p "Also checked, per N: the store equals the kernel right after the daemon started ("
	for (k = 1; k <= nn; k++) {
		n = ns[k]
		p = p sprintf("%sN = %s: %s", k > 1 ? "; " : "", num(n), (("setup", n) in line) ? verdict(g("setup", n, "result"), "") : "-")
	}
	p = p "), and the daemon exits 0 on SIGTERM at the end ("
	for (k = 1; k <= nn; k++) {
		n = ns[k]
		p = p sprintf("%sN = %s: %s", k > 1 ? "; " : "", num(n), (("exit", n) in line) ? verdict(g("exit", n, "result"), "status " g("exit", n, "status")) : "-")
	}
	p = p ").\n"
	printf "%s", p
}' "$in" >"$tmp"

if [ "$mode" = append ]; then
	cat "$tmp" >>"$md"
else
	cat "$tmp" >"$md"
fi
echo "report-churn: wrote the section \"Events under churn\" to $md"
