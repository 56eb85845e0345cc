package org.apprentice.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Plain progress lines (logs, CI): every tenth of an epoch, and no long silence on a slow one. */
class EpochProgressTest {

    private static List<String> lines(ByteArrayOutputStream bytes) {
        return bytes.toString(StandardCharsets.UTF_8).lines().toList();
    }

    @Test
    void aLineEveryTenthOfTheEpoch() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (EpochProgress p = new EpochProgress("epoch 1/2", 1000, new PrintStream(bytes), false)) {
            for (long images = 50; images <= 1000; images += 50) {
                p.imagesDone(images);
            }
        }
        assertEquals(9, lines(bytes).size(), lines(bytes).toString());
        assertTrue(lines(bytes).get(0).matches("epoch 1/2: 10% \\(100/1000 images, \\d+ img/s, ETA \\d+ s\\)"),
                lines(bytes).get(0));
    }

    @Test
    void aSlowEpochStillReportsWithinItsQuietInterval() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (EpochProgress p = new EpochProgress("epoch 1/2", 60_000, new PrintStream(bytes), false, 0)) {
            p.imagesDone(64);
            p.imagesDone(128);
        }
        assertEquals(2, lines(bytes).size(), "a line per minibatch when the quiet interval is 0: " + lines(bytes));
        assertTrue(lines(bytes).get(0).startsWith("epoch 1/2: 0% (64/60000 images"), lines(bytes).get(0));
    }
}
