/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * rules: the policy file (filter-smime.yaml(5)).  rules_load() parses it
 * with libyaml into a compiled policy that is immutable afterwards; the
 * query functions answer the filter's questions about one sender, one
 * recipient or one header field.  Nothing here does I/O after loading.
 */
#ifndef RULES_H
#define RULES_H

#include <stddef.h>

enum rules_encrypt {
	RULES_ENCRYPT_NO,
	RULES_ENCRYPT_OPPORTUNISTIC,
	RULES_ENCRYPT_REQUIRED
};

enum rules_sigform {
	RULES_SIG_DETACHED,		/* multipart/signed */
	RULES_SIG_OPAQUE		/* application/pkcs7-mime signed-data */
};

enum rules_digest {
	RULES_SHA256,
	RULES_SHA384,
	RULES_SHA512
};

enum rules_rsa_padding {
	RULES_PAD_PKCS1,
	RULES_PAD_PSS
};

enum rules_key_transport {
	RULES_KT_PKCS1,
	RULES_KT_OAEP
};

enum rules_cipher {
	RULES_AES256_GCM,
	RULES_AES128_GCM,
	RULES_AES256_CBC,
	RULES_AES128_CBC
};
#define RULES_NCIPHERS	4

enum rules_key_missing {
	RULES_KM_BOUNCE,
	RULES_KM_TEMPFAIL,
	RULES_KM_PLAIN,
	RULES_KM_SPLIT,
	RULES_KM_DROP		/* the recipient rewritten to drop-to */
};

enum rules_no_signing_key {
	RULES_NSK_PASS,
	RULES_NSK_TEMPFAIL
};

enum rules_transaction {
	RULES_TX_SHARED,
	RULES_TX_PER_CLASS,
	RULES_TX_PER_RECIPIENT
};

enum rules_bcc {
	RULES_BCC_SIGN,
	RULES_BCC_SKIP_SIGN
};

/* What one sender or recipient gets: `defaults` with the rules applied. */
struct rules_policy {
	int			  sign;			/* 0 or 1 */
	enum rules_encrypt	  encrypt;
	enum rules_sigform	  signature;
	enum rules_digest	  digest;
	enum rules_rsa_padding	  rsa_padding;
	enum rules_key_transport  key_transport;
	enum rules_cipher	  ciphers[RULES_NCIPHERS];	/* preferred first */
	size_t			  nciphers;			/* 1..4 */
	enum rules_key_missing	  key_missing;
	enum rules_no_signing_key no_signing_key;
	enum rules_transaction	  transaction;
	enum rules_bcc		  bcc;
	int			  harvested;		/* 0 or 1 */
	int			  header_protection;	/* 0 or 1 */
	int			  triple_wrap;		/* 0 or 1 */
};

enum rules_action {
	RULES_ACTION_SKIP,
	RULES_ACTION_SIGN,
	RULES_ACTION_ENCRYPT,
	RULES_ACTION_SIGN_ENCRYPT,
	RULES_ACTION_TRIPLE		/* sign, encrypt, sign again */
};

/*
 * A header exception that matched.  rule is the rule's rank, 1.. for the
 * file's headers: entries in order.  Over all of a message's fields the
 * hit with the lowest rank wins ("first match wins").  line is the
 * rule's line in the file, for logs.  Header rules match text the
 * sender wrote: the admin chooses them, the sender can trigger them.
 */
struct rules_header_hit {
	enum rules_action	 action;
	size_t			 rule;
	size_t			 line;
	int			 strip;		/* rules_strip() has work to do */
};

struct rules;

/*
 * Load a policy.  On failure NULL is returned and err holds
 * "NAME:LINE:COLUMN: what" (1-based) for the first error found.
 * rules_load_mem() parses len bytes of buf and names them name in errors.
 */
struct rules	*rules_load(const char *path, char *err, size_t errlen);
struct rules	*rules_load_mem(const char *name, const char *buf, size_t len,
		    char *err, size_t errlen);
struct rules	*rules_default(void);	/* the policy with no file, or NULL */
void		 rules_free(struct rules *);

/*
 * The sender's policy: defaults, then every rule without a recipient
 * pattern whose sender pattern (if any) matches.  sender may be "" or
 * NULL (a bounce).
 */
