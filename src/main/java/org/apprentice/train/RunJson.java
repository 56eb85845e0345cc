package org.apprentice.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;
import org.apprentice.data.Augment;
import org.apprentice.data.DataSpec;
import org.apprentice.io.AtomicFiles;
import org.apprentice.model.LayerPrecision;
import org.apprentice.model.ModelRegistry;
import org.apprentice.model.PrecisionSpec;
import org.apprentice.model.ResNetArchitecture;
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
 * The JSON files of a run folder and its checkpoints ({@code run.json}, provenance, sizes, checkpoint state): one
 * Jackson mapper (the copy DL4J ships) with Apprentice's types, and the explicit upgrade of settings written in an
 * earlier format ({@link RunSettings#FORMAT}) to the current one.
 */
final class RunJson {
    private static final ObjectMapper JSON = mapper();
    /** Where each file type holds its settings ("" for the file itself); other types hold none. */
    private static final Map<Class<?>, String> SETTINGS_AT = Map.of(RunSettings.class, "", Checkpoints.State.class,
            "identity", Provenance.class, "settings");
    /**
     * Format 1's keys, each with the component and field of format 2 it moved to; {@code noTeacher} became the
     * scheme {@code C_CONTROL}.
     */
    private static final Map<String, String> FORMAT_1_KEYS = formatOneKeys();

    private RunJson() {
    }

    /** Writes {@code value} as pretty JSON, atomically. */
    static void write(Path file, Object value) throws IOException {
        AtomicFiles.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(value) + "\n");
    }

    /** Reads a JSON file written by {@link #write}, its settings upgraded to the current format; errors name the file. */
    static <T> T read(Path file, Class<T> type) {
        try {
            JsonNode tree = JSON.readTree(file.toFile());
            String at = SETTINGS_AT.get(type);
            if (at != null && tree instanceof ObjectNode root) {
                if (at.isEmpty()) {
                    tree = upgraded(root);
                } else if (root.get(at) instanceof ObjectNode settings) {
                    root.set(at, upgraded(settings));
                }
            }
            return JSON.treeToValue(tree, type);
        } catch (IOException | RuntimeException e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("");
            throw new IllegalStateException(file + " cannot be read as " + type.getSimpleName() + ": " + why, e);
        }
    }

    /**
     * Settings in the current format, from a file's: its {@code format} (1 when absent: format 1 wrote no number) is
     * upgraded one format at a time; a format from a later version is refused.
     */
    static ObjectNode upgraded(ObjectNode settings) {
        int format = settings.path("format").asInt(1);
        if (format > RunSettings.FORMAT || format < 1) {
            throw new IllegalArgumentException("settings of format " + format + ": this version reads formats 1 to "
                    + RunSettings.FORMAT);
        }
        ObjectNode s = settings.deepCopy();
        if (format == 1) {
            s = formatTwo(formatOneCompleted(s));
        }
        if (format <= 2) {
            s = formatThree(s);
        }
        if (format <= 3) {
            s = formatFour(s);
        }
        s.remove("format"); // written by RunSettings#format, read here only
        return s;
    }

    /**
     * Format 1 as written by its last version: files of earlier versions lack the settings added since, and get what
     * those versions did: one replica, decoupled weight decay, augmentation only for image folders; any other absent
     * setting its default (no teacher-less control, no Spark, ...). A checkpoint so upgraded then differs from a new
     * run's defaults, and resuming it names the setting.
     */
    private static ObjectNode formatOneCompleted(ObjectNode s) {
        s.putIfAbsent("replicas", JSON.getNodeFactory().numberNode(1));
        s.putIfAbsent("weightDecayForm", JSON.getNodeFactory().textNode(WeightDecay.DECOUPLED.name()));
        if (!s.has("augment")) {
            boolean inMemory = DataSpec.parse(s.path("data").asText("fashion-mnist")).inMemory();
            s.put("augment", (inMemory ? Augment.NONE : Augment.CROP_FLIP).name());
        }
        s.putIfAbsent("noTeacher", JSON.getNodeFactory().booleanNode(false));
        ObjectNode defaults = JSON.valueToTree(RunSettings.defaults());
        FORMAT_1_KEYS.forEach((key, path) -> {
            if (!s.has(key)) {
                s.set(key, defaults.at("/" + path.replace('.', '/')));
            }
        });
        return s;
    }

    /**
     * Format 2 as format 3, which added the epochs that train only the classifier ({@code optimisation.freezeEpochs}:
     * none before) and the classes kept ({@code data.classes}: absent, all).
     */
    private static ObjectNode formatThree(ObjectNode two) {
        two.with("optimisation").putIfAbsent("freezeEpochs", JSON.getNodeFactory().numberNode(0));
        return two;
    }

    /**
     * Format 3 as format 4, which added the seed of the training subset (before, the run's seed drew it) and how often
     * the test split is evaluated (every epoch before).
     */
    private static ObjectNode formatFour(ObjectNode three) {
        JsonNode seed = three.path("optimisation").path("seed");
        three.with("data").putIfAbsent("subsetSeed", seed.isMissingNode() ? JSON.getNodeFactory().numberNode(42L) : seed);
        three.with("execution").putIfAbsent("evalEvery", JSON.getNodeFactory().numberNode(1));
        return three;
    }

    /** Format 1's flat settings as format 2's components; a key format 1 never had is refused. */
    private static ObjectNode formatTwo(ObjectNode flat) {
        ObjectNode two = JSON.createObjectNode();
        boolean control = flat.path("noTeacher").asBoolean(false);
        flat.fields().forEachRemaining(e -> {
            String key = e.getKey();
            if (key.equals("noTeacher")) {
                return;
            }
            String path = FORMAT_1_KEYS.get(key);
            if (path == null) {
                throw new IllegalArgumentException("unknown setting '" + key + "' in format 1");
            }
            String[] parts = path.split("\\.");
            if (parts.length == 1) {
                two.set(parts[0], e.getValue());
            } else {
                two.with(parts[0]).set(parts[1], e.getValue());
            }
        });
        if (control) {
            two.put("scheme", "C_CONTROL");
        }
        return two;
    }

    private static Map<String, String> formatOneKeys() {
        Map<String, String> keys = new java.util.LinkedHashMap<>();
        keys.put("scheme", "scheme");
        for (String[] k : new String[][]{{"student", "architecture"}, {"studentWidth", "width"},
                {"precision", "precision"}, {"studentInit", "init"}}) {
            keys.put(k[0], "student." + k[1]);
        }
        for (String k : new String[]{"teacher", "teacherWidth", "teacherModel", "pretrainEpochs", "alpha", "beta",
                "gamma", "temperature", "target"}) {
            keys.put(k, "distillation." + k);
        }
        keys.put("data", "data.source");
        for (String k : new String[]{"trainSubset", "imageSize", "augment"}) {
            keys.put(k, "data." + k);
        }
        for (String k : new String[]{"epochs", "batch", "learningRate", "schedule", "weightDecay", "weightDecayForm",
                "seed"}) {
            keys.put(k, "optimisation." + k);
        }
        for (String k : new String[]{"out", "resume", "stopAfterEpoch", "uiPort", "workers", "replicas", "spark",
                "skipBadImages", "cacheTeacherLogits"}) {
            keys.put(k, "execution." + k);
        }
        return java.util.Collections.unmodifiableMap(keys);
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
        types.addSerializer(ResNetArchitecture.class, new NameSerializer());
        types.addDeserializer(ResNetArchitecture.class, new FromStringDeserializer<>(ModelRegistry::get));
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

    /** An architecture by its registry name. */
    private static final class NameSerializer extends JsonSerializer<ResNetArchitecture> {
        @Override
        public void serialize(ResNetArchitecture value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            gen.writeString(value.name());
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
