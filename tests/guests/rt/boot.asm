; Vatra guest test runtime: Multiboot v1 entry, long mode, trap stubs.
;
; The loader enters _start in 32-bit protected mode, paging off, with
; EAX = 0x2BADB002 and EBX = the multiboot info. We zero .bss, identity-map
; [0, 4 GiB) with 2 MiB pages, set CR4 = PAE, EFER.LME (+NXE when CPUID
; has NX), CR0 = PG|WP|NE|ET|MP|PE, load a 64-bit GDT and call
; rt_start(magic, info) in C.

MB_MAGIC equ 0x1BADB002
MB_FLAGS equ 3                  ; bit 0: page-align modules, bit 1: memory info

section .multiboot progbits alloc noexec nowrite align=4
	dd MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

extern rt_start, rt_trap, __bss_start, __bss_end
extern rt_pml4, rt_pdpt, rt_pd

section .text
bits 32
global _start
_start:
	cli
	cld
	mov [boot_magic], eax
	mov [boot_info], ebx

	mov edi, __bss_start    ; the loader may not zero .bss: do it here
	mov ecx, __bss_end
	sub ecx, edi
	shr ecx, 2
	xor eax, eax
	rep stosd

	mov eax, 0x80000000     ; long mode is required; NX is optional
	cpuid
	cmp eax, 0x80000001
	jb no_long_mode
	mov eax, 0x80000001
	cpuid
	test edx, 1 << 29
	jz no_long_mode
	mov esi, edx

	mov dword [rt_pml4], rt_pdpt + 7        ; P RW US
	mov edi, rt_pdpt
	mov eax, rt_pd + 7
	mov ecx, 4
.pdpt:	mov [edi], eax
	add edi, 8
	add eax, 4096
	loop .pdpt
	mov edi, rt_pd
	mov eax, 0x87                           ; P RW US PS
	mov ecx, 4 * 512
.pd:	mov [edi], eax
	add eax, 0x200000
	add edi, 8
	loop .pd

	mov eax, 1 << 5                         ; CR4 = PAE, nothing else
	mov cr4, eax
	mov eax, rt_pml4
	mov cr3, eax
	mov ecx, 0xC0000080                     ; EFER
	rdmsr
	or eax, 1 << 8                          ; LME
	test esi, 1 << 20
	jz .no_nx
	or eax, 1 << 11                         ; NXE
	mov byte [rt_nx], 1
.no_nx:	wrmsr
	lgdt [boot_gdt_ptr]
	mov eax, 0x80010033                     ; CR0 = PG WP NE ET MP PE
	mov cr0, eax
	jmp dword 0x08:long_entry

no_long_mode:                                   ; exit status 4
	mov al, 4
	out 0xf4, al
.hang:	cli
	hlt
	jmp .hang

bits 64
default rel
long_entry:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	xor eax, eax
	mov fs, ax
	mov gs, ax
	lea rsp, [boot_stack_top]
	mov edi, [boot_magic]
	mov esi, [boot_info]
	call rt_start
.hang:	cli
	hlt
	jmp .hang

; ---- exceptions and interrupts ---------------------------------------
; Every vector pushes (error code or 0, vector), then all GPRs, and calls
; rt_trap(struct rt_frame *). rt_trap may edit the frame (rt_try does).

%macro ISR 1
isr%1:
%if !(%1 == 8 || (%1 >= 10 && %1 <= 14) || %1 == 17 || %1 == 21 || %1 == 29 || %1 == 30)
	push 0
%endif
	push %1
	jmp isr_common
%endmacro

%assign i 0
%rep 256
ISR i
%assign i i + 1
%endrep

isr_common:
	push rax
	push rbx
	push rcx
	push rdx
	push rsi
	push rdi
	push rbp
	push r8
	push r9
	push r10
	push r11
	push r12
	push r13
	push r14
	push r15
	mov rdi, rsp
	cld
	call rt_trap
	pop r15
	pop r14
	pop r13
	pop r12
	pop r11
	pop r10
	pop r9
	pop r8
	pop rbp
	pop rdi
	pop rsi
	pop rdx
	pop rcx
	pop rbx
	pop rax
	add rsp, 16
	iretq

