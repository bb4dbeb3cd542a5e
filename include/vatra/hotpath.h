/* The exit path's code section. Every VM exit runs the world switch, the
 * vendor's entry and exit, the run loop and the common exits' handlers;
 * spread over the core's text they touch a dozen pages per exit, kept
 * together (linker.ld places .text.hot first) they touch two or three:
 * fewer instruction-TLB and cache misses on hardware, and far fewer
 * soft-TLB refills in an emulator that flushes its TLB at every VMRUN
 * and #VMEXIT (docs/bench.md). Only what runs on nearly every exit
 * belongs here. The same holds for data: the partition and vCPU fields
 * an exit uses come first in their structures (vmm/partition.h). */
#ifndef VATRA_HOTPATH_H
#define VATRA_HOTPATH_H

#define EXIT_PATH __attribute__((section(".text.hot")))
/* The few variables and constant tables every exit reads: the vendor's
 * operations and facts probed at boot, the handler table. */
#define EXIT_DATA __attribute__((section(".data.hot")))
#define EXIT_RODATA __attribute__((section(".rodata.hot")))

#endif
