package org.apprentice.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import org.apprentice.data.FashionMnistFiles;
import org.junit.jupiter.api.Test;

/** The command line: output of the commands, one-line errors and exit status 2 on bad flags. */
class MainTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void summaryPrintsStagesShapesAndTrainableParameters() {
        assertEquals(0, run("summary", "--model", "resnet20", "--classes", "10"));
        String text = out();
        assertTrue(text.contains("Trainable parameters: 272,474"), text);
        assertTrue(text.matches("(?s).*layer3\\s+64x8x8\\s+.*"), text);
        assertTrue(text.contains("-- layer2"), text);
        assertTrue(text.contains("layer2.0.downsample.0"), text);
    }

    @Test
    void summaryOfImagenetModelDefaultsTo224() {
        assertEquals(0, run("summary", "--model", "resnet18"));
        assertTrue(out().contains("Trainable parameters: 11,689,512"), out());
        assertTrue(out().matches("(?s).*layer4\\s+512x7x7\\s+.*"), out());
    }

    @Test
    void summaryOfTernaryResNet18ShowsPrecisionPerLayerAndBothSizes() {
        assertEquals(0, run("summary", "--model", "resnet18", "--bits", "2", "--act-bits", "8"));
        String text = out();
        assertTrue(text.matches("(?s).*\\nconv1\\s+conv 7x7/2\\s+fp32\\s.*"), text);
        assertTrue(text.matches("(?s).*\\nlayer1\\.0\\.conv1\\s+conv 3x3/1\\s+w2\\s.*"), text);
        assertTrue(text.matches("(?s).*\\nlayer1\\.0\\.relu1\\s+quantize \\[0,1\\]\\s+a8\\s.*"), text);
        assertTrue(text.matches("(?s).*\\nfc\\s+dense \\(logits\\)\\s+fp32\\s.*"), text);
        assertTrue(text.contains("Size: 46.76 MB at FP32, 4.92 MB at this precision"), text);
    }

    @Test
    void summaryNamesTheLearnedQuantizersAndCountsTheirParameters() {
        assertEquals(0, run("summary", "--model", "resnet8", "--bits", "2", "--act-bits", "4", "--weights", "ttq",
                "--activations", "pact"));
        String text = out();
        assertTrue(text.matches("(?s).*\\nlayer1\\.0\\.conv1\\s+conv 3x3/1\\s+w2 ttq\\s.*"), text);
        assertTrue(text.matches("(?s).*\\nlayer1\\.0\\.relu1\\s+quantize \\[0,α\\] \\(PACT\\)\\s+a4 pact\\s.*"), text);
        assertTrue(text.matches("(?s).*\\nconv1\\s+conv 3x3/1\\s+fp32\\s.*"), "the stem stays full precision: " + text);
        err.reset();
        assertEquals(Main.USAGE_ERROR, run("summary", "--model", "resnet8", "--bits", "4", "--weights", "ttq"));
        assertEquals("--weights ttq is ternary: it needs --bits 2, got --bits 4", err().strip().replaceFirst("^[^:]*: ", ""), err());
        err.reset();
        assertEquals(Main.USAGE_ERROR, run("summary", "--model", "resnet8", "--bits", "2", "--activations", "relu6"));
        assertTrue(err().contains("--activations 'relu6' is not one of fixed, pact, lsq"), err());
    }

    @Test
    void badPrecisionFlagsNameTheValueAndTheAllowedRange() {
        String[][] cases = {{"--bits", "1"}, {"--bits", "33"}, {"--act-bits", "0"}};
        for (String[] c : cases) {
            err.reset();
            assertEquals(Main.USAGE_ERROR, run("summary", "--model", "resnet8", c[0], c[1]));
            assertTrue(err().contains(c[0] + " " + c[1]) && err().contains("32 (full precision)"), err());
            assertEquals(1, err().strip().lines().count(), err());
        }
        err.reset();
        assertEquals(Main.USAGE_ERROR, run("summary", "--model", "resnet8", "--bits", "2", "--override", "layer9.0.conv1=4"));
        assertTrue(err().contains("'layer9.0.conv1'") && err().contains("weighted layers"), err());
        err.reset();
        assertEquals(Main.USAGE_ERROR, run("summary", "--model", "resnet8", "--weight-scaling", "row"));
        assertTrue(err().contains("'row'") && err().contains("layer, channel, none"), err());
    }

    @Test
    void unknownModelIsAOneLineUsageError() {
        assertEquals(Main.USAGE_ERROR, run("summary", "--model", "resnet19"));
        assertEquals(1, err().strip().lines().count(), err());
        assertTrue(err().contains("'resnet19'") && err().contains("resnet50"), err());
    }

    @Test
    void unknownOptionNamesItAndTheAllowedOnes() {
        assertEquals(Main.USAGE_ERROR, run("summary", "--modle", "resnet20"));
        assertTrue(err().contains("'--modle'") && err().contains("--model"), err());
        assertEquals(Main.USAGE_ERROR, run("frobnicate"));
        assertTrue(err().contains("frobnicate") && err().contains("summary, bench"), err());
    }

    @Test
    void badValuesAreUsageErrors() {
        assertEquals(Main.USAGE_ERROR, run("summary", "--model", "resnet20", "--classes", "0"));
        assertTrue(err().contains("got 0"), err());
        assertEquals(Main.USAGE_ERROR, run("summary", "--model", "resnet20", "--input", "3,32"));
        assertTrue(err().contains("'3,32'"), err());
        assertEquals(Main.USAGE_ERROR, run("bench", "--steps", "0"));
        assertEquals(Main.USAGE_ERROR, run("bench", "--layers", "--ops"));
        assertTrue(err().contains("--layers, --ops at a time"), err());
        assertEquals(Main.USAGE_ERROR, run("bench", "--layers", "--profile"));
        assertTrue(err().contains("not with --layers"), err());
    }

    /** {@code bench --layers} times each layer of the network it is given and sums the fp32 network's. */
    @Test
    void benchLayersTimesEachLayerOfTheNetwork() {
        assertEquals(0, run("bench", "--layers", "--no-torch", "--model", "resnet8", "--input", "1,16,16", "--batch",
                "4", "--warmup", "0", "--steps", "1"), err());
        for (String row : new String[] {"conv 3x3 1->16 /1 at 16x16", "batchnorm 16x16x16", "relu 16x16x16",
                "add 16x16x16", "fp32 network, sum over its layers"}) {
            assertTrue(out().contains(row), row + " in:\n" + out());
        }
        java.util.regex.Matcher add = java.util.regex.Pattern.compile("add 16x16x16 +1 +- +[0-9.]+ +- +- +-")
                .matcher(out());
        assertTrue(add.find(), "DL4J's addition has no twin and PyTorch did not run:\n" + out());
    }

    /**
     * {@code bench --deploy} prints every form of the network it is given (a small one here: speed is not asserted,
     * only that each form ran and was measured) and the integer export's plan.
     */
    @Test
    void benchDeployMeasuresEveryForm() {
        assertEquals(0, run("bench", "--deploy", "--model", "resnet8", "--input", "1,16,16", "--warmup", "0", "--steps",
                "1"), err());
        for (String form : new String[] {"fp32 +ONNX Runtime  ", "w2a4 +ONNX Runtime, float export",
                "w2a4 +ONNX Runtime, integer export", "w2a8 +ONNX Runtime, integer export",
                "w2a4 stem a8 +ONNX Runtime, integer export", "fp32 +DL4J", "integer export w2a4: 2 integer convolutions",
                // the stem's quantized activation lets the first block read and add codes
                "integer export w2a4 stem a8: 4 integer convolutions"}) {
            assertTrue(java.util.regex.Pattern.compile(form).matcher(out()).find(), form + " in:\n" + out());
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("integer export +[0-9,]+ +([0-9.]+) +([0-9.]+)")
                .matcher(out());
        assertTrue(m.find() && Double.parseDouble(m.group(1)) > 0 && Double.parseDouble(m.group(2)) > 0, out());
    }

    @Test
    void helpListsEveryCommandAndOption() {
        assertEquals(0, run("--help"));
        for (String word : new String[] {"summary", "bench", "compress", "--teacher-init", "--model", "--classes", "--input",
                "--width", "--steps"}) {
            assertTrue(out().contains(word), word);
        }
    }

    @Test
    void defaultJobSaysHowToGetFashionMnistWhenItIsMissing() throws Exception {
        boolean installed = FashionMnistFiles.FILES.stream()
                .allMatch(f -> FashionMnistFiles.file(FashionMnistFiles.DEBIAN_FOLDER, f).isPresent());
        String before = System.getProperty("apprentice.home");
        System.setProperty("apprentice.home", Files.createTempDirectory("home").toString());
        try {
            if (!installed) {
                assertEquals(1, run());
                assertTrue(err().contains("dataset-fashion-mnist"), err());
                assertEquals(1, err().strip().lines().count(), err());
            } else {
                // with the files present, the job finds them (its training is covered by TrainCommandTest)
                assertTrue(FashionMnistFiles.locate(Main.projectHome()).equals(FashionMnistFiles.DEBIAN_FOLDER));
            }
        } finally {
            if (before == null) {
                System.clearProperty("apprentice.home");
            } else {
                System.setProperty("apprentice.home", before);
            }
        }
    }


    @Test
    void everyFailureIsOneLineWithItsStatus() {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        java.io.PrintStream e = new java.io.PrintStream(bytes, true, java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(1, Main.failure(new NullPointerException("x was null"), e));
        assertEquals(2, Main.failure(new IllegalArgumentException("--lr -1\nmore"), e));
        assertEquals(1, Main.failure(new java.nio.file.NoSuchFileException("/data/x.zip"), e));
        assertEquals(1, Main.failure(new java.io.UncheckedIOException(new java.nio.file.AccessDeniedException("/root/y")), e));
        assertEquals(java.util.List.of(
                "apprentice: unexpected NullPointerException: x was null (rerun with APPRENTICE_JAVA_OPTS=-Dapprentice.debug=true for the stack trace)",
                "apprentice: --lr -1",
                "apprentice: /data/x.zip: no such file or folder",
                "apprentice: /root/y: permission denied"), bytes.toString(java.nio.charset.StandardCharsets.UTF_8).lines().toList());
    }
}
