package org.apprentice.cli;

import com.beust.jcommander.Parameter;
import com.beust.jcommander.Parameters;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apprentice.export.Deployment;
import org.apprentice.export.IntegerOnnx;
import org.apprentice.export.OnnxExport;
import org.apprentice.export.PackedModel;

/**
 * {@code apprentice export}: the deployable DL4J zip, the packed low-bit file, the ONNX file and the integer ONNX file
 * (QDQ, which ONNX Runtime runs with integer convolutions) of a trained student.
 */
@Parameters(commandDescription = "Export a trained student: a DL4J zip with the quantized weights stored, a packed low-bit file (with a size table), an ONNX file and an integer ONNX file (QDQ: int8 weight codes, uint8 activation codes)")
final class ExportCommand {
    @Parameter(names = "--model", description = "The student zip written by train", required = true)
    File model;

    @Parameter(names = "--out", description = "Folder for the exported files (default: beside the model)")
    Path out;

    int run(PrintStream stdout) throws IOException {
        Deployment d = Deployment.write(model, out != null ? out : model.getAbsoluteFile().getParentFile().toPath());
        List<PackedModel.Entry> table = d.table();
        File packed = d.packed();
        File deployable = d.deployable();
        File onnx = d.onnx();
        File integerOnnx = d.integerOnnx();
        IntegerOnnx.Plan plan = d.plan();

        Map<String, long[]> perLayer = new LinkedHashMap<>();
        Map<String, String> encodings = new LinkedHashMap<>();
        for (PackedModel.Entry e : table) {
            String layer = e.parameter().substring(0, e.parameter().lastIndexOf('_'));
            long[] sums = perLayer.computeIfAbsent(layer, k -> new long[3]);
            sums[0] += e.count();
            sums[1] += e.fp32Bytes();
            sums[2] += e.packedBytes();
            if (!"float32".equals(e.encoding())) {
                encodings.put(layer, e.encoding());
            }
        }
        stdout.printf("%-24s %-9s %12s %12s %12s%n", "layer", "weights", "parameters", "fp32 bytes", "packed bytes");
        long fp32 = 0;
        long payload = 0;
        for (Map.Entry<String, long[]> e : perLayer.entrySet()) {
            long[] s = e.getValue();
            stdout.printf("%-24s %-9s %,12d %,12d %,12d%n", e.getKey(), encodings.getOrDefault(e.getKey(), "float32"),
                    s[0], s[1], s[2]);
            fp32 += s[1];
            payload += s[2];
        }
        stdout.printf("%-24s %-9s %12s %,12d %,12d  (%.1fx smaller)%n", "total", "", "", fp32, payload,
                (double) fp32 / payload);
        stdout.printf("packed file %s: %,d bytes (parameters above plus the %,d-byte graph configuration and headers)%n",
                packed, packed.length(), packed.length() - payload);
        stdout.printf("DL4J zip %s: %,d bytes (quantized weights stored as float32; loads with ModelSerializer)%n",
                deployable, deployable.length());
        stdout.printf("ONNX %s: %,d bytes (opset %d, input pixels in [0, 1]: quantized weights as float32, k-bit "
                + "activations as Clip/Mul/Round/Div)%n", onnx, onnx.length(), OnnxExport.OPSET);
        if (d.safetensors() != null) {
            stdout.printf("safetensors %s: %,d bytes (the PyTorch state dict under torchvision's names, with class names, "
                    + "input shape and normalization as metadata)%n", d.safetensors(), d.safetensors().length());
        }
        if (plan == null) {
            stdout.println("integer ONNX: not written, the student has no quantized convolution that reads quantized "
                    + "activations (the ONNX file above is its deployable form)");
        } else {
            stdout.printf("integer ONNX %s: %,d bytes (QDQ, input pixels in [0, 1]: int8 weight codes, activations as "
                    + "uint8 codes; %s)%n", integerOnnx, integerOnnx.length(), plan);
        }
        return 0;
    }
}