; int rt_try(void (*fn)(void *), void *arg)
global rt_try, rt_try_buf, rt_try_active
rt_try:
	lea rcx, [rt_try_buf]
	mov [rcx + 0], rbx
	mov [rcx + 8], rbp
	mov [rcx + 16], r12
	mov [rcx + 24], r13
	mov [rcx + 32], r14
	mov [rcx + 40], r15
	lea rdx, [rsp + 8]              ; rsp after our ret
	mov [rcx + 48], rdx
	mov rdx, [rsp]                  ; our return address
	mov [rcx + 56], rdx
	pushfq
	pop rdx
	mov [rcx + 64], rdx
	mov rax, rdi
	mov rdi, rsi
	mov byte [rt_try_active], 1
	sub rsp, 8
	call rax
	add rsp, 8
	mov byte [rt_try_active], 0
	xor eax, eax
	ret
; an exception inside fn "returns" here from rt_trap with RAX = vector + 1

; void rt_hypercall_regs(struct rt_regs *r)
extern rt_is_amd
global rt_hypercall_regs
rt_hypercall_regs:
	push rbx
	push rbp
	push r12
	push r13
	push r14
	push r15
	push rdi
	cmp byte [rt_is_amd], 0          ; flags survive the loads below
	mov rax, [rdi + 0]
	mov rbx, [rdi + 8]
	mov rcx, [rdi + 16]
	mov rdx, [rdi + 24]
	mov rsi, [rdi + 32]
	mov rbp, [rdi + 48]
	mov r8, [rdi + 56]
	mov r9, [rdi + 64]
	mov r10, [rdi + 72]
	mov r11, [rdi + 80]
	mov r12, [rdi + 88]
	mov r13, [rdi + 96]
	mov r14, [rdi + 104]
	mov r15, [rdi + 112]
	mov rdi, [rdi + 40]
	je .intel
	vmmcall
	jmp .done
.intel:	vmcall
.done:	xchg rdi, [rsp]                 ; rdi = r, [rsp] = the returned rdi
	mov [rdi + 0], rax
	mov [rdi + 8], rbx
	mov [rdi + 16], rcx
	mov [rdi + 24], rdx
	mov [rdi + 32], rsi
	mov [rdi + 48], rbp
	mov [rdi + 56], r8
	mov [rdi + 64], r9
	mov [rdi + 72], r10
	mov [rdi + 80], r11
	mov [rdi + 88], r12
	mov [rdi + 96], r13
	mov [rdi + 104], r14
	mov [rdi + 112], r15
	pop rax
	mov [rdi + 40], rax
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbp
	pop rbx
	ret

; noreturn void rt_user_enter(void (*fn)(void), uint64_t user_rsp)
global rt_user_enter
rt_user_enter:
	push 0x1b                       ; SS: user data, RPL 3
	push rsi                        ; RSP
	push 0x2                        ; RFLAGS: IF=0
	push 0x23                       ; CS: user code, RPL 3
	push rdi                        ; RIP
	iretq

section .rodata
global rt_isr_table
align 8
rt_isr_table:
%assign i 0
%rep 256
	dq isr %+ i
%assign i i + 1
%endrep

section .data
align 8
boot_gdt:
	dq 0
	dq 0x00AF9A000000FFFF           ; 0x08: 64-bit code
	dq 0x00CF92000000FFFF           ; 0x10: data
boot_gdt_end:
boot_gdt_ptr:
	dw boot_gdt_end - boot_gdt - 1
	dd boot_gdt
boot_magic: dd 0
boot_info: dd 0
global rt_nx
rt_nx: db 0

section .bss
alignb 8
rt_try_buf: resq 9
rt_try_active: resb 1
alignb 16
boot_stack: resb 16384
boot_stack_top:

section .note.GNU-stack noalloc noexec nowrite progbits
