# The MIB checks: smilint, Net-SNMP loading, the OID contract (tests/mib/oids.txt) and
# agent/oids.h against the MIB. They need smitools, snmp and snmp-mibs-downloader; a
# missing tool fails them, it never skips them.
TESTS += tests/mib/check-mib.sh tests/mib/check-oids.sh
EXTRA_DIST += tests/mib/check-mib.sh tests/mib/check-oids.sh tests/mib/common.sh \
	tests/mib/oids.txt
