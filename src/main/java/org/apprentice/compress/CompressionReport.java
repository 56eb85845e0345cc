package org.apprentice.compress;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apprentice.bench.DeployBenchmark;
import org.apprentice.data.DataSource;
import org.apprentice.eval.Accuracy;
import org.apprentice.eval.TeacherGain;
import org.apprentice.export.Deployment;
import org.apprentice.io.AtomicFiles;
import org.apprentice.model.InputShape;
import org.apprentice.model.ModelFiles;
import org.apprentice.model.ModelSize;
import org.apprentice.train.RunSettings;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

/**
 * What {@link Compression} made, measured and written down: each model's top-1 and top-5 on the evaluation split (the
 * data's test split; an image folder's {@code val}), its size at its precision, and ONNX Runtime's images per second on
 * its fastest ONNX form (the integer file where there is one); the student with the teacher against its control, read
 * against the runs' noise; the better of the two exported; {@code report.md} and {@code curves.png} (test top-1 by
 * epoch).
 */
final class CompressionReport {
    private final Path home;
    private final Path out;
    private final PrintStream log;

    CompressionReport(Path home, Path out, PrintStream log) {
        this.home = home;
        this.out = out;
        this.log = log;
    }

    /**
     * Measures {@code models} (teacher, full-precision student, control, student with the teacher: in that order),
     * exports the better low-precision one and writes the report; returns its path.
     */
    Path write(RunSettings c, List<Compression.Model> models, DeployBenchmark speed) throws IOException {
        log.printf("%n[report] every model on the evaluation split, and ONNX Runtime's speed%n");
        List<Compression.Row> rows = new ArrayList<>();
        for (Compression.Model m : models) {
            rows.add(measure(c, m, speed));
        }
        Compression.Row control = rows.get(2);
        Compression.Row apprentice = rows.get(3);
        // a tie goes to the control: the teacher then bought nothing
        Compression.Row better = apprentice.accuracy().top1() > control.accuracy().top1() ? apprentice : control;
        Deployment exported = Compression.export(better.model().zip(), out.resolve("export"));
        List<String> lines = new ArrayList<>();
        lines.add("# Compressed: " + c.student().name() + " " + c.precisionLabel() + " on " + c.data().label());
        lines.add("");
        lines.add(String.format(Locale.ROOT, "Evaluation split: %,d images (the data's test split; an image folder's "
                + "val). Speed: ONNX Runtime, median of 9 calls after 3, images per second, on each model's fastest "
                + "ONNX form (the integer file where there is one).", rows.get(0).accuracy().examples()));
        lines.add("");
        lines.add("| model | top-1 | top-5 | size | ONNX file | img/s, batch 1 | img/s, batch 32 |");
        lines.add("|---|---|---|---|---|---|---|");
        for (Compression.Row r : rows) {
            lines.add(String.format(Locale.ROOT, "| %s | %.2f%% | %.2f%% | %s | %,d B | %.1f | %.1f |",
                    r.model().label(), 100 * r.accuracy().top1(), 100 * r.accuracy().top5(),
                    ModelSize.megabytes(r.bytes()), r.onnxBytes(), r.imagesPerSecond()[0], r.imagesPerSecond()[1]));
        }
        lines.add("");
        lines.add(gain(control, apprentice));
        lines.add("");
        lines.add(String.format(Locale.ROOT, "Exported: %s, the better of the two on the evaluation split (%.2f%% "
                + "against %.2f%%; a tie goes to the control), as %s, %s and %s.", better.model().label(),
                100 * better.accuracy().top1(), 100 * (better == apprentice ? control : apprentice).accuracy().top1(),
                shown(exported.deployable().toPath()), shown(exported.packed().toPath()),
                shown(exported.fastestOnnx().toPath())));
        lines.add("");
        lines.add("![test top-1 by epoch](curves.png)");
        curves(models);
        Path report = out.resolve("report.md");
        AtomicFiles.writeString(report, String.join("\n", lines) + "\n");
        lines.forEach(log::println);
        return report;
    }

    /** One model on the evaluation split (its inputs normalised as it was trained), its size and speed. */
    private Compression.Row measure(RunSettings c, Compression.Model m, DeployBenchmark speed) throws IOException {
        org.deeplearning4j.nn.graph.ComputationGraph net = ModelFiles.load(m.zip().toFile(), "model");
        Accuracy accuracy;
        InputShape input;
        try (DataSource data = DataSource.open(c.data().source(), home, c.data().imageSize(), 0,
                c.optimisation().seed(), c.execution().workers(), c.execution().skipBadImages(), c.data().classes())) {
            Compression.normalisedFor(data, m.zip());
            accuracy = Accuracy.of(net, data.test(64), data.classes());
            input = data.shape();
        }
        Deployment forms = Compression.export(m.zip(), out.resolve("report").resolve(m.step() == null ? "teacher-given"
                : m.step()));
        double[] perSecond = speed.imagesPerSecond(forms.fastestOnnx(), input);
        long bytes = ModelSize.of(net).lowPrecisionBytes();
        log.printf("%-48s top-1 %.2f%%, %s, %.1f / %.1f img/s%n", m.label(), 100 * accuracy.top1(),
                ModelSize.megabytes(bytes), perSecond[0], perSecond[1]);
        return new Compression.Row(m, accuracy, bytes, forms.fastestOnnx().length(), perSecond);
    }

    /** The student with the teacher against its control, read against their last epoch-to-epoch swing. */
    private static String gain(Compression.Row control, Compression.Row apprentice) {
        List<Double> a = Compression.top1ByEpoch(apprentice.model());
        List<Double> b = Compression.top1ByEpoch(control.model());
        if (a.size() < 2 || b.size() < 2) {
            return String.format(Locale.ROOT, "Scheme C vs its control: %+.2f points of top-1; one epoch each, so no "
                    + "swing to read it against (give --epochs 2 or more).",
                    100 * (apprentice.accuracy().top1() - control.accuracy().top1()));
        }
        TeacherGain g = TeacherGain.of(control.accuracy(), apprentice.accuracy(), b, a);
        return String.format(Locale.ROOT, "Scheme C vs its control: %+.2f points of top-1; over its last epoch, either "
                + "run moved by up to %.2f points. %s", g.gainPoints(), g.swingPoints(), g.verdict());
    }

    /** {@code curves.png}: each trained model's test top-1 by epoch. */
    private void curves(List<Compression.Model> models) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYChart chart = new XYChartBuilder().width(720).height(420).title("Test top-1 by epoch").xAxisTitle("epoch")
                .yAxisTitle("top-1 (%)").build();
        for (Compression.Model m : models) {
            List<Double> top1 = Compression.top1ByEpoch(m);
            if (top1.isEmpty()) {
                continue;
            }
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            for (int e = 0; e < top1.size(); e++) {
                x.add(e + 1.0);
                y.add(100 * top1.get(e));
            }
            chart.addSeries(m.label(), x, y);
        }
        BitmapEncoder.saveBitmap(chart, out.resolve("curves.png").toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private String shown(Path p) {
        return out.toAbsolutePath().relativize(p.toAbsolutePath()).toString();
    }
}
