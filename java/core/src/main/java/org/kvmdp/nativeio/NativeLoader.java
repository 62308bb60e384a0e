// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.nativeio;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/**
 * Loads libkvmdp.so from the jar (resource {@value #RESOURCE_DIR}) once per JVM.
 *
 * <p>The library is copied to a temporary file first because the dynamic linker needs a real
 * path. Failures say which step went wrong, because "UnsatisfiedLinkError: no kvmdp" alone
 * helps nobody. System property {@code kvmdp.native.library} points at a library to load instead.
 */
public final class NativeLoader {
    /** Class-path directory holding the library, the guest binaries and guest_abi.inc. */
    public static final String RESOURCE_DIR = "/org/kvmdp/native/";
    private static final String LIBRARY = "libkvmdp.so";

    private static Throwable failure;
    private static boolean loaded;

    private NativeLoader() {}

    /** Loads the library, or throws an {@link UnsatisfiedLinkError} saying why it cannot. */
    public static synchronized void ensureLoaded() {
        if (loaded) {
            return;
        }
        if (failure == null) {
            try {
                load();
                loaded = true;
                return;
            } catch (UnsatisfiedLinkError | RuntimeException e) {
                failure = e;
            }
        }
        UnsatisfiedLinkError error = new UnsatisfiedLinkError(failure.getMessage());
        error.initCause(failure);
        throw error;
    }

    /** Whether the library is (or can be) loaded; never throws. */
    public static boolean isAvailable() {
        return unavailabilityCause().isEmpty();
    }

    /** Why the library cannot be loaded, or empty if it is loaded. */
    public static Optional<Throwable> unavailabilityCause() {
        try {
            ensureLoaded();
            return Optional.empty();
        } catch (UnsatisfiedLinkError e) {
            return Optional.of(e);
        }
    }

    /** Opens a file shipped next to the library (e.g. a guest binary), or throws if missing. */
    public static InputStream openResource(String name) {
        InputStream in = NativeLoader.class.getResourceAsStream(RESOURCE_DIR + name);
        if (in == null) {
            throw new IllegalStateException(RESOURCE_DIR + name + " is not on the class path: the"
                    + " jar was built without its native part (scripts/build-native.sh, run by"
                    + " 'mvn package')");
        }
        return in;
    }

    private static void load() {
        String override = System.getProperty("kvmdp.native.library");
        if (override != null) {
            loadFrom(Path.of(override), "system property kvmdp.native.library");
            return;
        }
        URL url = NativeLoader.class.getResource(RESOURCE_DIR + LIBRARY);
        if (url == null) {
            throw new UnsatisfiedLinkError(RESOURCE_DIR + LIBRARY + " is not on the class path:"
                    + " the jar was built without its native part (scripts/build-native.sh, run"
                    + " by 'mvn package' in java/)");
        }
        Path copy;
        try (InputStream in = url.openStream()) {
            Path dir = Path.of(System.getProperty("java.io.tmpdir"));
            copy = Files.createTempFile(dir, "libkvmdp-", ".so");
            Files.copy(in, copy, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UnsatisfiedLinkError("cannot copy " + url + " to java.io.tmpdir ("
                    + System.getProperty("java.io.tmpdir") + ") for loading: " + e);
        }
        try {
            loadFrom(copy, url.toString());
        } finally {
            deleteQuietly(copy); // the mapping outlives the file
        }
    }

    private static void loadFrom(Path path, String origin) {
        try {
            System.load(path.toAbsolutePath().toString());
        } catch (UnsatisfiedLinkError e) {
            throw new UnsatisfiedLinkError("cannot load libkvmdp.so from " + path + " (from "
                    + origin + "): " + e.getMessage() + " (noexec tmpdir? wrong architecture?"
                    + " JNI_OnLoad failing to register a class means jar and library differ)");
        }
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + path, e);
        }
    }
}
