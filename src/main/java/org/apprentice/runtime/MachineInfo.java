package org.apprentice.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** A one-line description of the machine, printed beside every benchmark figure. */
public final class MachineInfo {
    private MachineInfo() {
    }

    public static String describe() {
        String cpu = cpuModel().orElse(System.getProperty("os.arch"));
        String threads = Optional.ofNullable(System.getenv("OMP_NUM_THREADS")).orElse("default");
        return String.format("%s, %d cores visible, OMP_NUM_THREADS=%s, Java %s, %s backend%s",
                cpu, Runtime.getRuntime().availableProcessors(), threads, System.getProperty("java.version"),
                Backend.name(), Backend.oneDnnEnabled() ? " with oneDNN" : "");
    }

    /**
     * The threads ND4J and oneDNN compute with: OMP_NUM_THREADS when it is set to a positive number, else the
     * processors this JVM sees.
     */
    public static int threads() {
        String omp = System.getenv("OMP_NUM_THREADS");
        if (omp != null && omp.strip().matches("\\d{1,6}") && Integer.parseInt(omp.strip()) > 0) {
            return Integer.parseInt(omp.strip());
        }
        return Runtime.getRuntime().availableProcessors();
    }

    private static Optional<String> cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .findFirst();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
