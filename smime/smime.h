/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * S/MIME message entry points (RFC 8551): a whole RFC 5322 message in,
 * the signed message out.  Routing headers stay outside, Content-*
 * headers move into the signed entity, which is signed in canonical
 * form (CRLF, 8-bit and unsafe lines re-encoded).  Output has LF line
 * ends, as the filter protocol and Exim's transport filters want.
 */
#ifndef SMIME_H
#define SMIME_H

#include <stddef.h>
#include <time.h>

#include "cms.h"
#include "mime.h"

/* flags */
#define SMIME_OPAQUE	0x01	/* application/pkcs7-mime signed-data */
#define SMIME_HP	0x02	/* RFC 9788: protected headers inside */
#define SMIME_OBSCURE	0x04	/* RFC 9788: outer Subject "[...]" */

int	 smime_sign(const char *, size_t, const struct cms_signer *, int,
	    time_t, struct cms_rng *, mime_write_fn, void *,
	    struct cms_error *);
int	 smime_encrypt(const char *, size_t, const struct cms_recipient *,
	    size_t, enum cms_cipher, int, struct cms_rng *, mime_write_fn,
	    void *, struct cms_error *);
/*
 * Sign, then encrypt the signed entity, in one pass over the message:
 * the signed entity is encrypted as it is made, never stored, so the
 * EnvelopedData has indefinite lengths (BER).  flags as for both:
 * SMIME_OPAQUE and SMIME_HP for the signature, SMIME_OBSCURE outside.
 */
int	 smime_sign_encrypt(const char *, size_t, const struct cms_signer *,
	    const struct cms_recipient *, size_t, enum cms_cipher, int,
	    time_t, struct cms_rng *, mime_write_fn, void *,
	    struct cms_error *);
int	 smime_header_is_content(const char *, size_t);

/* A mime_write_fn that turns CRLF into LF on the way to fn. */
struct smime_lf {
	mime_write_fn	 fn;
	void		*arg;
	int		 cr;		/* a CR is held back (crlf: was last) */
	int		 err;
	int		 crlf;		/* canonical out: CRLF kept, LF made CRLF */
};
int	 smime_lf_write(void *, const void *, size_t);
int	 smime_lf_flush(struct smime_lf *);

int	 smime_verify(const char *, size_t, const struct cms_trust *,
	    struct cms_verify *, struct cms_error *);
/*
 * Where the signature found sits: over the whole message (top), or over
 * one part, named as RFC 7281's body.smime-part numbers it (IMAP part
 * numbers: "2" is the second part of the top multipart, "2.1" the first
 * part inside that; the whole message is "1").
 */
struct smime_scope {
	int	 top;
	char	 part[64];
};
int	 smime_verify_ex(const char *, size_t, const struct cms_trust *,
	    struct cms_verify *, mime_write_fn, void *, struct smime_scope *,
	    struct cms_error *);
int	 smime_write_chunked(mime_write_fn, void *, const void *, size_t);
int	 smime_body_decode(const struct mime_entity *, struct mime_scratch *,
	    const uint8_t **, size_t *);
void	 smime_verify_free(struct cms_verify *);

/*
 * What a message's top-level entity proves to be (smime_probe.c): by
 * structure, never by its Content-Type alone.
 */
enum smime_proof {
	SMIME_PROOF_NONE,	/* not labelled S/MIME */
	SMIME_PROOF_LABEL,	/* labelled S/MIME, the structure does not hold */
	SMIME_PROOF_SIGNED,	/* multipart/signed (two parts, a SignedData
				 * in the second) or opaque SignedData */
	SMIME_PROOF_ENVELOPED	/* (Auth)EnvelopedData with recipients */
};

struct smime_probe {
	enum smime_proof	 proof;
	char			 why[200];	/* what held, or what did not */
	size_t			 nris;		/* enveloped: RecipientInfos */
};

/*
 * Look at msg's top-level entity.  For an envelope, each recipient
 * identifier goes to fn (NULL: not wanted).  Returns 0; pr says what
 * was found.
 */
int	 smime_probe(const char *, size_t, cms_rid_fn, void *,
	    struct smime_probe *);
const char *smime_proof_str(enum smime_proof);

#endif /* SMIME_H */
