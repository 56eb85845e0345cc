package org.apprentice.train;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apprentice.data.Augment;
import org.apprentice.data.DataSpec;
import org.apprentice.io.AtomicFiles;
import org.apprentice.io.FileErrors;
import org.apprentice.model.LayerPrecision;
import org.apprentice.model.PrecisionSpec;
import org.apprentice.model.ModelSize;
import org.apprentice.model.WeightDecay;
import org.apprentice.quant.ActivationMethod;
import org.apprentice.quant.KBitWeights;
import org.apprentice.quant.WeightMethod;
import org.nd4j.shade.jackson.core.JsonGenerator;
import org.nd4j.shade.jackson.core.JsonParser;
import org.nd4j.shade.jackson.core.JsonProcessingException;
import org.nd4j.shade.jackson.databind.DeserializationContext;
import org.nd4j.shade.jackson.databind.DeserializationFeature;
import org.nd4j.shade.jackson.databind.JsonDeserializer;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.JsonSerializer;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.SerializationFeature;
import org.nd4j.shade.jackson.databind.SerializerProvider;
import org.nd4j.shade.jackson.databind.module.SimpleModule;
import org.nd4j.shade.jackson.databind.node.ObjectNode;

/**
 * The files of a run folder, typed: the run's settings ({@code run.json}, a {@link RunSettings}), one row per
 * epoch ({@code metrics.csv}, {@link EpochRecord}s), and the provenance JSON beside each model
 * ({@code student.json}, a {@link Provenance}). Every one of them is written and read here only, JSON with
 * Jackson (the copy DL4J ships), the CSV through {@link MetricsCsv}.
 */
public final class RunFolder {
    public static final String SETTINGS = "run.json";
    public static final String METRICS = "metrics.csv";
    /** The student's size, beside or instead of {@code student.zip} (a study keeps it without the model). */
    public static final String SIZE = "size.json";
    private static final String LOCK = ".lock";

    private static final ObjectMapper JSON = mapper();
    /** The default settings as JSON: what an absent key of a file written by an earlier version means. */
    private static final org.nd4j.shade.jackson.databind.node.ObjectNode DEFAULT_SETTINGS = JSON.valueToTree(
            RunSettings.defaults());

    private final Path dir;

    public RunFolder(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    // ---- ownership

    /** The lock a run holds on its folder while it trains; closing it lets another run in. */
    public static final class Lock implements AutoCloseable {
        private final FileChannel channel;
        private final FileLock lock;
        private final Path key;

        private Lock(FileChannel channel, FileLock lock, Path key) {
            this.channel = channel;
            this.lock = lock;
            this.key = key;
        }

        @Override
        public void close() throws IOException {
            try {
                lock.release();
            } finally {
                channel.close();
                CLAIMED.remove(key);
            }
        }
    }

    /** The folders runs of this process own (real paths). */
    private static final java.util.Set<Path> CLAIMED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * Makes the folder this run's: creates it, locks it against other runs (here or in another process), and,
     * unless {@code resuming}, refuses a folder that already holds a run (a checkpoint or a model), so that nothing another run wrote is overwritten. One-line errors name the folder.
     */
    public Lock claim(boolean resuming) throws IOException {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IllegalArgumentException("--out " + dir + " cannot be made into a run folder: " + FileErrors.describe(e));
        }
        Path key = dir.toRealPath();
        // this process first: closing a second channel on the lock file would drop the process's OS-level lock
        if (!CLAIMED.add(key)) {
            throw new IllegalArgumentException("--out " + dir + " is in use by another run; wait for it or give a new --out");
        }
        Lock owned;
        try {
            owned = lock(key);
        } catch (RuntimeException | IOException e) {
            CLAIMED.remove(key);
            throw e;
        }
        String held = resuming ? null : heldRun();
        if (held != null) {
            owned.close();
            throw new IllegalArgumentException("--out " + dir + " holds another run (" + held + "); continue it with "
                    + "--resume or give a new --out");
        }
        return owned;
    }

