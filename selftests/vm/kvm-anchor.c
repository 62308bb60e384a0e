// SPDX-License-Identifier: Apache-2.0
/*
 * kvm-anchor: keep two VMs open until killed, each with one vCPU: one with an
 * in-kernel irqchip, one without.
 *
 * Started by guest-init.sh before the test command. KVM flips static keys
 * when the first VM is created and the last destroyed (preempt notifiers),
 * and when the first vCPU without an in-kernel local APIC is created and the
 * last destroyed (kvm_has_noapic_vcpu, tested by lapic_in_kernel(); the Java
 * harness creates no irqchip, so every one of its VMs flipped it). A flip
 * patches kernel text; under multi-threaded TCG another emulated CPU can then
 * run a stale translation: an int3 oops in __schedule, or KVM code taking the
 * wrong lapic_in_kernel() branch for a running vCPU. With both kinds of vCPU
 * held open for the whole boot, neither key flips again. Where KVM emulates
 * Xen, the irqchip VM also sets a Xen hypercall MSR, which holds the
 * kvm_xen_enabled key that the first such VM would flip (the Xen cases of
 * the kernel selftests set one).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* Any MSR number outside the ones KVM emulates; Xen guests use this one. */
#define XEN_HYPERCALL_MSR 0x40000200

/* One VM with one vCPU, with or without an in-kernel irqchip; exits on failure. */
static int open_vm(int kvm, int irqchip)
{
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);

	if (vm < 0 || (irqchip && ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0) ||
	    ioctl(vm, KVM_CREATE_VCPU, 0) < 0) {
		perror(irqchip ? "kvm-anchor: VM with irqchip" : "kvm-anchor: VM without irqchip");
		exit(1);
	}
	return vm;
}

/* Hold kvm_xen_enabled where the kernel has Xen emulation (CONFIG_KVM_XEN). */
static void hold_xen_key(int kvm, int vm)
{
	struct kvm_xen_hvm_config xen = { .msr = XEN_HYPERCALL_MSR };

	if (ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_XEN_HVM) <= 0)
		return;
	if (ioctl(vm, KVM_XEN_HVM_CONFIG, &xen) < 0) {
		perror("kvm-anchor: KVM_XEN_HVM_CONFIG");
		exit(1);
	}
}

/* argv[1], if given: a file to create once the VMs are open. */
int main(int argc, char **argv)
{
	int kvm;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		perror("kvm-anchor: /dev/kvm");
		return 1;
	}
	hold_xen_key(kvm, open_vm(kvm, 1));
	open_vm(kvm, 0);
	if (argc > 1 && close(open(argv[1], O_WRONLY | O_CREAT | O_CLOEXEC, 0644))) {
		perror("kvm-anchor: ready file");
		return 1;
	}
	printf("kvm-anchor: VMs open (pid %d)\n", getpid());
	fflush(stdout);
	for (;;)
		pause();
}
