#!/bin/bash
# Checks that the OID prefixes in agent/oids.h are those of mibs/IPSEC-AGENTX-MIB.txt,
# as Net-SNMP's snmptranslate reads them. Every IPX_OID_* macro (except *_LEN) must be
# listed below with the MIB node it stands for, so a new macro fails until it is mapped.
# Missing tools fail the check: it is never skipped.
#
# Run from the source tree, or with $srcdir (or $top_srcdir) naming it, as `make check`
# does. Exit status 0 = pass.

set -u
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

mib_require snmptranslate "Net-SNMP's tools (Debian: apt-get install snmp)"
header=$TOP/agent/oids.h
[ -f "$header" ] || mibfail "$header not found"

declare -A node=(
	[IPX_OID_ROOT]=ipsecAgentxMIB
	[IPX_OID_OBJECTS]=ipsecAgentxObjects
	[IPX_OID_AGENT_STATUS]=ipsecAgentStatus
	[IPX_OID_SA_ENTRY]=ipsecSaEntry
	[IPX_OID_POLICY_ENTRY]=ipsecPolicyEntry
	[IPX_OID_TMPL_ENTRY]=ipsecPolicyTmplEntry
	[IPX_OID_XFRM_STATS]=ipsecXfrmStats
	[IPX_OID_XFRM_STAT_ENTRY]=ipsecXfrmStatEntry
	[IPX_OID_XFRM_INFO]=ipsecXfrmInfo
	[IPX_OID_IKE_SOURCE_ENTRY]=ipsecIkeSourceEntry
	[IPX_OID_IKE_SA_ENTRY]=ikeSaEntry
	[IPX_OID_CHILD_SA_ENTRY]=ikeChildSaEntry
	[IPX_OID_CONN_ENTRY]=ipsecConnEntry
	[IPX_OID_CERT_ENTRY]=ipsecCertEntry
	[IPX_OID_IKE_COUNTER_ENTRY]=ipsecIkeCounterEntry
	[IPX_OID_NOTIFICATIONS]=ipsecAgentxNotifications
	[IPX_OID_NOTIFY_OBJECTS]=ipsecNotifyObjects
	[IPX_OID_NOTIFY_CONFIG]=ipsecNotifyConfig
	[IPX_OID_NOTIFY_STAT_ENTRY]=ipsecNotifyStatEntry
)

# The macros, one "NAME value" a line, value with its commas and spaces removed to
# a dotted list of numbers and macro names.
declare -A def=()
while read -r name value; do
	def[$name]=$value
done < <(sed 's,/\*.*\*/,,; s,//.*,,' "$header" | awk '
	$1 == "#define" && $2 ~ /^IPX_OID_/ {
		name = $2; $1 = ""; $2 = ""; v = $0
		gsub(/[ \t]/, "", v); gsub(/,/, ".", v)
		print name, v
	}')

[ ${#def[@]} -gt 0 ] || mibfail "no IPX_OID_* macro found in $header"

# Expands macro references until only numbers are left.
expand() {
	local v=$1 out= part i
	for i in 1 2 3 4 5 6 7 8; do
		out=
		for part in ${v//./ }; do
			if [[ $part =~ ^[0-9]+$ ]]; then
				out+=".$part"
			elif [ -n "${def[$part]:-}" ]; then
				out+=".${def[$part]}"
			else
				mibfail "$header: unknown name '$part'"
			fi
		done
		v=${out#.}
		[[ $v =~ ^[0-9.]+$ ]] && break
	done
	[[ $v =~ ^[0-9.]+$ ]] || mibfail "$header: could not expand '$1'"
	printf '.%s\n' "$v"
}

status=0
for name in $(printf '%s\n' "${!def[@]}" | sort); do
	case $name in
	*_LEN) continue ;;
	esac
	mibnode=${node[$name]:-}
	if [ -z "$mibnode" ]; then
		echo "FAIL: $name is not mapped to a MIB node in tests/mib/check-oids.sh" >&2
		status=1
		continue
	fi
	have=$(expand "${def[$name]}") || exit 1
	want=$(mib_oid "$mibnode") || exit 1
	if [ "$have" = "$want" ]; then
		echo "ok $name = $mibnode = $want"
	else
		echo "FAIL: $name is $have in agent/oids.h, but $mibnode is $want in the MIB" >&2
		status=1
	fi
done

# IPX_OID_ROOT_LEN must be the number of arcs of the root.
if [ -n "${def[IPX_OID_ROOT_LEN]:-}" ]; then
	root=$(expand "${def[IPX_OID_ROOT]}") || exit 1
	arcs=$(tr -cd . <<<"$root" | wc -c)
	if [ "${def[IPX_OID_ROOT_LEN]}" = "$arcs" ]; then
		echo "ok IPX_OID_ROOT_LEN = $arcs"
	else
		echo "FAIL: IPX_OID_ROOT_LEN is ${def[IPX_OID_ROOT_LEN]}, the root has $arcs arcs" >&2
		status=1
	fi
fi

[ $status -eq 0 ] && echo "PASS: agent/oids.h matches IPSEC-AGENTX-MIB"
exit $status
