// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.tcp;

import org.kvmdp.postcopy.PostcopyOptions;

/**
 * Constants of the page protocol. A connection starts with HELLO (client) and WELCOME
 * (server); then the client sends PAGES_REQUEST / CHECKSUMS_REQUEST messages without waiting
 * (pipelined, each with its own id) and the server answers each with PAGES / CHECKSUMS, or
 * ERROR naming the request; STATE_REQUEST fetches the opaque device state (what the VMM needs
 * besides memory to resume the guest, e.g. vCPU registers; empty if the source has none). Every message is a frame: type (u8), body length (u32, checked
 * against the type's limits before it is read), body. Integers are big-endian.
 *
 * <p>A client opens two connections, like QEMU's postcopy preempt channel: demand requests go
 * on one, sweep requests on the other, so a vCPU's page is never stuck behind megabytes of
 * sweep data in a socket buffer. The server also serves urgent requests first within a
 * connection.
 *
 * <p>A connection that breaks is not the end: the client reconnects (bounded retries with
 * backoff), checks that the WELCOME names the same session, and sends every request that had
 * no complete answer again; the server keeps serving the same image to the new connection. A
 * client that is done says GOODBYE, which is what tells the server the migration ended.
 */
public final class Wire {
    /** "KVDP". */
    public static final int MAGIC = 0x4B56_4450;
    /** 3: WELCOME carries the session, GOODBYE ends a migration (a bare hang-up may be a drop). */
    public static final int VERSION = 3;
    public static final byte CHANNEL_DEMAND = 0;
    public static final byte CHANNEL_BACKGROUND = 1;
    public static final byte FLAG_URGENT = 1;
    /** 256 KiB of pages per message, as a sweep batch. */
    public static final int MAX_PAGES_PER_MESSAGE = PostcopyOptions.MAX_BATCH_PAGES;
    public static final int MAX_CHECKSUMS_PER_MESSAGE = 16384;
    public static final int MAX_ERROR_TEXT_BYTES = 1024;
    /** The opaque device state (vCPU registers) a source may attach to its image. */
    public static final int MAX_STATE_BYTES = 64 * 1024;
    public static final int FRAME_HEADER_BYTES = 5;

    private Wire() {}

    static String channelName(byte channel) {
        return channel == CHANNEL_DEMAND ? "demand channel" : "background channel";
    }
}
