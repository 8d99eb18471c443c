/* Config file parsing: good lines apply, a bad line names file and line and stops. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "settings.h"

static char path[64];

static void write_config(const char *text)
{
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/ipx-settings-%d.conf", (int)getpid());
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
}

static void test_good_file(void)
{
	struct ipx_config cfg;
	char err[256] = "";

	ipx_config_defaults(&cfg);
	write_config("# comment\n\nagentx-socket /run/agentx.sock\nrefresh-interval 30\n"
	             "  agentx-ping-interval 2 \ndebug xfrm,agent\n");
	CU_ASSERT_EQUAL(ipx_config_load(&cfg, path, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(cfg.agentx_socket, "/run/agentx.sock");
	CU_ASSERT_EQUAL(cfg.refresh_interval, 30);
	CU_ASSERT_EQUAL(cfg.ping_interval, 2);
	CU_ASSERT_STRING_EQUAL(cfg.debug, "xfrm,agent");
	unlink(path);
}

static void expect_error(const char *text, const char *message)
{
	struct ipx_config cfg;
	char err[256] = "";

	ipx_config_defaults(&cfg);
	write_config(text);
	CU_ASSERT_NOT_EQUAL(ipx_config_load(&cfg, path, err, sizeof(err)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, path));
	if (!strstr(err, message))
		fprintf(stderr, "\n  got \"%s\", wanted \"%s\"\n", err, message);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, message));
	unlink(path);
}

static void test_bad_lines(void)
{
	expect_error("refresh-interval 5\nrefresh-interval 0\n", ":2: expected a whole number");
	expect_error("refresh-interval -3\n", ":1: expected a whole number");
	expect_error("refresh-interval 12abc\n", ":1: expected a whole number");
	expect_error("refresh-interval 99999999999999999999\n", ":1: expected a whole number");
	expect_error("\n\nno-such-keyword 1\n", ":3: unknown keyword");
	expect_error("debug\n", ":1: expected \"keyword value\"");
	expect_error("debug a b\n", ":1: expected \"keyword value\"");
}

static void test_vici_sockets(void)
{
	struct ipx_config cfg;
	char err[256] = "", text[4096] = "";
	int i;

	ipx_config_defaults(&cfg);
	CU_ASSERT_EQUAL(cfg.n_vici_sockets, 0);
	CU_ASSERT_FALSE(cfg.vici_off);
	CU_ASSERT_EQUAL(cfg.vici_refresh_interval, 10);
	write_config("vici-socket /run/a.vici\nvici-socket unix:///run/b.vici\n"
	             "vici-refresh-interval 0\nvici-retry-max 60\nvici-timeout 5\n");
	CU_ASSERT_EQUAL(ipx_config_load(&cfg, path, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cfg.n_vici_sockets, 2);
	CU_ASSERT_STRING_EQUAL(cfg.vici_sockets[0], "/run/a.vici");
	CU_ASSERT_STRING_EQUAL(cfg.vici_sockets[1], "/run/b.vici"); /* unix:// dropped */
	CU_ASSERT_EQUAL(cfg.vici_refresh_interval, 0);
	CU_ASSERT_EQUAL(cfg.vici_retry_max, 60);
	CU_ASSERT_EQUAL(cfg.vici_timeout, 5);
	unlink(path);

	ipx_config_defaults(&cfg);
	write_config("vici-socket /run/a.vici\nvici-socket none\n");
	CU_ASSERT_EQUAL(ipx_config_load(&cfg, path, err, sizeof(err)), 0);
	CU_ASSERT_TRUE(cfg.vici_off);
	CU_ASSERT_EQUAL(cfg.n_vici_sockets, 0);
	unlink(path);

	for (i = 0; i < 17; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "vici-socket /run/%d\n",
		         i);
	expect_error(text, ":17: too many VICI sockets");
	expect_error(
	    "vici-socket /run/"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
	    ":1: socket path empty or too long");
	expect_error("vici-socket unix://\n", ":1: socket path empty or too long");
	expect_error("vici-retry-max 0\n", ":1: expected a whole number");
	expect_error("vici-timeout x\n", ":1: expected a whole number");
}

static void test_missing_file(void)
{
	struct ipx_config cfg;
	char err[256] = "";

	ipx_config_defaults(&cfg);
	CU_ASSERT_TRUE(ipx_config_load(&cfg, "/nonexistent/ipsec-agentx.conf", err, sizeof(err)) <
	               0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/ipsec-agentx.conf"));
}

int main(void)
{
	CU_pSuite s;
	unsigned int failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("settings", NULL, NULL);
	CU_add_test(s, "good file", test_good_file);
	CU_add_test(s, "bad lines", test_bad_lines);
	CU_add_test(s, "missing file", test_missing_file);
	CU_add_test(s, "VICI sockets", test_vici_sockets);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
