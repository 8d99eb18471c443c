#!/bin/bash
# Runs INSIDE user-mode-linux (tests/lab/uml-run tests/lab/vici.sh): our VICI client
# (tests/tools/vici-list.c on src/vici_client.c, a UBSan build) against moon's real charon.
# Checks that:
#  - `vici-list list-sas` reports what `swanctl --list-sas --raw` does (every key but the
#    clocks and counters: IKE and CHILD_SA names, states, SPIs, reqids, addresses, ...),
#    and that its CHILD_SAs are the kernel's (`ip xfrm state`: SPIs, reqids, addresses);
#  - `list-conns`, `list-certs` and `version` report what swanctl does;
#  - registered for child-rekey, a rekey (sun's rekey_time 15 s) yields one event per
#    CHILD_SA naming the old SPIs (in the kernel before) and the new ones (after; swanctl
#    has no witness here: its --monitor-sa listens to ike-updown and child-updown only);
#  - an unknown command or event makes vici-list say so and exit 1;
#  - when charon goes away under a connected vici-list, it says so and exits 1 (no crash,
#    no UBSan report); with no charon, it cannot connect and exits 1.
# With IPX_VICI_RECORD=DIR, the packets received are also copied to DIR as the unit test's
# fixtures (tests/unit/fixtures/README.md).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${IPX_TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
top_builddir=${IPX_TOP_BUILDDIR:-$top_srcdir/build}
. "$here/lab.sh"

VICI_LIST=${IPX_VICI_LIST:-$top_builddir/tests/lab/vici-list-ubsan}
SOCK=$LAB_DIR/moon.vici
W=$LAB_DIR/vici
mkdir -p "$W"

fail() {
	echo "vici: FAIL: $*" >&2
	exit 1
}
vl() { "$VICI_LIST" "$SOCK" "$@"; }
step() { echo "vici: $* (at $SECONDS s)"; }

[ -x "$VICI_LIST" ] || fail "$VICI_LIST not built (make check builds it)"

