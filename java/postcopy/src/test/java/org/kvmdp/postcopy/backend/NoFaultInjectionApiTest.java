// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy.backend;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The device backend's shipped API has no fault injection: that lives in the test fixture
 * {@link BackendFaults}, through package-private seams.
 */
class NoFaultInjectionApiTest {
    @Test
    void theBackendsOptionsAreOnlyItsSocket() {
        assertThat(Arrays.stream(DeviceBackend.Options.class.getRecordComponents())
                .map(RecordComponent::getName)).containsExactly("socket");
    }

    @Test
    void noPublicMethodOffersAFault() {
        for (Class<?> type : List.of(DeviceBackendOptions.class, DeviceBackend.class,
                PageRequestServer.class)) {
            assertThat(Arrays.stream(type.getDeclaredMethods())
                    .filter(m -> Modifier.isPublic(m.getModifiers()))
                    .map(Method::getName))
                    .as(type.getSimpleName()).noneMatch(name -> name.matches(
                            "(?i).*(stall|hold|fault|inject).*"));
        }
    }
}
