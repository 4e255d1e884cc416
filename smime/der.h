/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * DER writer into a growable buffer.
 *
 * Constructed elements are opened with der_begin() and closed with
 * der_end(); the writer reserves one length octet at der_begin() and
 * moves the content up when the final length needs more, so callers
 * write front to back in the natural order.  der_begin_sorted() opens
 * a SET OF (or an IMPLICIT-tagged one such as signedAttrs [0] or
 * certificates [0]) whose elements der_end() sorts as X.690 11.6
 * requires.
 *
 * Errors are sticky: after the first failure (allocation, size limit,
 * misuse) every call returns -1 and der_finish() reports the error, so
 * a long run of writes needs one check at the end.
 *
 *	struct der_writer w;
 *
 *	der_init(&w);
 *	der_begin(&w, DER_SEQUENCE);
 *	der_oid(&w, oid, oidlen);
 *	der_null(&w);
 *	der_end(&w);
 *	if (der_finish(&w, &buf, &len) == -1)
 *		errx(1, "%s", der_strerror(der_error(&w)));
 *	...
 *	free(buf);
 */
#ifndef DER_H
#define DER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define DER_MAX_DEPTH		32
/* Our BER reader takes at most 4 length octets; so do we. */
#define DER_MAX_LEN		0xffffffffUL

#define DER_BOOLEAN		0x01
#define DER_INTEGER		0x02
#define DER_BIT_STRING		0x03
#define DER_OCTET_STRING	0x04
#define DER_NULL		0x05
#define DER_OID			0x06
#define DER_UTF8_STRING		0x0c
#define DER_PRINTABLE_STRING	0x13
#define DER_IA5_STRING		0x16
#define DER_UTC_TIME		0x17
#define DER_GENERALIZED_TIME	0x18
#define DER_SEQUENCE		0x30
#define DER_SET			0x31
#define DER_CONTEXT(n)		(0x80 | (n))	/* [n] IMPLICIT primitive */
#define DER_CONTEXT_CONS(n)	(0xa0 | (n))	/* [n] constructed/EXPLICIT */

enum der_err {
	DER_OK = 0,
	DER_ERR_NOMEM,		/* allocation failed */
	DER_ERR_TOO_BIG,	/* over the size limit or DER_MAX_LEN */
	DER_ERR_DEPTH,		/* more than DER_MAX_DEPTH open elements */
	DER_ERR_STATE,		/* der_end without begin, finish while open */
	DER_ERR_ARG,		/* bad argument: tag, NULL data, bad time */
	DER_ERR_SORT,		/* SET OF content is not a list of elements */
	DER_ERR_MAX
};

struct der_open {
	size_t		 start;		/* offset of the identifier octet */
	int		 sorted;
};

struct der_writer {
	uint8_t		*buf;
	size_t		 len;
	size_t		 cap;
	size_t		 limit;		/* largest output allowed */
	unsigned int	 depth;
	struct der_open	 open[DER_MAX_DEPTH];
	enum der_err	 err;
};

void		 der_init(struct der_writer *);
void		 der_set_limit(struct der_writer *, size_t);
void		 der_clear(struct der_writer *);
enum der_err	 der_error(const struct der_writer *);
const char	*der_strerror(enum der_err);
int		 der_finish(struct der_writer *, uint8_t **, size_t *);

int		 der_begin(struct der_writer *, uint8_t);
int		 der_begin_sorted(struct der_writer *, uint8_t);
int		 der_end(struct der_writer *);

int		 der_prim(struct der_writer *, uint8_t, const uint8_t *,
		    size_t);
int		 der_raw(struct der_writer *, const uint8_t *, size_t);
int		 der_null(struct der_writer *);
int		 der_bool(struct der_writer *, int);
int		 der_int(struct der_writer *, long);
int		 der_int_raw(struct der_writer *, const uint8_t *, size_t);
int		 der_int_twos(struct der_writer *, const uint8_t *, size_t);
int		 der_oid(struct der_writer *, const uint8_t *, size_t);
int		 der_octets(struct der_writer *, const uint8_t *, size_t);
int		 der_bitstring(struct der_writer *, const uint8_t *, size_t,
		    unsigned int);
int		 der_time(struct der_writer *, time_t);
int		 der_utctime(struct der_writer *, time_t);
int		 der_gentime(struct der_writer *, time_t);

size_t		 der_len_size(size_t);
size_t		 der_put_hdr(uint8_t *, uint8_t, size_t);
size_t		 der_tlv_size(size_t);
enum der_err	 der_sort_set(uint8_t *, size_t);

#endif /* DER_H */
