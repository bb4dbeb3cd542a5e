/*
 * triple: loads an IDT with limit 0 and executes int3: #BP cannot be
 * delivered, nor the #GP, nor the #DF: a triple fault, which Vatra turns
 * into stopping the partition. If execution continues: exit 1.
 *   hlt   instead: CLI; HLT (Vatra stops it: "halted with interrupts disabled")
 * Under bare QEMU with -no-reboot the triple fault ends QEMU (status 0).
 */
#include "rt.h"

int main(uint32_t mb_magic, uint64_t mb_info)
{
	(void)mb_magic, (void)mb_info;
	if (rt_has_flag("hlt")) {
		rt_printf("triple: cli; hlt\n");
		asm volatile("cli; hlt");
		rt_printf("FAIL: hlt with interrupts disabled returned\n");
		rt_exit(1);
	}
	struct {
		uint16_t limit;
		uint64_t base;
	} packed empty = {0, 0};
	rt_printf("triple: IDT limit 0, then int3\n");
	asm volatile("lidt %0; int3" ::"m"(empty));
	rt_printf("FAIL: survived a triple fault\n");
	rt_exit(1);
}
