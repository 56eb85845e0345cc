package org.apprentice.train;

import java.io.IOException;
import java.nio.file.Path;
import org.apprentice.io.Sha256;
import org.apprentice.runtime.Backend;
import org.apprentice.runtime.BuildInfo;
import org.apprentice.runtime.GitInfo;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Where a model came from, written as JSON beside it ({@code student.json} beside {@code student.zip}) by
 * {@link RunFolder}: the run's settings, the epochs trained, the code and machine, and SHA-256 hashes of the
 * data and of the teacher and initial-student zips it actually used (also when they came from the model store).
 */
public record Provenance(String model, RunSettings settings, int epochs, Environment environment, Inputs inputs) {

    /**
     * The code and machine that trained the model, and the threads it computed with (a model's numbers depend on them
     * by float rounding; null in files written before they were recorded).
     */
    public record Environment(String gitCommit, Boolean gitDirty, String apprentice, String dl4j, String nd4j,
                              String java, String os, String backend, Integer threads) {

        /** This JVM's, with the git state of the project folder {@code home}. */
        static Environment current(Path home) {
            return new Environment(GitInfo.commit(home), GitInfo.dirty(home), BuildInfo.apprenticeVersion(),
                    BuildInfo.dl4jVersion(), BuildInfo.nd4jVersion(), System.getProperty("java.version"),
                    System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                    + System.getProperty("os.arch"), Backend.name() + (Backend.oneDnnEnabled() ? " (oneDNN)" : ""),
                    Nd4j.getEnvironment().maxThreads());
        }
    }

    /** The inputs the model was made from: the data's fingerprint and the model files used, with their hashes. */
    public record Inputs(String dataSha256, Path teacherModel, String teacherModelSha256, Path studentInit,
                         String studentInitSha256) {
    }

    /**
     * The provenance of {@code model} (a file name), trained for {@code epochs} with {@code settings} from
     * the data with {@code dataSha256} and the given teacher and initial-student zips (null where none).
     */
    public static Provenance of(String model, RunSettings settings, int epochs, String dataSha256, Path teacherModel,
                                Path studentInit, Path home) throws IOException {
        return new Provenance(model, settings, epochs, Environment.current(home),
                new Inputs(dataSha256, teacherModel, hash(teacherModel), studentInit, hash(studentInit)));
    }

    private static String hash(Path file) throws IOException {
        return file == null ? null : Sha256.of(file);
    }
}
