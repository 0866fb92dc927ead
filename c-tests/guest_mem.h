/* guest_mem.h: a fake wasm32 guest memory for the witx tests (witx.c, limits.c): little-endian
 * u32 accessors and the 20-byte tensor record {dims ptr, dims len, type u8 + 3 padding bytes, data
 * ptr, data len}, written with garbage in the padding as C guests leave it. The test points `mem`
 * at its buffer first. */
#ifndef WASINN_CTESTS_GUEST_MEM_H
#define WASINN_CTESTS_GUEST_MEM_H

#include <stdint.h>

static uint8_t *mem;

static void wr32(uint32_t at, uint32_t v)
{
    /* wasm memory is little-endian; write bytewise so the host's endianness does not matter */
    mem[at] = (uint8_t)v;
    mem[at + 1] = (uint8_t)(v >> 8);
    mem[at + 2] = (uint8_t)(v >> 16);
    mem[at + 3] = (uint8_t)(v >> 24);
}

static uint32_t rd32(uint32_t at)
{
    return (uint32_t)mem[at] | (uint32_t)mem[at + 1] << 8 | (uint32_t)mem[at + 2] << 16 | (uint32_t)mem[at + 3] << 24;
}

/* Writes a tensor record at `at` with garbage padding. */
static void put_tensor(uint32_t at, uint32_t dims_ptr, uint32_t rank, uint8_t type, uint32_t data_ptr,
                       uint32_t data_len)
{
    wr32(at, dims_ptr);
    wr32(at + 4, rank);
    mem[at + 8] = type;
    mem[at + 9] = 0xAB;
    mem[at + 10] = 0xCD;
    mem[at + 11] = 0xEF;
    wr32(at + 12, data_ptr);
    wr32(at + 16, data_len);
}

#define CHECK_ERRNO(call, want)                                                                    \
    do {                                                                                           \
        int32_t e_ = (call);                                                                       \
        if (!CHECK(e_ == (want)))                                                                  \
            fprintf(stderr, "    errno %d, expected %d\n", (int)e_, (int)(want));                  \
    } while (0)

#endif
