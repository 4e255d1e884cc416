/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * BER reader over a memory buffer.
 *
 * mbedTLS's asn1 parser handles DER only: no indefinite lengths, no
 * constructed (segmented) OCTET STRINGs, and it mis-parses high tag
 * numbers.  CMS as sent by real clients needs all of that, so this is
 * our own cursor-style reader.
 *
 * Discipline: every length is checked against the enclosing element
 * (or the buffer), nesting depth is bounded by BER_MAX_DEPTH, nothing
 * recurses on input-controlled depth (an explicit fixed-size frame
 * stack is used) and nothing is allocated.
 *
 * Usage:
 *	struct ber_reader r;
 *	struct ber_elem e;
 *
 *	ber_reader_init(&r, buf, len, 0);
 *	if (ber_expect(&r, BER_SEQUENCE, &e) || ber_enter(&r))
 *		return ber_error(&r);
 *	while (ber_next(&r, &e) == BER_OK) {
 *		...
 *	}
 *	ber_leave(&r);
 *
 * ber_next() returns the next element at the current level and moves
 * past it; ber_enter() then descends into that element.  ber_expect()
 * treats a missing element as an error; test OPTIONAL fields with
 * ber_peek(), which does not move.  Errors are
 * sticky: after the first one every call returns it again, so a caller
 * may check once at the end of a sequence of calls.
 */
#ifndef BER_H
#define BER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define BER_MAX_DEPTH		64

/* Identifier octet parts. */
#define BER_CLASS_MASK		0xc0
#define BER_CLASS_UNIVERSAL	0x00
#define BER_CLASS_APPLICATION	0x40
#define BER_CLASS_CONTEXT	0x80
#define BER_CLASS_PRIVATE	0xc0
#define BER_CONSTRUCTED		0x20
#define BER_NUMBER_MASK		0x1f

/* Identifier octets of the universal types CMS uses. */
#define BER_BOOLEAN		0x01
#define BER_INTEGER		0x02
#define BER_BIT_STRING		0x03
#define BER_OCTET_STRING	0x04
#define BER_NULL		0x05
#define BER_OID			0x06
#define BER_ENUMERATED		0x0a
#define BER_UTF8_STRING		0x0c
#define BER_PRINTABLE_STRING	0x13
#define BER_IA5_STRING		0x16
#define BER_UTC_TIME		0x17
#define BER_GENERALIZED_TIME	0x18
#define BER_BMP_STRING		0x1e
#define BER_SEQUENCE		0x30
#define BER_SET			0x31

/* Context-specific tags: [n] primitive (IMPLICIT) and constructed. */
#define BER_CONTEXT(n)		(BER_CLASS_CONTEXT | (n))
#define BER_CONTEXT_CONS(n)	(BER_CLASS_CONTEXT | BER_CONSTRUCTED | (n))

/* Reader flags. */
#define BER_F_DER	0x01	/* reject indefinite and non-minimal lengths */

enum ber_err {
	BER_OK = 0,
	BER_END,		/* no more elements at this level */
	BER_ERR_TRUNCATED,	/* input ends inside an element */
	BER_ERR_PAST_PARENT,	/* element runs past its enclosing element */
	BER_ERR_BAD_LENGTH,	/* reserved length octet 0xff */
	BER_ERR_LENGTH_OCTETS,	/* more than 4 length octets */
	BER_ERR_LENGTH_OVERFLOW, /* length does not fit the address space */
	BER_ERR_NONMINIMAL_LENGTH, /* long form where not needed (DER) */
	BER_ERR_INDEFINITE_DER,	/* indefinite length with BER_F_DER */
	BER_ERR_INDEFINITE_PRIMITIVE, /* indefinite length on primitive */
	BER_ERR_MISSING_EOC,	/* indefinite element without end-of-contents */
	BER_ERR_UNEXPECTED_EOC,	/* end-of-contents outside an indefinite */
	BER_ERR_BAD_EOC,	/* end-of-contents with a length or constructed */
	BER_ERR_HIGH_TAG,	/* high-tag-number form (not used by CMS) */
	BER_ERR_DEPTH,		/* nesting deeper than BER_MAX_DEPTH */
	BER_ERR_UNEXPECTED_TAG,	/* element is not what the caller expected */
	BER_ERR_NOT_CONSTRUCTED, /* ber_enter on a primitive element */
	BER_ERR_STATE,		/* API misuse: enter without next, leave at top */
	BER_ERR_TRAILING,	/* data after the single top-level element */
	BER_ERR_BAD_BOOLEAN,
	BER_ERR_BAD_INTEGER,	/* empty or non-minimal INTEGER */
	BER_ERR_INT_RANGE,	/* INTEGER does not fit the requested type */
	BER_ERR_BAD_OID,
	BER_ERR_BAD_NULL,
	BER_ERR_BAD_BIT_STRING,
	BER_ERR_BAD_TIME,
	BER_ERR_BAD_SEGMENT,	/* constructed string chunk of the wrong type */
	BER_ERR_BUFFER_SMALL,	/* caller buffer too small for the content */
	BER_ERR_CALLBACK,	/* a segment callback returned non-zero */
	BER_ERR_MAX
};

