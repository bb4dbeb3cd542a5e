; modes: a flat binary that walks the x86 modes and prints in each:
;   real mode -> 32-bit protected mode -> long mode (identity-mapped 2 MiB)
;   -> compatibility mode -> protected mode (paging off, LME off)
;   -> 16-bit protected mode -> real mode -> write 0 to port 0xf4.
; Loaded at 0x8000 and started in real mode with CS=0x800, IP=0,
; SS:SP=0:0x7000 (Vatra: format = flat, load_addr = 0x8000).
; Output, one line each: "real mode", "protected mode", "long mode",
; "back in protected mode", "back in real mode".
; Uses RAM below 0x8000 for the stack and 0x10000-0x12fff for page tables.

PML4 equ 0x10000
PDPT equ 0x11000
PD   equ 0x12000
COM1 equ 0x3f8

; putc/puts, assembled once per mode: the same code, different widths.
%macro SERIAL 1                         ; %1: suffix
putc%1:                                 ; AL = character; clobbers AX ECX DX
	mov ah, al
	mov dx, COM1 + 5
	mov ecx, 100000
%%wait:	in al, dx
	test al, 0x20
	jnz %%ready
	dec ecx
	jnz %%wait
%%ready:
	mov dx, COM1
	mov al, ah
	out dx, al
	ret
puts%1:                                 ; (E/R)SI = NUL-terminated string
	lodsb
	test al, al
	jz %%done
	call putc%1
	jmp puts%1
%%done:	ret
%endmacro

org 0x8000
bits 16
start:
	cli
	jmp 0:real                      ; CS=0: offsets are now linear addresses
real:
	xor ax, ax
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov sp, 0x7000
	cld
	mov si, msg_real
	call puts16

	lgdt [gdt_ptr]
	mov eax, cr0
	or eax, 1                       ; PE
	mov cr0, eax
	jmp dword 0x08:prot

bits 32
prot:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov esp, 0x7000
	mov esi, msg_prot
	call puts32

	mov edi, PML4                   ; identity map of the first 2 MiB
	xor eax, eax
	mov ecx, 3 * 1024
	rep stosd
	mov dword [PML4], PDPT | 3
	mov dword [PDPT], PD | 3
	mov dword [PD], 0x83            ; P RW PS
	mov eax, cr4
	or eax, 1 << 5                  ; PAE
	mov cr4, eax
	mov eax, PML4
	mov cr3, eax
	mov ecx, 0xC0000080             ; EFER.LME
	rdmsr
	or eax, 1 << 8
	wrmsr
	mov eax, cr0
	or eax, 1 << 31                 ; PG: long mode is active
	mov cr0, eax
	jmp 0x18:lmode

bits 64
lmode:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov rsp, 0x7000
	mov esi, msg_long
	call puts64
	push 0x08                       ; far return to 32-bit code:
	push compat                     ; compatibility mode
	o64 retf

bits 32
compat:
	mov eax, cr0
	and eax, ~(1 << 31)             ; PG off: long mode is inactive
	mov cr0, eax
	mov ecx, 0xC0000080
	rdmsr
	and eax, ~(1 << 8)              ; LME off
	wrmsr
	mov eax, cr4
	and eax, ~(1 << 5)
	mov cr4, eax
	xor eax, eax
	mov cr3, eax
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov esi, msg_prot2
	call puts32
	jmp 0x20:prot16                 ; 16-bit code segment

bits 16
prot16:
	mov ax, 0x28                    ; 16-bit data, limit 64 KiB
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov fs, ax
	mov gs, ax
	mov eax, cr0
	and eax, ~1                     ; PE off
	mov cr0, eax
	jmp 0:real2

real2:
	xor ax, ax
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov fs, ax
	mov gs, ax
	mov sp, 0x7000
	lidt [ivt_ptr]
	mov si, msg_real2
	call puts16
	xor al, al
	out 0xf4, al
.hang:	cli
	hlt
	jmp .hang

bits 16
SERIAL 16
bits 32
SERIAL 32
bits 64
SERIAL 64

align 8
gdt:
	dq 0
	dq 0x00CF9A000000FFFF           ; 0x08: 32-bit code, 4 GiB
	dq 0x00CF92000000FFFF           ; 0x10: data, 4 GiB
	dq 0x00AF9A000000FFFF           ; 0x18: 64-bit code
	dq 0x00009A000000FFFF           ; 0x20: 16-bit code, 64 KiB
	dq 0x000092000000FFFF           ; 0x28: 16-bit data, 64 KiB
gdt_end:
gdt_ptr:
	dw gdt_end - gdt - 1
	dd gdt
ivt_ptr:
	dw 0x3ff
	dd 0

msg_real:  db "real mode", 10, 0
msg_prot:  db "protected mode", 10, 0
msg_long:  db "long mode", 10, 0
msg_prot2: db "back in protected mode", 10, 0
msg_real2: db "back in real mode", 10, 0
