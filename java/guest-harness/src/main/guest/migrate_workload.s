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
#
# With MIGRATE_DEVICE (slices of 5 or more pages) the demo block device is in
# the migration too: phase 1 leaves two requests in the slice's first page at
# BLOCK_QUEUE_OFFSET, in flight across the migration point: WRITE the first
# BLOCK_DEVICE_BYTES of page 1 to the disk, then READ them back into the last
# BLOCK_DEVICE_BYTES of page 2 (sector: the slice's page number). Phase 2,
# after the internal accesses and before the check, rings PORT_BLOCK_NOTIFY
# for each, then reports on PORT_BLOCK_CHECK: 0, or BLOCK_CHECK_STATUS if a
# status word is not BLOCK_STATUS_OK, BLOCK_CHECK_DATA if page 2's tail is
# not page 1's head. None of those bytes is a pattern word, so the page
# check is unchanged. On the destination the three pages have not arrived
# when the device reads and writes them.
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
	jae	queue_requests
	call	pattern			# rax = word 0, rbx = offset of the second word
	mov	[rdi], rax
	not	rax
	mov	[rdi + rbx], rax
	add	rdi, 4096
	jmp	write_page

queue_requests:				# with MIGRATE_DEVICE: two block requests
	test	r11, MIGRATE_DEVICE
	jz	migration_point
	lea	rbx, [r8 + BLOCK_QUEUE_OFFSET]
	mov	rax, r8
	shr	rax, 12			# sector: the slice's page number
	mov	dword ptr [rbx + BLOCK_DESC_OP], BLOCK_OP_WRITE
	mov	dword ptr [rbx + BLOCK_DESC_LENGTH], BLOCK_DEVICE_BYTES
	mov	[rbx + BLOCK_DESC_SECTOR], rax
	lea	rcx, [r8 + 4096]	# page 1's head
	mov	[rbx + BLOCK_DESC_BUFFER], rcx
	mov	dword ptr [rbx + BLOCK_DESC_STATUS], BLOCK_STATUS_PENDING
	add	rbx, BLOCK_DESC_SIZE
	mov	dword ptr [rbx + BLOCK_DESC_OP], BLOCK_OP_READ
	mov	dword ptr [rbx + BLOCK_DESC_LENGTH], BLOCK_DEVICE_BYTES
	mov	[rbx + BLOCK_DESC_SECTOR], rax
	lea	rcx, [r8 + 3 * 4096 - BLOCK_DEVICE_BYTES]	# page 2's tail
	mov	[rbx + BLOCK_DESC_BUFFER], rcx
	mov	dword ptr [rbx + BLOCK_DESC_STATUS], BLOCK_STATUS_PENDING

migration_point:
	hlt				# the source stops here; the destination goes on

	test	r11, MIGRATE_INTERNAL
	jz	device
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

device:
	test	r11, MIGRATE_DEVICE
	jz	check
	lea	rax, [r8 + BLOCK_QUEUE_OFFSET]
	shr	rax, 5
	mov	dx, PORT_BLOCK_NOTIFY
	out	dx, eax			# the WRITE: page 1's head to the disk
	lea	rax, [r8 + BLOCK_QUEUE_OFFSET + BLOCK_DESC_SIZE]
	shr	rax, 5
	out	dx, eax			# the READ: back into page 2's tail
	xor	r15d, r15d
	cmp	dword ptr [r8 + BLOCK_QUEUE_OFFSET + BLOCK_DESC_STATUS], BLOCK_STATUS_OK
	jne	status_wrong
	cmp	dword ptr [r8 + BLOCK_QUEUE_OFFSET + BLOCK_DESC_SIZE + BLOCK_DESC_STATUS], BLOCK_STATUS_OK
	je	compare_data
status_wrong:
	or	r15d, BLOCK_CHECK_STATUS
compare_data:
	lea	rsi, [r8 + 4096]
	lea	rdi, [r8 + 3 * 4096 - BLOCK_DEVICE_BYTES]
	mov	rcx, BLOCK_DEVICE_BYTES
	repe cmpsb
	je	device_report
	or	r15d, BLOCK_CHECK_DATA
device_report:
	mov	eax, r15d
	mov	dx, PORT_BLOCK_CHECK
	out	dx, eax

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
