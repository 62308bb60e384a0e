// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.migrate;

import java.util.Locale;
import java.util.Optional;
import org.kvmdp.guest.MigrateWorkload;
import org.kvmdp.postcopy.MigrationReport;

/**
 * How a destination's migration ended. {@code report} and {@code guest} are null when the
 * migration failed before they existed; {@code failure} names the first problem.
 *
 * @param resumeNanos from connecting to the guest running again (the stop-to-resume gap a
 *     destination adds; the source's stop comes before)
 * @param internalEvents faults that came through the notification fd (KVM demand paging only)
 * @param kvmWaits the VM's demand_paging_total_waits statistic (KVM demand paging only)
 * @param internalAccessesOk the guest's pvclock version and emulated read were right
 * @param deviceOk the guest found the block device's work right, or the guest had no device
 * @param deviceRequests block requests the device served through the VMM access gate
 * @param vmmFetched pages the VMM's own accesses (the device's) demand-fetched
 * @param emulatorDefect the failure is the test VM's emulator breaking the nested guest
 *     ({@link org.kvmdp.guest.EmulatorDefect}), not the migration's: a run worth repeating
 */
public record MigrationResult(String mechanism, String backing, int vcpus, long pages,
        MigrationReport report, MigrateWorkload.Result guest, long faultEvents,
        long internalEvents, long kvmWaits, boolean internalAccessesOk, boolean deviceOk,
        long deviceRequests, long vmmFetched, long resumeNanos, long totalNanos,
        Optional<String> failure, boolean emulatorDefect) {
    public boolean ok() {
        return failure.isEmpty() && guest != null && guest.mismatches() == 0
                && guest.pagesChecked() == pages && internalAccessesOk && deviceOk;
    }

    /** One line of key=value pairs for scripts and tests (values have no spaces). */
    public String resultLine() {
        return String.format(Locale.ROOT, "result: ok=%b mechanism=%s backing=%s vcpus=%d"
                + " pages=%d demand=%d swept=%d faults=%d internal=%d kvm_waits=%d"
                + " checked=%d mismatches=%d internal_ok=%b device_ok=%b device_requests=%d"
                + " vmm_fetched=%d emulator_defect=%b resume_ms=%.1f total_ms=%.1f",
                ok(), mechanism, backing, vcpus, pages,
                report == null ? -1 : report.pagesDemandFetched(),
                report == null ? -1 : report.pagesSwept(), faultEvents, internalEvents, kvmWaits,
                guest == null ? -1 : guest.pagesChecked(), guest == null ? -1 : guest.mismatches(),
                internalAccessesOk, deviceOk, deviceRequests, vmmFetched, emulatorDefect,
                resumeNanos / 1e6,
                totalNanos / 1e6);
    }
}
