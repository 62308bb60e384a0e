// SPDX-License-Identifier: Apache-2.0
/*
 * kvm-anchor: keep one VM (in-kernel irqchip, one vCPU) open until killed.
 *
 * Started by guest-init.sh before the test command. Creating the first VM
 * and destroying the last one flips static keys (preempt notifiers, the
 * APIC keys), which patches kernel text; under multi-threaded TCG another
 * emulated CPU can then execute a stale int3 and oops. With one VM open for
 * the whole boot no key flips again (see the README, "Test VM").
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* argv[1], if given: a file to create once the VM is open. */
int main(int argc, char **argv)
{
	int kvm, vm, vcpu;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		perror("kvm-anchor: /dev/kvm");
		return 1;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0 || ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0) {
		perror("kvm-anchor: KVM_CREATE_VM/KVM_CREATE_IRQCHIP");
		return 1;
	}
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0) {
		perror("kvm-anchor: KVM_CREATE_VCPU");
		return 1;
	}
	if (argc > 1 && close(open(argv[1], O_WRONLY | O_CREAT | O_CLOEXEC, 0644))) {
		perror("kvm-anchor: ready file");
		return 1;
	}
	printf("kvm-anchor: VM open (pid %d)\n", getpid());
	fflush(stdout);
	for (;;)
		pause();
}
