package org.apprentice.cli;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apprentice.study.StepProcesses;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A study step's {@code train} command in a JVM of its own: this JVM's Java, settings (its memory limits too: N steps
 * at once need N times a step's memory) and class path, the project folder, and OpenMP held to the step's threads.
 * A step runs the classes on the class path when it starts: rebuilding the project while a study runs changes the code
 * of its later steps (each step's {@code student.json} records its commit).
 */
final class TrainProcesses implements StepProcesses {
    private final Path home;

    TrainProcesses(Path home) {
        this.home = home;
    }

    @Override
    public Process start(List<String> trainArgs, Path log, int threads) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command(trainArgs)).directory(home.toFile())
                .redirectErrorStream(true).redirectOutput(Redirect.appendTo(log.toFile()));
        builder.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
        // their options are among this JVM's arguments, copied below: read twice they would load an agent twice
        builder.environment().remove("JAVA_TOOL_OPTIONS");
        builder.environment().remove("JDK_JAVA_OPTIONS");
        return builder.start();
    }

    List<String> command(List<String> trainArgs) {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!arg.startsWith("-Dapprentice.home=") && !arg.startsWith("-agentlib:jdwp") && !arg.startsWith("-Xrunjdwp")
                    && !arg.startsWith("-Xdebug")) { // a debugger's port is this JVM's
                command.add(arg);
            }
        }
        command.add("-Dapprentice.home=" + home);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(trainArgs);
        return command;
    }

    /**
     * The threads each of {@code parallel} steps gets: those ND4J computes with here (OMP_NUM_THREADS when set, else
     * its choice for this machine) shared out, at least one.
     */
    static int threadsEach(int parallel) {
        return Math.max(1, Nd4j.getEnvironment().maxThreads() / parallel);
    }
}
