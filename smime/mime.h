/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * MIME layer of the S/MIME engine: header sections, Content-Type,
 * multipart structure, transfer encodings and the canonical form that
 * is signed (RFC 2045, 2046, 2231, 8551 §3.1).
 *
 * Everything works on byte ranges (const char *, size_t) held in
 * memory by the caller; nothing here reads files or knows about SMTP.
 * Spans handed back point into the caller's buffer, so they stay
 * valid as long as that buffer does.  Output goes through a write
 * callback (mime_write_fn); struct mime_buf is a growable buffer with
 * such a callback for callers that want the result in memory.
 *
 * Line ends: input may use CRLF or bare LF, mixed.  A bare CR is an
 * ordinary octet inside a line.
 *
 * Nothing recurses on input-controlled depth: nested multiparts are
 * walked with an explicit stack bounded by MIME_MAX_DEPTH.
 *
 * Usage, headers:
 *	struct mime_entity e;
 *	struct mime_hdr_iter it;
 *	struct mime_field f;
 *
 *	if (mime_entity_parse(msg, len, &e) != MIME_OK)
 *		...
 *	mime_hdr_iter_init(&it, &e);
 *	while (mime_hdr_next(&it, &f))
 *		emit(f.raw, f.rawlen);	(byte-exact, or skip some)
 *
 * Usage, one multipart level:
 *	struct mime_mp mp;
 *	struct mime_span part;
 *
 *	mime_mp_init(&mp, e.body, e.bodylen, boundary, blen);
 *	while (mime_mp_next(&mp, &part))
 *		hash(part.p, part.len);
 *	if (mp.err != MIME_OK) ...
 */
#ifndef MIME_H
#define MIME_H

#include <stddef.h>
#include <stdint.h>

#define MIME_MAX_FIELDS		2000	/* fields in a header */
#define MIME_MAX_HEADER		(256 * 1024) /* header section octets */
#define MIME_MAX_PARAMS		32	/* Content-Type parameters */
#define MIME_MAX_BOUNDARY	200	/* RFC 2046 says 70; be lenient */
#define MIME_MAX_DEPTH		32	/* nested multiparts */
#define MIME_LINE_MAX		998	/* RFC 5322 §2.1.1 */

enum mime_err {
	MIME_OK = 0,
	MIME_E_NOMEM,
	MIME_E_FIELDS,		/* over MIME_MAX_FIELDS header fields */
	MIME_E_HDRSIZE,		/* header section over MIME_MAX_HEADER */
	MIME_E_SYNTAX,		/* Content-Type / parameter syntax */
	MIME_E_PARAMS,		/* more than MIME_MAX_PARAMS parameters */
	MIME_E_NOBOUNDARY,	/* multipart without usable boundary */
	MIME_E_NODELIM,		/* no delimiter found in the body */
	MIME_E_NOCLOSE,		/* no close delimiter (parts given) */
	MIME_E_DEPTH,		/* nested deeper than MIME_MAX_DEPTH */
	MIME_E_BASE64,		/* bad character or length in base64 */
	MIME_E_WRITE,		/* the output callback failed */
	MIME_E_CALLBACK,	/* a walk callback asked to stop */
	MIME_E_MAX
};

const char	*mime_strerror(int);
int		 mime_hexval(int);

/* Output: return 0 on success, non-zero to abort the operation. */
typedef int	(*mime_write_fn)(void *arg, const void *p, size_t n);

struct mime_buf {
	char		*data;
	size_t		 len;
	size_t		 cap;
	size_t		 max;	/* 0: no limit other than memory */
};

void	mime_buf_init(struct mime_buf *, size_t max);
void	mime_buf_clear(struct mime_buf *);
int	mime_buf_write(void *buf, const void *p, size_t n);

struct mime_span {
	const char	*p;
	size_t		 len;
};

/*
 * Headers.  hdr spans the fields (each with its line end, if any);
 * sep the empty line that ends them (empty span when the entity has
 * no separator); body the rest.  hdr + sep + body is the whole input.
 * The header section ends at the first empty line, or at the first
 * line that is neither a field ("name:") nor a continuation, which
 * then starts the body (has_sep is 0).
 */
struct mime_entity {
	const char	*hdr;
	size_t		 hdrlen;
	const char	*sep;
	size_t		 seplen;
	const char	*body;
	size_t		 bodylen;
	size_t		 nfields;
	int		 has_sep;
};

