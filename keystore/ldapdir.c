/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/* Certificates from an LDAP directory (ldapdir.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/x509_crt.h>

#include "ldapdir.h"
#include "lookupchild.h"
#include "optlib.h"
#include "sandbox.h"

#ifdef HAVE_LDAP
#include <ldap.h>
#endif

int
ldapdir_filter(const char *tmpl, const char *addr, char *out, size_t outsz)
{
	const char *pct = strstr(tmpl, "%s");
	size_t o = 0, n;
	const unsigned char *a;

	if (pct == NULL || strstr(pct + 2, "%s") != NULL ||
	    (size_t)(pct - tmpl) >= outsz)
		return -1;
	memcpy(out, tmpl, (size_t)(pct - tmpl));
	o = (size_t)(pct - tmpl);
	for (a = (const unsigned char *)addr; *a != '\0'; a++) {
		if (o + 4 >= outsz)
			return -1;
		if (strchr("*()\\", *a) != NULL)
			o += (size_t)snprintf(out + o, outsz - o, "\\%02x", *a);
		else
			out[o++] = (char)*a;
	}
	n = strlen(pct + 2);
	if (o + n >= outsz)
		return -1;
	memcpy(out + o, pct + 2, n + 1);
	return 0;
}

void
ldapdir_found_free(struct ldapdir_found *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		free(f->der[i]);
	f->n = 0;
}

#ifdef HAVE_LDAP
int
ldapdir_available(void)
{
	return optlib_present(LDAP_SONAME);
}

/* libldap's functions, found when the child opens it (optlib.h). */
static struct {
	__typeof__(ldap_err2string)	*err2string;
	__typeof__(ldap_first_attribute)	*first_attribute;
	__typeof__(ldap_next_attribute)	*next_attribute;
	__typeof__(ldap_get_values_len)	*get_values_len;
	__typeof__(ldap_value_free_len)	*value_free_len;
	__typeof__(ldap_memfree)	*memfree;
	__typeof__(ldap_initialize)	*initialize;
	__typeof__(ldap_set_option)	*set_option;
	__typeof__(ldap_sasl_bind_s)	*sasl_bind_s;
	__typeof__(ldap_search_ext_s)	*search_ext_s;
	__typeof__(ldap_first_entry)	*first_entry;
	__typeof__(ldap_next_entry)	*next_entry;
	__typeof__(ber_free)	*ber_free;
} L;

#define SYM(f, n)	{ f, (void **)&L.n }
static const struct optsym ldap_syms[] = {
	SYM("ldap_err2string", err2string),
	SYM("ldap_first_attribute", first_attribute),
	SYM("ldap_next_attribute", next_attribute),
	SYM("ldap_get_values_len", get_values_len),
	SYM("ldap_value_free_len", value_free_len),
	SYM("ldap_memfree", memfree),
	SYM("ldap_initialize", initialize),
	SYM("ldap_set_option", set_option),
	SYM("ldap_sasl_bind_s", sasl_bind_s),
	SYM("ldap_search_ext_s", search_ext_s),
	SYM("ldap_first_entry", first_entry),
	SYM("ldap_next_entry", next_entry),
	SYM("ber_free", ber_free),
};

/* One certificate, read as the child read it: 0 or -1. */
static int
cert_ok(const uint8_t *der, size_t len)
{
	mbedtls_x509_crt c;
	struct p7certs pc;
	int rc;

	if (len == 0 || len > LDAPDIR_CERT_MAX ||
	    p7certs_read(der, len, &pc) == -1 || pc.n != 1 ||
	    pc.len[0] != len)
		return -1;
	mbedtls_x509_crt_init(&c);
	rc = mbedtls_x509_crt_parse_der(&c, der, len) == 0 ? 0 : -1;
	mbedtls_x509_crt_free(&c);
	return rc;
}


/*
 * The child's answer on fd: 'F' and certificates (a 4-octet length
 * each), or 'D' and why.
 */
static void __attribute__((noreturn))
child_down(int fd, const char *what, int err)
{
	char why[200];

	snprintf(why, sizeof(why), "D%s: %s", what, L.err2string(err));
	lookup_put(fd, why, strlen(why));
	_exit(0);
}

/* The values of one entry's attributes: certificates, at most left. */
static size_t
take_values(LDAP *ld, LDAPMessage *e, int fd, size_t left)
{
	struct berval **vals;
	BerElement *ber = NULL;
	struct p7certs pc;
	char *a;
	size_t i, j, n = 0;
	uint32_t len;

	for (a = L.first_attribute(ld, e, &ber); a != NULL && n < left;
	    a = L.next_attribute(ld, e, ber)) {
		vals = L.get_values_len(ld, e, a);
		for (i = 0; vals != NULL && vals[i] != NULL && n < left; i++) {
			if (p7certs_read((const uint8_t *)vals[i]->bv_val,
			    vals[i]->bv_len, &pc) == -1)
				continue;
			for (j = 0; j < pc.n && n < left; j++) {
				if (cert_ok(pc.der[j], pc.len[j]) == -1)
					continue;
				len = (uint32_t)pc.len[j];
				lookup_put(fd, &len, sizeof(len));
				lookup_put(fd, pc.der[j], pc.len[j]);
				n++;
			}
		}
		L.value_free_len(vals);
		L.memfree(a);
	}
	if (ber != NULL)
		L.ber_free(ber, 0);
	return n;
}

