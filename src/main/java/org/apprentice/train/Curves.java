package org.apprentice.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

/** PNG plots of a run's {@code metrics.csv} (XChart): the loss terms and the test accuracies per epoch. */
final class Curves {
    private Curves() {
    }

    static void plot(Path csv) throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<String> lines = Files.readAllLines(csv);
        if (lines.size() < 2) {
            return;
        }
        List<String> header = List.of(lines.get(0).split(","));
        plot(csv.resolveSibling("loss.png"), "Loss terms", "cross-entropy", header, lines,
                new String[] {"student_ce", "distillation", "teacher_ce", "loss"}, 1);
        plot(csv.resolveSibling("accuracy.png"), "Test accuracy", "accuracy (%)", header, lines,
                new String[] {"student_top1", "student_train_top1", "student_top5", "teacher_top1", "teacher_train_top1"}, 100);
    }

    private static void plot(Path png, String title, String yLabel, List<String> header, List<String> lines,
                             String[] columns, double scale) throws IOException {
        XYChart chart = new XYChartBuilder().width(720).height(420).title(title).xAxisTitle("epoch")
                .yAxisTitle(yLabel).build();
        int series = 0;
        for (String column : columns) {
            int index = header.indexOf(column);
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            for (String line : lines.subList(1, lines.size())) {
                String[] cells = line.split(",", -1);
                if (index >= 0 && index < cells.length && !cells[index].isEmpty()) {
                    x.add(Double.parseDouble(cells[0]));
                    y.add(Double.parseDouble(cells[index]) * scale);
                }
            }
            if (!x.isEmpty()) {
                chart.addSeries(column.replace('_', ' '), x, y);
                series++;
            }
        }
        if (series > 0) {
            BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
        }
    }
}
