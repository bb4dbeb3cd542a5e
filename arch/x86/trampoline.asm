; Application-processor start-up code (Intel SDM Vol. 3A, 9.4.4 and 9.9).
; arch/x86/smp.c copies it to a page below 1 MiB and starts each AP there
; with INIT and start-up IPIs: real mode -> protected mode -> long mode on
; the page tables smp.c built (low 2 MiB identity, the core's half above),
; then a jump to ap_entry(cpu) in the core, on that CPU's own stack.
; The data block at TD (filled by smp.c) sits in the same page. Each CPU
; that arrives takes the next slot (an atomic increment), which names its
; struct cpu and stack; CPUs beyond the slots park in HLT.
bits 16
default abs

%define TD        0xf00
%define TD_GDT    (TD + 0x00)      ; null, code32, data, code64
%define TD_GDTR   (TD + 0x20)      ; limit:16, base:32
%define TD_JMP32  (TD + 0x28)      ; offset:32, selector:16
%define TD_JMP64  (TD + 0x30)      ; offset:32, selector:16
%define TD_CR3    (TD + 0x38)
%define TD_EFER   (TD + 0x3c)      ; bits to set in EFER
%define TD_NEXT   (TD + 0x40)      ; slots taken so far
%define TD_NSLOTS (TD + 0x44)
%define TD_ENTRY  (TD + 0x48)
%define TD_CPUS   0xd00            ; struct cpu * per slot (32)
%define TD_STACKS 0xe00            ; stack top per slot (32)

section .rodata
global tramp_start
global tramp_end
global tramp_pm32
global tramp_pm64
align 16
tramp_start:
	cli
	cld
	mov ax, cs
	mov ds, ax
	movzx ebx, ax
	shl ebx, 4                  ; linear address of this page
	o32 lgdt [TD_GDTR]
	mov eax, cr0
	or eax, 1                   ; PE
	mov cr0, eax
	jmp far dword [TD_JMP32]

bits 32
tramp_pm32:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov eax, cr4
	or eax, 1 << 5              ; PAE
	mov cr4, eax
	mov eax, [ebx + TD_CR3]
	mov cr3, eax
	mov ecx, 0xc0000080         ; EFER: LME (and NXE, as on the boot CPU)
	rdmsr
	or eax, [ebx + TD_EFER]
	wrmsr
	mov eax, cr0
	or eax, 0x80000001          ; PG | PE
	mov cr0, eax
	jmp far dword [ebx + TD_JMP64]

bits 64
tramp_pm64:
	mov eax, 1
	lock xadd [rbx + TD_NEXT], eax
	cmp eax, [rbx + TD_NSLOTS]
	jae .park
	mov rsp, [rbx + TD_STACKS + rax * 8]
	mov rdi, [rbx + TD_CPUS + rax * 8]
	mov rax, [rbx + TD_ENTRY]
	xor ebp, ebp
	push rbp                    ; as if called: RSP + 8 is 16-byte aligned
	jmp rax
.park:
	cli
	hlt
	jmp .park
tramp_end:

section .note.GNU-stack noalloc noexec nowrite progbits
