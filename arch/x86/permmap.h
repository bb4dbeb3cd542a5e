/* The bit math of the hardware's I/O and MSR permission maps, for both
 * vendors; a set bit makes the access exit. Pure code (host unit tests):
 * svm.c and vmx.c own the memory and point their control blocks at it.
 *
 *   AMD-V IOPM, 12 KiB (AMD APM Vol. 2, 15.10.1): one bit per port 0-FFFFh;
 *     the bits past FFFFh are checked by accesses that run over the end.
 *   VT-x I/O bitmaps A and B, 4 KiB each (Intel SDM Vol. 3C, 25.6.4):
 *     ports 0-7FFFh and 8000h-FFFFh, one bit per port: laid out one after
 *     the other they are the same map as the IOPM's first 8 KiB.
 *   AMD-V MSRPM, 8 KiB (APM Vol. 2, 15.11): two bits per MSR (read, then
 *     write) in three 2 KiB vectors for MSRs 0-1FFFh, C0000000h-C0001FFFh
 *     and C0010000h-C0011FFFh.
 *   VT-x MSR bitmap, 4 KiB (SDM Vol. 3C, 25.6.9): read bitmaps for MSRs
 *     0-1FFFh and C0000000h-C0001FFFh at 0 and 1024, write bitmaps for the
 *     same ranges at 2048 and 3072.
 * MSRs outside the ranges always exit on both. */
#ifndef VATRA_ARCH_X86_PERMMAP_H
#define VATRA_ARCH_X86_PERMMAP_H

#include <stdint.h>
#include <stdbool.h>

#define PERMMAP_SVM_IOPM_SIZE   (12 * 1024)
#define PERMMAP_SVM_MSRPM_SIZE  (8 * 1024)
#define PERMMAP_VMX_IO_SIZE     (8 * 1024)    /* bitmap A, then bitmap B */
#define PERMMAP_VMX_MSR_SIZE    4096

enum permmap_msr_layout { PERMMAP_SVM, PERMMAP_VMX };

/* Ports [port, port+len) (clipped at FFFFh) exit (intercept) or not. */
void permmap_io_set(uint8_t *map, unsigned port, unsigned len, bool intercept);
bool permmap_io_exits(const uint8_t *map, unsigned port);

/* Whether reads and writes of msr exit: 0, or -EINVAL for an MSR the map
 * does not cover (those always exit). */
int permmap_msr_set(enum permmap_msr_layout l, uint8_t *map, uint32_t msr, bool rd_exit,
		    bool wr_exit);
bool permmap_msr_exits(enum permmap_msr_layout l, const uint8_t *map, uint32_t msr, bool write);

#endif
