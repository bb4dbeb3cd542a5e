; The hypervisor core (build/core.elf), embedded in vatra.efi so the ESP
; needs only EFI/BOOT/BOOTX64.EFI and vatra.cfg.
section .data
align 16
global core_blob
global core_blob_end
core_blob:
	incbin "core.elf"
core_blob_end:

section .note.GNU-stack noalloc noexec nowrite progbits
