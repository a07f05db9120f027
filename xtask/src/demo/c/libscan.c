/* ExampleAV scanning helpers, shipped as engine/libscan.so (unchanged in 1.1.0). */
#include <stddef.h>
#include <stdint.h>

const char libscan_version[] = "libscan 3.2.1";

/* CRC-32 (IEEE 802.3, reflected), used to key the signature database. */
uint32_t libscan_crc32(const unsigned char *buf, size_t len)
{
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < len; i++) {
        crc ^= buf[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

size_t libscan_count_byte(const unsigned char *buf, size_t len, unsigned char b)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += buf[i] == b;
    return n;
}
