/*
 * Inbound: verify a message's S/MIME signature and record the verdict in
 * an Authentication-Results header (RFC 8601, method smime of RFC 7281),
 * after removing any incoming one that claims our authserv-id (RFC 8601
 * §5), so a sender cannot forge a pass.  Signers' certificates from
 * signatures that pass are harvested for encrypting replies.
 */
#define _GNU_SOURCE	/* strcasestr(3) in glibc */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "engine.h"
#include "log.h"
#include "smime.h"

#ifndef SYSTEM_CA_BUNDLE
#define SYSTEM_CA_BUNDLE	"/etc/ssl/certs/ca-certificates.crt"
#endif

void
engine_trust_free(struct engine *g)
{
	if (!g->trust_loaded)
		return;
	mbedtls_x509_crt_free(&g->anchors);
	mbedtls_x509_crl_free(&g->crls);
	g->trust_loaded = 0;
}

/* The system bundle and the store's own anchors and CRLs. */
static void
trust_load(struct engine *g)
{
	if (g->trust_loaded)
		return;
	mbedtls_x509_crt_init(&g->anchors);
	mbedtls_x509_crl_init(&g->crls);
	(void)mbedtls_x509_crt_parse_file(&g->anchors, SYSTEM_CA_BUNDLE);
	if (g->have_store) {
		(void)ks_trust_anchors(&g->store, &g->anchors);
		(void)ks_crls(&g->store, &g->crls);
	}
	g->trust_loaded = 1;
}

/* A header value token or a quoted-string (RFC 8601 §2.2 value). */
static void
put_value(char *out, size_t outsz, const char *v)
{
	size_t o = 0;
	const char *p;
	int quote = 0;

	for (p = v; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("@.-_+", *p))
			quote = 1;
	if (!quote) {
		(void)strlcpy(out, v, outsz);
		return;
	}
	if (outsz < 3)
		return;
	out[o++] = '"';
	for (p = v; *p && o + 3 < outsz; p++) {
		if (*p == '"' || *p == '\\')
			out[o++] = '\\';
		if ((unsigned char)*p >= 0x20 && *p != 0x7f)
			out[o++] = *p;
	}
	out[o++] = '"';
	out[o] = '\0';
}

/* The address in a From: value: inside <...>, else the value itself. */
static void
from_address(const char *msg, size_t len, char *out, size_t outsz)
{
	struct mime_entity e;
	struct mime_field f;
	char *v, *lt, *gt, *p;

	out[0] = '\0';
	if (mime_entity_parse(msg, len, &e) != MIME_OK ||
	    mime_hdr_find(&e, "from", 0, &f) != 0 ||
	    (v = malloc(f.valuelen + 1)) == NULL)
		return;
	v[mime_unfold(f.value, f.valuelen, v)] = '\0';
	if ((lt = strrchr(v, '<')) != NULL && (gt = strchr(lt, '>')) != NULL) {
		*gt = '\0';
		p = lt + 1;
	} else
		for (p = v; isspace((unsigned char)*p); p++)
			;
	p[strcspn(p, " \t\r\n")] = '\0';
	(void)strlcpy(out, p, outsz);
	free(v);
}

/* RFC 7281 result for one signer, and a reason for the comment. */
static const char *
signer_result(const struct cms_signer_result *s, const char *from,
    char *why, size_t whysz)
{
	switch (s->status) {
	case CMS_V_OK:
		if (from[0] && strcasecmp(from, s->email) != 0) {
			snprintf(why, whysz, "signer %.120s is not the From address",
			    s->email[0] ? s->email : "without an address");
			return "policy";
		}
		snprintf(why, whysz, "signature verified");
		return "pass";
	case CMS_V_DIGEST:
	case CMS_V_SIGNATURE:
	case CMS_V_CONTENT_TYPE:
	case CMS_V_NO_CERT:
		snprintf(why, whysz, "%s", cms_vstatus_str(s->status));
		return "fail";
	case CMS_V_MALFORMED:
		snprintf(why, whysz, "%s", cms_vstatus_str(s->status));
		return "permerror";
	case CMS_V_UNSUPPORTED:
		snprintf(why, whysz, "%s", cms_vstatus_str(s->status));
		return "neutral";
	default:
		/* sound signature, certificate not acceptable */
		snprintf(why, whysz, "%s", cms_vstatus_str(s->status));
		return "policy";
	}
}