/*
 * One header field.  name excludes the colon and any white space
 * before it; value is everything after the colon up to, not including,
 * the final line end (folding kept); raw is the whole field with its
 * final line end, for byte-exact re-emission.
 */
struct mime_field {
	const char	*name;
	size_t		 namelen;
	const char	*value;
	size_t		 valuelen;
	const char	*raw;
	size_t		 rawlen;
};

struct mime_hdr_iter {
	const char	*p;
	size_t		 len;
	size_t		 off;
};

int	mime_entity_parse(const char *, size_t, struct mime_entity *);
int	mime_entity_parse_any(const char *, size_t, struct mime_entity *);
void	mime_hdr_iter_init(struct mime_hdr_iter *,
	    const struct mime_entity *);
int	mime_hdr_next(struct mime_hdr_iter *, struct mime_field *);
int	mime_hdr_find(const struct mime_entity *, const char *name,
	    size_t nth, struct mime_field *);
size_t	mime_hdr_count(const struct mime_entity *, const char *name);
size_t	mime_unfold(const char *, size_t, char *dst);
int	mime_hdr_is(const struct mime_field *, const char *name);

/*
 * Content-Type.  Strings are NUL-terminated and owned by the struct
 * (one allocation, freed by mime_ctype_clear).  type, subtype and
 * parameter names are lowercased; values are kept as sent, with
 * quoting, escapes and RFC 2231 encoding removed (valuelen, since an
 * RFC 2231 value may hold a NUL).  mime_ctype_init() before first use.
 */
struct mime_param {
	const char	*name;
	const char	*value;
	size_t		 valuelen;
};

struct mime_ctype {
	const char	*type;
	const char	*subtype;
	struct mime_param params[MIME_MAX_PARAMS];
	size_t		 nparams;
	int		 defaulted;	/* absent/unusable: text/plain */
	char		*buf;
};

void	mime_ctype_init(struct mime_ctype *);
void	mime_ctype_clear(struct mime_ctype *);
int	mime_ctype_parse(const char *, size_t, struct mime_ctype *);
int	mime_entity_ctype(const struct mime_entity *, struct mime_ctype *);
const struct mime_param *mime_ctype_param(const struct mime_ctype *,
	    const char *name);
int	mime_ctype_is(const struct mime_ctype *, const char *type,
	    const char *subtype);
int	mime_ctype_boundary(const struct mime_ctype *, struct mime_span *);

enum mime_cte {
	MIME_CTE_7BIT = 0,	/* also the default when absent */
	MIME_CTE_8BIT,
	MIME_CTE_BINARY,
	MIME_CTE_QP,
	MIME_CTE_BASE64,
	MIME_CTE_UNKNOWN
};

enum mime_cte	mime_cte_parse(const char *, size_t);
enum mime_cte	mime_entity_cte(const struct mime_entity *);
const char	*mime_cte_name(enum mime_cte);

/*
 * What kind of S/MIME an entity already is, judged by its Content-Type
 * (legacy x- names included).
 */
enum mime_smime {
	MIME_SMIME_NONE = 0,
	MIME_SMIME_SIGNED,	/* multipart/signed */
	MIME_SMIME_PKCS7,	/* application/(x-)pkcs7-mime */
	MIME_SMIME_SIGNATURE,	/* bare application/(x-)pkcs7-signature */
	MIME_SMIME_ENCRYPTED	/* multipart/encrypted */
};

enum mime_smime	mime_smime_kind(const struct mime_ctype *);
int		mime_is_smime(const char *, size_t);

/*
 * One multipart level (RFC 2046 §5.1.1).  Each part span is exact:
 * from after the delimiter line's line end to before the line end that
 * precedes the next delimiter, which is what a multipart/signed
 * verifier hashes.  preamble and epilogue are set as they are found
 * (epilogue after the close delimiter's line end).  err is set to
 * MIME_E_NODELIM when no delimiter was found and MIME_E_NOCLOSE when
 * the body ended without a close delimiter; the parts found are given
 * either way, the last one running to the end of the body.
 */
struct mime_mp {
	const char	*p;
	size_t		 len;
	const char	*bnd;
	size_t		 bndlen;
	size_t		 off;		/* start of the next part */
	size_t		 nparts;
	int		 state;
	int		 err;
	int		 closed;
	int		 delim_at_start; /* first delimiter at offset 0 */
	int		 close_eol;	/* close delimiter line ended */
	struct mime_span preamble;
	struct mime_span epilogue;
};

void	mime_mp_init(struct mime_mp *, const char *, size_t,
	    const char *bnd, size_t bndlen);
