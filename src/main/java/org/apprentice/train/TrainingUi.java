package org.apprentice.train;

import java.io.PrintStream;
import org.deeplearning4j.core.storage.StatsStorage;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.ui.api.UIServer;
import org.deeplearning4j.ui.model.stats.StatsListener;
import org.deeplearning4j.ui.model.storage.InMemoryStatsStorage;

/** DL4J's own training UI for a run ({@code --ui}): a StatsListener on the student, served by UIServer. */
final class TrainingUi {
    private static StatsStorage storage;

    private TrainingUi() {
    }

    static synchronized void attach(int port, ComputationGraph student, PrintStream out) {
        if (storage == null) {
            System.setProperty("org.deeplearning4j.ui.port", String.valueOf(port));
            storage = new InMemoryStatsStorage();
            UIServer.getInstance().attach(storage);
        }
        student.addListeners(new StatsListener(storage));
        out.printf("training UI: http://localhost:%d/train%n", UIServer.getInstance().getPort());
    }
}
