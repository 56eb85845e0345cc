package org.apprentice.study;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import org.apprentice.kd.Models;
import org.apprentice.model.ModelSize;

/**
 * What one finished (or partly finished) step left in its run folder: its resolved settings
 * ({@code run.properties}), the test accuracy after every epoch ({@code metrics.csv}) and, once complete,
 * the size of its model ({@code student.zip}).
 *
 * @param top1          test top-1 after each epoch run so far, in [0, 1]
 * @param teacherTop1   scheme A: the jointly trained teacher's final test top-1; else NaN
 * @param trainSeconds  the training time of the epochs run (evaluation excluded)
 * @param size          the model's size, or null while the step is not complete
 * @param teacherFolder  the folder (step name) of the trained teacher zip it used, or null
 * @param temperature   the distillation temperature T
 */
public record StepResult(String step, String scheme, String student, String studentWidth, String precision,
                         String teacher, String teacherWidth, String teacherFolder, double temperature,
                         int epochsPlanned, double[] top1, double top5,
                         double teacherTop1, double trainSeconds, ModelSize size) {

    /** Reads a step's folder; null when the step has not started (no settings or no epoch yet). */
    public static StepResult read(Path folder) {
        Path settings = folder.resolve("run.properties");
        Path csv = folder.resolve("metrics.csv");
        if (!Files.isRegularFile(settings) || !Files.isRegularFile(csv)) {
            return null;
        }
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(settings, StandardCharsets.UTF_8)) {
            p.load(in);
            List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
            if (lines.size() < 2) {
                return null;
            }
            List<String> header = Arrays.asList(lines.get(0).split(",", -1));
            int top1Col = column(header, "student_top1", csv);
            int top5Col = column(header, "student_top5", csv);
            int teacherCol = column(header, "teacher_top1", csv);
            int secondsCol = column(header, "seconds", csv);
            List<Double> top1 = new ArrayList<>();
            double top5 = Double.NaN;
            double teacher = Double.NaN;
            double seconds = 0;
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.split(",", -1);
                top1.add(Double.parseDouble(f[top1Col]));
                top5 = Double.parseDouble(f[top5Col]);
                teacher = f[teacherCol].isEmpty() ? Double.NaN : Double.parseDouble(f[teacherCol]);
                seconds += Double.parseDouble(f[secondsCol]);
            }
            Path zip = folder.resolve("student.zip");
            ModelSize size = Files.isRegularFile(zip) ? ModelSize.of(Models.load(zip.toFile(), "study step")) : null;
            String precision = p.getProperty("precision", "?").split(",")[0].trim();
            return new StepResult(folder.getFileName().toString(), p.getProperty("scheme", "?"),
                    p.getProperty("student", "?"), p.getProperty("studentWidth", "1.0"), precision,
                    p.getProperty("teacher", "?"), p.getProperty("teacherWidth", "1.0"),
                    p.getProperty("teacherModel", "null").equals("null") ? null
                            : String.valueOf(Path.of(p.getProperty("teacherModel")).getParent().getFileName()),
                    Double.parseDouble(p.getProperty("temperature", "1.0")),
                    Integer.parseInt(p.getProperty("epochs", "0")),
                    top1.stream().mapToDouble(Double::doubleValue).toArray(), top5, teacher, seconds, size);
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("study step " + folder + " cannot be read: " + e.getMessage(), e);
        }
    }

    private static int column(List<String> header, String name, Path csv) {
        int i = header.indexOf(name);
        if (i < 0) {
            throw new IllegalStateException(csv + " has no column " + name);
        }
        return i;
    }

    /** Finished: every planned epoch run and the model written. */
    public boolean complete() {
        return size != null && top1.length >= epochsPlanned;
    }

    public double finalTop1() {
        return top1[top1.length - 1];
    }

    public boolean fullPrecision() {
        return precision.equals("fp32");
    }

    /** The model's label: "resnet20", or "resnet20 x2.0" when widened. */
    public String model() {
        return student + (studentWidth.equals("1.0") ? "" : " x" + studentWidth);
    }

    public String teacherModel() {
        return teacher + (teacherWidth.equals("1.0") ? "" : " x" + teacherWidth);
    }

    /**
     * The first epoch from which test top-1 stays within {@code points} percentage points of the final
     * value (1-based), the convergence measure of the study.
     */
    public int epochsToWithin(double points) {
        double floor = finalTop1() - points / 100.0;
        int first = top1.length;
        for (int e = top1.length - 1; e >= 0 && top1[e] >= floor - 1e-12; e--) {
            first = e + 1;
        }
        return first;
    }
}
