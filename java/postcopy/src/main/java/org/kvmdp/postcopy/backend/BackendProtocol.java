// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.backend;

/**
 * Framing shared by both channels: a 12-byte little-endian header (u32 {@link MessageKind}
 * code, u32 tag, u32 body length) and the body, at most {@link #MAX_BODY_BYTES}: the shape of
 * vhost-user's messages (request, flags, size, payload), native byte order as there.
 */
public final class BackendProtocol {
    /** What both sides speak; HELLO carries it, SETUP repeats it. */
    public static final int VERSION = 1;
    public static final int HEADER_BYTES = 12;
    public static final int MAX_BODY_BYTES = 4096;
    /** Fds SETUP carries: guest memfd, page-state memfd, page channel. */
    public static final int SETUP_FDS = 3;
    /**
     * The most pages one NEED may ask for (1 MiB): more than any device request spans (the
     * demo device's are at most 64 KiB), little enough that one backend cannot make the VMM
     * demand-fetch the image in one go.
     */
    public static final int MAX_PAGES_PER_NEED = 256;
    /** NEEDs the VMM serves at once per backend; more are refused (BUSY), not queued. */
    public static final int MAX_OUTSTANDING_NEEDS = 16;

    private BackendProtocol() {}
}
