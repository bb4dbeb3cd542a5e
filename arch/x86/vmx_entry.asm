; int vmx_enter(struct guest_regs *regs, int launched)
; Stores the host RSP in the VMCS, loads all guest GPRs (RSP lives in the
; VMCS), VMLAUNCH or VMRESUME; a VM exit lands at vmx_exit with the host
; RSP back, stores the guest GPRs and returns 0. Returns 1 when the
; VM-entry instruction itself failed (RFLAGS.CF/ZF; the VMCS error field
; says why). struct guest_regs: gpr[16] in encoding order (vmm/regs.h).
bits 64
default rel

%define G(n) (n * 8)
%define HOST_RSP 0x6c14

section .text.hot progbits alloc exec nowrite align=16
global vmx_enter
global vmx_exit
vmx_enter:
	push rbx
	push rbp
	push r12
	push r13
	push r14
	push r15
	push rdi                ; regs, found again after the exit
	mov eax, HOST_RSP
	vmwrite rax, rsp
	test esi, esi
	mov rax, [rdi + G(0)]
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
	; the flags from "test esi, esi" survive the moves
	jnz .resume
	vmlaunch
	jmp .failed
.resume:
	vmresume
.failed:
	pop rdi
	mov eax, 1
	jmp vmx_done

vmx_exit:
	push rdi
	mov rdi, [rsp + 8]      ; regs
	mov [rdi + G(0)], rax
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
	pop rdi
	xor eax, eax
vmx_done:
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbp
	pop rbx
	ret

section .note.GNU-stack noalloc noexec nowrite progbits