/*
 * One element.  raw/rawlen span the whole encoding (identifier,
 * length, content and, for an indefinite element, its end-of-contents)
 * so callers can hash or copy certificates and signed attributes
 * verbatim.  For an indefinite element content/len cover the content
 * up to, not including, the end-of-contents octets.
 */
struct ber_elem {
	uint8_t		 tag;		/* identifier octet as encoded */
	uint8_t		 cls;		/* BER_CLASS_* */
	int		 constructed;
	unsigned int	 number;	/* tag number, 0..30 */
	int		 indefinite;
	size_t		 offset;	/* of the identifier in the buffer */
	size_t		 hdrlen;	/* identifier and length octets */
	const uint8_t	*content;
	size_t		 len;
	const uint8_t	*raw;
	size_t		 rawlen;
};

struct ber_frame {
	size_t		 pos;
	size_t		 end;
};

/* Ends of indefinite elements already found, so each is measured once. */
#define BER_KNOWN	8
struct ber_known {
	size_t		 offset;
	size_t		 rawlen;	/* 0: unused */
};

struct ber_reader {
	const uint8_t	*buf;
	size_t		 buflen;
	int		 flags;
	size_t		 pos;		/* next identifier at this level */
	size_t		 end;		/* end of this level's content */
	unsigned int	 depth;
	struct ber_frame stack[BER_MAX_DEPTH];
	struct ber_elem	 last;		/* element ber_enter() descends into */
	int		 have_last;
	enum ber_err	 err;
	size_t		 err_offset;	/* where the error was found */
	struct ber_known known[BER_KNOWN];
	unsigned int	 nknown;
};

/* Segment callback: return 0 to go on, anything else to stop. */
typedef int (*ber_segment_cb)(void *arg, const uint8_t *p, size_t len);

/* (not ber_init: liblber, which libldap loads, exports that name) */
void		 ber_reader_init(struct ber_reader *, const uint8_t *, size_t,
		    int);
enum ber_err	 ber_error(const struct ber_reader *);
const char	*ber_strerror(enum ber_err);

enum ber_err	 ber_next(struct ber_reader *, struct ber_elem *);
enum ber_err	 ber_peek(struct ber_reader *, struct ber_elem *);
enum ber_err	 ber_skip(struct ber_reader *);
enum ber_err	 ber_expect(struct ber_reader *, uint8_t, struct ber_elem *);
enum ber_err	 ber_expect_octets(struct ber_reader *, struct ber_elem *);
enum ber_err	 ber_enter(struct ber_reader *);
enum ber_err	 ber_leave(struct ber_reader *);
int		 ber_at_end(const struct ber_reader *);
unsigned int	 ber_depth(const struct ber_reader *);

enum ber_err	 ber_validate(const uint8_t *, size_t, int, size_t *);

enum ber_err	 ber_get_bool(const struct ber_elem *, int *);
enum ber_err	 ber_check_null(const struct ber_elem *);
enum ber_err	 ber_get_int_raw(const struct ber_elem *, const uint8_t **,
		    size_t *);
enum ber_err	 ber_get_uint_raw(const struct ber_elem *, const uint8_t **,
		    size_t *);
enum ber_err	 ber_get_long(const struct ber_elem *, long *);
enum ber_err	 ber_get_oid(const struct ber_elem *, const uint8_t **,
		    size_t *);
enum ber_err	 ber_get_bitstring(const struct ber_elem *, const uint8_t **,
		    size_t *, unsigned int *);
enum ber_err	 ber_get_time(const struct ber_elem *, struct tm *, time_t *);

enum ber_err	 ber_octets_foreach(const struct ber_elem *, ber_segment_cb,
		    void *);
enum ber_err	 ber_octets_len(const struct ber_elem *, size_t *);
enum ber_err	 ber_octets_copy(const struct ber_elem *, uint8_t *, size_t,
		    size_t *);

#endif /* BER_H */
