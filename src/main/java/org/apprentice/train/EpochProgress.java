package org.apprentice.train;

import java.io.PrintStream;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.apprentice.kd.ApprenticeTrainer;

/**
 * Progress of one epoch: a progress bar with images/second and ETA (me.tongfei:progressbar) on a
 * terminal; otherwise a plain line at every tenth of the epoch, and at least every
 * {@value #QUIET_SECONDS} seconds on slow runs, for logs and CI.
 */
final class EpochProgress implements ApprenticeTrainer.Progress, AutoCloseable {
    private final ProgressBar bar;
    private final PrintStream out;
    private final String task;
    private final long total;
    private final long start = System.nanoTime();
    private int nextTenth = 1;
    /** The longest a slow epoch stays silent in plain-line mode, by default. */
    static final int QUIET_SECONDS = 30;
    private final double quietSeconds;
    private long lastLine = System.nanoTime();

    EpochProgress(String task, long total, PrintStream out, boolean terminal) {
        this(task, total, out, terminal, QUIET_SECONDS);
    }

    EpochProgress(String task, long total, PrintStream out, boolean terminal, double quietSeconds) {
        this.quietSeconds = quietSeconds;
        this.task = task;
        this.total = total;
        this.out = out;
        this.bar = terminal ? new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setUnit(" img", 1)
                .showSpeed().setStyle(ProgressBarStyle.ASCII).setConsumer(new ConsoleProgressBarConsumer(System.err))
                .setUpdateIntervalMillis(500).build() : null;
    }

    /** Whether the standard output is an interactive terminal. */
    static boolean isTerminal() {
        return System.console() != null && !"true".equalsIgnoreCase(System.getenv("CI"));
    }

    @Override
    public void imagesDone(long images) {
        if (bar != null) {
            bar.stepTo(images);
            return;
        }
        int tenth = total > 0 ? (int) Math.min(9, images * 10 / total) : 0;
        long now = System.nanoTime();
        boolean quietTooLong = (now - lastLine) / 1e9 >= quietSeconds && images < total;
        if (tenth >= nextTenth || quietTooLong) {
            lastLine = now;
            double seconds = (now - start) / 1e9;
            double rate = images / Math.max(seconds, 1e-9);
            out.printf("%s: %d%% (%d/%d images, %.0f img/s, ETA %.0f s)%n", task, 100 * images / total, images, total,
                    rate, (total - images) / Math.max(rate, 1e-9));
            nextTenth = Math.max(nextTenth, tenth + 1);
        }
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        }
    }
}
