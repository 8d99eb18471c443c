/*
 * X.509 certificate summaries for ipsecCertTable; see include/ipsec_agentx/cert.h.
 *
 * OpenSSL parses the certificate; the texts are ours, because no X509_NAME_print_ex() flag
 * set gives what swanctl prints: strongSwan names attributes its own way (E, T, G, I, N, D,
 * STREET, hex OIDs for the rest), prints each value's bytes unconverted with '?' for
 * anything outside printable ASCII (so a BMPString shows a '?' before each letter),
 * separates the AVAs of a multi-valued RDN with ", " like RDNs, escapes nothing, and cuts
 * at 511 characters in its own way. Every rule below was taken from what swanctl 5.9.8
 * printed for the certificates of tests/unit/fixtures/ (and for probes with every X.520,
 * PKCS#9 and pilot attribute type), not from strongSwan's code.
 *
 * A DN is printed from the Name's DER as the certificate holds it (X509_NAME_get0_der()),
 * walked with a small bounds-checked TLV reader: attribute by attribute, in encoded order,
 * with the value's content bytes whatever its string type.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ipsec_agentx/cert.h"

#define DER_SEQUENCE 0x30
#define DER_SET      0x31
#define DER_OID      0x06

/* What strongSwan puts where an attribute does not fit in its 512-byte buffer. */
static const char dn_cut_mark[] = "(invalid ID_DER_ASN1_DN)";

/* ---- bounded text ----------------------------------------------------------------------- */

struct text {
	char *buf;
	size_t size; /* of buf, > 0 */
	size_t len;  /* characters so far; buf[len] is '\0' */
};

static void text_init(struct text *t, char *buf, size_t size)
{
	t->buf = buf;
	t->size = size;
	t->len = 0;
	buf[0] = '\0';
}

/* Appends N bytes, each one outside printable ASCII as '?'; the caller checked the room. */
static void put_bytes(struct text *t, const unsigned char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		t->buf[t->len++] = s[i] >= 0x20 && s[i] <= 0x7e ? (char)s[i] : '?';
	t->buf[t->len] = '\0';
}

/* Appends all N bytes if they fit with the terminating NUL; else nothing, and -1. */
static int put_whole(struct text *t, const void *s, size_t n)
{
	if (n >= t->size - t->len)
		return -1;
	put_bytes(t, s, n);
	return 0;
}

/* Appends as much of the N bytes as fits. */
static void put_cut(struct text *t, const void *s, size_t n)
{
	size_t room = t->size - t->len - 1;

	put_bytes(t, s, n < room ? n : room);
}

/* ---- DER ---------------------------------------------------------------------------------- */

struct der {
	const unsigned char *p, *end;
};

/*
 * Takes the next element of D: its tag byte and its content. Only what a Name holds:
 * one-byte tags, definite lengths of up to 4 bytes. -1 if D does not start with a
 * whole element.
 */
static int der_next(struct der *d, unsigned int *tag, struct der *content)
{
	size_t avail = (size_t)(d->end - d->p), len, n, i, hdr = 2;
	const unsigned char *p = d->p;

	if (avail < 2 || (p[0] & 0x1f) == 0x1f)
		return -1;
	*tag = p[0];
	len = p[1];
	if (len & 0x80) {
		n = len & 0x7f;
		if (n == 0 || n > 4 || avail - 2 < n)
			return -1;
		for (len = 0, i = 0; i < n; i++)
			len = len << 8 | p[2 + i];
		hdr += n;
	}
	if (avail - hdr < len)
		return -1;
	content->p = p + hdr;
	content->end = content->p + len;
	d->p = content->end;
	return 0;
}

/* ---- distinguished names ------------------------------------------------------------------ */

struct attr_name {
	uint8_t arc; /* the type's last arc, under one of the prefixes below */
	const char *name;
};

