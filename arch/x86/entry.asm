; Core entry and exception stubs. The loader jumps to _start in long mode
; with its own page tables (the core mapped at CORE_VIRT_BASE and all RAM
; at PHYSMAP_BASE) and RDI = boot_info (a PHYSMAP_BASE address).
bits 64
default rel

extern hv_main
extern trap_handler
extern __boot_stack_top

section .text.entry
global _start
_start:
	cli
	cld
	mov rsp, __boot_stack_top
	xor ebp, ebp
	call hv_main
.hang:
	cli
	hlt
	jmp .hang

section .text

; Exception stubs: make every vector look alike (an error code, then the
; vector number) and save all GPRs in a struct trap_frame (arch/x86/trap.h;
; its layout is checked there by static asserts against these pushes).
%macro STUB_NOERR 1
isr_%1:
	push 0
	push %1
	jmp trap_common
%endmacro
%macro STUB_ERR 1
isr_%1:
	push %1
	jmp trap_common
%endmacro

; Intel SDM Vol. 3A, 6.3.1: vectors that push an error code.
%assign v 0
%rep 32
%if v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30
	STUB_ERR v
%else
	STUB_NOERR v
%endif
%assign v v+1
%endrep

trap_common:
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
	; keep the stack 16-byte aligned for C
	mov rbx, rsp
	and rsp, -16
	call trap_handler
	mov rsp, rbx
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
	add rsp, 16             ; vector, error code
	iretq

; Host interrupts: every vector from 0x20 up pushes its number and goes
; to vectors_dispatch (arch/x86/vectors.c), which runs its handler and
; sends the EOI. Only the registers C may clobber are saved.
extern vectors_dispatch
%macro IRQ_STUB 1
irq_%1:
	push %1
	jmp irq_common
%endmacro
%assign v 0x20
%rep 0x100 - 0x20
	IRQ_STUB v
%assign v v+1
%endrep

irq_common:
	push rax
	push rcx
	push rdx
	push rsi
	push rdi
	push r8
	push r9
	push r10
	push r11
	mov edi, [rsp + 9 * 8]  ; the vector
	mov rax, rsp
	and rsp, -16
	push rax
	sub rsp, 8
	mov rsi, [rax + 10 * 8] ; the interrupted RIP
	call vectors_dispatch
	add rsp, 8
	pop rsp
	pop r11
	pop r10
	pop r9
	pop r8
	pop rdi
	pop rsi
	pop rdx
	pop rcx
	pop rax
	add rsp, 8              ; the vector
	iretq

section .rodata
global isr_table
isr_table:
%assign v 0
%rep 32
	dq isr_ %+ v
%assign v v+1
%endrep
; irq_table[i] is the stub of vector 0x20 + i.
global irq_table
irq_table:
%assign v 0x20
%rep 0x100 - 0x20
	dq irq_ %+ v
%assign v v+1
%endrep

; int fault_try(void (*fn)(void *), void *arg)
; Calls fn(arg). Returns 0 if it returned, or the exception vector + 1 if
; it faulted: trap_handler sees fault_try_rip set and resumes at .recover
; with the stack of this frame (a guarded probe for self-tests).
section .text
global fault_try
global fault_try_rip
global fault_try_rsp
fault_try:
	push rbx
	push rbp
	push r12
	push r13
	push r14
	push r15
	sub rsp, 8              ; realign to 16 for the call
	mov [fault_try_rsp], rsp
	lea rax, [.recover]
	mov [fault_try_rip], rax
	mov rax, rdi
	mov rdi, rsi
	call rax
	xor eax, eax
.recover:
	mov qword [fault_try_rip], 0
	add rsp, 8
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbp
	pop rbx
	ret

section .bss
align 8
fault_try_rip: resq 1
fault_try_rsp: resq 1

section .note.GNU-stack noalloc noexec nowrite progbits
