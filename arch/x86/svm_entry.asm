; void svm_enter(struct guest_regs *regs, uint64_t vmcb_pa, uint64_t host_pa)
; Loads the guest GPRs (RAX and RSP live in the VMCB), VMLOAD + VMRUN,
; then VMSAVE the guest's extra state, VMLOAD the host's (TR, FS, GS,
; SYSCALL MSRs) and store the guest GPRs back. Called with GIF clear.
; struct guest_regs: gpr[16] in encoding order from offset 0 (vmm/regs.h).
bits 64
default rel

%define G(n) (n * 8)

section .text.hot progbits alloc exec nowrite align=16
global svm_enter
global svm_vmrun_end
global svm_switch_start
global svm_switch_end
svm_enter:
	push rbx
	push rbp
	push r12
	push r13
	push r14
	push r15
	push rdi                ; regs
	push rdx                ; host save VMCB
	push rsi                ; guest VMCB
	mov rax, rsi
	mov rcx, [rdi + G(1)]
	mov rdx, [rdi + G(2)]
	mov rbx, [rdi + G(3)]
	mov rbp, [rdi + G(5)]
	mov rsi, [rdi + G(6)]
	mov r8,  [rdi + G(8)]
	mov r9,  [rdi + G(9)]
	mov r10, [rdi + G(10)]
	mov r11, [rdi + G(11)]
	mov r12, [rdi + G(12)]
	mov r13, [rdi + G(13)]
	mov r14, [rdi + G(14)]
	mov r15, [rdi + G(15)]
	mov rdi, [rdi + G(7)]
svm_switch_start:
	vmload                  ; rAX = VMCB
	vmrun
svm_vmrun_end:
	; #VMEXIT: host RSP and RIP are back, the guest's GPRs are live.
	push rdi
	mov rdi, [rsp + 24]     ; regs
	mov [rdi + G(1)], rcx
	mov [rdi + G(2)], rdx
	mov [rdi + G(3)], rbx
	mov [rdi + G(5)], rbp
	mov [rdi + G(6)], rsi
	mov [rdi + G(8)], r8
	mov [rdi + G(9)], r9
	mov [rdi + G(10)], r10
	mov [rdi + G(11)], r11
	mov [rdi + G(12)], r12
	mov [rdi + G(13)], r13
	mov [rdi + G(14)], r14
	mov [rdi + G(15)], r15
	pop qword [rdi + G(7)]
	pop rax                 ; guest VMCB
	vmsave
	pop rax                 ; host save VMCB
	vmload                  ; rAX = VMCB
svm_switch_end:
	pop rdi
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbp
	pop rbx
	ret

section .note.GNU-stack noalloc noexec nowrite progbits