static void
harvest(struct engine *g, const struct cms_signer_result *s)
{
	mbedtls_x509_crt crt;
	struct ks_error e;
	char caps[2 * 512 + 1];
	size_t i;

	if (!g->have_store || s->cert == NULL || s->self_signed ||
	    s->email[0] == '\0')
		return;
	caps[0] = '\0';
	for (i = 0; i < s->capslen && i < 512; i++)
		snprintf(caps + 2 * i, 3, "%02x", s->caps[i]);
	mbedtls_x509_crt_init(&crt);
	if (mbedtls_x509_crt_parse_der(&crt, s->cert, s->certlen) == 0 &&
	    ks_harvest(g->store_dir, &crt, s->email, caps, 0, &e) == -1)
		log_warnx("harvest %s: %s", s->email, e.msg);
	mbedtls_x509_crt_free(&crt);
}

/* Drop Authentication-Results fields that claim our authserv-id. */
static int
is_forged(const struct mime_field *f, const char *id)
{
	size_t n = strlen(id), i = 0;

	if (!mime_hdr_is(f, "authentication-results"))
		return 0;
	while (i < f->valuelen && isspace((unsigned char)f->value[i]))
		i++;
	return f->valuelen - i >= n && strncasecmp(f->value + i, id, n) == 0 &&
	    (f->valuelen - i == n || f->value[i + n] == ';' ||
	    isspace((unsigned char)f->value[i + n]));
}

static int
write_message(const char *msg, size_t len, const char *ar, const char *id,
    mime_write_fn out, void *arg, int *removed)
{
	struct mime_entity e;
	struct mime_hdr_iter it;
	struct mime_field f;

	if (mime_entity_parse(msg, len, &e) != MIME_OK)
		return -1;
	if (ar[0] && out(arg, ar, strlen(ar)) != 0)
		return -1;
	mime_hdr_iter_init(&it, &e);
	while (mime_hdr_next(&it, &f)) {
		if (is_forged(&f, id)) {
			(*removed)++;
			continue;
		}
		if (out(arg, f.raw, f.rawlen) != 0)
			return -1;
	}
	if (out(arg, e.sep, e.seplen) != 0 || out(arg, e.body, e.bodylen))
		return -1;
	return 0;
}

void
engine_inbound(struct engine *g, const char *msg, size_t len,
    mime_write_fn out, void *arg, struct engine_result *r)
{
	const struct cms_signer_result *s;
	struct cms_verify v;
	struct cms_trust t;
	struct cms_error e;
	char ar[2048], from[320], why[200], v1[320], v2[320];
	const char *id = rules_authserv_id(g->rules), *res;
	int rc, removed = 0;

	trust_load(g);
	memset(&t, 0, sizeof(t));
	t.anchors = &g->anchors;
	t.crls = g->crls.version ? &g->crls : NULL;
	t.at = time(NULL);
	memset(&v, 0, sizeof(v));
	rc = smime_verify(msg, len, &t, &v, &e);
	from_address(msg, len, from, sizeof(from));
	ar[0] = '\0';
	if (rc == 1)
		snprintf(why, sizeof(why), "not signed");
	else if (rc == -1) {
		snprintf(ar, sizeof(ar), "Authentication-Results: %s;\n"
		    "\tsmime=permerror (%s)\n", id, e.msg);
		snprintf(why, sizeof(why), "smime=permerror (%.150s)", e.msg);
	} else {
		s = &v.signers[0];
		res = signer_result(s, from, why, sizeof(why));
		put_value(v1, sizeof(v1), s->email[0] ? s->email : "unknown");
		put_value(v2, sizeof(v2), s->issuer);
		snprintf(ar, sizeof(ar), "Authentication-Results: %s;\n"
		    "\tsmime=%s (%s)\n\tbody.smime-identifier=%s\n"
		    "\tbody.smime-part=1\n\tbody.smime-serial=%s\n"
		    "\tbody.smime-issuer=%s\n", id, res, why, v1,
		    s->serial[0] ? s->serial : "0", v2);
		snprintf(why, sizeof(why), "smime=%s signer=%.150s", res,
		    s->email[0] ? s->email : "unknown");
		if (strcmp(res, "pass") == 0)
			harvest(g, s);
	}
	smime_verify_free(&v);
	if (write_message(msg, len, ar, id, out, arg, &removed) == -1) {
		engine_result_set(r, VERDICT_TEMPFAIL, REPLY_INTERNAL, "writing the "
		    "message");
		return;
	}
	if (ar[0] == '\0' && removed == 0) {
		engine_result_set(r, VERDICT_PASS, NULL, "%s", why);
		return;
	}
	engine_result_set(r, VERDICT_CHECKED, NULL, "%s%s", why, removed ?
	    ", forged Authentication-Results removed" : "");
}
