package org.apprentice.cli;

import com.beust.jcommander.Parameters;

/** {@code apprentice demo} (also what {@code apprentice} does with no command): see {@link DefaultJob}. */
@Parameters(commandDescription = "The study's strongest comparison in small on Fashion-MNIST (about 4 minutes on 2 cores): "
        + "the study's trained resnet8 lowered to ternary/4-bit and fine-tuned with its resnet32 teacher (scheme C) and "
        + "without it (C's control), side by side")
final class DemoCommand {
}
