package org.apprentice.export;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apprentice.model.DataRecord;
import org.apprentice.model.ModelFiles;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;

/**
 * Every deployable form of a trained student, as {@code export} writes them into one folder: the DL4J zip with the
 * quantized weights stored ({@code NAME-deploy.zip}), the packed low-bit file ({@code NAME.packed}, with its size
 * table), the ONNX file ({@code NAME.onnx}) and, when the student has an integer convolution, the integer ONNX file
 * ({@code NAME-int8.onnx}; {@code integerOnnx} is then a file and {@code plan} says what became integer, else plan is
 * null and nothing is written there); and for a full-precision model, its PyTorch state dict under torchvision's
 * names ({@code NAME.safetensors}; else {@code safetensors} is null).
 */
public record Deployment(File deployable, File packed, List<PackedModel.Entry> table, File onnx, File integerOnnx,
                         IntegerOnnx.Plan plan, File safetensors) {
    /** The file ONNX Runtime runs best: the integer ONNX where there is one, else the ONNX file. */
    public File fastestOnnx() {
        return plan != null ? integerOnnx : onnx;
    }

    /** Writes every form of the model zip {@code model} into {@code folder}, named after the zip. */
    public static Deployment write(File model, Path folder) throws IOException {
        ComputationGraph student = ModelFiles.load(model, "--model");
        String base = model.getName().replaceAll("\\.zip$", "");
        Files.createDirectories(folder);
        File deployable = folder.resolve(base + "-deploy.zip").toFile();
        ModelSerializer.writeModel(Exporter.deployable(student), deployable, false);
        ModelFiles.copyRecords(model, deployable);
        DataRecord data = ModelFiles.recordedData(model);
        File packed = folder.resolve(base + ".packed").toFile();
        List<PackedModel.Entry> table = PackedModel.write(student, data, packed);
        File onnx = folder.resolve(base + ".onnx").toFile();
        OnnxExport.write(student, data, onnx);
        File integerOnnx = folder.resolve(base + "-int8.onnx").toFile();
        IntegerOnnx.Plan plan = IntegerOnnx.writeIfInteger(student, data, integerOnnx);
        File safetensors = null;
        if (fullPrecision(student)) {
            safetensors = folder.resolve(base + ".safetensors").toFile();
            org.apprentice.model.pretrained.Pretrained.save(student, data, safetensors);
        }
        return new Deployment(deployable, packed, table, onnx, integerOnnx, plan, safetensors);
    }

    /** Whether no layer quantizes its weights or activations. */
    static boolean fullPrecision(ComputationGraph model) {
        for (org.deeplearning4j.nn.api.Layer layer : model.getLayers()) {
            if (org.apprentice.quant.WeightQuantization.of(layer.conf().getLayer()) != null
                    || org.apprentice.quant.ActivationQuantization.of(layer.conf().getLayer()) != null) {
                return false;
            }
        }
        return true;
    }
}
