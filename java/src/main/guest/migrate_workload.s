# SPDX-License-Identifier: Apache-2.0
# migrate_workload: the guest of `kvmdp migrate`, one instance per vCPU on its
# own slice of the migrated memory.
#
# Phase 1 runs on the source: write a pattern into every 4 KiB page of the
# slice, then hlt. That hlt is the migration point: the source saves the
# registers and the destination resumes right after it, on memory that has
# not arrived yet. Phase 2 runs on the destination: with MIGRATE_INTERNAL,
# first make KVM itself touch two pages at the end of the slice (a kvmclock
# MSR and an emulated rep outsb), then check every page's pattern.
#
#   rdi slice start gpa (identity-mapped)   rdx seed
#   rsi slice length (>= 2 pages)           rcx flags (MIGRATE_INTERNAL)
#
# The pattern of page P (its gpa): word 0 = P ^ seed, and the word at
# 8 + ((P >> 12) & 255) * 8 = ~(P ^ seed); the rest of the page is whatever
# the source held. Phase 2 reports: with MIGRATE_INTERNAL, out PORT_VALUE
# (the pvclock version KVM wrote into the last page at offset 4032) and
# rep outsb of the first 16 bytes of the last-but-one page to PORT_DATA;
# always out PORT_TOUCHED (pages checked), out PORT_DONE (mismatches), hlt.
	.include "guest_abi.inc"
	.intel_syntax noprefix
	.code64
	.text
	.globl _start
_start:
	jmp	main

pattern:				# page rdi -> rax = rdi ^ seed, rbx = second word offset
	mov	rbx, rdi
	shr	rbx, 12
	and	rbx, 255
	lea	rbx, [rbx * 8 + 8]
	mov	rax, rdi
	xor	rax, r10
	ret

main:
	cld
	mov	r8, rdi			# slice start
	lea	r9, [rdi + rsi]		# slice end
	mov	r10, rdx		# seed
	mov	r11, rcx		# flags

	mov	rdi, r8
write_page:
	cmp	rdi, r9
	jae	migration_point
	call	pattern			# rax = word 0, rbx = offset of the second word
	mov	[rdi], rax
	not	rax
	mov	[rdi + rbx], rax
	add	rdi, 4096
	jmp	write_page

migration_point:
	hlt				# the source stops here; the destination goes on

	test	r11, MIGRATE_INTERNAL
	jz	check
	lea	r12, [r9 - PVCLOCK_FROM_END]	# KVM writes pvclock_vcpu_time_info here
	mov	rax, r12
	or	rax, KVM_MSR_ENABLED
	mov	rdx, rax
	shr	rdx, 32
	mov	ecx, MSR_KVM_SYSTEM_TIME_NEW
	wrmsr
	mov	eax, [r12]		# version: even and non-zero once KVM wrote it
	mov	dx, PORT_VALUE
	out	dx, eax
	xor	eax, eax		# kvmclock off again: KVM stops writing the page
	xor	edx, edx
	mov	ecx, MSR_KVM_SYSTEM_TIME_NEW
	wrmsr
	lea	rsi, [r9 - 8192]	# KVM's emulator reads these 16 bytes
	mov	rcx, 16
	mov	dx, PORT_DATA
	rep outsb

check:
	xor	r13d, r13d		# pages checked
	xor	r14d, r14d		# mismatches
	mov	rdi, r8
check_page:
	cmp	rdi, r9
	jae	report
	call	pattern
	cmp	[rdi], rax
	jne	bad_page
	not	rax
	cmp	[rdi + rbx], rax
	je	page_checked
bad_page:
	inc	r14
page_checked:
	inc	r13
	add	rdi, 4096
	jmp	check_page

report:
	mov	eax, r13d
	mov	dx, PORT_TOUCHED
	out	dx, eax
	mov	eax, r14d
	mov	dx, PORT_DONE
	out	dx, eax
halt_forever:
	hlt
	jmp	halt_forever
