// SHA-256 block compression with the x86 SHA extensions (SHA-NI), for CDSEngine's SHA256
// when the processor has them; CDSEngine's portable Swift code otherwise.
#ifndef CDS_SHA256_H
#define CDS_SHA256_H

#include <stddef.h>
#include <stdint.h>

/// The 64 round constants K.
const uint32_t *cds_sha256_round_constants(void);

/// 1 when this processor has the SHA extensions (with SSSE3 and SSE4.1), else 0.
int cds_sha256_accelerated(void);

/// Compresses `blocks` 64-byte blocks at `data` into `state` (h0...h7, as FIPS 180-4 names
/// them). Only when cds_sha256_accelerated() is 1.
void cds_sha256_compress(uint32_t state[8], const uint8_t *data, size_t blocks);

#endif
