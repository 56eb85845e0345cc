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
