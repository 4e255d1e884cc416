/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * libFuzzer target for the MIME base64 encoder with whole lines by
 * SSSE3 (smime/b64_hw.c): the input's first octet gives the piece size,
 * its second the line ends (low bit: CRLF), the rest is encoded in
 * pieces with b64_hw and in one call without; both must give the same
 * characters.  Without SSSE3 it only checks that nothing is claimed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "b64_hw.h"
#include "mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_b64enc e;
	struct mime_buf a, b;
	size_t piece, done, k;
	int flags;

	mime_b64enc_init(&e, 0);
	if (!b64_hw_available()) {
		if (e.hw || (b64_hw_engine() != NULL &&
		    getenv("FILTER_SMIME_NO_HW") == NULL))
			abort();
		return 0;
	}
	if (size < 2)
		return 0;
	piece = 1 + data[0];
	flags = data[1] & 1 ? MIME_ENC_CRLF : 0;
	data += 2;
	size -= 2;
	mime_buf_init(&a, 0);
	mime_buf_init(&b, 0);
	mime_b64enc_init(&e, flags);
	if (!e.hw)
		abort();
	for (done = 0; done < size; done += k) {
		k = piece < size - done ? piece : size - done;
		if (mime_b64enc_update(&e, data + done, k, mime_buf_write,
		    &a) != 0)
			goto out;
	}
	if (mime_b64enc_final(&e, mime_buf_write, &a) != 0)
		goto out;
	mime_b64enc_init(&e, flags);
	e.hw = 0;
	if (mime_b64enc_update(&e, data, size, mime_buf_write, &b) != 0 ||
	    mime_b64enc_final(&e, mime_buf_write, &b) != 0)
		goto out;
	if (a.len != b.len ||
	    (a.len > 0 && memcmp(a.data, b.data, a.len) != 0))
		abort();
out:
	mime_buf_clear(&a);
	mime_buf_clear(&b);
	return 0;
}