/* The attribute types swanctl names, by prefix; it shows every other OID in hex. */
static const struct attr_name x520_names[] = {
    /* 2.5.4.x */
    {3, "CN"},
    {4, "SN"},
    {5, "serialNumber"},
    {6, "C"},
    {7, "L"},
    {8, "ST"},
    {9, "STREET"},
    {10, "O"},
    {11, "OU"},
    {12, "T"},
    {13, "D"},
    {16, "postalAddress"},
    {17, "postalCode"},
    {36, "userCertificate"},
    {41, "N"},
    {42, "G"},
    {43, "I"},
    {45, "ID"},
    {46, "dnQualifier"},
    {54, "dmdName"},
    {65, "pseudonym"},
    {72, "role"},
};
static const struct attr_name pkcs9_names[] = {
    /* 1.2.840.113549.1.9.x */
    {1, "E"},
    {2, "unstructuredName"},
    {3, "contentType"},
    {4, "messageDigest"},
    {5, "signingTime"},
    {6, "counterSignature"},
    {7, "challengePassword"},
    {8, "unstructuredAddress"},
    {14, "extensionRequest"},
    {15, "S/MIME Capabilities"},
    {22, "certTypes"},
};
static const struct attr_name pilot_names[] = {
    /* 0.9.2342.19200300.100.1.x */
    {1, "UID"},
    {25, "DC"},
};

static const struct attr_prefix {
	const unsigned char *der; /* the OID's content bytes but the last */
	size_t len;
	const struct attr_name *names;
	size_t count;
} attr_prefixes[] = {
    {(const unsigned char *)"\x55\x04", 2, x520_names, sizeof(x520_names) / sizeof(x520_names[0])},
    {(const unsigned char *)"\x2a\x86\x48\x86\xf7\x0d\x01\x09", 8, pkcs9_names,
     sizeof(pkcs9_names) / sizeof(pkcs9_names[0])},
    {(const unsigned char *)"\x09\x92\x26\x89\x93\xf2\x2c\x64\x01", 9, pilot_names,
     sizeof(pilot_names) / sizeof(pilot_names[0])},
};

static const char *attr_name(const struct der *oid)
{
	size_t len = (size_t)(oid->end - oid->p), i, j;

	for (i = 0; i < sizeof(attr_prefixes) / sizeof(attr_prefixes[0]); i++) {
		const struct attr_prefix *a = &attr_prefixes[i];

		if (len != a->len + 1 || memcmp(oid->p, a->der, a->len) != 0)
			continue;
		for (j = 0; j < a->count; j++)
			if (a->names[j].arc == oid->p[a->len])
				return a->names[j].name;
	}
	return NULL;
}

/* "NAME=", or the OID's content bytes in hex and "=", if it fits whole. */
static int put_attr_type(struct text *t, const struct der *oid)
{
	const char *name = attr_name(oid);
	size_t n = (size_t)(oid->end - oid->p), i;
	char piece[IPX_CERT_DN_LEN];

	if (name) {
		snprintf(piece, sizeof(piece), "%s=", name);
		return put_whole(t, piece, strlen(piece));
	}
	/* 3 characters a byte with the ':'s and the '=': more than 170 bytes never fit. */
	if (n == 0 || n > (sizeof(piece) - 1) / 3)
		return -1;
	for (i = 0; i < n; i++)
		snprintf(piece + 3 * i, 4, "%02x%c", oid->p[i], i + 1 < n ? ':' : '=');
	return put_whole(t, piece, 3 * n);
}

/*
 * NAME as swanctl prints it into SIZE bytes (strongSwan's buffer is 512): type=value
 * pieces joined by ", "; a piece that does not fit whole ends the text with the cut mark,
 * itself cut to what is left. An empty Name is "".
 */
