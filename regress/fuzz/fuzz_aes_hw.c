/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * libFuzzer target for AES-CBC encryption with AES-NI: the input gives
 * the key size (its first octet's low bit: 128 or 256), the key, the IV
 * and the piece size (one octet each), then the plaintext (whole blocks
 * of what is left); aes_hw in pieces and mbedTLS in one call must give
 * the same ciphertext and the same final IV.  Without AES-NI it only
 * checks that nothing is claimed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/aes.h>

#include "aes_hw.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t iv[16], ivref[16], *ours, *ref;
	mbedtls_aes_context m;
	struct aes_hw a;
	size_t klen, n, done, k, piece;

	if (!aes_hw_available()) {
		if (aes_hw_engine() != NULL && getenv("FILTER_SMIME_NO_HW") ==
		    NULL)
			abort();
		return 0;
	}
	if (size < 1)
		return 0;
	klen = data[0] & 1 ? 32 : 16;
	if (size < 1 + klen + 16 + 1)
		return 0;
	piece = 1 + data[1 + klen + 16];
	n = (size - (2 + klen + 16)) / 16 * 16;
	if ((ours = malloc(n + 1)) == NULL || (ref = malloc(n + 1)) == NULL) {
		free(ours);
		return 0;
	}
	memcpy(ours, data + 2 + klen + 16, n);
	memcpy(ref, ours, n);
	memcpy(iv, data + 1 + klen, 16);
	memcpy(ivref, iv, 16);
	mbedtls_aes_init(&m);
	if (mbedtls_aes_setkey_enc(&m, data + 1, (unsigned)klen * 8) != 0 ||
	    (n > 0 && mbedtls_aes_crypt_cbc(&m, MBEDTLS_AES_ENCRYPT, n, ivref,
	    ref, ref) != 0) || aes_hw_setkey(&a, data + 1, klen) != 0)
		abort();
	for (done = 0; done < n; done += k) {
		k = piece * 16 < n - done ? piece * 16 : n - done;
		aes_hw_cbc_encrypt(&a, iv, ours + done, ours + done, k / 16);
	}
	if ((n > 0 && memcmp(ours, ref, n) != 0) || memcmp(iv, ivref, 16) != 0)
		abort();
	aes_hw_wipe(&a);
	mbedtls_aes_free(&m);
	free(ours);
	free(ref);
	return 0;
}
