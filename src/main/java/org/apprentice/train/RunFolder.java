package org.apprentice.train;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.apprentice.io.FileErrors;
import org.apprentice.model.ModelSize;

/**
 * The files of a run folder, typed: the run's settings ({@code run.json}, a {@link RunSettings}), one row per
 * epoch ({@code metrics.csv}, {@link EpochRecord}s), and the provenance JSON beside each model
 * ({@code student.json}, a {@link Provenance}). Every one of them is written and read here only: the JSON through
 * {@link RunJson}, the CSV through {@link MetricsCsv}.
 */
public final class RunFolder {
    public static final String SETTINGS = "run.json";
    public static final String METRICS = "metrics.csv";
    /** The student's size, beside or instead of {@code student.zip} (a study keeps it without the model). */
    public static final String SIZE = "size.json";
    private static final String LOCK = ".lock";


    private final Path dir;

    public RunFolder(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    // ---- ownership

    /** The lock a run holds on its folder while it trains; closing it lets another run in. */
    public static final class Lock implements AutoCloseable {
        private final FileChannel channel;
        private final FileLock lock;
        private final Path key;

        private Lock(FileChannel channel, FileLock lock, Path key) {
            this.channel = channel;
            this.lock = lock;
            this.key = key;
        }

        @Override
        public void close() throws IOException {
            try {
                lock.release();
            } finally {
                channel.close();
                CLAIMED.remove(key);
            }
        }
    }

    /** The folders runs of this process own (real paths). */
    private static final java.util.Set<Path> CLAIMED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * Makes the folder this run's: creates it, locks it against other runs (here or in another process), and,
     * unless {@code resuming}, refuses a folder that already holds a run (a checkpoint or a model), so that nothing another run wrote is overwritten. One-line errors name the folder.
     */
    public Lock claim(boolean resuming) throws IOException {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IllegalArgumentException("--out " + dir + " cannot be made into a run folder: " + FileErrors.describe(e));
        }
        Path key = dir.toRealPath();
        // this process first: closing a second channel on the lock file would drop the process's OS-level lock
        if (!CLAIMED.add(key)) {
            throw new IllegalArgumentException("--out " + dir + " is in use by another run; wait for it or give a new --out");
        }
        Lock owned;
        try {
            owned = lock(key);
        } catch (RuntimeException | IOException e) {
            CLAIMED.remove(key);
            throw e;
        }
        String held = resuming ? null : heldRun();
        if (held != null) {
            owned.close();
            throw new IllegalArgumentException("--out " + dir + " holds another run (" + held + "); continue it with "
                    + "--resume or give a new --out");
        }
        return owned;
    }

    /** Locks the folder against other processes; the lock file's channel stays open while the run owns it. */
    private Lock lock(Path key) throws IOException {
        FileChannel channel;
        try {
            channel = FileChannel.open(dir.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new IllegalArgumentException("--out " + dir + " cannot be written: " + FileErrors.describe(e));
        }
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (IOException | OverlappingFileLockException e) {
            channel.close();
            throw new IllegalArgumentException("--out " + dir + " cannot be locked (" + e.getClass().getSimpleName()
                    + "); give an --out on a local disk");
        }
        if (lock == null) {
            channel.close();
            throw new IllegalArgumentException("--out " + dir + " is in use by another run; wait for it or give a new --out");
        }
        return new Lock(channel, lock, key);
    }

    /**
     * What shows that a run already used this folder ("a checkpoint", "student.zip"), or null. Metrics rows without
     * a checkpoint (a run cut inside its first epoch) cannot be resumed, so they do not hold the folder.
     */
    private String heldRun() {
        if (Files.isRegularFile(dir.resolve("student.zip"))) {
            return "student.zip";
        }
        if (Files.isRegularFile(dir.resolve(Checkpoints.LATEST))) {
            return "a checkpoint";
        }
        return null;
    }

    // ---- settings

    public void writeSettings(RunSettings settings) throws IOException {
        RunJson.write(dir.resolve(SETTINGS), settings);
    }

    /** The run's settings, or null when the folder holds none. */
    public RunSettings readSettings() {
        Path file = dir.resolve(SETTINGS);
        return Files.isRegularFile(file) ? RunJson.read(file, RunSettings.class) : null;
    }

    // ---- metrics

    public Path metricsFile() {
        return dir.resolve(METRICS);
    }

    /** A new metrics.csv holding only its header. */
    public void startMetrics() throws IOException {
        new MetricsCsv(metricsFile()).start();
    }

    public void appendEpoch(EpochRecord r) throws IOException {
        new MetricsCsv(metricsFile()).append(r);
    }

    /** The epochs recorded so far, in order; empty when there is no metrics file. */
    public List<EpochRecord> readEpochs() {
        return new MetricsCsv(metricsFile()).read();
    }

    /** After a crash between writing an epoch's row and its checkpoint: drops the rows after {@code epoch}. */
    public void keepEpochsUpTo(int epoch) throws IOException {
        new MetricsCsv(metricsFile()).keepUpTo(epoch);
    }

    // ---- provenance

    /** The provenance file of a model file: {@code student.json} for {@code student.zip}. */
    public static Path provenanceFileOf(Path model) {
        return model.resolveSibling(model.getFileName().toString().replaceAll("\\.zip$", "") + ".json");
    }

    /** Writes {@code p} beside its model in this folder. */
    public void writeProvenance(Provenance p) throws IOException {
        RunJson.write(provenanceFileOf(dir.resolve(p.model())), p);
    }

    /** The provenance of the model file {@code model} (e.g. "student.zip") of this folder, or null. */
    public Provenance readProvenance(String model) {
        Path file = provenanceFileOf(dir.resolve(model));
        return Files.isRegularFile(file) ? RunJson.read(file, Provenance.class) : null;
    }

    // ---- the student's size

    public void writeSize(ModelSize size) throws IOException {
        RunJson.write(dir.resolve(SIZE), size);
    }

    /** The size recorded by {@link #writeSize}, or null. */
    public ModelSize readSize() {
        Path file = dir.resolve(SIZE);
        return Files.isRegularFile(file) ? RunJson.read(file, ModelSize.class) : null;
    }
}
