package org.apprentice.model;

import java.util.Arrays;
import java.util.stream.Collectors;

/** How {@code --wd} enters training ({@code --wd-form}). */
public enum WeightDecay {
    /**
     * L2 on the gradient before the updater: g + wd·w goes through Nesterov's momentum, as
     * {@code torch.optim.SGD(weight_decay=...)} and the torchvision and timm recipes apply it.
     */
    L2,
    /**
     * DL4J's {@code WeightDecay}: lr·wd·w subtracted after the updater, outside the momentum; about 10x
     * weaker at momentum 0.9 for the same number. What {@code --wd} meant before L2 became the default.
     */
    DECOUPLED;

    public String flag() {
        return name().toLowerCase();
    }

    public static WeightDecay parse(String text) {
        for (WeightDecay w : values()) {
            if (w.flag().equalsIgnoreCase(text == null ? "" : text.trim())) {
                return w;
            }
        }
        throw new IllegalArgumentException("--wd-form '" + text + "' is not one of "
                + Arrays.stream(values()).map(WeightDecay::flag).collect(Collectors.joining(", ")));
    }
}
