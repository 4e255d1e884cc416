/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * The keystore: certificates and sealed private keys in a directory an
 * admin can back up with tar.  See smimectl(8) for the layout.
 *
 * One file, STORE/index, lists every certificate with what the filter
 * needs to decide (account, purpose, validity, state).  Blobs (DER
 * certificates, sealed keys) are named by the certificate's SHA-256
 * fingerprint and written before the index that names them; the index
 * is replaced atomically (temporary file, fsync, rename) under a lock,
 * so a reader sees either the old store or the new one, never half.
 */
#ifndef KS_H
#define KS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#define KS_FPR_LEN	64		/* SHA-256, hex */
#define KS_MASTER_LEN	32
#define KS_ACCOUNT_MAX	320

enum ks_kind { KS_INTERNAL, KS_EXTERNAL, KS_HARVESTED };
enum ks_state { KS_CURRENT, KS_RETIRED, KS_PENDING, KS_REJECTED };

#define KS_P_SIGN	0x01
#define KS_P_ENCRYPT	0x02

#define KS_F_PRIMARY_SIGN	0x01
#define KS_F_PRIMARY_ENCRYPT	0x02

struct ks_entry {
	char		*account;	/* lowercased address or @domain */
	char		 fpr[KS_FPR_LEN + 1];
	enum ks_kind	 kind;
	enum ks_state	 state;
	unsigned	 purpose;	/* KS_P_* */
	unsigned	 flags;		/* KS_F_* */
	int64_t		 not_before;
	int64_t		 not_after;
	int64_t		 added;
	char		 idhash[33];	/* issuer+serial, SHA-256 prefix hex */
	char		 ski[65];	/* subjectKeyIdentifier hex, or "-" */
	char		*extra;		/* harvested: capabilities etc., or "-" */
	struct ks_entry	*next_in_account;
	unsigned	 revoked;	/* ocsp/FPR.status says so */
};

/* map.c: string-keyed hash map; keys are borrowed, not copied */
struct ks_map;

struct ks_map	*ks_map_new(size_t);
void		 ks_map_free(struct ks_map *);
int		 ks_map_put(struct ks_map *, const char *, void *);
void		*ks_map_get(const struct ks_map *, const char *);

struct ks_store {
	char		*dir;
	uint64_t	 generation;
	struct ks_entry	**entries;	/* in index order */
	size_t		 nentries;
	size_t		 cap;
	/* lookup tables, built on load */
	struct ks_map	*by_account;
	struct ks_map	*by_idhash;
	struct ks_map	*by_ski;
	struct ks_map	*by_fpr;
	/* what the loaded index was, to notice a newer one */
	uint64_t	 idx_ino;
	int64_t		 idx_mtime_ns;
	int64_t		 idx_size;
	uint64_t	 trust_mtime_ns;	/* anchors/, crls/, ocsp/ */
};

/* Errors carry a sysexits code and a message. */
struct ks_error {
	int		 code;
	char		 msg[256];
};

void	 ks_error_set(struct ks_error *, int, const char *, ...)
	    __attribute__((format(printf, 3, 4)));

/* store.c: open, load, save */
int	 ks_init(const char *, struct ks_error *);
int	 ks_open(struct ks_store *, const char *, struct ks_error *);
void	 ks_close(struct ks_store *);
int	 ks_changed(const struct ks_store *);
int	 ks_reload(struct ks_store *, struct ks_error *);
int	 ks_lock(const char *, struct ks_error *);
void	 ks_unlock(int);
int	 ks_save(struct ks_store *, struct ks_error *);
int	 ks_write_file(const char *, const char *, const void *, size_t,
	    struct ks_error *);
int	 ks_read_file(const char *, uint8_t **, size_t *, size_t);
int	 ks_read_fd(int, uint8_t **, size_t *, size_t);
int	 ks_read_blob(const struct ks_store *, const char *, const char *,
	    const char *, uint8_t **, size_t *, size_t);
void	 ks_set_blob_opener(int (*)(void *, const char *, const char *,
	    const char *), void *);
int	 ks_add_entry(struct ks_store *, struct ks_entry *, struct ks_error *);
int	 ks_remove_entry(struct ks_store *, const char *, const char *);
int	 ks_rebuild(struct ks_store *, struct ks_error *);
/* store.c: where a certificate came from (certs/FPR.from), or "" */
int	 ks_origin_write(const char *, const char *, const char *,
	    struct ks_error *);
void	 ks_origin(const struct ks_store *, const struct ks_entry *, char *,
	    size_t);
char	*ks_path(const struct ks_store *, const char *, const char *,
	    const char *);
const char *ks_kind_str(enum ks_kind);
const char *ks_state_str(enum ks_state);

