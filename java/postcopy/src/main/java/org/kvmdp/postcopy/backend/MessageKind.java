// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.backend;

import java.util.Optional;

/**
 * The messages between the VMM and a device-backend process, on two channels, each with
 * one side that asks and one that answers (as vhost-user's front-end and backend-request
 * channels): on the <b>control</b> socket the VMM asks (SETUP, KICK, GOODBYE) and the
 * backend answers; on the <b>page</b> channel the backend asks for pages (NEED) and the VMM
 * answers (READY, REFUSED). An answer carries its request's tag.
 */
public enum MessageKind {
    /** Backend to VMM, first on the control socket: u32 protocol version, u32 pid. */
    HELLO(1, 8, 8, false),
    /**
     * VMM to backend, with three fds (guest memfd, page-state memfd read-only, the backend's
     * end of the page channel): see {@link BackendSetup}.
     */
    SETUP(2, BackendSetup.BYTES, BackendSetup.BYTES, true),
    /** Backend to VMM: the memory is mapped, the page state checked; serving. */
    SETUP_DONE(3, 0, 0, false),
    /** VMM to backend: the guest rang the block device's doorbell: u32 doorbell value. */
    KICK(4, 4, 4, false),
    /**
     * Backend to VMM, the KICK's answer: u32 status, u32 1 if the backend wrote the status
     * into the descriptor itself (else the VMM must), then the reason in UTF-8 if not.
     */
    KICK_DONE(5, 8, BackendProtocol.MAX_BODY_BYTES, false),
    /** VMM to backend: the migration is over; exit. */
    GOODBYE(6, 0, 0, false),
    /** Backend to VMM on the page channel: u64 first page, u32 count, u32 0. */
    NEED(16, 16, 16, false),
    /** VMM to backend: every page of the NEED has arrived and is visible in the page state. */
    READY(17, 0, 0, false),
    /** VMM to backend: the NEED cannot be served: u32 {@link Refusal} code, UTF-8 reason. */
    REFUSED(18, 4, BackendProtocol.MAX_BODY_BYTES, false);

    private final int code;
    private final int minBody;
    private final int maxBody;
    private final boolean carriesFds;

    MessageKind(int code, int minBody, int maxBody, boolean carriesFds) {
        this.code = code;
        this.minBody = minBody;
        this.maxBody = maxBody;
        this.carriesFds = carriesFds;
    }

    public int code() {
        return code;
    }

    /** Whether a body of {@code bytes} fits this message. */
    public boolean bodyFits(long bytes) {
        return bytes >= minBody && bytes <= maxBody;
    }

    public boolean carriesFds() {
        return carriesFds;
    }

    public static Optional<MessageKind> of(int code) {
        for (MessageKind k : values()) {
            if (k.code == code) {
                return Optional.of(k);
            }
        }
        return Optional.empty();
    }
}
