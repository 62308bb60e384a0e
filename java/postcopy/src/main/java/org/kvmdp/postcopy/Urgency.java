// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy;

/** Why a page is fetched: a blocked vCPU (jumps the queue) or the background sweep. */
public enum Urgency {
    /** A vCPU faulted on the page and waits for it. */
    DEMAND,
    /** The sweep is pulling pages nobody asked for yet. */
    BACKGROUND
}
