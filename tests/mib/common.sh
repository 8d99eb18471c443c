# Sourced by the tests/mib/check-*.sh scripts (bash). Finds the source tree, makes a
# scratch directory, and wraps snmptranslate so that no system or user Net-SNMP
# configuration can change the result.
#
# The source tree is, in this order: $srcdir (set by automake's test harness, relative to
# the current directory), $top_srcdir, the current directory if it holds the MIB, or the
# directory two levels above this script.

mibfail() {
	echo "FAIL: $*" >&2
	exit 1
}

mib_find_top() {
	local top
	if [ -n "${srcdir:-}" ]; then
		top=$srcdir
	elif [ -n "${top_srcdir:-}" ]; then
		top=$top_srcdir
	elif [ -f mibs/IPSEC-AGENTX-MIB.txt ]; then
		top=.
	else
		top=$(dirname "${BASH_SOURCE[0]}")/../..
	fi
	top=$(cd "$top" 2>/dev/null && pwd) || mibfail "source directory '$top' not found"
	[ -f "$top/mibs/IPSEC-AGENTX-MIB.txt" ] ||
		mibfail "$top/mibs/IPSEC-AGENTX-MIB.txt not found (set srcdir to the source tree)"
	printf '%s\n' "$top"
}

TOP=$(mib_find_top) || exit 1
MIBDIR=$TOP/mibs
MIBFILE=$MIBDIR/IPSEC-AGENTX-MIB.txt
CONTRACT=$TOP/tests/mib/oids.txt

# Where the imported modules live. Debian: SNMPv2-* and NET-SNMP-MIB in /usr/share/snmp/mibs
# (package snmp / libsnmp-base), the IETF and IANA modules in .../ietf and .../iana
# (package snmp-mibs-downloader, non-free).
MIB_SYSPATH=${MIB_SYSPATH:-/usr/share/snmp/mibs/ietf:/usr/share/snmp/mibs/iana:/usr/share/snmp/mibs}

# The root as the module defines it today. When the project gets an IANA enterprise
# number, change it here, in the MODULE-IDENTITY and in agent/oids.h.
MIB_ROOT=.1.3.6.1.4.1.8072.9999.9999.4500

MIBTMP=$(mktemp -d "${TMPDIR:-/tmp}/ipx-mib.XXXXXX") || mibfail "mktemp failed"
trap 'rm -rf "$MIBTMP"' EXIT

mib_require() {
	command -v "$1" >/dev/null 2>&1 || mibfail "$1 not found: install $2"
}

# snmptranslate with our module loaded the way the README tells users to, isolated from
# /etc/snmp/snmp.conf, ~/.snmp and the MIBS/MIBDIRS variables. Output on stdout; stderr,
# minus Net-SNMP's harmless "Created directory" notice, in $MIBTMP/stderr.
mib_translate() {
	local rc
	env -u MIBS -u MIBDIRS SNMPCONFPATH="$MIBTMP" SNMP_PERSISTENT_DIR="$MIBTMP" \
		snmptranslate -M "+$MIBDIR" -m +IPSEC-AGENTX-MIB "$@" 2>"$MIBTMP/stderr.raw"
	rc=$?
	grep -v '^Created directory: ' "$MIBTMP/stderr.raw" >"$MIBTMP/stderr"
	return $rc
}

# Fails unless the last mib_translate ran cleanly.
mib_translate_clean() {
	if [ -s "$MIBTMP/stderr" ]; then
		cat "$MIBTMP/stderr" >&2
		mibfail "snmptranslate $* printed errors (above)"
	fi
}

# Prints the numeric OID of a name of IPSEC-AGENTX-MIB, or fails.
mib_oid() {
	local out
	out=$(mib_translate -On "IPSEC-AGENTX-MIB::$1") || {
		cat "$MIBTMP/stderr" >&2
		mibfail "snmptranslate does not know IPSEC-AGENTX-MIB::$1"
	}
	mib_translate_clean "-On IPSEC-AGENTX-MIB::$1"
	printf '%s\n' "$out"
}
