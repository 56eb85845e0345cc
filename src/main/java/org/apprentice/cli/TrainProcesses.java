package org.apprentice.cli;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apprentice.runtime.MachineInfo;
import org.apprentice.study.StepProcesses;

/**
 * A study step's {@code train} command in a JVM of its own: this JVM's Java, settings and classes (so a step runs
 * the code of the study that starts it), the project folder, and OpenMP held to the step's threads.
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
        return builder.start();
    }

    List<String> command(List<String> trainArgs) {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!arg.startsWith("-Dapprentice.home=") && !arg.startsWith("-agentlib:jdwp")) { // not a debugger's port twice
                command.add(arg);
            }
        }
        command.add("-Dapprentice.home=" + home);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(trainArgs);
        return command;
    }

    /**
     * The threads each of {@code parallel} steps gets: this machine's ({@link MachineInfo#threads()}) shared out, at
     * least one.
     */
    static int threadsEach(int parallel) {
        return Math.max(1, MachineInfo.threads() / parallel);
    }
}