# swanctl's --raw form ("list-sa event {lab4 {state=ESTABLISHED child-sas {...}}}") as
# vici-list's lines ("list-sa.lab4.state=ESTABLISHED"). swanctl separates elements with
# single spaces and quotes nothing, so a value runs to the next " name=", " name {" or "}":
# fine for what charon lists here (one value holds a space: "class=pre-shared key").
# awk, not python: python takes 3-5 s to start inside UML.
swanctl_lines() {
	awk '
	function esc(s, name) {
		gsub(/\\/, "\\\\x5c", s)
		if (name) {
			gsub(/\./, "\\\\x2e", s); gsub(/=/, "\\\\x3d", s)
			gsub(/\[/, "\\\\x5b", s); gsub(/\]/, "\\\\x5d", s)
		}
		return s
	}
	function items(p, s,    n, i, it) {
		n = split(s, it, " ")
		if (n == 0)
			print p "=[]"
		for (i = 1; i <= n; i++)
			print p "[" i - 1 "]=" esc(it[i], 0)
	}
	# One message: S is what follows "LABEL event {" or "COMMAND reply {".
	function message(label, s,    path, depth, stack, empty, name, v, i) {
		path = label
		depth = 0
		empty[0] = 1
		while (s != "") {
			if (substr(s, 1, 1) == " ") {
				s = substr(s, 2)
			} else if (substr(s, 1, 1) == "}") {
				if (empty[depth])
					print path "={}"
				if (depth-- == 0)
					return
				path = stack[depth + 1]
				s = substr(s, 2)
			} else if (match(s, /^[^ ={}\[\]]+ \{/)) {
				empty[depth] = 0
				stack[++depth] = path
				empty[depth] = 1
				path = path "." esc(substr(s, 1, RLENGTH - 2), 1)
				s = substr(s, RLENGTH + 1)
			} else if (match(s, /^[^ ={}\[\]]+=\[/)) {
				empty[depth] = 0
				name = esc(substr(s, 1, RLENGTH - 2), 1)
				s = substr(s, RLENGTH + 1)
				i = index(s, "]")
				items(path "." name, substr(s, 1, i - 1))
				s = substr(s, i + 1)
			} else if (match(s, /^[^ ={}\[\]]+=/)) {
				empty[depth] = 0
				name = esc(substr(s, 1, RLENGTH - 1), 1)
				s = substr(s, RLENGTH + 1)
				if (match(s, / [^ ={}\[\]]+(=| \{)|\}/)) {
					v = substr(s, 1, RSTART - 1)
					s = substr(s, RSTART)
				} else {
					v = s
					s = ""
				}
				print path "." name "=" esc(v, 0)
			} else {
				print "swanctl_lines: cannot parse: " substr(s, 1, 40) > "/dev/stderr"
				exit 1
			}
		}
	}
	match($0, /^[^ ]+ (event|reply) \{/) {
		label = $2 == "reply" ? "reply" : $1
		message(label, substr($0, RLENGTH + 1))
	}' "$@"
}

# Lines that do not change from one listing to the next (no clocks, no counters), sorted.
stable() {
	grep -Ev '\.(established|rekey-time|reauth-time|life-time|install-time|(bytes|packets|use)-(in|out))=' "$@" |
		LC_ALL=C sort
}

# compare NAME: vici-list's $W/NAME.txt against swanctl's $W/NAME.swanctl.txt.
compare() {
	swanctl_lines "$W/$1.swanctl.txt" | stable >"$W/$1.swanctl.lines"
	stable "$W/$1.txt" >"$W/$1.lines"
	diff -u "$W/$1.swanctl.lines" "$W/$1.lines"
}

# list_sas_once: swanctl, vici-list, swanctl again; 0 if ours equals both (the same),
# 2 if swanctl's changed in between (a rekey, a new SA): try again, 1 if ours differs.
list_sas_once() {
	lab_swanctl moon --list-sas --raw >"$W/list-sas.swanctl.txt"
	vl list-sas --raw "$W/list-sas.bin" >"$W/list-sas.txt" 2>"$W/list-sas.err" ||
		{ cat "$W/list-sas.err" >&2; fail "vici-list list-sas failed"; }
	ip netns exec moon ip xfrm state >"$W/list-sas.xfrm.txt"
	lab_swanctl moon --list-sas --raw >"$W/list-sas.swanctl2.txt"
	swanctl_lines "$W/list-sas.swanctl2.txt" | stable >"$W/list-sas.swanctl2.lines"
	compare list-sas >/dev/null && return 0
	cmp -s "$W/list-sas.swanctl.lines" "$W/list-sas.swanctl2.lines" || return 2
	compare list-sas >&2 || true
	return 1
}

# "0xSPI SRC DST REQID" for each SA in `ip xfrm state` output FILE, sorted.
kernel_sas() {
	awk '/^src / { src = $2; dst = $4 } $1 == "proto" { print $4, src, dst, $6 }' "$1" |
		LC_ALL=C sort
}

# The same for each CHILD_SA of vici-list's list-sas output FILE: spi-in goes from the
# IKE SA's remote-host to its local-host, spi-out the other way.
listed_sas() {
	awk -F= '
	{ split($1, p, "."); v = substr($0, length($1) + 2) }
	p[1] == "list-sa" && (p[3] == "local-host" || p[3] == "remote-host") { host[p[2], p[3]] = v }
	p[1] == "list-sa" && p[3] == "child-sas" && p[5] ~ /^(spi-in|spi-out|reqid)$/ {
		child[p[2] SUBSEP p[4]] = 1
		val[p[2], p[4], p[5]] = v
	}
	END {
		for (c in child) {
			split(c, k, SUBSEP)
			l = host[k[1], "local-host"]; r = host[k[1], "remote-host"]
			rq = val[k[1], k[2], "reqid"]
			print "0x" val[k[1], k[2], "spi-in"], r, l, rq
			print "0x" val[k[1], k[2], "spi-out"], l, r, rq
		}
	}' "$1" | LC_ALL=C sort
}

# check_rekey EVENTS BEFORE AFTER: vici-list's child-rekey lines name, for each of the two
# CHILD_SAs once, old SPIs that are BEFORE's (ip xfrm state) and new ones that are AFTER's.
check_rekey() {
	local before after
	before=$(awk '$1 == "proto" { print $4 }' "$2" | LC_ALL=C sort | tr '\n' ' ')
	after=$(awk '$1 == "proto" { print $4 }' "$3" | LC_ALL=C sort | tr '\n' ' ')
	awk -F= -v before="$before" -v after="$after" '
	function sorted(list,    n, a, i, j, t, s) {
		n = split(list, a, " ")
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
				t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
			}
		for (i = 1; i <= n; i++)
			s = s a[i] " "
		return s
	}
	$1 ~ /^child-rekey\.[^.]+\.child-sas\.[^.]+\.(old|new)\.spi-(in|out)$/ {
		split($1, p, ".")
		key = p[2] "." p[4]
		if (!(key in seen))
			children++
		seen[key]++
		spis[p[5]] = spis[p[5]] "0x" $2 " "
		printf "%s %s %s 0x%s\n", key, p[5], p[6], $2
	}
	END {
		for (k in seen)
			if (seen[k] != 4) {
				print "FAIL: " seen[k] / 4 " child-rekey events for " k
				bad = 1
			}
		if (children != 2) {
			print "FAIL: child-rekey events for " children " CHILD_SAs, not 2"
			bad = 1
		}
		if (sorted(spis["old"]) != before) {
			print "FAIL: old SPIs " spis["old"] "; ip xfrm state before: " before
			bad = 1
		}
		if (sorted(spis["new"]) != after) {
			print "FAIL: new SPIs " spis["new"] "; ip xfrm state after: " after
			bad = 1
		}
		exit bad
	}' "$1"
}

lab_net_up
lab_tunnel_up --rekey 15
step "tunnel up"

# From now on the first rekey is 13.5-15 s away (rekey_time 15 s less up to rand_time).
vl events 60 child-rekey --raw "$W/child-rekey.bin" >"$W/child-rekey.txt" 2>"$W/child-rekey.err" &
rekey_pid=$!
ip netns exec moon ip xfrm state >"$W/xfrm-before.txt"
lab_wait_for --timeout 10 grep -q '^vici-list: listening for child-rekey' "$W/child-rekey.err" ||
	{ cat "$W/child-rekey.err" >&2; fail "vici-list did not register for child-rekey"; }
step "listening for child-rekey"

rc=2
for try in 1 2 3 4 5; do
	list_sas_once && rc=0 || rc=$?
	[ "$rc" = 2 ] || break
	lab_log "list-sas changed between two swanctl calls: again ($try)"
done
[ "$rc" = 0 ] || fail "vici-list list-sas differs from swanctl --list-sas --raw (diff above)"
kernel_sas "$W/list-sas.xfrm.txt" >"$W/list-sas.xfrm.lines"
listed_sas "$W/list-sas.txt" >"$W/list-sas.listed.lines"
[ "$(grep -c . "$W/list-sas.xfrm.lines")" = 4 ] || fail "the kernel does not have 4 SAs"
diff -u "$W/list-sas.xfrm.lines" "$W/list-sas.listed.lines" >&2 ||
	fail "vici-list list-sas differs from ip xfrm state (SPI, src, dst, reqid)"
# The CHILD_SA sections are named after the child and its unique id (net4-1 or net4-2).
for k in state local-host remote-host 'child-sas\.net4-[0-9]*\.state' 'child-sas\.net4-[0-9]*\.reqid'; do
	grep -q "^list-sa\.lab4\.$k=." "$W/list-sas.txt" || fail "no list-sa.lab4.$k in list-sas"
done
grep -q '^list-sa\.lab6\.child-sas\.net6-[0-9]*\.spi-out=[0-9a-f]\{8\}$' "$W/list-sas.txt" ||
	fail "no net6 spi-out in list-sas"
step "list-sas equals swanctl and the kernel ($(grep -c . "$W/list-sas.lines") lines compared)"

for what in list-conns list-certs version; do
	if [ "$what" = version ]; then
		lab_swanctl moon --version --daemon --raw >"$W/$what.swanctl.txt"
	else
		lab_swanctl moon "--$what" --raw >"$W/$what.swanctl.txt"
	fi
	vl "$what" --raw "$W/$what.bin" >"$W/$what.txt" 2>"$W/$what.err" ||
		{ cat "$W/$what.err" >&2; fail "vici-list $what failed"; }
	compare "$what" >&2 || fail "vici-list $what differs from swanctl $what --raw"
	step "$what equals swanctl ($(grep -c . "$W/$what.lines") lines)"
done

# Both CHILD_SAs rekeyed, and the old inbound SAs gone (charon keeps them ~5 s).
two_events() { [ "$(grep -c '\.old\.spi-in=' "$W/child-rekey.txt")" -ge 2 ]; }
lab_wait_for --timeout 45 two_events ||
	{ cat "$W/child-rekey.txt" "$W/child-rekey.err" >&2; fail "no child-rekey events within 45 s"; }
kill "$rekey_pid" 2>/dev/null || true
wait "$rekey_pid" 2>/dev/null || true
step "child-rekey events received"
old_gone() {
	ip netns exec moon ip xfrm state >"$W/xfrm-after.txt"
	! grep -qFf <(awk '$1 == "proto" { print "spi " $4 " " }' "$W/xfrm-before.txt") \
		<(sed 's/$/ /' "$W/xfrm-after.txt")
}
lab_wait_for --timeout 30 old_gone || fail "the old SAs are still in the kernel 30 s after the rekey"
check_rekey "$W/child-rekey.txt" "$W/xfrm-before.txt" "$W/xfrm-after.txt" >"$W/child-rekey.check" ||
	{ cat "$W/child-rekey.check" >&2; fail "the child-rekey events do not name the kernel's old and new SPIs"; }
cat "$W/child-rekey.check"
# What the kernel had, beside the events (no keys: ip xfrm state prints them).
{
	echo "# ip xfrm state in moon before the rekey: SPI SRC DST REQID"
	kernel_sas "$W/xfrm-before.txt"
	echo "# after the rekey"
	kernel_sas "$W/xfrm-after.txt"
} >"$W/child-rekey.kernel.txt"
step "child-rekey events name the old and new SPIs of the kernel: $(grep -c ' new spi-in ' "$W/child-rekey.check") CHILD_SAs"

if [ -n "${IPX_VICI_RECORD:-}" ]; then
	for f in list-sas list-conns list-certs version child-rekey; do
		cp "$W/$f.bin" "$IPX_VICI_RECORD/vici-$f.bin"
	done
	for f in list-sas.swanctl list-conns.swanctl list-certs.swanctl version.swanctl child-rekey.kernel; do
		cp "$W/$f.txt" "$IPX_VICI_RECORD/vici-$f.txt"
	done
	step "recorded fixtures into $IPX_VICI_RECORD"
fi

# What charon does not know: exit 1, saying so.
st=0
vl no-such-command >"$W/unknown.txt" 2>"$W/unknown-cmd.err" || st=$?
if ! { [ "$st" = 1 ] && grep -q 'does not know this command' "$W/unknown-cmd.err"; }; then
	cat "$W/unknown-cmd.err" >&2
	fail "vici-list no-such-command: exit $st"
fi
st=0
vl events 5 ike-updown,no-such-event >>"$W/unknown.txt" 2>"$W/unknown-event.err" || st=$?
if ! { [ "$st" = 1 ] && grep -q 'charon does not know one of them' "$W/unknown-event.err"; }; then
	cat "$W/unknown-event.err" >&2
	fail "vici-list events no-such-event: exit $st"
fi
step "an unknown command and an unknown event: exit 1"

# charon goes away under a connected, registered client.
vl events 60 ike-updown,child-updown >"$W/kill.txt" 2>"$W/kill.err" &
kill_pid=$!
lab_wait_for --timeout 10 grep -q '^vici-list: listening' "$W/kill.err" ||
	{ cat "$W/kill.err" >&2; fail "vici-list did not register for ike-updown,child-updown"; }
lab_charon_stop moon
st=0
wait "$kill_pid" || st=$?
cat "$W/kill.err" >&2
[ "$st" = 1 ] || fail "vici-list exited $st when charon went away (want 1)"
grep -q '^vici-list: connection to charon lost' "$W/kill.err" ||
	fail "vici-list did not say that the connection was lost"
step "charon stopped: vici-list said so and exited 1 ($(grep -c . "$W/kill.txt") event lines first)"

st=0
vl version >"$W/nocharon.txt" 2>"$W/nocharon.err" || st=$?
if ! { [ "$st" = 1 ] && grep -q 'cannot connect' "$W/nocharon.err"; }; then
	cat "$W/nocharon.err" >&2
	fail "vici-list without charon: exit $st"
fi

if grep -l 'runtime error' "$W"/*.err; then
	fail "UBSan reported errors (above)"
fi
echo "vici: all checks passed in $SECONDS s"
