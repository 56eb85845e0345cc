package org.apprentice.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;
import org.apprentice.data.Augment;
import org.apprentice.data.DataSpec;
import org.apprentice.io.AtomicFiles;
import org.apprentice.model.LayerPrecision;
import org.apprentice.model.PrecisionSpec;
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
 * Jackson mapper (the copy DL4J ships) with Apprentice's types, and the upgrade that gives files written by earlier
 * versions the settings those versions used.
 */
final class RunJson {
    private static final ObjectMapper JSON = mapper();
    /** The default settings as JSON: what an absent key of a file written by an earlier version means. */
    private static final org.nd4j.shade.jackson.databind.node.ObjectNode DEFAULT_SETTINGS = JSON.valueToTree(
            RunSettings.defaults());

    private RunJson() {
    }

    /** Writes {@code value} as pretty JSON, atomically. */
    static void write(Path file, Object value) throws IOException {
        AtomicFiles.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(value) + "\n");
    }

    /** Reads a JSON file written by {@link #write}; a one-line error names the file. */
    static <T> T read(Path file, Class<T> type) {
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
            object.forEach(RunJson::upgraded);
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
