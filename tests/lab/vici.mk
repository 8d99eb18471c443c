# The VICI client against a real charon, inside user-mode-linux (tests/lab/vici.sh).
# ASan cannot run in UML, so the lab gets vici-list built under UBSan alone, from sources.
check_PROGRAMS += tests/lab/vici-list-ubsan
tests_lab_vici_list_ubsan_SOURCES = tests/tools/vici-list.c src/vici.c src/vici_client.c src/log.c
tests_lab_vici_list_ubsan_CFLAGS = -std=c11 $(WARN_CFLAGS) -g \
	-fsanitize=undefined -fno-sanitize-recover=all
tests_lab_vici_list_ubsan_LDFLAGS = -fsanitize=undefined

TESTS += tests/lab/run-vici.sh
