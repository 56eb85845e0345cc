package org.apprentice.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apprentice.model.pretrained.Safetensors;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * PyTorch as the oracle: runs {@code src/test/python/torch_golden.py} with Debian's python3-torch (when it is
 * installed), writes safetensors files for malformed-input tests, and compares logits.
 */
public final class TorchGolden {
    public static final String PYTHON = "/usr/bin/python3";
    public static final Path FIXTURES = Path.of("src/test/resources/pretrained");

    private TorchGolden() {
    }

    /** Whether Debian's python3 with torch and torchvision is here. */
    public static boolean torchAvailable() {
        try {
            Process p = new ProcessBuilder(PYTHON, "-c", "import torch, torchvision").redirectErrorStream(true).start();
            return p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Runs the golden script for the given specs (e.g. "resnet18", "resnet20:3:32:10") into {@code out}. */
    public static void generate(Path out, String... specs) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of(PYTHON, "src/test/python/torch_golden.py", out.toString()));
        command.addAll(List.of(specs));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(600, TimeUnit.SECONDS) && p.exitValue() == 0, "torch_golden.py failed:\n" + log);
    }

    /** max|actual - expected| over max|expected|: the relative error the import checks bound by 1e-4. */
    public static double relativeError(INDArray actual, INDArray expected) {
        double scale = expected.amaxNumber().doubleValue();
        return actual.castTo(expected.dataType()).sub(expected).amaxNumber().doubleValue() / scale;
    }

    /** Reads the golden 'input' and 'logits' of {@code NAME.io.safetensors}. */
    public static Map<String, INDArray> io(Path folder, String name) {
        return Safetensors.read(folder.resolve(name + ".io.safetensors").toFile());
    }

    /** Writes float32 tensors (and string metadata) in the safetensors layout, for tests of malformed files. */
    public static void write(Map<String, INDArray> tensors, Map<String, String> metadata, File file) throws IOException {
        Safetensors.write(file, tensors, metadata);
    }
}
