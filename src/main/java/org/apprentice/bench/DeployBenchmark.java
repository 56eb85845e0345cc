package org.apprentice.bench;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apprentice.deploy.OnnxClassifier;
import org.apprentice.export.IntegerOnnx;
import org.apprentice.export.OnnxExport;
import org.apprentice.model.DataRecord;
import org.apprentice.model.InputShape;
import org.apprentice.model.Normalization;
import org.apprentice.model.LayerPrecision;
import org.apprentice.model.PrecisionSpec;
import org.apprentice.model.ResNetBuilder;
import org.apprentice.model.ResNetConfig;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Inference where a student is deployed, in one run: images per second at two batch sizes, and file size, for DL4J at
 * fp32, ONNX Runtime on the fp32 export, ONNX Runtime on the float export of the low-precision student, and ONNX
 * Runtime on its integer export. Networks are freshly initialised (speed does not depend on what the weights are;
 * the activation grids are the fixed quantizers' [0, 1]); each figure is the median of several timed repeats after
 * untimed warm-up ones, so figures within one run compare as ratios.
 */
public final class DeployBenchmark {
    /** One network benchmarked: a registry name and its input. */
    public record Network(String model, InputShape input) {
        @Override
        public String toString() {
            return model + " " + input.channels() + "x" + input.height() + "x" + input.width();
        }
    }

    /** One row of the table. */
    public record Row(Network network, String precision, String form, long bytes, double[] imagesPerSecond) {
    }

    /** A student precision to time, with its row label. */
    public record Student(String label, PrecisionSpec precision) {
    }

    /**
     * The students timed by default: ternary weights with 4- and 8-bit activations, first and last layers in full
     * precision (the paper's convention), and the first with its stem's activation quantized to 8 bits (its weights
     * still full precision), which lets the first block read codes.
     */
    public static final List<Student> STUDENTS = List.of(new Student("w2a4", PrecisionSpec.of(2, 4)),
            new Student("w2a8", PrecisionSpec.of(2, 8)), new Student("w2a4 stem a8", PrecisionSpec.of(2, 4)
                    .withOverride(org.apprentice.model.ResNetArchitecture.FIRST_CONVOLUTION, new LayerPrecision(32, 8))));

    public static final List<Network> DEFAULT = List.of(new Network("resnet8", new InputShape(1, 28, 28)),
            new Network("resnet20", new InputShape(3, 32, 32)), new Network("resnet18", new InputShape(3, 224, 224)));

    private final int[] batches;
    private final int warmup;
    private final int repeats;
    private final Path folder;

    public DeployBenchmark(int[] batches, int warmup, int repeats, Path folder) {
        this.batches = batches.clone();
        this.warmup = warmup;
        this.repeats = repeats;
        this.folder = folder;
    }

    /** An ONNX file written for the benchmark, with its row's labels. */
    private record Export(String precision, String form, File file) {
    }

    /**
     * The ONNX files of network {@code n}: the fp32 export of {@code fp32}, then a freshly initialised student's float
     * and integer exports at each precision (the integer export's plan added to {@code plans}).
     */
    private List<Export> exports(Network n, ComputationGraph fp32, List<Student> students, List<String> plans)
            throws IOException {
        DataRecord data = new DataRecord(null, n.input(), Normalization.NONE);
        File fpOnnx = folder.resolve(n.model() + "-fp32.onnx").toFile();
        OnnxExport.write(fp32, data, fpOnnx);
        List<Export> files = new ArrayList<>(List.of(new Export("fp32", "ONNX Runtime", fpOnnx)));
        for (Student s : students) {
            ComputationGraph student = ResNetBuilder.build(ResNetConfig.of(n.model(), 10, n.input())
                    .withPrecision(s.precision()));
            String file = n.model() + "-" + s.label().replace(' ', '-');
            File floatOnnx = folder.resolve(file + ".onnx").toFile();
            File intOnnx = folder.resolve(file + "-int8.onnx").toFile();
            OnnxExport.write(student, data, floatOnnx);
            plans.add(s.label() + ": " + IntegerOnnx.write(student, data, intOnnx));
            files.add(new Export(s.label(), "ONNX Runtime, float export", floatOnnx));
            files.add(new Export(s.label(), "ONNX Runtime, integer export", intOnnx));
        }
        return files;
    }

    /** A form being timed: its row's labels and file, and one inference of a batch. */
    private record Form(String precision, String form, long bytes, java.util.function.IntConsumer infer) {
    }

    /**
     * Every form of every network at every precision, each timed on its own (see {@link #time}); DL4J last.
     */
    public List<Row> run(List<Network> networks, List<Student> students, PrintStream out) throws IOException {
        List<Row> rows = new ArrayList<>();
        out.printf("%-22s %-12s %-28s %12s", "network", "precision", "form", "file bytes");
        for (int b : batches) {
            out.printf(" %14s", "img/s batch " + b);
        }
        out.printf(" %s%n", "vs ONNX fp32");
        for (Network n : networks) {
            ComputationGraph fp32 = ResNetBuilder.build(ResNetConfig.of(n.model(), 10, n.input()));
            List<String> plans = new ArrayList<>();
            List<Export> files = exports(n, fp32, students, plans);
            List<OnnxClassifier> sessions = new ArrayList<>();
            try {
                List<Form> forms = new ArrayList<>();
                java.util.Map<Integer, float[]> pixels = new java.util.HashMap<>(); // made once per batch, untimed
                for (int b : batches) {
                    pixels.put(b, pixels(b, n.input()));
                }
                for (Export e : files) {
                    OnnxClassifier session = OnnxClassifier.open(e.file());
                    sessions.add(session);
                    forms.add(new Form(e.precision(), e.form(), e.file().length(), b -> session.run(pixels.get(b), b)));
                }
                java.util.Map<Integer, INDArray> inputs = new java.util.HashMap<>();
                for (int b : batches) {
                    inputs.put(b, Nd4j.create(pixels.get(b), new long[] {b, n.input().channels(), n.input().height(),
                            n.input().width()}, 'c'));
                }
                // DL4J after ONNX Runtime: its OpenMP threads keep spinning after it runs
                double[][] onnx = time(forms);
                double[][] dl4j = time(List.of(new Form("fp32", "DL4J", 0, b -> fp32.output(false, inputs.get(b)))));
                forms.add(new Form("fp32", "DL4J", 0, null));
                double[][] perSecond = java.util.stream.Stream.concat(Arrays.stream(onnx), Arrays.stream(dl4j))
                        .toArray(double[][]::new);
                Row base = null;
                for (int f = 0; f < forms.size(); f++) {
                    Row row = new Row(n, forms.get(f).precision(), forms.get(f).form(), forms.get(f).bytes(), perSecond[f]);
                    print(out, row, base);
                    base = base == null ? row : base;
                    rows.add(row);
                }
                for (String plan : plans) {
                    out.printf("%-22s   integer export %s%n", "", plan);
                }
            } finally {
                sessions.forEach(OnnxClassifier::close);
            }
        }
        return rows;
    }

    /**
     * Images per second of each form at each batch: the median of its timed repeats after its warm-up calls, one form
     * after the other with a pause between, so that the threads of the form before (ONNX Runtime's and DL4J's spin
     * for a while after a call) have parked before the next is timed.
     */
    private double[][] time(List<Form> forms) {
        double[][] perSecond = new double[forms.size()][batches.length];
        for (int i = 0; i < batches.length; i++) {
            int b = batches[i];
            for (int f = 0; f < forms.size(); f++) {
                pause();
                for (int w = 0; w < warmup; w++) {
                    forms.get(f).infer().accept(b);
                }
                double[] seconds = new double[repeats];
                for (int r = 0; r < repeats; r++) {
                    long start = System.nanoTime();
                    forms.get(f).infer().accept(b);
                    seconds[r] = (System.nanoTime() - start) / 1e9;
                }
                Arrays.sort(seconds);
                perSecond[f][i] = b / seconds[repeats / 2];
            }
        }
        return perSecond;
    }

    /**
     * Images per second of ONNX Runtime running {@code onnx} (which takes pixels of {@code input}) at each of this
     * benchmark's batch sizes, timed as {@link #run} times a form.
     */
    public double[] imagesPerSecond(File onnx, InputShape input) {
        try (OnnxClassifier session = OnnxClassifier.open(onnx)) {
            java.util.Map<Integer, float[]> pixels = new java.util.HashMap<>();
            for (int b : batches) {
                pixels.put(b, pixels(b, input));
            }
            return time(List.of(new Form("", "", onnx.length(), b -> session.run(pixels.get(b), b))))[0];
        }
    }

    private static void pause() {
        try {
            Thread.sleep(500);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static float[] pixels(int batch, InputShape input) {
        float[] x = new float[batch * input.channels() * input.height() * input.width()];
        Random random = new Random(1);
        for (int k = 0; k < x.length; k++) {
            x[k] = random.nextFloat();
        }
        return x;
    }

    private void print(PrintStream out, Row r, Row base) {
        out.printf("%-22s %-12s %-28s %12s", r.network(), r.precision(), r.form(),
                r.bytes() == 0 ? "-" : String.format("%,d", r.bytes()));
        for (double v : r.imagesPerSecond()) {
            out.printf(" %14.1f", v);
        }
        if (base != null) {
            List<String> ratios = new ArrayList<>();
            for (int i = 0; i < batches.length; i++) {
                ratios.add(String.format(java.util.Locale.ROOT, "%.2fx", r.imagesPerSecond()[i] / base.imagesPerSecond()[i]));
            }
            out.printf(" %s%s", String.join(" / ", ratios), r.bytes() == 0 ? ""
                    : String.format(java.util.Locale.ROOT, ", file %.2fx", (double) r.bytes() / base.bytes()));
        }
        out.println();
    }

    /** A fresh folder for the benchmark's files. */
    public static Path folder() throws IOException {
        return Files.createTempDirectory("apprentice-deploy-bench");
    }
}
