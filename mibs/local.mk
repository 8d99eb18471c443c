dist_mib_DATA += mibs/IPSEC-AGENTX-MIB.txt