static void dn_text(const X509_NAME *name, char *buf, size_t size)
{
	const unsigned char *der = NULL;
	size_t der_len = 0;
	struct der all, rdns, rdn, ava, oid, value;
	unsigned int tag;
	struct text t;
	int any = 0;

	text_init(&t, buf, size);
	if (!name || X509_NAME_get0_der(name, &der, &der_len) != 1)
		goto cut;
	all.p = der;
	all.end = der + der_len;
	if (der_next(&all, &tag, &rdns) < 0 || tag != DER_SEQUENCE)
		goto cut;
	while (rdns.p < rdns.end) {
		if (der_next(&rdns, &tag, &rdn) < 0 || tag != DER_SET)
			goto cut;
		while (rdn.p < rdn.end) {
			if (der_next(&rdn, &tag, &ava) < 0 || tag != DER_SEQUENCE ||
			    der_next(&ava, &tag, &oid) < 0 || tag != DER_OID ||
			    der_next(&ava, &tag, &value) < 0)
				goto cut;
			any = 1;
			if (put_attr_type(&t, &oid) < 0 ||
			    put_whole(&t, value.p, (size_t)(value.end - value.p)) < 0)
				goto cut;
			if (value.end == rdns.end)
				return; /* the last attribute */
			if (put_whole(&t, ", ", 2) < 0)
				goto cut;
		}
	}
	if (!any)
		return;
cut:
	put_cut(&t, dn_cut_mark, sizeof(dn_cut_mark) - 1);
}

/* ---- the other fields --------------------------------------------------------------------- */

/* The serial's magnitude as "1a:2b:...", whole bytes only, "00" for zero. */
static void serial_text(const ASN1_INTEGER *serial, char *buf, size_t size)
{
	const unsigned char *d = serial ? ASN1_STRING_get0_data(serial) : NULL;
	int n = serial ? ASN1_STRING_length(serial) : 0, i = 0;
	size_t at = 0;

	buf[0] = '\0';
	while (n > 1 && d[i] == 0) { /* OpenSSL keeps none, but to be sure */
		i++;
		n--;
	}
	if (!d || n <= 0) {
		snprintf(buf, size, "00");
		return;
	}
	for (; n > 0 && at + (at ? 3 : 2) < size; i++, n--)
		at += (size_t)snprintf(buf + at, size - at, at ? ":%02x" : "%02x", d[i]);
}

static int time_of(const ASN1_TIME *t, int64_t *out)
{
	struct tm tm;
	time_t s;

	memset(&tm, 0, sizeof(tm));
	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return -EBADMSG;
	/* timegm() returns -1 for 23:59:59 on 31 Dec 1969 too: only errno tells a failure. */
	errno = 0;
	s = timegm(&tm);
	if (s == (time_t)-1 && errno != 0)
		return -EBADMSG;
	*out = (int64_t)s;
	return 0;
}

static void key_info(X509 *x, struct ipx_cert_info *ci)
{
	EVP_PKEY *key = X509_get0_pubkey(x); /* NULL for a key OpenSSL cannot decode */
	const char *type = "";
	int bits = 0;

	if (!key)
		return;
	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_RSA:
	case EVP_PKEY_RSA_PSS:
		type = "RSA";
		bits = EVP_PKEY_get_bits(key);
		break;
	case EVP_PKEY_EC:
		type = "ECDSA";
		bits = EVP_PKEY_get_bits(key);
		break;
	/* OpenSSL counts 253 and 456 bits; strongSwan shows the key's size, 32 and 57 bytes. */
	case EVP_PKEY_ED25519:
		type = "ED25519";
		bits = 256;
		break;
	case EVP_PKEY_ED448:
		type = "ED448";
		bits = 456;
		break;
	}
	snprintf(ci->key_type, sizeof(ci->key_type), "%s", type);
	ci->key_bits = bits > 0 ? (uint32_t)bits : 0;
}

/* What the last OpenSSL failure means for us. */
static int openssl_error(void)
{
	return ERR_GET_REASON(ERR_peek_last_error()) == ERR_R_MALLOC_FAILURE ? -ENOMEM : -EBADMSG;
}

/*
 * One subjectAltName as swanctl prints it (at most 511 characters, cut like any strongSwan
 * identity), or -1 for the kinds it leaves out: x400Address, ediPartyName, registeredID,
 * otherNames but a UTF8String UPN, and IP addresses of neither 4 nor 16 bytes.
 */
