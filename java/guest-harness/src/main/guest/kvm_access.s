# SPDX-License-Identifier: Apache-2.0
# kvm_access: makes KVM itself read or write guest memory (its instruction
# emulator, PV MSRs) or provokes one particular exit. Mode in rdi (see
# ACCESS_* in guest_abi.inc); rsi buffer gva in test memory, rdx length or
# value, rcx second address (MMIO or jump target). Ends with out PORT_DONE
# (eax = 0) and hlt, except for the modes that never come back.
	.include "guest_abi.inc"
	.intel_syntax noprefix
	.code64
	.text
	.globl _start
_start:
	cld
	mov	r8, rsi			# buffer
	mov	r9, rdx			# length / value
	mov	r10, rcx		# second address
	cmp	rdi, ACCESS_OUTSB
	je	do_outsb
	cmp	rdi, ACCESS_OUTSL
	je	do_outsl
	cmp	rdi, ACCESS_INSB
	je	do_insb
	cmp	rdi, ACCESS_MOVSB_TO_MMIO
	je	do_movsb_to_mmio
	cmp	rdi, ACCESS_MMIO_READ
	je	do_mmio_read
	cmp	rdi, ACCESS_MMIO_WRITE
	je	do_mmio_write
	cmp	rdi, ACCESS_KVMCLOCK
	je	do_kvmclock
	cmp	rdi, ACCESS_STEAL_TIME
	je	do_steal_time
	cmp	rdi, ACCESS_UD2
	je	do_ud2
	cmp	rdi, ACCESS_JUMP
	je	do_jump
	cmp	rdi, ACCESS_SPIN
	je	do_spin
	cmp	rdi, ACCESS_MC_READ
	je	do_mc_read
	cmp	rdi, ACCESS_MC_OUTSB
	je	do_mc_outsb
	mov	eax, -1			# unknown mode
	jmp	report_done

do_outsb:				# KVM's emulator reads the buffer
	mov	rcx, r9
	mov	dx, PORT_DATA
	rep outsb
	jmp	done

do_outsl:
	mov	rcx, r9
	shr	rcx, 2
	mov	dx, PORT_DATA
	rep outsd
	jmp	done

do_insb:				# KVM's emulator writes the buffer
	mov	rdi, r8
	mov	rcx, r9
	mov	dx, PORT_DATA
	rep insb
	jmp	done

do_movsb_to_mmio:			# KVM reads the buffer, userspace sees MMIO writes
	mov	rdi, r10
	mov	rcx, r9
	rep movsb
	jmp	done

do_mmio_read:
	mov	rax, [r10]
	mov	[r8], rax
	mov	dx, PORT_VALUE
	out	dx, eax
	jmp	done

do_mmio_write:
	mov	[r10], r9
	jmp	done

do_kvmclock:				# KVM writes struct pvclock_vcpu_time_info at r8
	mov	ecx, MSR_KVM_SYSTEM_TIME_NEW
	call	enable_pv_msr
	mov	eax, [r8]		# version
	mov	dx, PORT_VALUE
	out	dx, eax
	movzx	eax, byte ptr [r8 + 29]	# flags
	out	dx, eax
	jmp	done

do_steal_time:				# KVM writes struct kvm_steal_time at r8
	mov	ecx, MSR_KVM_STEAL_TIME
	call	enable_pv_msr
	mov	eax, [r8 + 8]		# version
	mov	dx, PORT_VALUE
	out	dx, eax
	jmp	done

enable_pv_msr:				# wrmsr(ecx, r8 | KVM_MSR_ENABLED)
	mov	rax, r8
	or	rax, KVM_MSR_ENABLED
	mov	rdx, rax
	shr	rdx, 32
	wrmsr
	ret

do_ud2:
	ud2

do_jump:
	jmp	r10

do_spin:
	pause
	jmp	do_spin

# Memory poisoning: the host injects a machine check for a poisoned page
# that the guest (mc_read) or KVM's emulator (mc_outsb) could not read.
do_mc_read:
	call	install_mc_handler
	mov	rax, [r8]
	mov	dx, PORT_VALUE
	out	dx, eax
	jmp	done

do_mc_outsb:
	call	install_mc_handler
	jmp	do_outsb

.set MC_VECTOR, 18
.set MSR_MC0_ADDR, 0x402
.set MSR_MCG_STATUS, 0x17a
.set CODE64_SELECTOR, 0x08
.set CR4_MCE, 1 << 6

install_mc_handler:			# one IDT gate, vector 18 -> mc_handler; CR4.MCE on
	lea	rax, [rip + mc_handler]
	lea	rdi, [rip + idt + MC_VECTOR * 16]
	mov	word ptr [rdi], ax		# offset 15:0
	mov	word ptr [rdi + 2], CODE64_SELECTOR
	mov	word ptr [rdi + 4], 0x8e00	# present, DPL 0, interrupt gate
	shr	rax, 16
	mov	word ptr [rdi + 6], ax		# offset 31:16
	shr	rax, 16
	mov	dword ptr [rdi + 8], eax	# offset 63:32
	mov	dword ptr [rdi + 12], 0
	lea	rax, [rip + idt]
	mov	[rip + idtr_base], rax
	lidt	[rip + idtr]
	mov	rax, cr4
	or	rax, CR4_MCE
	mov	cr4, rax
	ret

mc_handler:				# report MC0_ADDR and stop: the access is not retried
	mov	ecx, MSR_MC0_ADDR
	rdmsr
	mov	r11d, edx
	mov	dx, PORT_MC_ADDR
	out	dx, eax
	mov	eax, r11d
	out	dx, eax
	mov	ecx, MSR_MCG_STATUS	# handled: a later machine check must not triple fault
	xor	eax, eax
	xor	edx, edx
	wrmsr
	jmp	done

	.balign	16
idt:
	.space	16 * (MC_VECTOR + 1)
idtr:
	.word	16 * (MC_VECTOR + 1) - 1
idtr_base:
	.quad	0

done:
	xor	eax, eax
report_done:
	mov	dx, PORT_DONE
	out	dx, eax
halt_forever:
	hlt
	jmp	halt_forever
