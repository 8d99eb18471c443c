#!/bin/bash
# Checks mibs/IPSEC-AGENTX-MIB.txt:
#  1. smilint -l 6 reports nothing of severity 0-3 (errors); warnings (4-6) are shown
#     and must each be justified by a comment next to the object in the MIB;
#  2. Net-SNMP loads the module without complaint and prints its tree;
#  3. every node under the root has exactly the name and OID of the contract in
#     tests/mib/oids.txt, and nothing else is there.
# Missing tools fail the check: it is never skipped.
#
# Run from the source tree, or with $srcdir (or $top_srcdir) naming it, as `make check`
# does. Exit status 0 = pass.

set -u
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

mib_require smilint "smitools (Debian: apt-get install smitools)"
mib_require snmptranslate "Net-SNMP's tools (Debian: apt-get install snmp)"
[ -f "$CONTRACT" ] || mibfail "$CONTRACT not found"
found=
IFS=: read -r -a sysdirs <<<"$MIB_SYSPATH"
for d in "${sysdirs[@]}"; do
	[ -f "$d/INET-ADDRESS-MIB" ] || [ -f "$d/INET-ADDRESS-MIB.txt" ] && found=1
done
[ -n "$found" ] || mibfail "INET-ADDRESS-MIB not found in $MIB_SYSPATH:" \
	"install snmp-mibs-downloader (Debian, non-free) or set MIB_SYSPATH"

# ---- 1. smilint ---------------------------------------------------------------------------
echo "== smilint -l 6 -s $MIBFILE"
SMIPATH=$MIB_SYSPATH smilint -l 6 -s "$MIBFILE" >"$MIBTMP/smilint" 2>&1
rc=$?
cat "$MIBTMP/smilint"
[ $rc -eq 0 ] || mibfail "smilint exited with status $rc"
# Every line smilint prints has the form "FILE:LINE: [SEVERITY] message". Anything else
# (e.g. "cannot locate module") counts as an error too.
if grep -Eq ': \[[0-3]\] ' "$MIBTMP/smilint" || grep -Evq ': \[[0-9]\] ' "$MIBTMP/smilint"; then
	mibfail "smilint reported errors (severity 0-3 or unexpected output, above)"
fi
warnings=$(grep -c . "$MIBTMP/smilint")
echo "smilint: no errors, $warnings warning(s)"

# ---- 2. Net-SNMP loads it -----------------------------------------------------------------
echo "== snmptranslate -Tp IPSEC-AGENTX-MIB::ipsecAgentxMIB"
mib_translate -Tp IPSEC-AGENTX-MIB::ipsecAgentxMIB >"$MIBTMP/tree" ||
	{ cat "$MIBTMP/stderr" >&2; mibfail "snmptranslate -Tp failed"; }
mib_translate_clean -Tp
head -n 1 "$MIBTMP/tree" | grep -q '^+--ipsecAgentxMIB(' ||
	{ cat "$MIBTMP/tree"; mibfail "snmptranslate -Tp did not print the ipsecAgentxMIB tree"; }
echo "tree: $(wc -l <"$MIBTMP/tree") lines"

# A handful of OIDs, one per branch, the way a user would look them up.
while read -r name want; do
	got=$(mib_oid "$name") || exit 1
	[ "$got" = "$want" ] || mibfail "$name is $got, expected $want"
	echo "ok $name = $got"
done <<EOF
ipsecAgentxMIB $MIB_ROOT
ipsecAgentXfrmEvents $MIB_ROOT.1.1.7
ipsecSaOctets $MIB_ROOT.1.2.1.45
ipsecSaSoftExpired $MIB_ROOT.1.2.1.54
ipsecPolicyUseTime $MIB_ROOT.1.3.1.22
ipsecPolicyTmplSpi $MIB_ROOT.1.4.1.10
ipsecXfrmInNoStates $MIB_ROOT.1.5.4
ipsecXfrmOutNoQueueSpace $MIB_ROOT.1.5.32
ipsecXfrmStatValue $MIB_ROOT.1.5.40.1.3
ipsecSpdHashMax $MIB_ROOT.1.6.11
ipsecXfrmInfoGroup $MIB_ROOT.2.2.5
EOF

# And back: a numeric OID names the right object.
got=$(mib_translate -OS .1.3.6.1.4.1.8072.9999.9999.4500.1.2.1.45.7) ||
	{ cat "$MIBTMP/stderr" >&2; mibfail "snmptranslate -OS failed"; }
mib_translate_clean -OS
[ "$got" = "IPSEC-AGENTX-MIB::ipsecSaOctets.7" ] ||
	mibfail "$MIB_ROOT.1.2.1.45.7 translates to '$got', expected IPSEC-AGENTX-MIB::ipsecSaOctets.7"
echo "ok $MIB_ROOT.1.2.1.45.7 = $got"

# ---- 3. the whole tree against the contract -----------------------------------------------
echo "== every node against $CONTRACT"
mib_translate -Tz >"$MIBTMP/all" || { cat "$MIBTMP/stderr" >&2; mibfail "snmptranslate -Tz failed"; }
mib_translate_clean -Tz
root=${MIB_ROOT#.}
# -Tz lines: "name"<tabs>"1.3.6...". Keep our subtree, as "relative-OID name".
tr -d '"' <"$MIBTMP/all" | awk -v root="$root" '
	$2 == root { print ". " $1; next }
	index($2, root ".") == 1 { print substr($2, length(root) + 2) " " $1 }' |
	sort >"$MIBTMP/actual"
grep -v '^#' "$CONTRACT" | grep . | sort >"$MIBTMP/expected"
if ! diff -u "$MIBTMP/expected" "$MIBTMP/actual" >"$MIBTMP/diff"; then
	cat "$MIBTMP/diff"
	mibfail "the MIB's nodes differ from tests/mib/oids.txt (- expected, + in the MIB)"
fi
echo "ok $(wc -l <"$MIBTMP/actual") nodes match the contract"

echo "PASS: IPSEC-AGENTX-MIB"
