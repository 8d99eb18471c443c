TESTS += tests/integration/host-policy.sh
EXTRA_DIST += tests/integration
