# vici-list: our VICI client from the command line; prints charon's answers as
# path.to.key=value lines and records raw packets for fixtures (--raw).
noinst_PROGRAMS += tests/tools/vici-list
tests_tools_vici_list_SOURCES = tests/tools/vici-list.c
tests_tools_vici_list_LDADD = $(IPX_LIBS)
