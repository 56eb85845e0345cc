package org.apprentice.study;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Starts one study step's {@code train} command in a process of its own (a study run with {@code --parallel}). */
@FunctionalInterface
public interface StepProcesses {
    /**
     * @param trainArgs the step's command line from {@code train} on, as {@code bin/apprentice} would take it
     * @param log       the file its standard output and error are appended to
     * @param threads   the threads it may compute with
     */
    Process start(List<String> trainArgs, Path log, int threads) throws IOException;
}
