package org.apprentice.cli;

import com.beust.jcommander.Parameters;

/** {@code apprentice demo} (also what {@code apprentice} does with no command): see {@link DefaultJob}. */
@Parameters(commandDescription = "The paper's story in small on Fashion-MNIST (about 3.5 minutes on 2 cores): a "
        + "full-precision teacher, a ternary student without and with distillation (scheme B), side by side")
final class DemoCommand {
}
