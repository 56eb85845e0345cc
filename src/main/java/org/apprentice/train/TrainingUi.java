package org.apprentice.train;

import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import org.deeplearning4j.core.storage.StatsStorage;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.ui.api.UIServer;
import org.deeplearning4j.ui.model.stats.StatsListener;
import org.deeplearning4j.ui.model.storage.InMemoryStatsStorage;

/** DL4J's own training UI for a run ({@code --ui}): a StatsListener on the student, served by UIServer. */
final class TrainingUi {
    private static StatsStorage storage;
    private static UIServer server;

    private TrainingUi() {
    }

    /** Refuses, in one line, a port the UI could not serve on; call before training starts. */
    static synchronized void requireFreePort(int port) {
        forgetStopped();
        if (storage != null) {
            int serving = server.getPort();
            if (serving != port) {
                throw new IllegalArgumentException("--ui-port " + port + ": this process serves the training UI on port "
                        + serving + " already");
            }
            return;
        }
        try (ServerSocket socket = new ServerSocket(port)) {
            socket.setReuseAddress(true);
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException("--ui-port " + port + " cannot be used (" + e.getMessage()
                    + "); choose another");
        }
    }

    /** A server stopped since (UIServer.stopInstance) is started afresh on the next attach. */
    private static void forgetStopped() {
        if (server != null && server.isStopped()) {
            server = null;
            storage = null;
        }
    }

    static synchronized void attach(int port, ComputationGraph student, PrintStream out) {
        forgetStopped();
        if (storage == null) {
            System.setProperty("org.deeplearning4j.ui.port", String.valueOf(port));
            try {
                UIServer started = UIServer.getInstance();
                StatsStorage fresh = new InMemoryStatsStorage();
                started.attach(fresh);
                server = started;
                storage = fresh;
            } catch (RuntimeException e) {
                throw new IllegalStateException("the training UI could not start on port " + port + ": "
                        + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage()));
            }
        }
        student.addListeners(new StatsListener(storage));
        out.printf("training UI: http://localhost:%d/train%n", server.getPort());
    }
}