int	mime_mp_start(struct mime_mp *);
int	mime_mp_next(struct mime_mp *, struct mime_span *);

/*
 * Walk an entity and every nested multipart part, depth first, with
 * an explicit stack.  The body of a message/rfc822 (or message/global)
 * entity in an identity encoding is walked too, as its only child.
 * The callback sees each entity once (the top one at depth 0); a
 * non-zero return stops the walk with MIME_E_CALLBACK.
 * A multipart without a boundary parameter is reported as a leaf with
 * node->mperr set to MIME_E_NOBOUNDARY; problems found while walking
 * its parts (MIME_E_NODELIM, MIME_E_NOCLOSE) are known only later.
 * The first structural problem is returned at the end; header limits,
 * MIME_E_DEPTH and allocation failures stop the walk at once.
 */
struct mime_node {
	unsigned int	 depth;
	size_t		 index;		/* place in the parent */
	struct mime_span span;		/* the whole entity */
	struct mime_entity ent;
	const struct mime_ctype *ct;
	int		 mperr;		/* MIME_E_NOBOUNDARY or 0 */
};

typedef int	(*mime_walk_fn)(void *arg, const struct mime_node *);
int	mime_entity_is_message(const struct mime_entity *,
	    const struct mime_ctype *);
int	mime_walk(const char *, size_t, mime_walk_fn, void *arg);

/*
 * Transfer encodings, streaming: update() may be called with any
 * chunking and gives the same output as one call; final() flushes.
 * Errors are sticky.
 */
struct mime_b64dec {
	uint32_t	 acc;
	unsigned int	 n;		/* sextets in acc */
	unsigned int	 pad;		/* '=' seen */
	int		 err;
};

void	mime_b64dec_init(struct mime_b64dec *);
int	mime_b64dec_update(struct mime_b64dec *, const char *, size_t,
	    mime_write_fn, void *);
int	mime_b64dec_final(struct mime_b64dec *, mime_write_fn, void *);

#define MIME_ENC_CRLF	0x01	/* line ends CRLF instead of LF */

struct mime_b64enc {
	unsigned char	 rem[3];
	unsigned int	 nrem;
	unsigned int	 col;
	int		 flags;
	int		 hw;		/* whole lines by b64_hw.c */
	int		 err;
};

void	mime_b64enc_init(struct mime_b64enc *, int flags);
int	mime_b64enc_update(struct mime_b64enc *, const void *, size_t,
	    mime_write_fn, void *);
int	mime_b64enc_final(struct mime_b64enc *, mime_write_fn, void *);

#define MIME_QP_HOLD	64	/* white space held back at most */

struct mime_qpdec {
	int		 state;
	char		 hex;
	char		 hold[MIME_QP_HOLD];
	size_t		 nhold;
	int		 err;
};

void	mime_qpdec_init(struct mime_qpdec *);
int	mime_qpdec_update(struct mime_qpdec *, const char *, size_t,
	    mime_write_fn, void *);
int	mime_qpdec_final(struct mime_qpdec *, mime_write_fn, void *);

struct mime_qpenc {
	unsigned int	 col;
	int		 ws;		/* held white space, or -1 */
	int		 cr;		/* held CR */
	int		 flags;
	int		 err;
};

void	mime_qpenc_init(struct mime_qpenc *, int flags);
int	mime_qpenc_update(struct mime_qpenc *, const void *, size_t,
	    mime_write_fn, void *);
int	mime_qpenc_final(struct mime_qpenc *, mime_write_fn, void *);

/*
 * The quoted-printable encoder takes CRLF and LF in its input as line
 * breaks and writes them as the chosen line end; a bare CR is encoded.
 * The decoder writes line breaks as they came (CRLF or LF).
 */

/* One-shot helpers into a mime_buf (appended). */
int	mime_b64_decode(const char *, size_t, struct mime_buf *);
int	mime_b64_encode(const void *, size_t, int flags, struct mime_buf *);
int	mime_qp_decode(const char *, size_t, struct mime_buf *);
int	mime_qp_encode(const void *, size_t, int flags, struct mime_buf *);