    /** Locks the folder against other processes; the lock file's channel stays open while the run owns it. */
    private Lock lock(Path key) throws IOException {
        FileChannel channel;
        try {
            channel = FileChannel.open(dir.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new IllegalArgumentException("--out " + dir + " cannot be written: " + FileErrors.describe(e));
        }
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (IOException | OverlappingFileLockException e) {
            channel.close();
            throw new IllegalArgumentException("--out " + dir + " cannot be locked (" + e.getClass().getSimpleName()
                    + "); give an --out on a local disk");
        }
        if (lock == null) {
            channel.close();
            throw new IllegalArgumentException("--out " + dir + " is in use by another run; wait for it or give a new --out");
        }
        return new Lock(channel, lock, key);
    }

    /**
     * What shows that a run already used this folder ("a checkpoint", "student.zip"), or null. Metrics rows without
     * a checkpoint (a run cut inside its first epoch) cannot be resumed, so they do not hold the folder.
     */
    private String heldRun() {
        if (Files.isRegularFile(dir.resolve("student.zip"))) {
            return "student.zip";
        }
        if (Files.isRegularFile(dir.resolve(Checkpoints.LATEST))) {
            return "a checkpoint";
        }
        return null;
    }

    // ---- settings

    public void writeSettings(RunSettings settings) throws IOException {
        writeJson(dir.resolve(SETTINGS), settings);
    }

    /** The run's settings, or null when the folder holds none. */
    public RunSettings readSettings() {
        Path file = dir.resolve(SETTINGS);
        return Files.isRegularFile(file) ? readJson(file, RunSettings.class) : null;
    }

    // ---- metrics

    public Path metricsFile() {
        return dir.resolve(METRICS);
    }

    /** A new metrics.csv holding only its header. */
    public void startMetrics() throws IOException {
        new MetricsCsv(metricsFile()).start();
    }

    public void appendEpoch(EpochRecord r) throws IOException {
        new MetricsCsv(metricsFile()).append(r);
    }

    /** The epochs recorded so far, in order; empty when there is no metrics file. */
    public List<EpochRecord> readEpochs() {
        return new MetricsCsv(metricsFile()).read();
    }

    /** After a crash between writing an epoch's row and its checkpoint: drops the rows after {@code epoch}. */
    public void keepEpochsUpTo(int epoch) throws IOException {
        new MetricsCsv(metricsFile()).keepUpTo(epoch);
    }

    // ---- provenance

    /** The provenance file of a model file: {@code student.json} for {@code student.zip}. */
    public static Path provenanceFileOf(Path model) {
        return model.resolveSibling(model.getFileName().toString().replaceAll("\\.zip$", "") + ".json");
    }

    /** Writes {@code p} beside its model in this folder. */
    public void writeProvenance(Provenance p) throws IOException {
        writeJson(provenanceFileOf(dir.resolve(p.model())), p);
    }

    /** The provenance of the model file {@code model} (e.g. "student.zip") of this folder, or null. */
    public Provenance readProvenance(String model) {
        Path file = provenanceFileOf(dir.resolve(model));
        return Files.isRegularFile(file) ? readJson(file, Provenance.class) : null;
    }

    // ---- the student's size

    public void writeSize(ModelSize size) throws IOException {
        writeJson(dir.resolve(SIZE), size);
    }

    /** The size recorded by {@link #writeSize}, or null. */
    public ModelSize readSize() {
        Path file = dir.resolve(SIZE);
        return Files.isRegularFile(file) ? readJson(file, ModelSize.class) : null;
    }

    // ---- JSON

    /** Writes {@code value} as pretty JSON, atomically. */
    static void writeJson(Path file, Object value) throws IOException {
        AtomicFiles.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(value) + "\n");
    }

    /** Reads a JSON file written by {@link #writeJson}; a one-line error names the file. */
    static <T> T readJson(Path file, Class<T> type) {
        try {
            return JSON.treeToValue(upgraded(JSON.readTree(file.toFile())), type);
        } catch (IOException | RuntimeException e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("");
            throw new IllegalStateException(file + " cannot be read as " + type.getSimpleName() + ": " + why, e);
        }
    }

    /**
     * {@code node} with the settings that files written by earlier versions lack set to what those versions
     * did, in every settings object (the one type with {@code workers}): one replica, decoupled weight decay,
     * and augmentation only for image folders; any other absent key takes its default (no teacher-less
     * control, no Spark, ...). A checkpoint so upgraded then differs from a new run's defaults, and resuming
     * it names the setting.
     */
    private static JsonNode upgraded(JsonNode node) {
        if (node instanceof org.nd4j.shade.jackson.databind.node.ObjectNode object) {
            if (object.has("workers")) {
                if (!object.has("replicas")) {
                    object.put("replicas", 1);
                }
                if (!object.has("weightDecayForm")) {
                    object.put("weightDecayForm", WeightDecay.DECOUPLED.name());
                }
                if (!object.has("augment")) {
                    boolean inMemory = DataSpec.parse(object.path("data").asText("fashion-mnist")).inMemory();
                    object.put("augment", (inMemory ? Augment.NONE : Augment.CROP_FLIP).name());
                }
                // any other setting added since: the value that keeps the earlier behaviour is its default
                DEFAULT_SETTINGS.fields().forEachRemaining(e -> {
                    if (!object.has(e.getKey())) {
                        object.set(e.getKey(), e.getValue());
                    }
                });
            }
            object.forEach(RunFolder::upgraded);
        }
        return node;
    }