static int gn_text(const GENERAL_NAME *g, char *buf, size_t size)
{
	const ASN1_STRING *s = NULL;
	struct text t;
	char ip[INET6_ADDRSTRLEN];

	text_init(&t, buf, size);
	switch (g->type) {
	case GEN_DNS:
	case GEN_EMAIL:
	case GEN_URI: s = g->d.ia5; break;
	case GEN_OTHERNAME:
		if (OBJ_obj2nid(g->d.otherName->type_id) == NID_ms_upn && g->d.otherName->value &&
		    g->d.otherName->value->type == V_ASN1_UTF8STRING)
			s = g->d.otherName->value->value.utf8string;
		break;
	case GEN_DIRNAME: dn_text(g->d.directoryName, buf, size); return 0;
	case GEN_IPADD:
		s = g->d.iPAddress;
		if (ASN1_STRING_length(s) == 4)
			inet_ntop(AF_INET, ASN1_STRING_get0_data(s), ip, sizeof(ip));
		else if (ASN1_STRING_length(s) == 16)
			inet_ntop(AF_INET6, ASN1_STRING_get0_data(s), ip, sizeof(ip));
		else
			return -1;
		put_cut(&t, ip, strlen(ip));
		return 0;
	}
	if (!s)
		return -1;
	put_cut(&t, ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s));
	return 0;
}

/* The subjectAltNames, ", "-separated, cut to SIZE; -EBADMSG if the extension is bad. */
static int san_text(X509 *x, char *buf, size_t size)
{
	GENERAL_NAMES *names;
	struct text t;
	char one[IPX_CERT_DN_LEN];
	int crit = -1, i;

	text_init(&t, buf, size);
	names = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
	if (!names) /* -1: none; -2: more than one; else it does not decode */
		return crit == -1 ? 0 : crit == -2 ? -EBADMSG : openssl_error();
	for (i = 0; i < sk_GENERAL_NAME_num(names); i++) {
		if (gn_text(sk_GENERAL_NAME_value(names, i), one, sizeof(one)) < 0)
			continue;
		if (t.len)
			put_cut(&t, ", ", 2);
		put_cut(&t, one, strlen(one));
	}
	GENERAL_NAMES_free(names);
	return 0;
}

/* ---- API ---------------------------------------------------------------------------------- */

int ipx_cert_parse_der(const uint8_t *der, size_t len, struct ipx_cert_info *out)
{
	const unsigned char *p = der;
	struct ipx_cert_info ci;
	BASIC_CONSTRAINTS *bc = NULL;
	X509 *x = NULL;
	int rc, crit = -1;

	if (!der || !len || !out)
		return -EINVAL;
	if (len > LONG_MAX)
		return -EBADMSG;
	/* Whatever OpenSSL queues while failing here is dropped again below. */
	ERR_set_mark();
	x = d2i_X509(NULL, &p, (long)len);
	if (!x) {
		rc = openssl_error();
		goto out;
	}
	if (p != der + len) { /* trailing bytes */
		rc = -EBADMSG;
		goto out;
	}
	memset(&ci, 0, sizeof(ci));
	dn_text(X509_get_subject_name(x), ci.subject, sizeof(ci.subject));
	dn_text(X509_get_issuer_name(x), ci.issuer, sizeof(ci.issuer));
	serial_text(X509_get0_serialNumber(x), ci.serial, sizeof(ci.serial));
	rc = time_of(X509_get0_notBefore(x), &ci.not_before);
	if (rc < 0)
		goto out;
	rc = time_of(X509_get0_notAfter(x), &ci.not_after);
	if (rc < 0)
		goto out;
	key_info(x, &ci);
	bc = X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL);
	if (!bc && crit != -1) {
		rc = crit == -2 ? -EBADMSG : openssl_error();
		goto out;
	}
	ci.is_ca = bc && bc->ca;
	rc = san_text(x, ci.subject_alt_names, sizeof(ci.subject_alt_names));
	if (rc < 0)
		goto out;
	*out = ci;
out:
	BASIC_CONSTRAINTS_free(bc);
	X509_free(x);
	ERR_pop_to_mark();
	return rc;
}

int64_t ipx_cert_days_left(const struct ipx_cert_info *c, int64_t now)
{
	int64_t d;

	if (__builtin_sub_overflow(c->not_after, now, &d))
		d = c->not_after > now ? INT64_MAX : INT64_MIN;
	/* C's division truncates towards zero: round down. */
	return d / 86400 - (d % 86400 < 0);
}
