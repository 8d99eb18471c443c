/* Config file parsing: good lines apply, a bad line names file and line and stops. */
#include <errno.h>
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

static void test_notify_defaults(void)
{
	struct ipx_config cfg;
	struct ipx_notify_config def;

	ipx_config_defaults(&cfg);
	ipx_notify_config_defaults(&def);
	CU_ASSERT_EQUAL(memcmp(&cfg.notify, &def, sizeof(def)), 0);
	CU_ASSERT_EQUAL(cfg.notify.enabled, IPX_NOTIFY_ENABLED_ALL);
	CU_ASSERT_EQUAL(ipx_notify_config_check(&cfg.notify, NULL), 0);
	/* the defaults are in range for the config file and the MIB */
	for (unsigned int i = 0; i < IPX_NOTIFY_NFIELDS; i++)
		CU_ASSERT_TRUE(*ipx_notify_field_ptr(&cfg.notify, i) <= ipx_notify_fields[i].max);
}

static void test_notify_keywords(void)
{
	struct ipx_config cfg;
	char err[256] = "";

	ipx_config_defaults(&cfg);
	write_config("notify-enable all,-ikeSaRekeyed,-childSaRekeyed\n"
	             "notify-rekey-rate 3/120\n"
	             "notify-rekey-overdue-margin 30\n"
	             "notify-drops 50/5/30\n"
	             "notify-conn-down 600\n"
	             "notify-cert-expiry 14\n"
	             "notify-rate-limit 100/10\n");
	CU_ASSERT_EQUAL(ipx_config_load(&cfg, path, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cfg.notify.enabled, IPX_NOTIFY_ENABLED_ALL &
	                                        ~(1u << IPX_NOTIFY_IKE_REKEYED) &
	                                        ~(1u << IPX_NOTIFY_CHILD_REKEYED));
	CU_ASSERT_EQUAL(cfg.notify.rekey_rate_max, 3);
	CU_ASSERT_EQUAL(cfg.notify.rekey_rate_window, 120);
	CU_ASSERT_EQUAL(cfg.notify.rekey_overdue_margin, 30);
	CU_ASSERT_EQUAL(cfg.notify.drop_high, 50);
	CU_ASSERT_EQUAL(cfg.notify.drop_low, 5);
	CU_ASSERT_EQUAL(cfg.notify.drop_window, 30);
	CU_ASSERT_EQUAL(cfg.notify.conn_down_after, 600);
	CU_ASSERT_EQUAL(cfg.notify.cert_expiry_days, 14);
	CU_ASSERT_EQUAL(cfg.notify.rate_limit, 100);
	CU_ASSERT_EQUAL(cfg.notify.rate_window, 10);
	unlink(path);

	/* the last notify-enable wins; 0 turns a check off */
	write_config("notify-enable all\nnotify-enable ikeSaDown,childSaDown,certExpiring\n"
	             "notify-rekey-rate 0/0\nnotify-drops 0/0/0\nnotify-rate-limit 0/0\n");
	CU_ASSERT_EQUAL(ipx_config_load(&cfg, path, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cfg.notify.enabled, (1u << IPX_NOTIFY_IKE_DOWN) |
	                                        (1u << IPX_NOTIFY_CHILD_DOWN) |
	                                        (1u << IPX_NOTIFY_CERT_EXPIRING));
	CU_ASSERT_EQUAL(cfg.notify.rekey_rate_max, 0);
	CU_ASSERT_EQUAL(cfg.notify.drop_high, 0);
	unlink(path);
	write_config("notify-enable none\n");
	CU_ASSERT_EQUAL(ipx_config_load(&cfg, path, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cfg.notify.enabled, 0);
	unlink(path);
}

static void test_notify_bad_lines(void)
{
	expect_error("\nnotify-enable ikeSaUp,bogus\n", ":2: expected all, none, or notification");
	expect_error("notify-enable ikeSaUp,\n", ":1: expected all, none");
	expect_error("notify-enable ,ikeSaUp\n", ":1: expected all, none");
	expect_error("notify-enable IKESAUP\n", ":1: expected all, none");
	expect_error("notify-enable -none\n", ":1: expected all, none");
	expect_error("notify-rekey-rate 5\n", ":1: expected REKEYS/SECONDS");
	expect_error("notify-rekey-rate 5/\n", ":1: expected REKEYS/SECONDS");
	expect_error("notify-rekey-rate 5/60/1\n", ":1: expected REKEYS/SECONDS");
	expect_error("notify-rekey-rate 4097/60\n", ":1: expected REKEYS/SECONDS (rekeys 0..4096");
	expect_error("notify-rekey-rate +5/60\n", ":1: expected REKEYS/SECONDS");
	expect_error("notify-rekey-overdue-margin 86401\n", ":1: expected seconds from 0 to 86400");
	expect_error("notify-drops 10/20\n", ":1: expected HIGH/LOW/SECONDS");
	expect_error("notify-drops -1/0/1\n", ":1: expected HIGH/LOW/SECONDS");
	expect_error("notify-drops 1000000001/0/1\n", ":1: expected HIGH/LOW/SECONDS");
	expect_error("notify-conn-down 604801\n", ":1: expected seconds from 0 to 604800");
	expect_error("notify-cert-expiry 3651\n", ":1: expected days from 0 to 3650");
	expect_error("notify-cert-expiry 1e3\n", ":1: expected days from 0 to 3650");
	expect_error("notify-rate-limit 10/99999999999\n", ":1: expected NOTIFICATIONS/SECONDS");
	expect_error("notify-nothing 1\n", ":1: unknown keyword");
	/* each line is fine, the whole is not: the error names the file, not a line */
	expect_error("notify-drops 100/10/60\nnotify-drops 10/10/60\n",
	             ": inconsistent notify-* settings: drop_low must be below drop_high");
	expect_error("notify-rate-limit 5/0\n", ": inconsistent notify-* settings: rate_limit");
	expect_error("notify-rekey-rate 5/0\n", ": inconsistent notify-* settings: rekey_rate_max");
}

static void test_notify_enables_round_trip(void)
{
	uint32_t masks[] = {0, IPX_NOTIFY_ENABLED_ALL, 1u << 1, 1u << 12, 0x0aaa, 0x1554};
	char buf[256];
	const char *why;

	for (size_t i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
		uint32_t back = 0xdead;
		ipx_notify_format_enables(masks[i], buf, sizeof(buf));
		CU_ASSERT_EQUAL(ipx_notify_parse_enables(buf, &back, &why), 0);
		CU_ASSERT_EQUAL(back, masks[i]);
	}
	ipx_notify_format_enables(0, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "none");
	ipx_notify_format_enables((1u << 1) | (1u << 12), buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "ikeSaUp,certExpiring");
	ipx_notify_format_enables(IPX_NOTIFY_ENABLED_ALL, buf, 10); /* cut, still terminated */
	CU_ASSERT_EQUAL(strlen(buf), 9);
	CU_ASSERT_STRING_EQUAL(ipx_notify_type_name(IPX_NOTIFY_DROPS_NORMAL), "dropsNormal");
	CU_ASSERT_PTR_NULL(ipx_notify_type_name(0));
	CU_ASSERT_PTR_NULL(ipx_notify_type_name(IPX_NOTIFY_MAX + 1));
}

/* The persisted "Name=value" pairs of values set over SNMP. */
static void test_notify_pairs(void)
{
	struct ipx_notify_config c, d;
	uint32_t mask = 0;
	char buf[512];
	const char *why = NULL;
	size_t n;

	ipx_notify_config_defaults(&c);
	c.enabled = (1u << IPX_NOTIFY_IKE_DOWN) | (1u << IPX_NOTIFY_CONN_DOWN);
	c.drop_low = 7;
	c.rate_window = 120;
	/* only the columns in the mask: ipsecNotifyEnables (1), DropLow (7), RateWindow (11) */
	n = ipx_notify_format_pairs(&c, (1u << 1) | (1u << 7) | (1u << 11), buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "Enables=ikeSaDown,connDown DropLow=7 RateWindow=120");
	CU_ASSERT_EQUAL(n, strlen(buf));
	CU_ASSERT_EQUAL(ipx_notify_format_pairs(&c, 0, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "");
	/* every field, and back */
	n = ipx_notify_format_pairs(&c, 0xffe, buf, sizeof(buf));
	CU_ASSERT_EQUAL(n, strlen(buf));
	ipx_notify_config_defaults(&d);
	CU_ASSERT_EQUAL(ipx_notify_parse_pairs(buf, &d, &mask, &why), 0);
	CU_ASSERT_EQUAL(mask, 0xffe);
	CU_ASSERT_EQUAL(memcmp(&c, &d, sizeof(c)), 0);
	/* too small a buffer: the length it needed, and a terminated prefix */
	CU_ASSERT_EQUAL(ipx_notify_format_pairs(&c, 0xffe, buf, 8), n);
	CU_ASSERT_EQUAL(strlen(buf), 7);

	mask = 0;
	CU_ASSERT_EQUAL(
	    ipx_notify_parse_pairs("  DropHigh=500   CertExpiryDays=0 ", &d, &mask, &why), 0);
	CU_ASSERT_EQUAL(d.drop_high, 500);
	CU_ASSERT_EQUAL(d.cert_expiry_days, 0);
	CU_ASSERT_EQUAL(mask, (1u << 5) | (1u << 9));
	CU_ASSERT_EQUAL(ipx_notify_parse_pairs("Bogus=1", &d, &mask, &why), -EINVAL);
	CU_ASSERT_STRING_EQUAL(why, "unknown name");
	CU_ASSERT_EQUAL(ipx_notify_parse_pairs("DropHigh", &d, &mask, &why), -EINVAL);
	CU_ASSERT_EQUAL(ipx_notify_parse_pairs("DropHigh=", &d, &mask, &why), -EINVAL);
	CU_ASSERT_EQUAL(ipx_notify_parse_pairs("RateLimit=4097", &d, &mask, &why), -EINVAL);
	CU_ASSERT_STRING_EQUAL(why, "value out of range");
	CU_ASSERT_EQUAL(ipx_notify_parse_pairs("Enables=ikeSaUp,nope", &d, &mask, &why), -EINVAL);
}

/* Direct mode: direct-listen (repeated, or several specs separated by commas) and
 * direct-config; ipx_config_finish() checks them together. */
static void test_direct_keywords(void)
{
	struct ipx_config cfg;
	char err[256] = "", cwd[512], want[1100];
	const char *why = NULL;

	ipx_config_defaults(&cfg);
	CU_ASSERT_STRING_EQUAL(cfg.direct_listen, "");
	CU_ASSERT_STRING_EQUAL(cfg.direct_config, "");
	CU_ASSERT_EQUAL(ipx_config_finish(&cfg, err, sizeof(err)), 0); /* AgentX mode */

	write_config("direct-listen udp:127.0.0.1:1161\n"
	             "direct-listen tcp:127.0.0.1:1161,udp6:[::1]:1161\n"
	             "direct-config /etc/ipsec-agentx/direct.conf\n");
	CU_ASSERT_EQUAL(ipx_config_load(&cfg, path, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(cfg.direct_listen,
	                       "udp:127.0.0.1:1161,tcp:127.0.0.1:1161,udp6:[::1]:1161");
	CU_ASSERT_STRING_EQUAL(cfg.direct_config, "/etc/ipsec-agentx/direct.conf");
	unlink(path);

	/* the API the command line uses */
	ipx_config_defaults(&cfg);
	CU_ASSERT_EQUAL(ipx_config_add_direct_listen(&cfg, "1161", &why), 0);
	CU_ASSERT_EQUAL(ipx_config_add_direct_listen(&cfg, "unix:/run/snmp.sock", &why), 0);
	CU_ASSERT_STRING_EQUAL(cfg.direct_listen, "1161,unix:/run/snmp.sock");
	CU_ASSERT_EQUAL(ipx_config_add_direct_listen(&cfg, "", &why), -EINVAL);
	CU_ASSERT_EQUAL(ipx_config_add_direct_listen(&cfg, "a b", &why), -EINVAL);
	CU_ASSERT_EQUAL(ipx_config_add_direct_listen(&cfg, "udp:\"x\"", &why), -EINVAL);
	CU_ASSERT_EQUAL(ipx_config_add_direct_listen(&cfg, "NONE", &why), -EINVAL);
	CU_ASSERT_STRING_EQUAL(cfg.direct_listen, "1161,unix:/run/snmp.sock"); /* unchanged */
	CU_ASSERT_EQUAL(ipx_config_set_direct_config(&cfg, "-x", &why), -EINVAL);
	CU_ASSERT_EQUAL(ipx_config_set_direct_config(&cfg, "", &why), -EINVAL);

	/* finish: a relative direct-config becomes absolute; it must be a readable file */
	write_config("rocommunity public 127.0.0.1\n");
	CU_ASSERT_EQUAL(ipx_config_set_direct_config(&cfg, path, &why), 0);
	CU_ASSERT_EQUAL(ipx_config_finish(&cfg, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(cfg.direct_config, path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(getcwd(cwd, sizeof(cwd)));
	CU_ASSERT_EQUAL(chdir("/tmp"), 0);
	CU_ASSERT_EQUAL(ipx_config_set_direct_config(&cfg, path + strlen("/tmp/"), &why), 0);
	CU_ASSERT_EQUAL(ipx_config_finish(&cfg, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(cfg.direct_config, path);
	CU_ASSERT_EQUAL(chdir(cwd), 0);
	unlink(path);
	CU_ASSERT_EQUAL(ipx_config_finish(&cfg, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "direct-config %s: No such file or directory", path);
	CU_ASSERT_STRING_EQUAL(err, want);
	CU_ASSERT_EQUAL(ipx_config_set_direct_config(&cfg, "/tmp", &why), 0);
	CU_ASSERT_EQUAL(ipx_config_finish(&cfg, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a regular file"));
	/* direct-config alone does not turn direct mode on */
	ipx_config_defaults(&cfg);
	CU_ASSERT_EQUAL(ipx_config_set_direct_config(&cfg, "/etc/hosts", &why), 0);
	CU_ASSERT_EQUAL(ipx_config_finish(&cfg, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "needs direct-listen"));
}

static void test_direct_bad_lines(void)
{
	char text[8192] = "";
	int i;

	expect_error("\ndirect-listen udp:127.0.0.1:1161,,udp:127.0.0.1:1162\n",
	             ":2: expected Net-SNMP transport addresses separated by commas");
	expect_error("direct-listen ,udp:127.0.0.1:1161\n", ":1: expected Net-SNMP transport");
	expect_error("direct-listen udp:127.0.0.1:1161,\n", ":1: expected Net-SNMP transport");
	expect_error("direct-listen udp:127.0.0.1:1161 udp:127.0.0.1:1162\n",
	             ":1: expected \"keyword value\"");
	expect_error("direct-listen none\n", ":1: \"none\" is not an address to listen on");
	expect_error("direct-listen udp:127.0.0.1:1,None:\n", ":1: \"none\" is not an address");
	/* 1023 bytes in all: 39 specs of 25 bytes and their commas fit, a 40th does not */
	for (i = 0; i < 40; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
		         "direct-listen udp:127.0.0.1:%05d,tcp:1\n", 10000 + i);
	expect_error(text, ":40: too many listening addresses");
	expect_error("direct-config /etc/a,/etc/b\n",
	             ":1: Net-SNMP cannot read a path with a comma");
	expect_error("direct-config -/etc/a\n", ":1: Net-SNMP cannot read a path with a comma");
	expect_error("direct-config\n", ":1: expected \"keyword value\"");
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
	CU_add_test(s, "notify defaults", test_notify_defaults);
	CU_add_test(s, "notify keywords", test_notify_keywords);
	CU_add_test(s, "notify bad lines", test_notify_bad_lines);
	CU_add_test(s, "notify enables round trip", test_notify_enables_round_trip);
	CU_add_test(s, "notify persisted pairs", test_notify_pairs);
	CU_add_test(s, "direct mode keywords", test_direct_keywords);
	CU_add_test(s, "direct mode bad lines", test_direct_bad_lines);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
