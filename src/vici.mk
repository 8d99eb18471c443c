# strongSwan VICI: the wire-format codec and the non-blocking client (no Net-SNMP either).
src_libipx_a_SOURCES += \
	src/vici.c \
	src/vici_client.c
