package org.apprentice.study;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apprentice.study.Comparisons.Config;
import org.apprentice.study.DistillationMap.Family;
import org.apprentice.study.DistillationMap.Gain;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The PNG of a map (XChart): one panel per student, one under another, the teacher's gain in points of test top-1 against training images
 * (log scale), one series per scheme, temperature and teacher, each point with its 95% interval (none where fewer than
 * two pairs ran), and the line of no gain.
 */
final class GainPlot {
    private GainPlot() {
    }

    /** Writes the plot when the map has a comparison of the teacher's gain (the report links it only then). */
    static void write(DistillationMap map, Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<Gain> gains = map.gains().get(Family.TEACHER);
        List<XYChart> panels = new ArrayList<>();
        for (Config student : map.students()) {
            List<Gain> own = gains.stream().filter(g -> g.cell().student().equals(student)).toList();
            if (!own.isEmpty()) {
                panels.add(panel(own, map));
            }
        }
        if (panels.isEmpty()) {
            return;
        }
        // one column: XChart's grid needs every cell filled, which rows of two would not be for an odd count
        BitmapEncoder.saveBitmap(panels, panels.size(), 1, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static XYChart panel(List<Gain> gains, DistillationMap map) {
        XYChart chart = new XYChartBuilder().width(560).height(380).title(gains.get(0).cell().studentLabel()
                + ": the teacher's gain").xAxisTitle("training images (log scale)").yAxisTitle("gain (points of top-1)")
                .build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNW);
        chart.getStyler().setLegendFont(chart.getStyler().getLegendFont().deriveFont(10f));
        Map<String, List<Gain>> bySeries = new LinkedHashMap<>();
        gains.forEach(g -> bySeries.computeIfAbsent(g.cell().armLabel(map.mainTeacher()), k -> new ArrayList<>()).add(g));
        double low = Double.MAX_VALUE;
        double high = 0;
        int k = 0;
        for (Map.Entry<String, List<Gain>> s : bySeries.entrySet()) {
            double shift = 1 + 0.04 * (k++ - bySeries.size() / 2.0); // side by side, so the intervals do not overlap
            List<Gain> points = s.getValue().stream()
                    .sorted(java.util.Comparator.comparingInt(g -> g.cell().images())).toList();
            double[] x = points.stream().mapToDouble(g -> g.cell().images() * shift).toArray();
            double[] y = points.stream().mapToDouble(g -> 100 * g.gain().mean()).toArray();
            double[] half = points.stream().mapToDouble(g -> g.gain().untested() ? 0 : 100 * (g.gain().high()
                    - g.gain().mean())).toArray();
            XYSeries series = chart.addSeries(s.getKey() + " vs " + points.get(0).control().armLabel(map.mainTeacher()),
                    x, y, half);
            series.setMarker(SeriesMarkers.CIRCLE);
            for (double v : x) {
                low = Math.min(low, v);
                high = Math.max(high, v);
            }
        }
        chart.addSeries("no gain", new double[] {low * 0.8, high * 1.25}, new double[] {0, 0})
                .setMarker(SeriesMarkers.NONE).setLineColor(java.awt.Color.GRAY);
        return chart;
    }
}