/* seal.c: private keys sealed with the store's master key */
int	 ks_master_key(const char *, uint8_t[KS_MASTER_LEN], struct ks_error *);
int	 ks_seal(const uint8_t[KS_MASTER_LEN], const char *, const uint8_t *,
	    size_t, uint8_t **, size_t *, struct ks_error *);
int	 ks_unseal(const uint8_t[KS_MASTER_LEN], const char *, const uint8_t *,
	    size_t, uint8_t **, size_t *, struct ks_error *);

/* cert.c: certificate facts */
int	 ks_fingerprint(const mbedtls_x509_crt *, char[KS_FPR_LEN + 1]);
void	 ks_hex(const uint8_t *, size_t, char *);
int	 ks_idhash(const uint8_t *, size_t, const uint8_t *, size_t,
	    char[33]);
unsigned ks_cert_purpose(const mbedtls_x509_crt *);
int	 ks_cert_names(const uint8_t *, size_t, const char *);
int64_t	 ks_x509_time(const mbedtls_x509_time *);
void	 ks_utc(char *, size_t, time_t);
int	 ks_entry_from_cert(struct ks_entry *, const mbedtls_x509_crt *,
	    const char *, enum ks_kind);
int	 ks_normalize_account(const char *, char *, size_t);

/* lookup.c: what the filter asks */
enum ks_answer { KS_FOUND, KS_NONE, KS_EXPIRED, KS_NOT_YET_VALID,
		  KS_REVOKED };

enum ks_answer	 ks_sign_identity(const struct ks_store *, const char *,
		    time_t, const struct ks_entry **);
enum ks_answer	 ks_encrypt_cert(const struct ks_store *, const char *,
		    time_t, int, const struct ks_entry **);
const struct ks_entry *ks_by_idhash(const struct ks_store *, const char *);
const struct ks_entry *ks_by_ski(const struct ks_store *, const char *);
const struct ks_entry *ks_by_fpr(const struct ks_store *, const char *);
const struct ks_entry *ks_account_entries(const struct ks_store *,
		    const char *);
int		 ks_load_cert(const struct ks_store *, const struct ks_entry *,
		    mbedtls_x509_crt *, struct ks_error *);
int		 ks_load_key(const struct ks_store *, const uint8_t *,
		    const struct ks_entry *, mbedtls_pk_context *,
		    struct ks_error *);


/* import.c: certificates, bundles, PEM keys, PKCS#12 into the store */
struct ks_import_opts {
	const char	*account;	/* else the certificate's email */
	int		 primary;
	int		 force;		/* accept expired / not yet valid */
	unsigned	 purpose;	/* KS_P_*: what it must be fit for */
	const char	*password;	/* PKCS#12 */
	const uint8_t	*key;		/* a separate PEM/DER private key */
	size_t		 keylen;
};

struct ks_imported {
	char		 account[KS_ACCOUNT_MAX + 1];
	char		 fpr[KS_FPR_LEN + 1];
	int		 has_key;
	int		 expired;
	int		 not_yet_valid;
	unsigned	 purpose;
};

#define KS_IMPORT_MAX	64

int	 ks_import(const char *, const uint8_t *, size_t,
	    const struct ks_import_opts *, struct ks_imported *, size_t *,
	    struct ks_error *);
int	 ks_store_identity(const char *, const mbedtls_x509_crt *,
	    const mbedtls_x509_crt *, mbedtls_pk_context *, const char *,
	    enum ks_kind, int, struct ks_error *);

/* selfsign.c: a new key and a self-signed S/MIME certificate */
struct ks_selfsign_opts {
	const char	*account;	/* address, or @domain */
	int		 ec_curve;	/* 0: RSA; else 256, 384 or 521 */
	unsigned	 rsa_bits;
	unsigned	 purpose;	/* KS_P_* */
	unsigned	 days;
};

int	 ks_selfsign(const struct ks_selfsign_opts *, mbedtls_pk_context *,
	    mbedtls_x509_crt *, struct ks_error *);
int		 ks_load_chain(const struct ks_store *, const struct ks_entry *,
		    mbedtls_x509_crt *);

/* harvest.c: certificates seen in valid signatures */
int	 ks_harvest(const char *, const mbedtls_x509_crt *, const char *,
	    const char *, int, struct ks_error *);
int	 ks_set_state(const char *, const char *, enum ks_state,
	    struct ks_error *);
int	 ks_trust_anchors(const struct ks_store *, mbedtls_x509_crt *);
/* revocation.c: what OCSP said of the store's certificates */
enum ks_revstatus { KS_REV_GOOD, KS_REV_REVOKED, KS_REV_UNKNOWN };
int	 ks_revocation_write(const struct ks_store *, const char *,
	    enum ks_revstatus, int64_t, int64_t, int64_t, struct ks_error *);
void	 ks_revocation_load(struct ks_store *);
int	 ks_crls(const struct ks_store *, mbedtls_x509_crl *);

#endif /* KS_H */
