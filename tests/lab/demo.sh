#!/bin/bash
# The README's demo, run INSIDE user-mode-linux by `tools/bootstrap demo`: a strongSwan
# tunnel between namespaces moon and sun, pings through it, and what ipsec-agentx
# (in moon, behind a private snmpd) shows of it.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${IPX_TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
top_builddir=${IPX_TOP_BUILDDIR:-$top_srcdir/build}
. "$here/lab.sh"
. "$top_srcdir/tests/integration/snmplib.sh"

NS=moon
WORK=$LAB_DIR/snmp
mkdir -p "$WORK"
trap stop_all EXIT

title() { printf '\n===== %s =====\n' "$*"; }
show() { echo "\$ $*"; "$@"; }

lab_net_up
lab_tunnel_up
snmpd_start
daemon_start -r 1
wait_registered 30
lab_ping 3
sleep 2

title "strongSwan on moon"
lab_swanctl moon --list-sas
title "the kernel's SAs on moon (ip -s xfrm state, keys elided)"
in_ns ip -s xfrm state | sed -E 's/0x[0-9a-f]{16,}/<key>/'
# Net-SNMP prints InetAddress values as hex; show them the way `ip` does.
inet() {
	python3 -c '
import ipaddress, re, sys
def addr(m):
    b = bytes(int(x, 16) for x in m.group(1).split())
    return str(ipaddress.ip_address(b)) if len(b) in (4, 16) else m.group(0)
for line in sys.stdin:
    sys.stdout.write(re.sub(r"\"((?:[0-9A-F]{2} ){4}(?:(?:[0-9A-F]{2} ){12})?)\"", addr, line))'
}
walk() { snmp snmpwalk -OQsU -- "$@" | inet; }
title "ipsecSaTable: show crypto ipsec sa"
for col in ipsecSaDstAddress ipsecSaSpi ipsecSaDirection ipsecSaMode ipsecSaEncAlg \
	ipsecSaAuthAlg ipsecSaAeadAlg ipsecSaOctets ipsecSaPackets ipsecSaHardExpiresIn; do
	walk "IPSEC-AGENTX-MIB::$col"
done
title "one SA, every column (snmpwalk ... ipsecSaTable, row 1)"
walk IPSEC-AGENTX-MIB::ipsecSaTable | grep '\.1 = '
title "ipsecPolicyTable and ipsecPolicyTmplTable: show crypto map"
snmp snmptable -OU -Cb -Ci -Cw 160 -- IPSEC-AGENTX-MIB::ipsecPolicyTable | inet
snmp snmptable -OU -Cb -Ci -Cw 160 -- IPSEC-AGENTX-MIB::ipsecPolicyTmplTable | inet
title "drop counters: show crypto engine connections dropped-packet"
walk IPSEC-AGENTX-MIB::ipsecXfrmStats | grep -v ' = 0$' || echo "(all counters are 0)"
walk IPSEC-AGENTX-MIB::ipsecXfrmInfo
title "agent status"
walk IPSEC-AGENTX-MIB::ipsecAgentStatus
daemon_stop
echo
echo "demo: done"
