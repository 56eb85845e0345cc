package org.apprentice.study;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** A study's results file, laid out from what its steps left: the paper's tables ({@link StudyReport}) or a map ({@link MapReport}). */
interface StudyResults {
    /**
     * The Markdown file.
     *
     * @param header   lines describing the run (command, commit, machine, date), printed as a list
     * @param commands each step's exact train command, by step name
     */
    String render(List<String> header, Map<String, String> commands);

    /** Writes what goes beside the results file (a plot); nothing by default. */
    default void writeBeside(Path resultsFile) throws IOException {
    }

    /** How a study lays out its results ({@code report = paper|map} in its file). */
    enum Kind {
        PAPER, MAP;

        StudyResults of(Study study, Path folder) {
            return this == MAP ? MapReport.of(study, folder) : StudyReport.of(study, folder);
        }

        static Kind parse(String text, Path file) {
            return switch (text.trim().toLowerCase(java.util.Locale.ROOT)) {
                case "", "paper" -> PAPER;
                case "map" -> MAP;
                default -> throw new IllegalArgumentException("study " + file + ": report = " + text.trim()
                        + " is not a kind of report (paper, map)");
            };
        }
    }
}