    /** The JSON tree of {@code value}, to compare two records field by field. */
    static JsonNode tree(Object value) {
        return JSON.valueToTree(value);
    }

    private static ObjectMapper mapper() {
        SimpleModule types = new SimpleModule("apprentice");
        types.addSerializer(Path.class, new ToStringSerializer<>());
        types.addDeserializer(Path.class, new FromStringDeserializer<>(Path::of));
        types.addSerializer(DataSpec.class, new ToStringSerializer<>());
        types.addDeserializer(DataSpec.class, new FromStringDeserializer<>(DataSpec::parse));
        types.addSerializer(PrecisionSpec.class, new PrecisionSerializer());
        types.addDeserializer(PrecisionSpec.class, new PrecisionDeserializer());
        return new ObjectMapper().registerModule(types)
                .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
    }

    private static final class ToStringSerializer<T> extends JsonSerializer<T> {
        @Override
        public void serialize(T value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            gen.writeString(value.toString());
        }
    }

    private static final class FromStringDeserializer<T> extends JsonDeserializer<T> {
        private final Function<String, T> parse;

        FromStringDeserializer(Function<String, T> parse) {
            this.parse = parse;
        }

        @Override
        public T deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            return parse.apply(p.getValueAsString());
        }
    }

    /** {"weightBits": 2, "activationBits": 4, "quantizeFirst": false, ..., "overrides": {"conv1": [4, 8]}}. */
    private static final class PrecisionSerializer extends JsonSerializer<PrecisionSpec> {
        @Override
        public void serialize(PrecisionSpec p, JsonGenerator gen, SerializerProvider provider) throws IOException {
            gen.writeStartObject();
            gen.writeNumberField("weightBits", p.body().weightBits());
            gen.writeNumberField("activationBits", p.body().activationBits());
            gen.writeBooleanField("quantizeFirst", p.quantizeFirst());
            gen.writeBooleanField("quantizeLast", p.quantizeLast());
            gen.writeStringField("weightScaling", p.weightScaling().name());
            gen.writeBooleanField("roundingEnabled", p.roundingEnabled());
            gen.writeStringField("weights", p.weights().name());
            gen.writeStringField("activations", p.activations().name());
            gen.writeObjectFieldStart("overrides");
            for (Map.Entry<String, LayerPrecision> e : p.overrides().entrySet()) {
                gen.writeArrayFieldStart(e.getKey());
                gen.writeNumber(e.getValue().weightBits());
                gen.writeNumber(e.getValue().activationBits());
                gen.writeEndArray();
            }
            gen.writeEndObject();
            gen.writeEndObject();
        }
    }

    private static final class PrecisionDeserializer extends JsonDeserializer<PrecisionSpec> {
        @Override
        public PrecisionSpec deserialize(JsonParser parser, DeserializationContext ctxt) throws IOException {
            ObjectNode n = parser.readValueAsTree();
            try {
                PrecisionSpec p = PrecisionSpec.of(n.get("weightBits").asInt(), n.get("activationBits").asInt())
                        .withQuantizedEnds(n.get("quantizeFirst").asBoolean(), n.get("quantizeLast").asBoolean())
                        .withWeightScaling(KBitWeights.Scaling.valueOf(n.get("weightScaling").asText()))
                        .withMethods(WeightMethod.valueOf(n.path("weights").asText("FIXED")),
                                ActivationMethod.valueOf(n.path("activations").asText("FIXED")));
                for (Map.Entry<String, JsonNode> e : iterable(n.get("overrides").fields())) {
                    p = p.withOverride(e.getKey(), new LayerPrecision(e.getValue().get(0).asInt(),
                            e.getValue().get(1).asInt()));
                }
                return n.path("roundingEnabled").asBoolean(true) ? p : p.withRoundingOff();
            } catch (NullPointerException | IllegalArgumentException e) {
                throw new JsonProcessingException("not a precision: " + n, e) {
                };
            }
        }
    }

    private static <T> Iterable<T> iterable(java.util.Iterator<T> it) {
        return () -> it;
    }
}
