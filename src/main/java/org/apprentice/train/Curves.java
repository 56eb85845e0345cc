package org.apprentice.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

/** PNG plots of a run's epochs (XChart): {@code loss.png}, the loss terms, and {@code accuracy.png}, the accuracies. */
final class Curves {
    private Curves() {
    }

    private record Series(String name, ToDoubleFunction<EpochRecord> value) {
    }

    static void plot(Path folder, List<EpochRecord> epochs) throws IOException {
        System.setProperty("java.awt.headless", "true");
        if (epochs.isEmpty()) {
            return;
        }
        plot(folder.resolve("loss.png"), "Loss terms", "cross-entropy", epochs, 1, List.of(
                new Series("student ce", r -> r.training().studentCrossEntropy()), new Series("distillation", r -> r.training().distillation()),
                new Series("teacher ce", r -> r.training().teacherCrossEntropy()), new Series("loss", r -> r.training().loss())));
        plot(folder.resolve("accuracy.png"), "Test accuracy", "accuracy (%)", epochs, 100, List.of(
                new Series("student top1", EpochRecord::studentTop1),
                new Series("student train top1", r -> r.training().studentTrainTop1()),
                new Series("student top5", EpochRecord::studentTop5),
                new Series("teacher top1", EpochRecord::teacherTop1),
                new Series("teacher train top1", r -> r.training().teacherTrainTop1())));
    }

    private static void plot(Path png, String title, String yLabel, List<EpochRecord> epochs, double scale,
                             List<Series> series) throws IOException {
        XYChart chart = new XYChartBuilder().width(720).height(420).title(title).xAxisTitle("epoch")
                .yAxisTitle(yLabel).build();
        int drawn = 0;
        for (Series s : series) {
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            for (EpochRecord r : epochs) {
                double v = s.value().applyAsDouble(r);
                if (!Double.isNaN(v)) {
                    x.add((double) r.epoch());
                    y.add(v * scale);
                }
            }
            if (!x.isEmpty()) {
                chart.addSeries(s.name(), x, y);
                drawn++;
            }
        }
        if (drawn > 0) {
            BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
        }
    }
}
