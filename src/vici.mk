# strongSwan over VICI: the wire-format codec, the non-blocking client, and the IKE data
# built on them (no Net-SNMP either).
src_libipx_a_SOURCES += \
	src/vici.c \
	src/vici_client.c \
	src/ike_parse.c \
	src/ike_store.c \
	src/ike_source.c \
	src/notify.c
