# SPDX-License-Identifier: Apache-2.0
# touch_pages: the demand_paging_test workload. Touches one 8-byte word every
# "stride" bytes of [start, start + length), writing or checking the value
# (address XOR seed) so the host can verify every page, and reports progress.
#
#   rdi start gva (identity-mapped, so also the gpa)   rcx mode: TOUCH_READ/TOUCH_WRITE
#   rsi length in bytes                                 r8  seed
#   rdx stride in bytes (> 0)                           r9  progress every N pages (0: never)
#
# Ends with out PORT_TOUCHED (count), out PORT_DONE (mismatches), hlt.
	.include "guest_abi.inc"
	.intel_syntax noprefix
	.code64
	.text
	.globl _start
_start:
	mov	r10, rdi		# cursor
	lea	r11, [rdi + rsi]	# end
	mov	rbx, rdx		# stride (rdx is needed for port numbers)
	mov	r15, rcx		# mode
	xor	r12d, r12d		# pages touched
	xor	r13d, r13d		# mismatches
	xor	r14d, r14d		# pages since the last progress report
next_page:
	cmp	r10, r11
	jae	finished
	mov	rax, r10
	xor	rax, r8			# expected value: address ^ seed
	cmp	r15, TOUCH_WRITE
	jne	check_page
	mov	[r10], rax
	jmp	page_done
check_page:
	cmp	[r10], rax
	je	page_done
	inc	r13
page_done:
	inc	r12
	add	r10, rbx
	test	r9, r9
	jz	next_page
	inc	r14
	cmp	r14, r9
	jb	next_page
	xor	r14d, r14d
	mov	eax, r12d
	mov	dx, PORT_PROGRESS
	out	dx, eax
	jmp	next_page
finished:
	mov	eax, r12d
	mov	dx, PORT_TOUCHED
	out	dx, eax
	mov	eax, r13d
	mov	dx, PORT_DONE
	out	dx, eax
halt_forever:
	hlt
	jmp	halt_forever
