package org.apprentice.model;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import org.apprentice.model.pretrained.Pretrained;
import org.apprentice.model.pretrained.TorchNames;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Model files: reading and writing Apprentice ResNet zips (with their input shape and class names), checking
 * that a loaded model fits a run (a full-precision teacher, the same classes and input), and lowering a trained
 * full-precision model to a student's precision (scheme C). One-line errors name the file.
 */
public final class ModelFiles {
    private ModelFiles() {
    }

    /**
     * Reads a DL4J zip that must hold a ComputationGraph, or a pretrained PyTorch ResNet ({@code .safetensors} under
     * torchvision's names, or {@code .onnx}; see {@link Pretrained}); {@code role} names it in errors ("teacher model").
     */
    public static ComputationGraph load(File zip, String role) {
        if (zip.isDirectory()) {
            throw new IllegalArgumentException(role + " " + zip + " is a folder, not a model zip");
        }
        if (!zip.isFile()) {
            throw new IllegalArgumentException(role + " " + zip + " does not exist");
        }
        if (Pretrained.handles(zip)) {
            try {
                return Pretrained.load(zip).graph();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(role + " " + e.getMessage());
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(role + " " + zip + " cannot be read as a ResNet ("
                        + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": "
                        + e.getMessage().lines().findFirst().orElse("")) + ")");
            }
        }
        try {
            return ModelSerializer.restoreComputationGraph(zip, true);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(role + " " + zip + " is not a DL4J ComputationGraph zip ("
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage().lines()
                    .findFirst().orElse("")) + ")");
        }
    }

    /** The architecture an Apprentice zip records: registry name and width multiplier. */
    public record Architecture(String name, double width) {
        static Architecture of(ResNetConfig config) {
            return new Architecture(config.architecture().name(), config.widthMultiplier());
        }

        static Architecture parse(String text) {
            String[] parts = text.trim().split(" x");
            if (parts.length != 2) {
                throw new IllegalArgumentException("'" + text + "' is not NAME xWIDTH");
            }
            return new Architecture(ModelRegistry.get(parts[0]).name(), Double.parseDouble(parts[1]));
        }

        @Override
        public String toString() {
            return name + " x" + width;
        }
    }

    /**
     * A trained teacher for schemes B and C: a full-precision ComputationGraph with the student's classes (their
     * names in order, where the file records them and {@code classNames} is not null) and input shape.
     */
    public static ComputationGraph loadTeacher(File zip, ResNetConfig student, java.util.List<String> classNames,
                                               Normalization normalization) {
        return requireTeacher(load(zip, "teacher model"), zip, student, classNames, normalization);
    }

    /** {@code teacher}, read from {@code zip}, checked as {@link #loadTeacher} checks it. */
    public static ComputationGraph requireTeacher(ComputationGraph teacher, File zip, ResNetConfig student,
                                                  java.util.List<String> classNames, Normalization normalization) {
        for (Layer layer : teacher.getLayers()) {
            if (org.apprentice.quant.WeightQuantization.of(layer.conf().getLayer()) != null
                    || org.apprentice.quant.ActivationQuantization.of(layer.conf().getLayer()) != null) {
                throw new IllegalArgumentException("teacher model " + zip + " is low precision (layer '"
                        + layer.conf().getLayer().getLayerName() + "'); a teacher must be full precision");
            }
        }
        requireCompatible(teacher, zip, student, classNames, normalization);
        return teacher;
    }

    /**
     * Same classes (their number; their names in label order where the file records them and {@code classNames} is
     * not null) and the same input shape (channels always; height and width when recorded); the same normalization
     * where the file records one and {@code normalization} is not null.
     */
    public static void requireCompatible(ComputationGraph model, File zip, ResNetConfig student,
                                         java.util.List<String> classNames, Normalization normalization) {
        DataRecord recorded = new DataRecord(classNames == null ? null : recordedClasses(zip), recordedInput(zip),
                recordedNormalization(zip));
        requireFits(model, zip, recorded, student.numClasses(), new DataRecord(classNames, student.input(), normalization),
                "the student");
    }

    /**
     * Refuses, in one line naming {@code file}, a model that does not fit data of {@code classes} classes described by
     * {@code data}: its number of classes, and wherever both sides say, its class names in order, its input shape and
     * its normalization must agree, and its first convolution's channels must be the data's; {@code whose} names the
     * other side in the message ("the student", "--data DIR").
     */
    public static void requireFits(ComputationGraph model, File file, DataRecord recorded, int classes, DataRecord data,
                                   String whose) {
        int own = classes(model, file);
        if (own != classes) {
            throw new IllegalArgumentException("model " + file + " has " + own + " classes, " + whose + " has " + classes);
        }
        java.util.List<String> recordedClasses = recorded.classNames();
        java.util.List<String> classNames = data.classNames();
        if (recordedClasses != null && classNames != null && !recordedClasses.equals(classNames)) {
            int first = 0;
            while (first < Math.min(recordedClasses.size(), classNames.size())
                    && recordedClasses.get(first).equals(classNames.get(first))) {
                first++;
            }
            String difference = first < Math.min(recordedClasses.size(), classNames.size())
                    ? "its label " + first + " is '" + recordedClasses.get(first) + "', " + whose + "'s is '"
                    + classNames.get(first) + "'"
                    : "it names " + recordedClasses.size() + " classes, " + whose + " " + classNames.size();
            throw new IllegalArgumentException("model " + file + " was trained on other classes: " + difference
                    + " (its classes " + recordedClasses + "; " + whose + "'s " + classNames + ")");
        }
        String stem = ResNetArchitecture.FIRST_CONVOLUTION;
        long channels = model.getLayer(stem) != null
                && model.getLayer(stem).conf().getLayer() instanceof FeedForwardLayer c ? c.getNIn() : -1;
        InputShape recordedInput = recorded.input();
        if ((recordedInput != null && !recordedInput.equals(data.input()))
                || (channels > 0 && channels != data.input().channels())) {
            throw new IllegalArgumentException("model " + file + " takes input "
                    + (recordedInput != null ? recordedInput : channels + " channels") + ", " + whose + " has "
                    + data.input());
        }
        if (recorded.normalization() != null && data.normalization() != null
                && !recorded.normalization().equals(data.normalization())) {
            throw new IllegalArgumentException("model " + file + " was trained on inputs normalised with "
                    + recorded.normalization() + ", " + whose + "'s are normalised with " + data.normalization());
        }
    }

    /**
     * Refuses a scheme-C starting point that does not fit the student (classes, names, input) or cannot be fine-tuned
     * (batch norm folded into its convolutions).
     */
    public static void requireStartingPoint(ComputationGraph source, File zip, ResNetConfig student,
                                            java.util.List<String> classNames, Normalization normalization) {
        requireCompatible(source, zip, student, classNames, normalization);
        if (Pretrained.foldedBatchNorm(zip)) {
            throw new IllegalArgumentException("model " + zip + " has its batch norm folded into the convolutions (as "
                    + "torch.onnx.export does in evaluation mode): fine as a teacher or for eval, but fine-tuning needs "
                    + "batch norm's own parameters; give the state dict as .safetensors, or export the ONNX file with "
                    + "training=torch.onnx.TrainingMode.PRESERVE");
        }
    }

    /** The number of classes of an Apprentice ResNet (its logits layer's outputs); {@code zip} names it in errors. */
    public static int classes(ComputationGraph model, File zip) {
        if (model.getLayer(ResNetBuilder.LOGITS) == null
                || !(model.getLayer(ResNetBuilder.LOGITS).conf().getLayer() instanceof FeedForwardLayer fc)) {
            throw new IllegalArgumentException("model " + zip + " has no '" + ResNetBuilder.LOGITS
                    + "' logits layer: not an Apprentice ResNet");
        }
        return (int) fc.getNOut();
    }

    /** Key of the entry, in an Apprentice model zip, that records the class names in label order. */
    public static final String CLASSES_ENTRY = "apprentice-classes";

    /** The class names recorded in a model file (a zip's entry, a safetensors or ONNX file's metadata), or null. */
    public static java.util.List<String> recordedClasses(File zip) {
        return Pretrained.handles(zip) ? Pretrained.classes(zip) : recorded(zip, CLASSES_ENTRY);
    }

    /** Key of the entry, in an Apprentice model zip, that records the input shape "C,H,W". */
    public static final String INPUT_ENTRY = "apprentice-input-shape";

    /** The input shape recorded in the zip by {@link #save(ComputationGraph, ResNetConfig, File)}, or null. */
    public static InputShape recordedInput(File zip) {
        return recordedValue(zip, INPUT_ENTRY, Pretrained::input, InputShape::parse);
    }

    /** Key of the entry, in an Apprentice model zip, that records the input normalization ({@link Normalization}). */
    public static final String NORMALIZATION_ENTRY = "apprentice-normalization";

    /** The input normalization a model file records (a zip's entry, a safetensors or ONNX file's metadata), or null. */
    public static Normalization recordedNormalization(File zip) {
        return recordedValue(zip, NORMALIZATION_ENTRY, Pretrained::normalization, Normalization::parse);
    }

    /**
     * A value a model file records: what {@code fromPretrained} reads from a safetensors or ONNX file, else a zip's text
     * entry parsed by {@code parse}; null when absent; one line naming file and entry when corrupt.
     */
    private static <T> T recordedValue(File zip, String entry, java.util.function.Function<File, T> fromPretrained,
                                       java.util.function.Function<String, T> parse) {
        if (Pretrained.handles(zip)) {
            return fromPretrained.apply(zip);
        }
        String text = recorded(zip, entry);
        return text == null ? null : parsed(zip, entry, () -> parse.apply(text));
    }

    /** Everything a model file records about its data (each part null where it records none). */
    public static DataRecord recordedData(File zip) {
        return new DataRecord(recordedClasses(zip), recordedInput(zip), recordedNormalization(zip));
    }

    /** Key of the entry, in an Apprentice model zip, that records its architecture "NAME xWIDTH". */
    public static final String ARCHITECTURE_ENTRY = "apprentice-architecture";

    /** The architecture recorded in the zip, or null (zips saved before it was recorded). */
    public static Architecture recordedArchitecture(File zip) {
        return recordedValue(zip, ARCHITECTURE_ENTRY, file -> {
            TorchNames.Shape shape = Pretrained.shape(file);
            return new Architecture(shape.architecture().name(), shape.width());
        }, Architecture::parse);
    }

    /** Copies what Apprentice records in a model zip (input shape, class names, architecture, normalization) into another zip. */
    public static void copyRecords(File from, File to) throws IOException {
        for (String entry : java.util.List.of(INPUT_ENTRY, CLASSES_ENTRY, ARCHITECTURE_ENTRY, NORMALIZATION_ENTRY)) {
            Object value = recorded(from, entry);
            if (value != null) {
                ModelSerializer.addObjectToFile(to, entry, value);
            }
        }
    }

    /** An entry Apprentice added to a model zip, or null when absent; one line naming zip and entry when unreadable. */
    private static <T> T recorded(File zip, String entry) {
        if (Pretrained.handles(zip)) {
            return null;
        }
        requireZip(zip);
        try {
            return ModelSerializer.listObjectsInFile(zip).contains(entry) ? ModelSerializer.getObjectFromFile(zip, entry)
                    : null;
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("model " + zip + ": its entry " + entry + " cannot be read ("
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": "
                    + e.getMessage().lines().findFirst().orElse("")) + ")");
        }
    }

    /** Refuses, naming it, a file that is not a zip archive at all (a text file given by mistake, a truncated copy). */
    private static void requireZip(File zip) {
        try (java.util.zip.ZipFile ignored = new java.util.zip.ZipFile(zip)) {
            // readable
        } catch (IOException e) {
            throw new IllegalArgumentException("model " + zip + " is not a DL4J ComputationGraph zip, nor .safetensors "
                    + "or .onnx (" + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
        }
    }

    private static <T> T parsed(File zip, String entry, java.util.function.Supplier<T> parse) {
        try {
            return parse.get();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("model " + zip + ": its entry " + entry + " is corrupt: " + e.getMessage());
        }
    }

    /**
     * Scheme C's starting point: the student of {@code lowPrecision} (same architecture, lower precision,
     * given head) with every parameter, batch-norm statistics included, copied from the trained
     * full-precision {@code source}.
     */
    public static ComputationGraph lowerPrecision(ComputationGraph source, File zip, ResNetConfig lowPrecision,
                                                  OutputHead head) {
        requireStartingPoint(source, zip, lowPrecision, null, null);
        ComputationGraph student = ResNetBuilder.build(lowPrecision, head);
        Map<String, INDArray> from = source.paramTable();
        Map<String, INDArray> to = new java.util.LinkedHashMap<>(student.paramTable());
        // a learned quantizer's parameters (TTQ's scales, LSQ's steps, PACT's clip) are not in the full-precision
        // model: they stay unset and start from the copied weights, or the first batch, as their papers say
        to.keySet().removeIf(key -> !from.containsKey(key) && Parameters.isLearnedQuantizer(student, key));
        if (!from.keySet().equals(to.keySet())) {
            throw new IllegalArgumentException("model " + zip + " is not a " + lowPrecision.architecture().name()
                    + " of width x" + lowPrecision.widthMultiplier() + ": its parameters differ");
        }
        for (Map.Entry<String, INDArray> e : to.entrySet()) {
            INDArray value = from.get(e.getKey());
            if (!java.util.Arrays.equals(value.shape(), e.getValue().shape())) {
                throw new IllegalArgumentException("model " + zip + ": parameter " + e.getKey() + " has shape "
                        + java.util.Arrays.toString(value.shape()) + ", the student needs "
                        + java.util.Arrays.toString(e.getValue().shape()));
            }
            e.getValue().assign(value);
        }
        return student;
    }

    /** A student started from a model file (transfer learning), and the one line that says what became of it. */
    public record Transfer(ComputationGraph student, String note) {
    }

    /**
     * Whether model {@code file} was trained on the data's classes: the same number, and the same names in order where
     * both sides name them.
     */
    public static boolean hasClasses(ComputationGraph model, File file, java.util.List<String> classNames) {
        java.util.List<String> recorded = recordedClasses(file);
        return classes(model, file) == classNames.size() && (recorded == null || recorded.equals(classNames));
    }

    /**
     * The full-precision student of {@code config} started from {@code source} (read from {@code file}), for transfer
     * learning: every parameter, batch-norm statistics included, copied from the file, except its classifier when the
     * file was trained on other classes than the data's ({@link #hasClasses}), which is replaced by the student's
     * freshly initialised one. Refused in one line naming the file: another architecture or width, a low-precision
     * model, other input channels, or batch norm folded into the convolutions. Its height and width may differ from
     * the data's (the network ends in a global pooling).
     */
    public static Transfer transfer(ComputationGraph source, File file, ResNetConfig config,
                                    java.util.List<String> classNames) {
        for (Layer layer : source.getLayers()) {
            if (org.apprentice.quant.WeightQuantization.of(layer.conf().getLayer()) != null
                    || org.apprentice.quant.ActivationQuantization.of(layer.conf().getLayer()) != null) {
                throw new IllegalArgumentException("--init " + file + " is low precision (layer '"
                        + layer.conf().getLayer().getLayerName() + "'); transfer learning starts from a full-precision "
                        + "model");
            }
        }
        long channels = source.getLayer(ResNetArchitecture.FIRST_CONVOLUTION) != null
                && source.getLayer(ResNetArchitecture.FIRST_CONVOLUTION).conf().getLayer() instanceof FeedForwardLayer c
                ? c.getNIn() : -1;
        if (channels != config.input().channels()) {
            throw new IllegalArgumentException("--init " + file + " takes " + channels + "-channel images, the data are "
                    + config.input().channels() + "-channel (" + config.input() + ")");
        }
        if (Pretrained.foldedBatchNorm(file)) {
            throw new IllegalArgumentException("--init " + file + " has its batch norm folded into the convolutions (as "
                    + "torch.onnx.export does in evaluation mode): fine-tuning needs batch norm's own parameters; give "
                    + "the state dict as .safetensors, or export with training=torch.onnx.TrainingMode.PRESERVE");
        }
        boolean sameClasses = hasClasses(source, file, classNames);
        ComputationGraph student = ResNetBuilder.build(config);
        Map<String, INDArray> from = source.paramTable();
        Map<String, INDArray> to = student.paramTable();
        String classifier = ResNetBuilder.LOGITS + "_";
        if (!from.keySet().equals(to.keySet())) {
            throw new IllegalArgumentException("--init " + file + " is not a " + config.architecture().name()
                    + " of width x" + config.widthMultiplier() + ": its parameters differ; give the --student and "
                    + "--width it was trained as");
        }
        for (Map.Entry<String, INDArray> e : to.entrySet()) {
            if (!sameClasses && e.getKey().startsWith(classifier)) {
                continue; // the data's classes: a fresh classifier
            }
            INDArray value = from.get(e.getKey());
            if (!java.util.Arrays.equals(value.shape(), e.getValue().shape())) {
                throw new IllegalArgumentException("--init " + file + ": parameter " + e.getKey() + " has shape "
                        + java.util.Arrays.toString(value.shape()) + ", the student needs "
                        + java.util.Arrays.toString(e.getValue().shape()) + "; give the --student and --width it was "
                        + "trained as");
            }
            e.getValue().assign(value);
        }
        java.util.List<String> recorded = recordedClasses(file);
        String note = sameClasses ? "--init " + file + ": trained on the data's " + classNames.size() + " classes"
                + (recorded == null ? " (by their number; the file names none)" : "")
                + ": every weight is kept, its classifier's too"
                : "--init " + file + ": trained on " + classes(source, file) + " classes"
                + (recorded == null ? "" : " " + abbreviated(recorded)) + ", the data have " + classNames.size() + " "
                + abbreviated(classNames) + ": its classifier is replaced by a freshly initialised one for the data's "
                + "classes; the rest keeps its weights";
        return new Transfer(student, note);
    }

    /** Class names for a message: all of them, or the first five and how many more. */
    private static String abbreviated(java.util.List<String> names) {
        return names.size() <= 5 ? names.toString()
                : names.subList(0, 5).toString().replace("]", ", ... " + (names.size() - 5) + " more]");
    }

    /**
     * Writes a model zip (with updater state and the input shape, which DL4J's configuration does not
     * keep) atomically: a crash never leaves a half-written file.
     */
    public static void save(ComputationGraph model, ResNetConfig config, File zip) throws IOException {
        save(model, config, null, null, zip);
    }

    /**
     * As {@link #save(ComputationGraph, ResNetConfig, File)}, also recording the class names, in label order, and the
     * normalization the model's inputs were prepared with (each when not null).
     */
    public static void save(ComputationGraph model, ResNetConfig config, java.util.List<String> classNames,
                            Normalization normalization, File zip) throws IOException {
        File parent = zip.getAbsoluteFile().getParentFile();
        Files.createDirectories(parent.toPath());
        File temp = File.createTempFile(zip.getName(), ".part", parent);
        try {
            ModelSerializer.writeModel(model, temp, true);
            InputShape in = config.input();
            ModelSerializer.addObjectToFile(temp, INPUT_ENTRY, in.channels() + "," + in.height() + "," + in.width());
            ModelSerializer.addObjectToFile(temp, ARCHITECTURE_ENTRY, Architecture.of(config).toString());
            if (classNames != null) {
                ModelSerializer.addObjectToFile(temp, CLASSES_ENTRY, new java.util.ArrayList<>(classNames));
            }
            if (normalization != null) {
                ModelSerializer.addObjectToFile(temp, NORMALIZATION_ENTRY, normalization.toString());
            }
            Files.move(temp.toPath(), zip.toPath(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temp.toPath());
        }
    }

    /**
     * A copy of the model zip {@code from} without its updater state (about half the size: what a trained
     * teacher or starting point needs), with Apprentice's records, written atomically.
     */
    public static void copyWithoutUpdater(File from, File to) throws IOException {
        ComputationGraph model = load(from, "model");
        File parent = to.getAbsoluteFile().getParentFile();
        Files.createDirectories(parent.toPath());
        File temp = File.createTempFile(to.getName(), ".part", parent);
        try {
            ModelSerializer.writeModel(model, temp, false);
            copyRecords(from, temp);
            Files.move(temp.toPath(), to.toPath(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temp.toPath());
        }
    }
}
