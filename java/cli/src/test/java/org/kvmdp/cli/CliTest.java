// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.kvmdp.memory.Backing;

class CliTest {
    /** args (space separated) | a part of the message. Every one must exit 2. */
    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', value = {
        "bench --vcpus 0 | --vcpus must be 1..512, got 0",
        "bench --vcpus 513 | --vcpus must be 1..512, got 513",
        "bench --vcpus two | Invalid value for option '--vcpus'",
        "bench --memory 3X | Invalid value for option '--memory': '3X' is not a size",
        "bench --memory 0 | --memory must be more than 0",
        "bench --memory 8K --backing anonymous --mechanism kvm --source memory --access read --vcpus 1 --image x | --image is read only with --source file",
        "bench --memory 1M --backing hugetlb2m | --memory 1M is not a multiple of hugetlb2m's 2M page: pick 2M",
        "bench --memory 3M --backing thp | --memory 3M is not a multiple of thp's 2M page: pick 4M",
        "bench --memory 1G --memory 2G | option '--memory' (SIZE) should be specified only once",
        "bench --memory 2047M --backing hugetlb1g | --memory 2047M is not a multiple of hugetlb1g's 1G page: pick 2G",
        "bench --mechanism uffd-minor | uffd-minor needs shared memory: pick --backing shmem, hugetlb2m or hugetlb1g (--backing is anonymous)",
        "bench --mechanism uffd-minor --backing thp | uffd-minor needs shared memory",
        "bench --mechanism userfault | '--mechanism': 'userfault' is not a mechanism; pick one of kvm, uffd-missing, uffd-minor, uffd-sharded, none, all",
        "bench --backing hugetlb | 'hugetlb' is not a backing; pick one of anonymous, thp, shmem, hugetlb2m, hugetlb1g",
        "bench --access rw | '--access': 'rw' is not one of read, write",
        "bench --source nfs | '--source': 'nfs' is not one of memory, file, tcp",
        "bench --json --csv | --json and --csv are exclusive: pick one",
        "bench --prefetch 0 | --prefetch must be 1..64 pages, got 0",
        "bench --prefetch 65 | --prefetch must be 1..64 pages, got 65",
        "bench --sweep-after-demand -2 | --sweep-after-demand must be -1 (never), 0 (at once) or a page count, got -2",
        "bench --mechanism none --source tcp | --source has no effect with --mechanism none",
        "bench --vcpu 2 | Unknown options: '--vcpu'",
        "bench --repeat 0 | --repeat must be 1..100, got 0",
        "bench --repeat 101 | --repeat must be 1..100, got 101",
        "bench --warmup -1 | --warmup must be 0..10, got -1",
        "bench --warmup 11 | --warmup must be 0..10, got 11",
        "bench --engine fast | '--engine': 'fast' is not one of full, minimal",
        "bench --engine minimal --mechanism uffd-sharded | --engine minimal has handlers for kvm, uffd-missing, none only (--mechanism is uffd-sharded): pick one of those or --engine full",
        "bench --engine minimal --mechanism uffd-minor --backing shmem | --engine minimal has handlers for kvm, uffd-missing, none only",
        "bench --engine minimal --source tcp | --engine minimal copies pages from memory (--source is tcp): drop --source or use --engine full",
        "bench --engine minimal --prefetch 8 | --engine minimal fetches only the faulting page (--prefetch is 8)",
        "bench --engine minimal --sweep-after-demand 0 | --engine minimal has no background sweep (--sweep-after-demand is 0)",
        "bench --wire 40g | '--wire': '40g' is not a wire; pick one of 10g, 25g, 100g, none",
        "bench --wire-latency-us 50 | --wire-latency-us needs a wire: add --wire 10g, 25g or 100g",
        "bench --wire none --wire-latency-us 50 | --wire-latency-us needs a wire",
        "bench --wire 25g --wire-latency-us -1 | --wire-latency-us must be 0..1000000, got -1.0",
        "bench --wire --mechanism none | --wire has no effect on the guest with --mechanism none",
        "bench --vcpus 129 --memory 4K | --vcpus 129: the touch_pages guest runs at most 128 vCPUs",
        "bench --vcpus 2 --memory 1G | --vcpus x --memory is more than 1G, the most bench holds as a source image in memory: lower --memory or --vcpus",
        "bench --backing hugetlb1g --memory 2G | --vcpus x --memory is more than 1G",
        "bench --source tcp --image /tmp/img | --image is read only with --source file (--source is tcp): add --source file or drop --image",
        "bench --image /tmp/img | --image is read only with --source file (--source is memory)",
        "bench --mechanism uffd-minor --backing anonymous --source file | uffd-minor needs shared memory: pick --backing shmem, hugetlb2m or hugetlb1g (--backing is anonymous)",
        "bench --mechanism none --source memory | --source has no effect with --mechanism none (the memory is filled before the guest runs",
        "bench --mechanism all --backing shmem --json --csv | --json and --csv are exclusive: pick one",
        "migrate | Missing required option: '--role=ROLE'",
        "migrate --role both | '--role': 'both' is not one of source, destination",
        "migrate --role source | --role source needs --listen HOST:PORT",
        "migrate --role source --listen 127.0.0.1:4444 --connect 127.0.0.1:4444 | --connect is for --role destination",
        "migrate --role source --listen 127.0.0.1:4444 --mechanism kvm | --mechanism is for --role destination",
        "migrate --role source --listen 127.0.0.1:4444 --backing shmem | --backing is for --role destination",
        "migrate --role source --listen 127.0.0.1:4444 --image img --memory 2M | --memory conflicts with --image",
        "migrate --role source --listen localhost | Invalid value for option '--listen': 'localhost' is not HOST:PORT",
        "migrate --role destination | --role destination needs --connect HOST:PORT",
        "migrate --role destination --connect 10.0.0.2:4444 --listen 127.0.0.1:1 | --listen is for --role source",
        "migrate --role destination --connect 10.0.0.2:4444 --image img | --image is for --role source",
        "migrate --role destination --connect 10.0.0.2:0 | port 0 is only for --listen",
        "migrate --role destination --connect 10.0.0.2:4444 --mechanism all | migrate runs one demand-paging mechanism: pick kvm, uffd-missing or uffd-minor",
        "migrate --role destination --connect 10.0.0.2:4444 --mechanism none | migrate runs one",
        "migrate --role destination --connect 10.0.0.2:4444 --mechanism uffd-minor | uffd-minor needs shared memory",
        "migrate --role source --listen 127.0.0.1:1 --memory 12K --vcpus 1 --memory 5K | should be specified only once",
        "migrate --role source --listen 127.0.0.1:1 --memory 5K | --memory 5K is not a multiple of anonymous's 4K page: pick 8K",
        "migrate --role source --listen 127.0.0.1:1 --memory 4K | --memory 4K is too small: the guest needs at least 8K per vCPU",
        "migrate --role source --listen 127.0.0.1:1 --vcpus 2 --memory 1G | 2G in all is more than the source's 1G",
        "migrate --role source --listen h:1 --vcpus 0 | --vcpus must be 1..512",
        "migrate --role source --listen h:1 --sweep-after-demand 5 | --sweep-after-demand is for --role destination",
        "migrate --role source --listen h:1 --timeout 0 | --timeout must be more than 0 seconds",
        "migrate --role destination --connect 10.0.0.2:4444 --vcpus 2 | --vcpus is for --role source",
        "migrate --role destination --connect 10.0.0.2:4444 --memory 8M | --memory is for --role source",
        "migrate --role source --listen h:1 --stall-after-pages 3 | Unknown options: '--stall-after-pages'",
        "migrate --role source --listen h:1 --hold-after-pages 3 | Unknown options: '--hold-after-pages'",
        "migrate --role destination --connect 10.0.0.2:4444 --sweep-after-demand -1 | --sweep-after-demand must be 0 or more",
        "migrate --role source --listen h:1 --reconnect-attempts 3 | --reconnect-attempts is for --role destination",
        "migrate --role source --listen h:1 --reconnect-backoff-ms 5 | --reconnect-backoff-ms is for --role destination",
        "migrate --role source --listen h:1 --request-timeout-ms 5 | --request-timeout-ms is for --role destination",
        "migrate --role source --listen h:1 --reconnect-wait 0 | --reconnect-wait must be 1 second or more",
        "migrate --role destination --connect 10.0.0.2:4444 --reconnect-wait 5 | --reconnect-wait is for --role source",
        "migrate --role destination --connect 10.0.0.2:4444 --reconnect-attempts -1 | --reconnect-attempts must be 0 or more",
        "migrate --role destination --connect 10.0.0.2:4444 --reconnect-backoff-ms -1 | --reconnect-backoff-ms must be 0 or more",
        "migrate --role destination --connect 10.0.0.2:4444 --request-timeout-ms 0 | --request-timeout-ms must be 1 or more",
        "migrate --role destination --connect 10.0.0.2:4444 --device-backend process | --device-backend process shares guest memory as a memfd: pick --backing shmem, hugetlb2m or hugetlb1g (--backing is anonymous)",
        "migrate --role destination --connect 10.0.0.2:4444 --device-backend vhost | 'vhost' is not a device backend; pick in-process or process",
        "migrate --role destination --connect 10.0.0.2:4444 --backing shmem --device-backend process --backend-hold-pages-after 1 | Unknown options: '--backend-hold-pages-after'",
        "migrate --role destination --connect 10.0.0.2:4444 --backing shmem --device-backend process --backend-stall-after-pages 1 | Unknown options: '--backend-stall-after-pages'",
        "migrate --role source --listen h:1 --device-backend process | --device-backend is for --role destination",
        "device-backend | Missing required option: '--socket=PATH'",
        "device-backend --socket /nowhere --stall-after-pages 1 | Unknown options: '--stall-after-pages'",
        "frobnicate | Unmatched argument",
        "'' | pick a command: info, bench, migrate or poison",
    })
    void badOptionsExit2NamingTheProblem(String args, String message) {
        CliRun.of(split(args)).assertUsageError(message);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', value = {
        "migrate --role source --listen [::1]:4444 --image /tmp/guest.img | source on [::1]:4444 serving /tmp/guest.img",
    })
    void validRequestsSayTheyAreNotWiredYetAndExit3(String args, String summary) {
        CliRun run = CliRun.of(split(args));
        assertThat(run.exitCode()).as(run.err()).isEqualTo(ExitCodes.NOT_WIRED);
        assertThat(run.err()).contains(summary).contains("not wired to a VM driver yet")
                .contains("Nothing was run");
    }

    /**
     * Valid options that cannot run here: no 1 GiB huge pages are reserved on a build host, so
     * allocating guest memory fails (or creating the VM does, without KVM) and bench exits 1
     * naming the mechanism, with the (empty) table still printed.
     */
    @Test
    void aBenchThatCannotRunExits1SayingWhichMechanismFailed() {
        assumeTrue(Backing.HUGETLB_1G.unavailabilityReason(1L << 30).isPresent(),
                "this host has 1 GiB huge pages: the run could succeed");
        CliRun run = CliRun.of("bench", "--mechanism", "uffd-minor", "--backing", "hugetlb1g",
                "--memory", "1G", "--access", "read");
        assertThat(run.exitCode()).as(run.err()).isEqualTo(ExitCodes.FAILED);
        assertThat(run.err()).contains("kvmdp bench: [1/1] uffd-minor on hugetlb1g, 1 vCPU(s) x 1G",
                "kvmdp bench: uffd-minor on hugetlb1g failed: ");
        assertThat(run.out()).startsWith("mechanism ").contains("# pages/s");
    }

    @Test
    void helpGivesEachDefaultAndTheChoices() {
        CliRun bench = CliRun.of("bench", "--help");
        assertThat(bench.exitCode()).isZero();
        assertThat(oneLine(bench.out())).contains("Default: 64M", "Default: anonymous", "Default: all",
                "Default: write", "Default: memory", "Default: 1",
                "anonymous, thp, shmem, hugetlb2m, hugetlb1g",
                "kvm, uffd-missing, uffd-minor, uffd-sharded, none, all", "uffd-minor needs shared memory",
                "--engine=ENGINE", "full, minimal", "Default: full", "--repeat=N", "--warmup=N",
                "rotated", "--wire[=WIRE]", "10g, 25g or 100g", "--wire-latency-us=US");
        CliRun migrate = CliRun.of("migrate", "--help");
        assertThat(oneLine(migrate.out())).contains("Default: kvm", "source, destination",
                "--role source --listen 127.0.0.1:4444");
        CliRun top = CliRun.of("--help");
        assertThat(top.out()).contains("info", "bench", "migrate", "needs a VM driver this build does not have yet");
    }

    @Test
    void infoRunsOnThisHostWhateverKvmItHas() {
        CliRun info = CliRun.of("info");
        assertThat(info.exitCode()).as(info.err()).isZero();
        assertThat(info.out()).contains("kernel: ", "/dev/kvm: ", "backing anonymous: available");
        if (info.out().contains("/dev/kvm: present")) {
            // Opened or not, KVM_CREATE_VM working or not: one line says which.
            assertThat(info.out()).containsAnyOf("KVM: cannot open", "KVM_CAP_DEMAND_PAGING (system): ");
        }
        // The hint comes exactly when the capability is not there, and names the VM runner.
        if (info.out().contains(HostProbe.CAP_SUPPORTED_LINE)) {
            assertThat(info.out()).doesNotContain("hint:");
        } else {
            assertThat(info.out()).contains("hint: ", "selftests/vm/run-in-vm.sh -- scripts/kvmdp info");
        }
    }

    /** Help text with its line wrapping undone. */
    private static String oneLine(String text) {
        return text.replaceAll("\\s+", " ");
    }

    private static String[] split(String args) {
        return args.isBlank() ? new String[0] : args.trim().split("\\s+");
    }
}
