/*
 * Makes the golden files spandsp_short_<rate>.raw: SpanDSP 0.0.6's (Debian
 * libspandsp-dev) V.17 transmitter sending the short train, then 480 data
 * bits, then its shutdown, at -13 dBm0, as 16-bit little-endian samples in
 * 160-sample blocks. Bit i of the data is bit 7 of i * 2654435761 (mod 2^32).
 *
 *   gcc -O2 spandsp_short_train.c -o gen -lspandsp -lm
 *   for r in 14400 12000 9600 7200; do ./gen $r > spandsp_short_$r.raw; done
 */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <spandsp.h>

#define NBITS 480

static int pos;

static int get_bit(void *user_data)
{
    uint32_t x;

    if (pos >= NBITS)
        return SIG_STATUS_END_OF_DATA;
    x = (uint32_t) pos++ * 2654435761u;
    return (x >> 7) & 1;
}

int main(int argc, char *argv[])
{
    int rate;
    int n;
    int16_t buf[160];
    v17_tx_state_t *t;

    rate = atoi(argv[1]);
    t = v17_tx_init(NULL, rate, 0, get_bit, NULL);
    v17_tx_power(t, -13.0f);
    v17_tx_restart(t, rate, 0, 1);
    do
    {
        n = v17_tx(t, buf, 160);
        fwrite(buf, sizeof(buf[0]), n, stdout);
    }
    while (n == 160);
    v17_tx_free(t);
    return 0;
}
