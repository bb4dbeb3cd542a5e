; A boot sector that runs modes.bin the way Vatra starts it: loaded at
; 0x8000, entered in real mode at 0x800:0 with SS:SP = 0:0x7000. Only to
; check modes.bin under a plain BIOS (make disks; boot it as a raw disk):
;   qemu-system-x86_64 -drive format=raw,file=modes-disk.img \
;     -device isa-debug-exit,iobase=0xf4,iosize=4 -nographic -no-reboot
; PAYLOAD is the path of modes.bin.
bits 16
org 0x7c00
	cli
	xor ax, ax
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov sp, 0x7000
	mov ax, 0x0200 + SECTORS        ; read SECTORS sectors
	mov cx, 0x0002                  ; cylinder 0, sector 2
	xor dh, dh                      ; head 0, DL = the boot drive
	mov bx, 0x8000
	int 0x13
	jc .fail
	jmp 0x800:0
.fail:	mov al, 2
	out 0xf4, al
	hlt
	times 510 - ($ - $$) db 0
	dw 0xaa55
payload:
	incbin PAYLOAD
payload_end:
SECTORS equ (payload_end - payload + 511) / 512
	times SECTORS * 512 - (payload_end - payload) db 0
