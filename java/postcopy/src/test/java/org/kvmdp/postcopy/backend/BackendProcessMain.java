// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.backend;

import java.io.PrintWriter;
import java.nio.file.Path;

/**
 * The engine's own tests' device-backend process: what {@code kvmdp device-backend} runs,
 * without the CLI module above the engine. Takes exactly what {@link DeviceBackendOptions}
 * appends, with {@link BackendFaults}' option: {@code device-backend --socket PATH
 * [--stall-after-pages N]}.
 */
public final class BackendProcessMain {
    private BackendProcessMain() {}

    public static void main(String[] args) {
        if (args.length != 3 && args.length != 5 || !args[0].equals("device-backend")
                || !args[1].equals("--socket")
                || args.length == 5 && !args[3].equals(BackendFaults.STALL_OPTION)) {
            System.err.println("usage: device-backend --socket PATH [--stall-after-pages N]");
            System.exit(2);
        }
        long stallAfterPages = args.length == 5 ? Long.parseLong(args[4]) : -1;
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        System.exit(BackendFaults.runBackend(new DeviceBackend.Options(Path.of(args[2])),
                stallAfterPages, out, err));
    }
}
