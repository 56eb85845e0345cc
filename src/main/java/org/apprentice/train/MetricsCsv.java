package org.apprentice.train;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import org.apprentice.io.AtomicFiles;
import org.apprentice.kd.EpochMetrics;

/**
 * A run's {@code metrics.csv}: one {@link EpochRecord} per row, written and read through one column table (each
 * column's name, how a record's value is written, and, by its position, which record component it reads back into).
 * Columns are found by name when reading, so a file with its columns in another order still reads.
 */
final class MetricsCsv {

    private record Column(String name, Function<EpochRecord, String> cell) {
    }

    /** The images trained in the epoch: not written before the trainer's metrics became part of the record. */
    private static final String IMAGES = "images";

    /** The columns, in the order {@link #record} reads them back; {@code images} came last, and may be absent. */
    private static final List<Column> COLUMNS = List.of(
            new Column("epoch", r -> String.valueOf(r.epoch())),
            new Column("lr", r -> String.valueOf(r.lr())),
            new Column("teacher_ce", r -> num(r.training().teacherCrossEntropy())),
            new Column("student_ce", r -> num(r.training().studentCrossEntropy())),
            new Column("distillation", r -> num(r.training().distillation())),
            new Column("loss", r -> num(r.training().loss())),
            new Column("student_top1", r -> num(r.studentTop1())),
            new Column("student_top5", r -> num(r.studentTop5())),
            new Column("teacher_top1", r -> num(r.teacherTop1())),
            new Column("teacher_top5", r -> num(r.teacherTop5())),
            new Column("seconds", r -> String.format(Locale.ROOT, "%.3f", r.training().seconds())),
            new Column("images_per_second", r -> String.format(Locale.ROOT, "%.1f", r.training().imagesPerSecond())),
            new Column("teacher_forward_passes", r -> String.valueOf(r.training().teacherForwardPasses())),
            new Column("student_train_top1", r -> num(r.training().studentTrainTop1())),
            new Column("student_train_top5", r -> num(r.training().studentTrainTop5())),
            new Column("teacher_train_top1", r -> num(r.training().teacherTrainTop1())),
            new Column(IMAGES, r -> String.valueOf(r.training().images())));

    private final Path file;

    MetricsCsv(Path file) {
        this.file = file;
    }

    Path file() {
        return file;
    }

    /** A new file holding only the header. */
    void start() throws IOException {
        Files.createDirectories(file.getParent());
        AtomicFiles.writeString(file, header());
    }

    void append(EpochRecord r) throws IOException {
        Files.writeString(file, row(r), StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    }

    /** The epochs recorded so far, in order; empty when there is no file. */
    List<EpochRecord> read() {
        if (!Files.isRegularFile(file)) {
            return List.of();
        }
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            List<EpochRecord> epochs = new ArrayList<>();
            if (lines.isEmpty()) {
                return epochs;
            }
            List<String> header = Arrays.asList(lines.get(0).split(",", -1));
            for (String line : lines.subList(1, lines.size())) {
                epochs.add(record(header, line.split(",", -1)));
            }
            return epochs;
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException(file + " cannot be read: " + e.getMessage(), e);
        }
    }

    /** Keeps the rows up to {@code epoch} (after a crash between an epoch's row and its checkpoint). */
    void keepUpTo(int epoch) throws IOException {
        if (!Files.isRegularFile(file)) {
            start();
            return;
        }
        StringBuilder csv = new StringBuilder(header());
        for (EpochRecord r : read()) {
            if (r.epoch() <= epoch) {
                csv.append(row(r));
            }
        }
        AtomicFiles.writeString(file, csv.toString());
    }

    private static String header() {
        return String.join(",", COLUMNS.stream().map(Column::name).toList()) + "\n";
    }

    private static String row(EpochRecord r) {
        return String.join(",", COLUMNS.stream().map(c -> c.cell().apply(r)).toList()) + "\n";
    }

    /**
     * One row, its cells found by the columns' names, read back in the table's order. A file written before the
     * {@code images} column existed gives the images as its rate times its time, rounded.
     */
    private EpochRecord record(List<String> header, String[] cells) {
        String[] v = new String[COLUMNS.size()];
        for (int k = 0; k < COLUMNS.size(); k++) {
            String name = COLUMNS.get(k).name();
            int i = header.indexOf(name);
            if (i < 0 && name.equals(IMAGES)) {
                v[k] = String.valueOf(Math.round(d(v[10]) * d(v[11])));
                continue;
            }
            if (i < 0 || i >= cells.length) {
                throw new IllegalStateException(file + " has no column " + name);
            }
            v[k] = cells[i];
        }
        EpochMetrics training = new EpochMetrics(Integer.parseInt(v[0]), d(v[2]), d(v[3]), d(v[4]), d(v[5]),
                Long.parseLong(v[16]), d(v[10]), Long.parseLong(v[12]), d(v[13]), d(v[14]), d(v[15]));
        return new EpochRecord(training, d(v[1]), d(v[6]), d(v[7]), d(v[8]), d(v[9]));
    }

    private static double d(String cell) {
        return cell.isEmpty() ? Double.NaN : Double.parseDouble(cell);
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.6f", v);
    }
}