void	 rules_sender_policy(const struct rules *, const char *sender,
	    struct rules_policy *);
/* One recipient's policy: defaults, then every matching rule in order. */
void	 rules_recipient_policy(const struct rules *, const char *sender,
	    const char *rcpt, struct rules_policy *);
/* 1 when rcpt is never signed nor encrypted (destinations, carriers). */
int	 rules_destination_excepted(const struct rules *, const char *rcpt);

/*
 * Header exceptions.  For one field (name without the colon, value
 * unfolded), return 1 and fill hit with the first matching rule, or 0.
 */
int	 rules_header_action(const struct rules *, const char *name,
	    const char *value, struct rules_header_hit *hit);
/*
 * value with the hit rule's `contains` text removed (every occurrence,
 * case-insensitively, with the white space it leaves behind collapsed).
 * Writes at most outsz bytes, NUL-terminated, and returns the length of
 * the whole result as snprintf does; never longer than strlen(value).
 */
size_t	 rules_strip(const struct rules *, const struct rules_header_hit *,
	    const char *value, char *out, size_t outsz);
/*
 * 1 for multipart/signed, application/(x-)pkcs7-mime, multipart/encrypted:
 * a label, which says what a message claims to be, not what it is.
 */
int	 rules_already_smime_ct(const char *content_type_value);
/* exceptions: already-smime: proven S/MIME mail may leave unchanged. */
int	 rules_already_smime(const struct rules *);

const char *rules_authserv_id(const struct rules *);
/* key-missing: drop rewrites a recipient to this address (or NULL) */
const char *rules_drop_to(const struct rules *);
/* the line of the first key-missing: drop, or 0 */
size_t	 rules_drop_line(const struct rules *);

/* signers: who may sign as whom (signers.h) */
struct signers;
const struct signers *rules_signers(const struct rules *);

/* inbound: what to do with a verified signature and its certificate */
struct rules_inbound {
	int	 remove_signature;	/* deliver the signed entity only */
	int	 harvest;
	int	 harvest_self_signed;
	int	 harvest_failed;	/* even from signatures that failed */
	int	 encrypt_at_rest;	/* encrypt plaintext to its recipient */
};
/*
 * Revocation (top-level revocation:, revocation-fail:, ocsp-timeout:):
 * what is asked about the certificates of inbound signers and of
 * recipients, and what a question without an answer means.
 */
enum rules_revocation {
	RULES_REV_NONE,
	RULES_REV_CRL,			/* the store's CRLs (the default) */
	RULES_REV_OCSP,			/* the responder, live */
	RULES_REV_OCSP_THEN_CRL		/* the responder, else the CRLs */
};
#define RULES_OCSP_TIMEOUT	5	/* seconds, the default */
#define RULES_OCSP_TIMEOUT_MAX	60

struct rules_rev {
	enum rules_revocation	 check;
	int			 hard;		/* revocation-fail: hard */
	int			 timeout;	/* ocsp-timeout: seconds */
};
void	 rules_revocation(const struct rules *, struct rules_rev *);

/*
 * Where recipients' certificates the store lacks are looked for (the
 * top-level directory: and smimea: sections): an LDAP directory, and
 * DNSSEC-validated SMIMEA records (RFC 8162) for the domains listed.
 * A section that is absent is off.  Strings are the rules' own.
 */
#define RULES_SRC_LIST		8
#define RULES_LOOKUP_TIMEOUT	5	/* seconds, the default */
#define RULES_CACHE_TTL		3600	/* a certificate found */
#define RULES_NEGATIVE_TTL	300	/* none there */
#define RULES_TTL_MAX		(7 * 86400)
#define RULES_ROOT_ANCHOR	"/usr/share/dns/root.key"	/* dns-root-data */

struct rules_source {
	int	 on;
	char	*domain[RULES_SRC_LIST];	/* directory: none is all */
	size_t	 ndomain;
	char	*uri[RULES_SRC_LIST];		/* smimea: its stubs */
	size_t	 nuri;
	char	*bind_dn;			/* directory only */
	char	*password_file;
	char	*base;
	char	*filter;
	char	*attr[RULES_SRC_LIST];
	size_t	 nattr;
	char	*trust_anchor;			/* smimea only */
	char	*forward;
	int	 timeout;
	int	 cache_ttl;
	int	 negative_ttl;
};
/* The section, or NULL when it is off. */
const struct rules_source *rules_directory(const struct rules *);
const struct rules_source *rules_smimea(const struct rules *);
/* Whether src is asked about addr (its domains: list). */
int	 rules_source_covers(const struct rules_source *, const char *);