/*
 * Canonical form for signing (RFC 8551 §3.1): CRLF line ends; a leaf
 * body holding 8-bit octets, NUL, bare CR, lines over 998 octets,
 * trailing white space or lines starting "From " is re-encoded as
 * quoted-printable (text) or base64 (NUL or mostly binary, or already
 * base64) and its Content-Transfer-Encoding rewritten; multipart
 * bodies are walked and each leaf treated alike, boundaries kept;
 * an encapsulated message (see mime_walk) is canonicalised as an
 * entity of its own rather than encoded, as RFC 2046 §5.2.1 demands.
 * A clean 7-bit entity comes out byte-identical apart from LF->CRLF.
 * A body in a transfer encoding we cannot decode is left as it is;
 * header fields are not refolded.  Canonicalising the output again
 * gives the same octets.
 */
int	mime_canon(const char *, size_t, mime_write_fn, void *);
/*
 * p[0..n) to fn with each bare LF made CRLF; *lastcr carries "the last
 * octet was a CR" from one call to the next (start it at 0).
 */
int	mime_crlf_write(mime_write_fn, void *, const char *, size_t, int *);
int	mime_crlf_span(mime_write_fn, void *, const char *, size_t);
int	mime_canon_entity(const struct mime_entity *, mime_write_fn, void *);
int	mime_body_needs_encoding(const char *, size_t);

/*
 * A message tested as it is written, a piece at a time: clean when
 * mime_body_needs_encoding() of the whole would be 0.  The test is one
 * of lines, so then every body in it is clean too, and after
 * mime_set_clean() (where the message lies; NULL: nowhere) the
 * canonicaliser takes that for each body instead of reading it once
 * more before it reads it for good.
 */
struct mime_clean {
	int	 dirty;
	size_t	 ncarry;
	char	 carry[MIME_LINE_MAX + 3];	/* a line cut in two */
};
void	mime_clean_init(struct mime_clean *);
void	mime_clean_update(struct mime_clean *, const char *, size_t);
int	mime_clean_final(const struct mime_clean *);
void	mime_set_clean(const char *, size_t);

/*
 * Bounded memory over a mapped message.  The passes here read a message
 * front to back, a chunk of at most MIME_CHUNK octets at a time.  A
 * caller whose range is a file mapping registers a hook, called after
 * every MIME_RECLAIM octets read, that lets the kernel take the pages
 * back (madvise): the resident set then stays bounded whatever the
 * message's size.  One hook per process (the engine is single-threaded);
 * without one, mime_consumed() costs a test.
 */
#ifndef MIME_CHUNK		/* the fuzz build makes it tiny: edges everywhere */
/*
 * 64 KB: mime_fetch's buffer is one chunk, and each of its pages costs
 * a fault the first time (about 10 us on a virtual machine); 256 KB
 * made a 1 MB message 0.7 ms slower and a 100 MB one no faster.
 */
#define MIME_CHUNK	(64 * 1024)
#endif
#define MIME_RECLAIM	(4 * 1024 * 1024)

void	mime_set_reclaim(void (*)(void *), void *);
void	mime_consumed(size_t);

/*
 * The same passes take each chunk through mime_fetch(p, n), n at most
 * MIME_CHUNK.  A caller whose range is also a file (the spool under a
 * mapping) registers a hook that copies the chunk from the file into
 * buf and returns buf, or returns p when it cannot: a read(2) into a
 * buffer that stays in the cache costs less than faulting in the
 * mapping's pages, which on some machines is most of a large message's
 * time.  The octets are the same either way.
 */
typedef const char *(*mime_fetch_fn)(const char *p, size_t n, char *buf);
void	 mime_set_fetch(mime_fetch_fn);
const char *mime_fetch(const char *, size_t);

/*
 * Scratch space for what must be held whole (a decoded signature or
 * envelope, which the BER reader walks in place): memory by default.  A
 * caller may provide storage that is not memory, such as a spool that
 * spills into an unlinked file and is then mapped (and trimmed by the
 * reclaim hook).  open gives a handle or NULL; map may be called once,
 * after the writes; close releases (and wipes what was in memory).
 */
struct mime_scratch_ops {
	void	*(*open)(void);
	int	 (*write)(void *, const void *, size_t);
	int	 (*map)(void *, const char **, size_t *);
	void	 (*close)(void *);
};

struct mime_scratch {
	struct mime_buf	 buf;		/* without ops */
	void		*ext;		/* with ops */
};

void	mime_set_scratch(const struct mime_scratch_ops *);
int	mime_scratch_open(struct mime_scratch *);
int	mime_scratch_write(void *, const void *, size_t);
int	mime_scratch_map(struct mime_scratch *, const char **, size_t *);
void	mime_scratch_close(struct mime_scratch *);

#endif /* MIME_H */