static void __attribute__((noreturn))
child(const struct ldapdir_conf *c, const char *uri, const char *filter,
    int fd)
{
	struct berval cred;
	struct timeval tv;
	LDAPMessage *res = NULL, *e;
	LDAP *ld;
	char *attrs[LDAPDIR_ATTRS + 1], why[200];
	size_t i, n = 0;
	int v = LDAP_VERSION3, rc;

	if (optlib_open(LDAP_SONAME, ldap_syms, sizeof(ldap_syms) /
	    sizeof(ldap_syms[0]), why, sizeof(why)) == -1) {
		lookup_put(fd, "U", 1);
		lookup_put(fd, why, strlen(why));
		_exit(0);
	}
	tv.tv_sec = c->timeout;
	tv.tv_usec = 0;
	if ((rc = L.initialize(&ld, uri)) != LDAP_SUCCESS)
		child_down(fd, "ldap_initialize", rc);
	(void)L.set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v);
	(void)L.set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
	(void)L.set_option(ld, LDAP_OPT_TIMEOUT, &tv);
	(void)L.set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
	cred.bv_val = (char *)(uintptr_t)(c->password ? c->password : "");
	cred.bv_len = strlen(cred.bv_val);
	/* a bind, anonymous or not, connects: nothing is connected later */
	if ((rc = L.sasl_bind_s(ld, c->bind_dn ? c->bind_dn : "",
	    LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL)) != LDAP_SUCCESS)
		child_down(fd, "bind", rc);
	(void)sandbox_worker(sandbox_warn_stderr);
	for (i = 0; i < c->nattr; i++)
		attrs[i] = (char *)(uintptr_t)c->attr[i];
	attrs[i] = NULL;
	rc = L.search_ext_s(ld, c->base, LDAP_SCOPE_SUBTREE, filter, attrs,
	    0, NULL, NULL, &tv, LDAPDIR_ENTRIES, &res);
	if (rc != LDAP_SUCCESS && rc != LDAP_SIZELIMIT_EXCEEDED &&
	    rc != LDAP_NO_SUCH_OBJECT)
		child_down(fd, "search", rc);
	lookup_put(fd, "F", 1);
	for (e = L.first_entry(ld, res); e != NULL && n < P7CERTS_MAX;
	    e = L.next_entry(ld, e))
		n += take_values(ld, e, fd, P7CERTS_MAX - n);
	_exit(0);
}

/* The child's answer into f: FOUND, NONE or DOWN (why). */
static enum ldapdir_rc
answer(const uint8_t *m, size_t n, struct ldapdir_found *f, char *why,
    size_t whysz)
{
	uint32_t len;
	size_t o = 1;

	if (n == 0) {
		snprintf(why, whysz, "no answer from the lookup");
		return LDAPDIR_DOWN;
	}
	if (m[0] == 'D' || m[0] == 'U') {
		snprintf(why, whysz, "%.*s", (int)(n - 1), m + 1);
		return m[0] == 'D' ? LDAPDIR_DOWN : LDAPDIR_UNAVAILABLE;
	}
	if (m[0] != 'F')
		return LDAPDIR_DOWN;
	while (o + 4 <= n && f->n < P7CERTS_MAX) {
		memcpy(&len, m + o, 4);
		o += 4;
		if (len > n - o || cert_ok(m + o, len) == -1 ||
		    (f->der[f->n] = malloc(len)) == NULL)
			break;
		memcpy(f->der[f->n], m + o, len);
		f->len[f->n++] = len;
		o += len;
	}
	if (f->n == 0)
		snprintf(why, whysz, "no certificate in the directory");
	return f->n > 0 ? LDAPDIR_FOUND : LDAPDIR_NONE;
}

struct job {
	const struct ldapdir_conf	*c;
	const char			*uri;
	const char			*filter;
};

static void
job_run(void *arg, int fd)
{
	struct job *j = arg;

	child(j->c, j->uri, j->filter, fd);
}

static enum ldapdir_rc
ask(const struct ldapdir_conf *c, const char *uri, const char *filter,
    struct ldapdir_found *f, char *why, size_t whysz)
{
	struct job j;
	uint8_t *m;
	size_t n;
	enum ldapdir_rc rc = LDAPDIR_DOWN;

	j.c = c;
	j.uri = uri;
	j.filter = filter;
	if (lookup_child(job_run, &j, P7CERTS_MAX * (LDAPDIR_CERT_MAX + 4) +
	    256, (long long)c->timeout * 2000 + 1000, &m, &n, why, whysz) == 0)
		rc = answer(m, n, f, why, whysz);
	free(m);
	return rc;
}

enum ldapdir_rc
ldapdir_lookup(const struct ldapdir_conf *c, const char *addr,
    struct ldapdir_found *f, char *why, size_t whysz)
{
	char filter[LDAPDIR_FILTER_MAX];
	enum ldapdir_rc rc = LDAPDIR_DOWN;
	size_t i;

	memset(f, 0, sizeof(*f));
	if (ldapdir_filter(c->filter, addr, filter, sizeof(filter)) == -1) {
		snprintf(why, whysz, "the filter cannot be made for %s", addr);
		return LDAPDIR_UNAVAILABLE;
	}
	snprintf(why, whysz, "no server named");
	for (i = 0; i < c->nuri && rc == LDAPDIR_DOWN; i++) {
		rc = ask(c, c->uri[i], filter, f, why, whysz);
		if (rc != LDAPDIR_DOWN)
			snprintf(f->uri, sizeof(f->uri), "%s", c->uri[i]);
	}
	return rc;
}
#else
int
ldapdir_available(void)
{
	return 0;
}

enum ldapdir_rc
ldapdir_lookup(const struct ldapdir_conf *c, const char *addr,
    struct ldapdir_found *f, char *why, size_t whysz)
{
	(void)c;
	(void)addr;
	memset(f, 0, sizeof(*f));
	snprintf(why, whysz, "built without libldap (libldap-dev)");
	return LDAPDIR_UNAVAILABLE;
}
#endif
