package org.apprentice.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** What the build recorded in {@code apprentice.properties}: Apprentice's and DL4J's versions, the backend chosen. */
public final class BuildInfo {
    private static final Properties PROPERTIES = load();

    private BuildInfo() {
    }

    public static String apprenticeVersion() {
        return PROPERTIES.getProperty("apprentice.version");
    }

    public static String dl4jVersion() {
        return PROPERTIES.getProperty("dl4j.version");
    }

    /**
     * The version of the ND4J backend this JVM runs (its jar's Maven record, e.g. nd4j-native 1.0.0-M2.1, or
     * nd4j-cuda-11.6's), or "unknown" when the backend's jar records none.
     */
    public static String nd4jVersion() {
        try {
            Class<?> backend = org.nd4j.linalg.factory.Nd4j.getBackend().getClass();
            java.security.CodeSource source = backend.getProtectionDomain().getCodeSource();
            if (source == null) {
                return "unknown";
            }
            try (java.util.jar.JarFile jar = new java.util.jar.JarFile(new java.io.File(source.getLocation().toURI()))) {
                var entry = jar.stream().filter(e -> e.getName().startsWith("META-INF/maven/org.nd4j/")
                        && e.getName().endsWith("/pom.properties")).findFirst();
                if (entry.isEmpty()) {
                    return "unknown";
                }
                Properties p = new Properties();
                try (InputStream in = jar.getInputStream(entry.get())) {
                    p.load(in);
                }
                return p.getProperty("artifactId", "nd4j") + " " + p.getProperty("version", "unknown");
            }
        } catch (IOException | java.net.URISyntaxException | RuntimeException e) {
            return "unknown";
        }
    }

    /** The backend the Maven profile put on the classpath: "CPU" or "CUDA". */
    public static String backend() {
        return PROPERTIES.getProperty("apprentice.backend", "unknown");
    }

    private static Properties load() {
        Properties p = new Properties();
        try (InputStream in = BuildInfo.class.getResourceAsStream("/apprentice.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            throw new IllegalStateException("apprentice.properties cannot be read: " + e.getMessage(), e);
        }
        return p;
    }
}
