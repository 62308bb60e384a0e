// SPDX-License-Identifier: Apache-2.0
package org.kvmdp.postcopy;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The destination side of a post-copy migration, independent of how faults are caught: the
 * guest runs while pages arrive from a {@link PageSource}. Requesters (vCPU exit handlers, the
 * notification-fd or userfaultfd reader) call {@link #requestPage}/{@link #awaitPage}; a
 * background sweep fetches everything else; each page is fetched once, installed once through
 * the {@link PageInstaller}, and every page is checked against the source's CRC32C: at the
 * end, or as it arrives when the guest writes its memory meanwhile
 * ({@link PostcopyOptions#checksumOnInstall}).
 *
 * <p>Lifecycle: construct, {@link #start} (the sweep), serve requests, {@link #awaitCompletion},
 * {@link #close}. Any fetch or install failure fails the whole migration: every waiter, now
 * and later, gets a {@link MigrationFailedException} naming the first cause.
 */
public final class PostcopyDestination implements AutoCloseable {
    private static final Duration JOIN_TIMEOUT = Duration.ofSeconds(5);

    private final PageSource source;
    private final PageTracker tracker;
    private final PageInstaller installer;
    private final PostcopyOptions options;
    private final Consumer<MigrationProgress> progressListener;
    private final MigrationStats stats = new MigrationStats();
    private final DemandGate demand = new DemandGate();
    private final BackgroundSweep sweep;
    private final AtomicReference<MigrationFailedException> failure = new AtomicReference<>();
    private PageChecksums sourceChecksums; // guarded by this; fetched once, when first needed
    /** Demand-fetched pages after which the sweep starts; 0 while nothing is armed. */
    private volatile long sweepAfterDemand;
    private Thread sweepThread;
    /** Once the sweep runs, demand fetches count themselves in the gate it yields to. */
    private volatile boolean sweepStarted;
    private ScheduledExecutorService progressTimer;

    /**
     * @param progressListener called every {@code options.progressInterval()} and once at the
     *     end; may be null
     */
    public PostcopyDestination(PageSource source, PageTracker tracker, PageInstaller installer,
            PostcopyOptions options, Consumer<MigrationProgress> progressListener) {
        this.source = Objects.requireNonNull(source, "source");
        this.tracker = Objects.requireNonNull(tracker, "tracker");
        this.installer = Objects.requireNonNull(installer, "installer");
        this.options = Objects.requireNonNull(options, "options");
        this.progressListener = progressListener;
        if (tracker.pageCount() != source.pageCount()) {
            throw new IllegalArgumentException("tracker has " + tracker.pageCount()
                    + " pages, source image " + source.pageCount());
        }
        this.sweep = new BackgroundSweep(tracker, run -> fetchAndInstall(run, Urgency.BACKGROUND),
                options, demand);
        if (options.checksumOnInstall()) {
            // Now, on the caller's thread: installs run on a remote source's reader threads,
            // which must not block waiting for an answer that one of them has to read.
            sourceChecksums();
        }
    }

    /** For {@link #startAfterDemand}: every page is demand-fetched, the sweep never runs. */
    public static final long SWEEP_NEVER = Long.MAX_VALUE;

    /**
     * Starts the sweep at once if {@code pages} is 0, else once that many pages were
     * demand-fetched (checked as each demand fetch lands: no thread polls), never for
     * {@link #SWEEP_NEVER}. A benchmark or a test holds the sweep back so that the guest's
     * first accesses find their pages missing however the threads are scheduled.
     */
    public void startAfterDemand(long pages) {
        if (pages < 0) {
            throw new IllegalArgumentException("pages must be >= 0, got " + pages);
        }
        if (pages == 0) {
            start();
        } else if (pages != SWEEP_NEVER) {
            sweepAfterDemand = pages;
            startSweepIfDemandReached();
        }
    }

    private void startSweepIfDemandReached() {
        long threshold = sweepAfterDemand;
        if (threshold == 0 || stats.pagesDemandFetched() < threshold) {
            return;
        }
        synchronized (this) {
            if (sweepThread == null && failure.get() == null) {
                start();
            }
        }
    }

    /** Starts the background sweep (and the progress timer). Requests may come before. */
    public synchronized void start() {
        if (sweepThread != null) {
            throw new IllegalStateException("already started");
        }
        sweepStarted = true;
        sweepThread = new Thread(sweep, "kvmdp-postcopy-sweep");
        sweepThread.setDaemon(true);
        sweepThread.start();
        if (progressListener != null && !options.progressInterval().isZero()) {
            progressTimer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "kvmdp-postcopy-progress");
                t.setDaemon(true);
                return t;
            });
            long every = options.progressInterval().toMillis();
            progressTimer.scheduleAtFixedRate(() -> progressListener.accept(progress()), every,
                    every, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * A statistics handle for one requester thread (e.g. "vcpu-3"), for
     * {@link #awaitPage(long, Requester)}: counts and latencies recorded without sharing.
     */
    public Requester requester(String name) {
        return stats.requester(Objects.requireNonNull(name, "name"));
    }

    /**
     * {@code requester} (a name for the statistics, e.g. "vcpu-3") needs {@code page}. The
     * future completes once the page is installed and published: at once if it already is, when
     * an in-flight fetch lands if one is, else after a demand fetch started here.
     */
    public CompletableFuture<Void> requestPage(long page, String requester) {
        long start = System.nanoTime();
        PageTracker.Claim claim = tracker.claim(page);
        Requester r = stats.shared(requester);
        r.fault(claim.outcome());
        switch (claim.outcome()) {
            case RECEIVED:
            case FAILED:
                return claim.arrival();
            case FETCH:
                demandFetch(page);
                break;
            case MERGED:
                break;
            default:
                throw new AssertionError(claim.outcome());
        }
        return claim.arrival().whenComplete((v, e) -> {
            if (e == null) {
                r.faultToInstall(System.nanoTime() - start);
            }
        });
    }

    /**
     * Starts the fetch of {@code page} if no one has requested it yet, without waiting (a
     * userfaultfd handler asks for every page of a huge page before it waits for them).
     */
    public void requestPage(long page, Requester requester) {
        PageTracker.Outcome outcome = tracker.tryClaim(page);
        requester.fault(outcome);
        if (outcome == PageTracker.Outcome.FETCH) {
            demandFetch(page);
        }
    }

    /** Blocks until {@code page} is installed, at most the page timeout; records blocked time. */
    public void awaitPage(long page, String requester) {
        awaitPage(page, stats.shared(requester));
    }

    /**
     * The fault path: blocks until {@code page} is installed, at most the page timeout. A page
     * already received costs one bitmap read; the first requester of a page claims it (one
     * atomic OR) and, with a local source and an installer that can, has the source copy it
     * straight into guest memory and publishes it on this thread, allocating nothing; only a
     * requester of a page someone else has in flight sleeps until it lands.
     */
    public void awaitPage(long page, Requester requester) {
        long start = System.nanoTime();
        PageTracker.Outcome outcome = tracker.tryClaim(page);
        requester.fault(outcome);
        try {
            if (outcome == PageTracker.Outcome.RECEIVED) {
                return;
            }
            if (outcome == PageTracker.Outcome.FAILED) {
                throw asMigrationFailure(tracker.failure());
            }
            if (outcome == PageTracker.Outcome.FETCH) {
                demandFetch(page);
            }
            if (!tracker.isReceived(page)) {
                waitFor(page, requester);
            }
            requester.faultToInstall(System.nanoTime() - start);
        } finally {
            requester.blocked(System.nanoTime() - start);
        }
    }

    /**
     * Waits for {@code page}, at most the page timeout, which starts again while the source
     * is reconnecting or has reconnected meanwhile: a dropped connection pauses requesters,
     * it does not fail them (the source fails them itself if it cannot reconnect).
     */
    private void waitFor(long page, Requester requester) {
        try {
            while (true) {
                long drops = source.drops();
                if (tracker.awaitReceived(page, options.pageTimeout().toNanos())) {
                    return;
                }
                if (tracker.failure() != null
                        || !(source.isReconnecting() || source.drops() != drops)) {
                    break;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MigrationFailedException(requester.name() + " interrupted waiting for page "
                    + page);
        }
        Throwable failed = tracker.failure();
        if (failed != null) {
            throw asMigrationFailure(failed);
        }
        throw new MigrationFailedException("page " + page + " needed by " + requester.name()
                + " was not installed within " + options.pageTimeout().toMillis() + " ms ("
                + tracker.receivedCount() + " of " + tracker.pageCount() + " pages received)");
    }

    /**
     * Waits for every page, then checks each installed page against the source's checksum.
     * Throws {@link MigrationFailedException} on failure or timeout and
     * {@link ChecksumMismatchException} if any page differs.
     */
    public MigrationReport awaitCompletion(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            tracker.allReceived().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            Thread sweeper;
            synchronized (this) {
                sweeper = sweepThread;
            }
            if (sweeper != null) {
                sweeper.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            }
        } catch (TimeoutException e) {
            throw new MigrationFailedException("migration not finished within " + timeout.toMillis()
                    + " ms: " + tracker.receivedCount() + " of " + tracker.pageCount()
                    + " pages received");
        } catch (ExecutionException e) {
            throw asMigrationFailure(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MigrationFailedException("interrupted waiting for the migration to finish");
        }
        verifyChecksums();
        MigrationProgress last = progress();
        if (progressListener != null) {
            progressListener.accept(last);
        }
        return stats.report(tracker.pageCount());
    }

    public MigrationProgress progress() {
        return stats.progress(tracker.receivedCount(), tracker.pageCount());
    }

    /** Statistics so far (final once {@link #awaitCompletion} returned). */
    public MigrationReport report() {
        return stats.report(tracker.pageCount());
    }

    /** The first failure, if the migration failed. */
    public Optional<MigrationFailedException> failure() {
        return Optional.ofNullable(failure.get());
    }

    /**
     * Stops the sweep and the progress timer and releases any waiter with an error if the
     * migration had not finished. Does not close the source or the installer.
     */
    @Override
    public void close() {
        sweep.stop();
        Thread sweeper;
        synchronized (this) {
            sweeper = sweepThread;
            if (progressTimer != null) {
                progressTimer.shutdownNow();
            }
        }
        if (!tracker.allReceived().isDone()) {
            fail(new MigrationFailedException("post-copy destination closed with "
                    + tracker.receivedCount() + " of " + tracker.pageCount() + " pages received"));
        }
        if (sweeper != null) {
            try {
                sweeper.join(JOIN_TIMEOUT.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * The demand fetch of {@code page}, which this thread claimed. Direct when the installer
     * and the source can (no checksum on arrival, which needs the bytes before the guest
     * does): the source copies the page into guest memory and it is published here, on the
     * requester's thread. Otherwise through a buffer, asynchronously for a remote source.
     */
    private void demandFetch(long page) {
        // With prefetch, the never-requested pages right after this one come along, as one run.
        int count = 1 + tracker.claimFollowing(page + 1, options.prefetchPages() - 1);
        if (options.checksumOnInstall() || failure.get() != null) {
            fetchAndInstall(new PageRun(page, count), Urgency.DEMAND);
            return;
        }
        boolean gated = sweepStarted;
        if (gated) {
            demand.begin();
        }
        try {
            int alreadyPresent;
            try {
                alreadyPresent = installer.installDirect(source, page, count);
            } catch (PageSourceException e) {
                fail(new MigrationFailedException("fetching pages " + new PageRun(page, count)
                        + " (" + Urgency.DEMAND + ") failed: " + e.getMessage(), e));
                return;
            }
            if (alreadyPresent < 0) {
                fetchAndInstall(new PageRun(page, count), Urgency.DEMAND);
            } else {
                installed(page, count, alreadyPresent, Urgency.DEMAND);
            }
        } catch (ChecksumMismatchException e) {
            fail(e);
        } catch (RuntimeException e) {
            fail(new MigrationFailedException("installing pages " + new PageRun(page, count)
                    + " failed: " + e.getMessage(), e));
        } finally {
            if (gated) {
                demand.end();
            }
        }
    }

    private CompletableFuture<Void> fetchAndInstall(PageRun run, Urgency urgency) {
        if (urgency == Urgency.BACKGROUND && !options.checksumOnInstall()
                && failure.get() == null) {
            try {
                int alreadyPresent = installer.installDirect(source, run.first(), run.count());
                if (alreadyPresent >= 0) {
                    installed(run.first(), run.count(), alreadyPresent, urgency);
                    return CompletableFuture.completedFuture(null);
                }
            } catch (PageSourceException e) {
                fail(new MigrationFailedException("fetching pages " + run + " (" + urgency
                        + ") failed: " + e.getMessage(), e));
                return CompletableFuture.completedFuture(null);
            } catch (RuntimeException e) {
                fail(new MigrationFailedException("installing pages " + run + " failed: "
                        + e.getMessage(), e));
                return CompletableFuture.completedFuture(null);
            }
        }
        boolean gated = urgency == Urgency.DEMAND && sweepStarted;
        if (gated) {
            demand.begin();
        }
        ByteBuffer buffer = ByteBuffer.allocate(run.bytes());
        CompletableFuture<Void> fetched;
        try {
            fetched = source.fetch(run, urgency, buffer);
        } catch (RuntimeException e) {
            fetched = CompletableFuture.failedFuture(e);
        }
        return fetched.handle((v, error) -> {
            try {
                if (error != null) {
                    fail(new MigrationFailedException("fetching pages " + run + " (" + urgency
                            + ") failed: " + unwrap(error).getMessage(), unwrap(error)));
                } else if (failure.get() == null) {
                    install(run, buffer, urgency);
                }
            } catch (ChecksumMismatchException e) {
                fail(e);
            } catch (RuntimeException e) {
                fail(new MigrationFailedException("installing pages " + run + " failed: "
                        + e.getMessage(), e));
            } finally {
                if (gated) {
                    demand.end();
                }
            }
            return null;
        });
    }

    private void install(PageRun run, ByteBuffer buffer, Urgency urgency) {
        if (options.checksumOnInstall()) {
            checkArrival(run, buffer);
        }
        for (int i = 0; i < run.count(); i++) {
            installer.install(run.first() + i, buffer.slice(i * Pages.SIZE, Pages.SIZE));
        }
        installed(run.first(), run.count(), installer.publish(run), urgency);
    }

    /** Counts and records {@code count} installed and published pages from {@code first}. */
    private void installed(long first, int count, int alreadyPresent, Urgency urgency) {
        if (alreadyPresent > 0) {
            // Benign: the tracker lets exactly one fetch install a page, so a page found
            // present came from a second path to the same fault (a vCPU exit and the
            // notification fd both reporting it, or a duplicate uffd event answered by the
            // kernel) and holds the source's bytes too; the guest cannot have written it
            // while absent, as that write would have faulted. Count it and go on.
            stats.alreadyPresent(alreadyPresent);
        }
        stats.fetched(count, urgency);
        int duplicates = tracker.markReceived(first, count);
        if (duplicates > 0) {
            throw new IllegalStateException(duplicates + " pages of " + new PageRun(first, count)
                    + " were installed twice (tracker bug)");
        }
        if (urgency == Urgency.DEMAND) {
            startSweepIfDemandReached();
        }
    }

    /**
     * The source's checksums, fetched once (by the constructor with checksumOnInstall, else
     * at the end); fails the migration if it cannot.
     */
    private synchronized PageChecksums sourceChecksums() {
        if (sourceChecksums == null) {
            PageChecksums expected;
            try {
                expected = source.checksums();
            } catch (RuntimeException e) {
                throw fail(new MigrationFailedException("cannot get the source's page checksums: "
                        + e.getMessage(), e));
            }
            if (expected.pageCount() != tracker.pageCount()) {
                throw fail(new MigrationFailedException("source sent checksums for "
                        + expected.pageCount() + " pages, the image has " + tracker.pageCount()));
            }
            sourceChecksums = expected;
        }
        return sourceChecksums;
    }

    /** Checks the fetched bytes of {@code run} before they reach the guest. */
    private void checkArrival(PageRun run, ByteBuffer buffer) {
        PageChecksums expected = sourceChecksums();
        List<Long> differ = new ArrayList<>();
        for (int i = 0; i < run.count(); i++) {
            if (PageChecksums.of(buffer.slice(i * Pages.SIZE, Pages.SIZE))
                    != expected.get(run.first() + i)) {
                differ.add(run.first() + i);
            }
        }
        if (!differ.isEmpty()) {
            throw new ChecksumMismatchException(differ, tracker.pageCount());
        }
    }

    private void verifyChecksums() {
        PageChecksums expected = sourceChecksums();
        if (options.checksumOnInstall()) {
            return; // each page was checked as it arrived; the guest has written since
        }
        long pages = tracker.pageCount();
        ByteBuffer page = ByteBuffer.allocate(Pages.SIZE);
        List<Long> differ = new ArrayList<>();
        for (long p = 0; p < pages; p++) {
            installer.readBack(p, page.clear());
            if (PageChecksums.of(page.clear()) != expected.get(p)) {
                differ.add(p);
            }
        }
        if (!differ.isEmpty()) {
            throw fail(new ChecksumMismatchException(differ, pages));
        }
    }

    /** Records the first failure and releases every waiter with it; returns {@code f}. */
    private MigrationFailedException fail(MigrationFailedException f) {
        if (failure.compareAndSet(null, f)) {
            sweep.stop();
            tracker.failAll(f);
        }
        return f;
    }

    private MigrationFailedException asMigrationFailure(Throwable cause) {
        Throwable t = unwrap(cause);
        if (t instanceof ChecksumMismatchException c) {
            return c;
        }
        if (t instanceof MigrationFailedException m) {
            return new MigrationFailedException(m.getMessage(), m);
        }
        return new MigrationFailedException("post-copy migration failed: " + t.getMessage(), t);
    }

    private static Throwable unwrap(Throwable t) {
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
