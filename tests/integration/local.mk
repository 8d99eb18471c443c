TESTS += tests/integration/host-policy.sh tests/integration/notify-set.sh
EXTRA_DIST += tests/integration