/* 1 when addr is ours (inbound: internal:); 0 when none are listed too */
int	 rules_is_internal(const struct rules *, const char *);
/* 1 when inbound: internal: lists anything (directions by address) */
int	 rules_has_internal(const struct rules *);
void	 rules_inbound(const struct rules *, struct rules_inbound *);
/* 1 when any part of the policy can ask for encryption. */
int	 rules_uses_encryption(const struct rules *);
/* 1 when a rule asks for per-class/per-recipient transactions or bcc. */
int	 rules_uses_split_transactions(const struct rules *);
/* 1 when a rule asks for key-missing: split. */
int	 rules_uses_split_delivery(const struct rules *);

/* The built-in mobile-carrier destinations (carriers.c), NULL-terminated. */
extern const char *const rules_carrier_domains[];

#ifdef RULES_PRIVATE
/*
 * The compiled policy, shared by rules_parse.c and rules_match.c only;
 * everyone else sees struct rules as opaque.
 */
#include <regex.h>

enum rules_pat_kind {
	RULES_PAT_GLOB,			/* fnmatch(3) on the lowercased text */
	RULES_PAT_REGEX			/* REG_EXTENDED|REG_ICASE|REG_NOSUB */
};

struct rules_pattern {
	enum rules_pat_kind	 kind;
	char			*text;		/* lowercased glob, or the regex */
	regex_t			 re;
};

/* Bits of rules_rule.set: which keys a rule gives. */
#define RULES_K_SIGN		0x0001u
#define RULES_K_ENCRYPT		0x0002u
#define RULES_K_SIGNATURE	0x0004u
#define RULES_K_DIGEST		0x0008u
#define RULES_K_RSA_PADDING	0x0010u
#define RULES_K_KEY_TRANSPORT	0x0020u
#define RULES_K_CIPHERS		0x0040u
#define RULES_K_KEY_MISSING	0x0080u
#define RULES_K_NO_SIGNING_KEY	0x0100u
#define RULES_K_TRANSACTION	0x0200u
#define RULES_K_BCC		0x0400u
#define RULES_K_HARVESTED	0x0800u
#define RULES_K_HEADER_PROT	0x1000u
#define RULES_K_TRIPLE		0x2000u

struct rules_rule {
	struct rules_pattern	*sender;	/* NULL: any sender */
	struct rules_pattern	*rcpt;		/* NULL: a sender rule */
	unsigned		 set;		/* RULES_K_* */
	struct rules_policy	 p;		/* the values of the keys in set */
	size_t			 line;
	size_t			 bcc_line, bcc_col;	/* of its bcc: key */
};

struct rules_hdr {
	char			*name;		/* lowercased field name */
	char			*contains;	/* lowercased, or NULL */
	size_t			 clen;
	struct rules_pattern	*match;		/* or NULL */
	enum rules_action	 action;
	int			 strip;
	size_t			 line;
};

struct rules {
	char			*authserv_id;
	struct rules_policy	 defaults;
	size_t			 defaults_bcc_line, defaults_bcc_col;
	struct rules_rule	*rules;
	size_t			 nrules;
	struct rules_pattern	*dests;
	size_t			 ndests;
	int			 mobile_carriers;
	int			 already_smime;
	struct rules_hdr	*hdrs;
	size_t			 nhdrs;
	int			 remove_signature;	/* inbound */
	struct rules_pattern	*internal;
	size_t			 ninternal;
	int			 encrypt_at_rest;
	int			 harvest;
	int			 harvest_self_signed;
	int			 harvest_failed;
	struct signers		*signers;
	char			*drop_to;
	size_t			 drop_line;	/* of a key-missing: drop */
	struct rules_rev	 rev;
	struct rules_source	 dir;
	struct rules_source	 dns;
};

void	 rules_policy_apply(struct rules_policy *, const struct rules_rule *);
#endif /* RULES_PRIVATE */

#endif /* RULES_H */
