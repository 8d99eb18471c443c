TESTS += tests/integration/host-policy.sh tests/integration/notify-set.sh tests/integration/direct.sh
EXTRA_DIST += tests/integration
