dist_mib_DATA += mibs/IPSEC-AGENTX-MIB.txt
EXTRA_DIST += mibs/README.md
