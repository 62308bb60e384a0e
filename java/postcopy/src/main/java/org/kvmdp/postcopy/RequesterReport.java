// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy;

/**
 * What one requester (a vCPU, the notification-fd reader...) saw.
 *
 * @param faults page requests made
 * @param alreadyReceived requests for pages already installed (nothing sent)
 * @param merged requests that joined a fetch already in flight
 * @param blockedNanos time spent blocked in {@link PostcopyDestination#awaitPage}
 */
public record RequesterReport(long faults, long alreadyReceived, long merged, long blockedNanos) {}
